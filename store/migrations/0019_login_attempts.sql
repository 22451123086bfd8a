-- Failed console logins, counted by the username typed, whether or not a
-- user has it: an unknown name locks like a real one, so the answers never
-- tell which names exist (issue 14, item 13). An attempt is counted before
-- its password is checked (item 7). A row whose lock and count have lapsed
-- is deleted by the next login, so the table holds at most the names tried
-- in the last LockMinutes. Replaces users.failed_logins and locked_until.
create table login_attempts (
	username text primary key,  -- as typed; a hash of it if longer than any username
	failed integer not null,    -- attempts counted since the last success or lock
	locked_until integer not null default 0,
	last_at integer not null
) without rowid;
create index login_attempts_last_at on login_attempts (last_at);
