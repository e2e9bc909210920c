-- +goose Up
-- Undo records of Set DND and Remove follow-up, as migrations/postgres/00030.
-- previous and applied are JSON text. undone_* is set once, inside the
-- transaction that holds the database's write lock.
CREATE TABLE IF NOT EXISTS undo_actions (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('dnd','followup')),
    actor      TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    previous   TEXT NOT NULL,
    applied    TEXT NOT NULL,
    audit_id   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    undone_by  TEXT,
    undone_at  TIMESTAMP
);
CREATE INDEX IF NOT EXISTS undo_actions_contact_id ON undo_actions (contact_id, created_at);

-- +goose Down
DROP TABLE IF EXISTS undo_actions;
