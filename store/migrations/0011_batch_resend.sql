-- A batch made by 失败重发 names the batch whose failed numbers it resends.
alter table batches add column resend_of integer not null default 0;
