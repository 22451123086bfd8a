-- Issue 7: signatures and templates under review, blacklists, sensitive
-- words, unsubscribe replies.

alter table signatures add column status text not null default 'pending';
alter table signatures add column reason text not null default '';
alter table signatures add column is_default integer not null default 0;
alter table signatures add column reviewed_by integer not null default 0;
alter table signatures add column reviewed_at integer not null default 0;
update signatures set status = 'approved' where approved = 1;

-- One row per template: the newest version (content, vars, status) and the
-- approved one messages are sent with (live_*), which an edit leaves alone.
-- autoincrement: a deleted template's id is never given to another, so an
-- app's stored template_id never sends a different text.
create table templates (
  id integer primary key autoincrement,
  department_id integer not null references departments (id),
  user_id integer not null default 0,
  api_key_id integer not null default 0,
  name text not null,
  kind text not null,
  content text not null,
  vars text not null default '{}',   -- JSON: name -> {"type", "max_len"}
  version integer not null default 1,
  status text not null default 'pending',
  reason text not null default '',
  notes text not null default '[]',  -- JSON: the automatic checks' notes
  live_content text not null default '',
  live_vars text not null default '{}',
  live_version integer not null default 0,
  reviewed_by integer not null default 0,
  reviewed_at integer not null default 0,
  created_at integer not null,
  updated_at integer not null
);
create index templates_department on templates (department_id);

-- Each version as submitted and reviewed, for the record.
create table template_versions (
  template_id integer not null,
  version integer not null,
  content text not null,
  vars text not null,
  status text not null,
  reason text not null default '',
  submitted_by integer not null default 0,
  submitted_at integer not null,
  reviewed_by integer not null default 0,
  reviewed_at integer not null default 0,
  primary key (template_id, version)
) without rowid;

alter table batches add column template_id integer not null default 0;

-- department_id 0 is the global list; a department's list covers its subtree.
create table blacklist (
  phone text not null,
  department_id integer not null,
  reason text not null default '',
  source text not null,
  user_id integer not null default 0,
  created_at integer not null,
  primary key (phone, department_id)
) without rowid;
create index blacklist_department on blacklist (department_id, created_at);

create table word_lists (
  name text primary key,
  action text not null,
  words text not null,  -- one per line
  updated_at integer not null
);

-- Platform settings as key and JSON value (unsubscribe words, ...).
create table settings (
  key text primary key,
  value text not null
);

-- A department may require its console users to send only templates.
alter table departments add column templates_only integer not null default 0;
-- An app may be told of review results.
alter table api_keys add column callback_url text not null default '';
alter table signatures add column api_key_id integer not null default 0;

-- Review results owed to apps' callback URLs: written with the review,
-- deleted once delivered, retried with backoff; next_at 0 when given up.
create table callbacks (
  id integer primary key,
  api_key_id integer not null,
  event text not null,
  body text not null,
  attempts integer not null default 0,
  next_at integer not null,
  last_error text not null default '',
  created_at integer not null
);
create index callbacks_due on callbacks (next_at) where next_at > 0;

-- A free text with a reviewable sensitive word is held for a reviewer:
-- review 'pending' (its messages accepted, not queued), then 'approved'
-- (queued) or 'rejected' (its messages rejected). '' for batches not held.
alter table batches add column review text not null default '';
alter table batches add column review_note text not null default '';
alter table batches add column review_reason text not null default '';
alter table batches add column reviewed_by integer not null default 0;
alter table batches add column reviewed_at integer not null default 0;
create index batches_review on batches (review) where review = 'pending';
