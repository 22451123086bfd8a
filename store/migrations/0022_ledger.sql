-- Quota in segments (条) with a ledger, issue 16.
--
-- A department may have its own account; a send draws on the nearest
-- account at or above its department. A department with no account on its
-- chain up to the root is unmetered (不限额): nothing limits it and it
-- writes no ledger entry.
create table accounts (
  department_id integer primary key,
  balance integer not null check (balance >= 0),
  low_balance_threshold integer not null default 0,
  created_at integer not null
);

-- Every change of a balance, kept for good (a financial record: retention
-- does not prune it). segments is signed: positive adds to the balance.
-- Ids are named on insert from id_floors (store/ids.go), so a restored or
-- promoted copy never reissues an entry's id; rows are never deleted, so
-- the table needs no floor trigger.
create table ledger (
  id integer primary key,
  at integer not null,
  department_id integer not null, -- the account's
  kind text not null check (kind in ('topup', 'debit', 'refund', 'allocate')),
  segments integer not null,
  balance_after integer not null,
  batch_id integer not null default 0,
  actor_user_id integer not null default 0,
  actor_api_key_id integer not null default 0,
  note text not null default ''
);
create index ledger_department on ledger (department_id, id);

-- Which account paid for a batch (0: unmetered), what it was charged and
-- what has been refunded, so refunds find it and never exceed the charge.
alter table batches add column paid_by integer not null default 0;
alter table batches add column charged integer not null default 0;
alter table batches add column refunded integer not null default 0;

-- Monthly consumption (按月统计消费) by who sent, for every department,
-- metered or not; kept for good (message detail is pruned, this is not).
-- month is 'YYYY-MM' in China time.
create table consumption (
  month text not null,
  department_id integer not null,
  user_id integer not null,
  api_key_id integer not null,
  debited integer not null default 0,
  refunded integer not null default 0,
  primary key (month, department_id, user_id, api_key_id)
) without rowid;

-- Segments to refund, by batch, gathered by the trigger below and settled
-- into ledger entries (one per batch per transaction) by the writer before
-- it commits. Empty between transactions.
create table refund_pending (
  batch_id integer primary key,
  segments integer not null
);

-- A message that ends without ever reaching an SMSC is always refunded;
-- one that did reach one only when the setting refund_failed (失败退还)
-- is on. "Never reached an SMSC": no SMSC ever accepted it or a part of it
-- (submitted_at = 0, concat_ref null), and it ended from waiting
-- (accepted, queued: refused by a reviewer, cancelled, its queue job dead)
-- or was given up by the engine before any submit (EVALIDITY: no channel
-- until its validity ran out; EENCODE: not encodable). A message refused
-- by an SMSC (SMPP_0x..), failed after a hold (EHELDFAILED), dead while
-- submitting (EDEADLETTER: it may be at the SMSC), or ended after it was
-- submitted (undelivered, expired, or failed after a resend) is refunded
-- by the setting. One edge: a submit whose answer was lost (ECONNLOST,
-- ETIMEOUT), retried until its validity ran out, counts as never sent.
-- Final statuses never change again, so a message is refunded at most
-- once. Delivered messages, the common case, do not fire it. The WHEN
-- tests with instr: an IN list made every status write 2.7 µs slower,
-- instr 0.7 µs (BenchmarkRefundTrigger).
create trigger messages_refund after update of status on messages
when instr(',rejected,cancelled,failed,undelivered,expired,', ',' || new.status || ',') > 0
  and old.status is not new.status
  and ((new.submitted_at = 0 and new.concat_ref is null
        and (instr(',accepted,queued,', ',' || old.status || ',') > 0
             or instr(',EVALIDITY,EENCODE,', ',' || new.error_code || ',') > 0))
       or coalesce((select value from settings where key = 'refund_failed'), 'false') = 'true')
begin
  insert into refund_pending (batch_id, segments) values (new.batch_id, new.segments)
    on conflict (batch_id) do update set segments = segments + excluded.segments;
end;
