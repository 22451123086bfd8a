-- Messages left submitted by an earlier run whose receipt may be lost and
-- whose SMSC could not be asked with query_sm (it does not support it, or
-- does not know the part): they await reconciliation, and are reported
-- instead of silently waiting for the receipt timeout. A row stays after the
-- message leaves submitted; only those still submitted count.
create table unreconciled (
  message_id integer primary key,
  reason text not null,
  marked_at integer not null
);
