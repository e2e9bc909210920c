-- +goose Up
-- Undo for the SOP's "right answers" (Set DND, Remove follow-up): each change
-- keeps the exact values it replaced (previous) and the ones it wrote
-- (applied), so an undo can put back the first only while the second still
-- holds. A channel without a dnd_settings row before is kept as status "",
-- and an undo removes that row again. undone_* is set once, under a row lock.
CREATE TABLE IF NOT EXISTS undo_actions (
    id         text PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('dnd','followup')),
    actor      text NOT NULL,
    contact_id text NOT NULL,
    previous   jsonb NOT NULL,
    applied    jsonb NOT NULL,
    audit_id   bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    undone_by  text,
    undone_at  timestamptz
);
CREATE INDEX IF NOT EXISTS undo_actions_contact_id ON undo_actions (contact_id, created_at);

-- +goose Down
DROP TABLE IF EXISTS undo_actions;
