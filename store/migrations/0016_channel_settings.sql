-- Channel settings, issue 13. Source and destination TON/NPI were fixed at
-- 0/0 and 0/1: they become per-channel settings with those defaults.
-- on_crash says what a restart does with a message that was possibly
-- submitted through the channel when the process died: 'resend' (at least
-- once, as before) or 'hold' (at most once: an operator releases or fails
-- it).
alter table channels add column source_ton integer not null default 0;
alter table channels add column source_npi integer not null default 0;
alter table channels add column dest_ton integer not null default 0;
alter table channels add column dest_npi integer not null default 1;
alter table channels add column on_crash text not null default 'resend';
-- placed_on is the hold channel a claimed message was handed to, written
-- before its submit_sm goes (only for channels with on_crash 'hold'), so a
-- restart knows which ambiguous messages to hold. Cleared on each claim.
alter table messages add column placed_on integer;
create index messages_held on messages (placed_on) where status = 'held';
