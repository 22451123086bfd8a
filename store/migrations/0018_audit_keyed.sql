-- The audit log keyed and bounded (issue 14, items 4 and 9): an entry may
-- stand for several refused calls (count), and once old entries are pruned
-- the checkpoint says where the kept chain starts and what it chains from,
-- signed with the audit key. The chain's hashes become HMACs under a key
-- outside the database when a server first opens it (store/audit_key.go).
alter table audit_log add column count integer not null default 1;
create table audit_checkpoint (
  id integer primary key check (id = 1),
  first_id integer not null,
  prev_hash text not null,
  at integer not null,
  sig text not null
);
