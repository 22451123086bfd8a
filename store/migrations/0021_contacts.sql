-- Address books (通讯录), issue 15. A book is its kind, its department and,
-- for a personal book, its owner (owner_id 0 otherwise): a number appears
-- once per book, a group belongs to one book. Ids leave the process (the
-- API), so they come from nextID and have id floors (store/ids.go).
create table contact_groups (
  id integer primary key,
  book text not null check (book in ('org', 'personal', 'customer')),
  department_id integer not null references departments (id),
  owner_id integer not null default 0,
  name text not null,
  created_at integer not null,
  unique (book, department_id, owner_id, name)
);

create table contacts (
  id integer primary key,
  book text not null check (book in ('org', 'personal', 'customer')),
  department_id integer not null references departments (id),
  owner_id integer not null default 0,
  name text not null,
  phone text not null,
  company text not null default '',
  title text not null default '',
  tags text not null default '[]', -- a JSON array of strings
  note text not null default '',
  created_at integer not null,
  updated_at integer not null,
  unique (book, department_id, owner_id, phone)
);
create index contacts_phone on contacts (phone);
create index contacts_owner on contacts (owner_id) where owner_id != 0;

create table contact_group_members (
  group_id integer not null references contact_groups (id) on delete cascade,
  contact_id integer not null references contacts (id) on delete cascade,
  primary key (group_id, contact_id)
) without rowid;
create index contact_group_members_contact on contact_group_members (contact_id);

insert into id_floors (name, next) values ('contacts', 1), ('contact_groups', 1) on conflict (name) do nothing;
create trigger contacts_id_floor after delete on contacts begin
  update id_floors set next = old.id + 1 where name = 'contacts' and next <= old.id; end;
create trigger contact_groups_id_floor after delete on contact_groups begin
  update id_floors set next = old.id + 1 where name = 'contact_groups' and next <= old.id; end;

-- Imports (导入) and their results (导入结果): who, when, which file into which
-- book, the counts as the background job goes, and the rows it refused.
-- A server that stops mid-import leaves it 'running'; the next start marks
-- it 'interrupted' (the rows done stay).
create table contact_imports (
  id integer primary key,
  user_id integer not null default 0,
  api_key_id integer not null default 0,
  file_name text not null,
  book text not null,
  department_id integer not null,
  owner_id integer not null default 0,
  group_id integer not null default 0,
  on_duplicate text not null,
  status text not null,
  total integer not null,
  imported integer not null default 0,
  updated integer not null default 0,
  skipped integer not null default 0,
  failed integer not null default 0,
  created_at integer not null,
  done_at integer not null default 0
);
create index contact_imports_created on contact_imports (created_at);

create table contact_import_failures (
  import_id integer not null references contact_imports (id) on delete cascade,
  line integer not null,
  name text not null,
  phone text not null,
  reason text not null,
  primary key (import_id, line)
) without rowid;

insert into id_floors (name, next) values ('contact_imports', 1) on conflict (name) do nothing;
create trigger contact_imports_id_floor after delete on contact_imports begin
  update id_floors set next = old.id + 1 where name = 'contact_imports' and next <= old.id; end;
