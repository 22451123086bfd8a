-- The spine: organisation stubs, credentials, channels, batches, messages,
-- SMSC ids for receipt matching, early receipts, replies.
-- Times are integer Unix milliseconds; 0 means "not yet".

create table departments (
  id integer primary key,
  parent_id integer references departments (id),
  name text not null,
  created_at integer not null
);
insert into departments (id, parent_id, name, created_at) values (1, null, '本单位', 0);

create table users (
  id integer primary key,
  department_id integer not null references departments (id),
  username text not null unique,
  display_name text not null default '',
  password_hash text not null,
  role text not null,
  enabled integer not null default 1,
  must_change_password integer not null default 0,
  created_at integer not null
);

create table api_keys (
  id integer primary key,
  name text not null,
  key text not null unique,
  secret_hash text not null unique,
  department_id integer not null references departments (id),
  user_id integer references users (id),
  role text not null,
  scopes text not null default '',
  allow_free_text integer not null default 0,
  enabled integer not null default 1,
  created_at integer not null
);

create table signatures (
  id integer primary key,
  department_id integer not null references departments (id),
  name text not null,
  approved integer not null default 0,
  created_at integer not null,
  unique (department_id, name)
);

create table channels (
  id integer primary key,
  name text not null,
  host text not null,
  port integer not null,
  system_id text not null,
  password_enc text not null default '',
  source_addr text not null,
  tps integer not null,
  window integer not null,
  weight integer not null default 1,
  carriers text not null default '',
  standby integer not null default 0,
  enabled integer not null default 1,
  created_at integer not null,
  updated_at integer not null
);

create table batches (
  id integer primary key,
  api_key_id integer,
  user_id integer,
  department_id integer not null,
  client_ref text not null default '',
  content text not null,
  ext text not null default '',
  send_at integer not null default 0,
  total integer not null,
  accepted integer not null,
  segments integer not null,
  rejected text not null default '[]', -- JSON list of app.Rejection
  created_at integer not null
);
create unique index batches_client_ref on batches (api_key_id, client_ref) where client_ref != '';

create table messages (
  id integer primary key,
  batch_id integer not null,
  department_id integer not null,
  user_id integer not null default 0,
  api_key_id integer not null default 0,
  phone text not null,
  carrier text not null default '',
  content text, -- null: the batch's content
  segments integer not null,
  status text not null,
  error_code text not null default '',
  channel_id integer not null default 0,
  ext text not null default '',
  attempts integer not null default 0,
  parts_delivered integer not null default 0,
  created_at integer not null,
  submitted_at integer not null default 0,
  done_at integer not null default 0
);
create index messages_batch on messages (batch_id);
create index messages_phone on messages (phone);

-- One row per submitted part: how a receipt finds its message.
create table smsc_ids (
  channel_id integer not null,
  smsc_id text not null,
  message_id integer not null,
  part integer not null,
  dlr_stat text not null default '',
  primary key (channel_id, smsc_id)
) without rowid;

-- Receipts that arrived before their submit result was stored.
create table early_receipts (
  channel_id integer not null,
  smsc_id text not null,
  stat text not null,
  err text not null,
  received_at integer not null,
  primary key (channel_id, smsc_id)
) without rowid;

create table replies (
  id integer primary key,
  channel_id integer not null,
  from_number text not null,
  to_number text not null,
  ext text not null default '',
  content text not null,
  received_at integer not null,
  message_id integer not null default 0,
  department_id integer not null
);
