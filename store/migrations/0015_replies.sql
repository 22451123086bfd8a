-- Issue 13, item 10: the parts of a concatenated reply are stored as they
-- come, each answered (deliver_sm_resp) only once stored, so a crash loses
-- none; the part that completes a set stores the joined reply in the same
-- transaction. A set stays here (done_at set, reply_id naming the reply)
-- for app.ReplyResendWindow after it completes, so that a part the SMSC
-- sends again is known and not stored twice; the upkeep then forgets it.
create table reply_parts (
  channel_id integer not null,
  from_number text not null,
  to_number text not null,
  ref integer not null,
  total integer not null,
  seq integer not null,
  content text not null,
  received_at integer not null,
  reply_id integer not null default 0,
  done_at integer not null default 0,  -- 0 while the set waits for parts
  primary key (channel_id, from_number, to_number, ref, total, seq)
) without rowid;

-- The upkeep looks at open sets (done_at = 0) by age, and forgets old ones.
create index reply_parts_done on reply_parts (done_at, received_at);

-- A concatenated reply stored with only the parts that came, after the
-- others were awaited app.ReplyPartsWait.
alter table replies add column incomplete integer not null default 0;

-- A reply the SMSC sends again is found by sender and time (then channel,
-- recipient and text), within app.ReplyResendWindow of the first copy.
create index replies_resend on replies (from_number, received_at);
