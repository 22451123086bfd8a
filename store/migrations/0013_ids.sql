-- The database's generation: a restore or a promote starts a new one (a new
-- random db_id), so replication can tell this file from the one a stale
-- Litestream folder beside it describes, and ids can start a new epoch.
create table if not exists id_epoch (
  id integer primary key check (id = 1),
  epoch integer not null,     -- 0 when created; +1 at every restore and promote
  db_id text not null,        -- random; new at every restore and promote
  started_at integer not null,
  reason text not null        -- created, restore, promote
);
insert into id_epoch (id, epoch, db_id, started_at, reason)
  values (1, 0, lower(hex(randomblob(16))), cast(unixepoch('subsec') * 1000 as integer), 'created')
  on conflict (id) do nothing;
