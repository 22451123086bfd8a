-- Statistics (统计报表), issue 16: counters kept for good, beside message
-- detail that is pruned. Triggers made in store/stats.go keep them in the
-- transaction of every message insert and status change; a delete (the
-- retention prune) changes none. Days and months are the platform's local
-- ones, as integers (20261129, 202611).

-- The template a message was sent with (0: none), for the counters.
alter table messages add column template_id integer not null default 0;

-- Every dimension, by day: the counters `smsgw stats rebuild` recounts.
-- status is the final status, or 'pending' for any not final yet;
-- error_code is kept for undelivered, expired and failed only.
create table stat_days (
  day integer not null,
  department_id integer not null,
  user_id integer not null,
  channel_id integer not null,
  carrier text not null,
  template_id integer not null,
  status text not null,
  error_code text not null,
  messages integer not null,
  segments integer not null,
  primary key (day, department_id, user_id, channel_id, carrier, template_id, status, error_code)
) without rowid;
create index stat_days_user on stat_days (user_id, day);

-- Report-shaped month rollup: one row per month, department, user,
-- channel and carrier, the status classes as columns, so a year report
-- reads tens of thousands of rows, not millions.
create table stat_months (
  month integer not null,
  department_id integer not null,
  user_id integer not null,
  channel_id integer not null,
  carrier text not null,
  sent integer not null,
  delivered integer not null,
  failed integer not null,
  pending integer not null,
  rejected integer not null,
  cancelled integer not null,
  segments integer not null, -- of the sent messages
  primary key (month, department_id, user_id, channel_id, carrier)
) without rowid;

-- Failed messages by month and error code, for the top error codes. No
-- user: with one a year held hundreds of thousands of rows; an operator's
-- own top codes come from stat_days (stat_days_user).
create table stat_month_errors (
  month integer not null,
  department_id integer not null,
  channel_id integer not null,
  carrier text not null,
  status text not null,
  error_code text not null,
  messages integer not null,
  primary key (month, department_id, channel_id, carrier, status, error_code)
) without rowid;
