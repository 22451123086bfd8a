-- A disabled department's users cannot log in and its apps cannot call,
-- nor those of the departments below it.
alter table departments add column enabled integer not null default 1;
