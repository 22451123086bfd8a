-- The audit log (日志审计): append-only, each entry chained to the one before
-- by a SHA-256 hash, so an edited or deleted entry breaks the chain.
create table audit_log (
  id integer primary key,
  at integer not null,
  user_id integer not null default 0,
  api_key_id integer not null default 0,
  actor text not null default '',
  role text not null default '',
  department_id integer not null default 0,
  action text not null,
  target text not null default '',
  summary text not null default '',
  result text not null default '',
  ip text not null default '',
  user_agent text not null default '',
  prev_hash text not null,
  hash text not null
);
create index audit_log_department on audit_log (department_id, id);
