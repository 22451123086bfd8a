-- Channels may resend an undelivered message once through another channel
-- (失败补发). smsc_ids remember which attempt a part belongs to, so receipts
-- of an earlier attempt never count toward a resend.
alter table channels add column resend_undelivered integer not null default 0;
alter table smsc_ids add column attempt integer not null default 0;
