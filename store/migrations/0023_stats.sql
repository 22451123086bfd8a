-- Statistics (统计报表), issue 16: counters kept for good, beside message
-- detail that is pruned. Triggers made in store/stats.go keep them in the
-- transaction of every message insert and status change; a delete (the
-- retention prune) changes none. Days and months are the platform's local
-- ones, as integers (20261129, 202611).

-- The template a message was sent with (0: none), and the day it counts
-- on (20261129, the platform's zone, fixed at accept), for the counters.
alter table messages add column template_id integer not null default 0;
alter table messages add column stat_day integer not null default 0;

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

-- Report-shaped month rollup: one row per month, department, channel
-- and carrier, the status classes as columns, so a year report reads
-- thousands of rows, not millions. No user: with one, a report without a
-- user filter read a row per user (a year by carrier took 476 ms at 3,000
-- users); the users' own numbers are in stat_month_users.
create table stat_months (
  month integer not null,
  department_id integer not null,
  channel_id integer not null,
  carrier text not null,
  sent integer not null,
  delivered integer not null,
  failed integer not null,
  pending integer not null,
  rejected integer not null,
  cancelled integer not null,
  segments integer not null, -- of the sent messages
  primary key (month, department_id, channel_id, carrier)
) without rowid;

-- The same by user, without channel and carrier: the breakdown by user
-- and an operator's own month and year reports. An operator's report
-- filtered by channel or carrier reads stat_days (stat_days_user).
create table stat_month_users (
  month integer not null,
  department_id integer not null,
  user_id integer not null,
  sent integer not null,
  delivered integer not null,
  failed integer not null,
  pending integer not null,
  rejected integer not null,
  cancelled integer not null,
  segments integer not null,
  primary key (month, department_id, user_id)
) without rowid;

-- The same by day, for the breakdown by user and an operator's report
-- over a range of days.
create table stat_day_users (
  day integer not null,
  department_id integer not null,
  user_id integer not null,
  sent integer not null,
  delivered integer not null,
  failed integer not null,
  pending integer not null,
  rejected integer not null,
  cancelled integer not null,
  segments integer not null,
  primary key (day, department_id, user_id)
) without rowid;

-- The same by day, for day reports (a month of stat_days with every
-- dimension can hold a million rows).
create table stat_day_totals (
  day integer not null,
  department_id integer not null,
  channel_id integer not null,
  carrier text not null,
  sent integer not null,
  delivered integer not null,
  failed integer not null,
  pending integer not null,
  rejected integer not null,
  cancelled integer not null,
  segments integer not null,
  primary key (day, department_id, channel_id, carrier)
) without rowid;

-- Failed messages by day and by month and error code, for the top error
-- codes. No user: with one a year held hundreds of thousands of rows; an
-- operator's own top codes come from stat_days (stat_days_user).
create table stat_day_errors (
  day integer not null,
  department_id integer not null,
  channel_id integer not null,
  carrier text not null,
  status text not null,
  error_code text not null,
  messages integer not null,
  primary key (day, department_id, channel_id, carrier, status, error_code)
) without rowid;
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

-- The messages stored before this migration, counted so that the reports
-- start with the detail still kept rather than empty: by their day in
-- China time (UTC+8) and their batch's template. Only those not final yet
-- have both stored on them, for the trigger when they move; a final one
-- never moves again, keeps stat_day 0, and the trigger and the rebuild
-- take its day from created_at and its template from its batch. (Writing
-- every row cost seconds a million messages and a WAL the table's size.)
update messages set stat_day = cast(strftime('%Y%m%d', created_at / 1000 + 28800, 'unixepoch') as integer),
  template_id = coalesce((select template_id from batches where id = messages.batch_id), 0)
  where status in ('accepted', 'queued', 'submitting', 'held', 'submitted');
insert into stat_days (day, department_id, user_id, channel_id, carrier, template_id, status, error_code, messages, segments)
  select cast(strftime('%Y%m%d', m.created_at / 1000 + 28800, 'unixepoch') as integer), m.department_id, m.user_id,
    case when m.status in ('accepted', 'queued', 'submitting', 'held', 'submitted') then 0 else m.channel_id end, m.carrier,
    coalesce(b.template_id, 0),
    case when m.status in ('accepted', 'queued', 'submitting', 'held', 'submitted') then 'pending' else m.status end,
    case when m.status in ('undelivered', 'expired', 'failed') then m.error_code else '' end, count(*), sum(m.segments)
  from messages m left join batches b on b.id = m.batch_id group by 1, 2, 3, 4, 5, 6, 7, 8;
insert into stat_day_totals (day, department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
  select day, department_id, channel_id, carrier,
    sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
    sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
    sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
    sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
  from stat_days group by 1, 2, 3, 4;
insert into stat_months (month, department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
  select day / 100, department_id, channel_id, carrier,
    sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
    sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
    sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
    sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
  from stat_days group by 1, 2, 3, 4;
insert into stat_day_users (day, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments)
  select day, department_id, user_id,
    sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
    sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
    sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
    sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
  from stat_days group by 1, 2, 3;
insert into stat_month_users (month, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments)
  select day / 100, department_id, user_id,
    sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
    sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
    sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
    sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
  from stat_days group by 1, 2, 3;
insert into stat_month_errors (month, department_id, channel_id, carrier, status, error_code, messages)
  select day / 100, department_id, channel_id, carrier, status, error_code, sum(messages)
  from stat_days where status in ('undelivered', 'expired', 'failed') group by 1, 2, 3, 4, 5, 6;
insert into stat_day_errors (day, department_id, channel_id, carrier, status, error_code, messages)
  select day, department_id, channel_id, carrier, status, error_code, sum(messages)
  from stat_days where status in ('undelivered', 'expired', 'failed') group by 1, 2, 3, 4, 5, 6;
