-- Console logins: a session carries its user's session_version, bumped to
-- revoke every session (logout everywhere, password change, disable);
-- failed logins lock the account for a while.
alter table users add column session_version integer not null default 1;
alter table users add column failed_logins integer not null default 0;
alter table users add column locked_until integer not null default 0;
