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

-- The next id of each table whose ids leave the process (API answers,
-- callbacks, the console), when it is above max(id) + 1: after a restore or
-- a promote (a new epoch, see store/ids.go), or after the row with the
-- highest id was deleted. The insert paths take max(max(id) + 1, next), so
-- an id once handed out never comes back. (The audit log is not here: its
-- ids count its entries, a gap means a removed entry.)
create table if not exists id_floors (
  name text primary key,
  next integer not null
) without rowid;
insert into id_floors (name, next) select name, next from (
  select 'messages' as name, coalesce(max(id), 0) + 1 as next from messages union all
  select 'batches', coalesce(max(id), 0) + 1 from batches union all
  select 'replies', coalesce(max(id), 0) + 1 from replies union all
  select 'channels', coalesce(max(id), 0) + 1 from channels union all
  select 'users', coalesce(max(id), 0) + 1 from users union all
  select 'departments', coalesce(max(id), 0) + 1 from departments union all
  select 'api_keys', coalesce(max(id), 0) + 1 from api_keys union all
  select 'callbacks', coalesce(max(id), 0) + 1 from callbacks union all
  select 'signatures', coalesce(max(id), 0) + 1 from signatures union all
  select 'templates', coalesce(max(id), 0) + 1 from templates
) where true -- (SQLite needs a where before on conflict in insert ... select)
on conflict (name) do nothing;

-- A deleted row's id stays used: retention prunes messages, batches and
-- replies; channels, departments, signatures and templates can be deleted;
-- delivered callbacks go. Only a delete at the top moves the floor.
create trigger messages_id_floor after delete on messages begin
  update id_floors set next = old.id + 1 where name = 'messages' and next <= old.id; end;
create trigger batches_id_floor after delete on batches begin
  update id_floors set next = old.id + 1 where name = 'batches' and next <= old.id; end;
create trigger replies_id_floor after delete on replies begin
  update id_floors set next = old.id + 1 where name = 'replies' and next <= old.id; end;
create trigger channels_id_floor after delete on channels begin
  update id_floors set next = old.id + 1 where name = 'channels' and next <= old.id; end;
create trigger users_id_floor after delete on users begin
  update id_floors set next = old.id + 1 where name = 'users' and next <= old.id; end;
create trigger departments_id_floor after delete on departments begin
  update id_floors set next = old.id + 1 where name = 'departments' and next <= old.id; end;
create trigger api_keys_id_floor after delete on api_keys begin
  update id_floors set next = old.id + 1 where name = 'api_keys' and next <= old.id; end;
create trigger callbacks_id_floor after delete on callbacks begin
  update id_floors set next = old.id + 1 where name = 'callbacks' and next <= old.id; end;
create trigger signatures_id_floor after delete on signatures begin
  update id_floors set next = old.id + 1 where name = 'signatures' and next <= old.id; end;
create trigger templates_id_floor after delete on templates begin
  update id_floors set next = old.id + 1 where name = 'templates' and next <= old.id; end;
