-- Channels, issue 3. Channels may resend an undelivered message once through
-- another channel (失败补发); smsc_ids remember which attempt a part belongs
-- to, so receipts of an earlier attempt never count toward the resend.
-- Departments and API keys may carry an extension code (扩展码) appended to
-- the channel's source number; API keys have a request rate limit.
alter table channels add column resend_undelivered integer not null default 0;
alter table smsc_ids add column attempt integer not null default 0;
alter table messages add column resent integer not null default 0;
alter table departments add column ext text not null default '';
alter table api_keys add column ext text not null default '';
alter table api_keys add column rate_limit integer not null default 100;
