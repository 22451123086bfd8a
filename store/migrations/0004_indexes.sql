-- Partial indexes that hold only messages on their way: cheap to keep, and
-- they let a restart find every message left submitting, and the sweep find
-- submitted messages whose receipt never came, without scanning the table.
create index messages_submitting on messages (id) where status = 'submitting';
create index messages_awaiting_receipt on messages (submitted_at) where status = 'submitted';
-- Listings scoped to a department or an operator, newest first.
create index messages_department on messages (department_id, id);
create index messages_user on messages (user_id, id);
