-- A long message retried after some of its parts went out keeps their
-- concatenation reference, so that a later attempt (on any channel, after a
-- restart too) sends only the parts missing, under the same reference and
-- numbers. The parts accepted are the message's smsc_ids rows with an
-- attempt from parts_from on. Both stay null for a message none of whose
-- parts has gone out in a failed attempt: one-part messages, and long ones
-- sent whole at the first go.
alter table messages add column concat_ref integer;
alter table messages add column parts_from integer;
