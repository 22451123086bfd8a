-- Retention: SMSC ids are dropped a week after their message is final (late
-- duplicate receipts only), message detail after the retention period.
create index smsc_ids_message on smsc_ids (message_id);
-- Where each pruning pass got to.
create table upkeep (
  name text primary key,
  value integer not null
) without rowid;
