-- +goose Up
-- Reminders and escalations call the admins (their user group) at most
-- once an hour, in one message that lists every request waiting: this row,
-- shared by every replica, says when they were last called and whether a
-- reminder or escalation since then wants them called again.
CREATE TABLE IF NOT EXISTS admin_calls (
    name    text PRIMARY KEY,
    wanted  boolean NOT NULL DEFAULT false,
    last_at timestamptz
);
INSERT INTO admin_calls (name) VALUES ('approvals') ON CONFLICT DO NOTHING;

-- +goose Down
DROP TABLE IF EXISTS admin_calls;
