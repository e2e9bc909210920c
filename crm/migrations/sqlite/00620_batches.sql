-- +goose Up
-- Batch clean-up, as migrations/postgres/00620.
ALTER TABLE deletions ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS deletions_batch_id ON deletions (batch_id) WHERE batch_id <> '';
ALTER TABLE audit_log ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS audit_log_batch_id ON audit_log (batch_id, at) WHERE batch_id <> '';

CREATE TABLE IF NOT EXISTS batches (
    id            TEXT PRIMARY KEY REFERENCES deletions(id),
    filter        TEXT NOT NULL,
    include_risky BOOLEAN NOT NULL DEFAULT false,
    state         TEXT NOT NULL CHECK (state IN ('running', 'done', 'interrupted')),
    count         INTEGER NOT NULL,
    operation_id  TEXT NOT NULL DEFAULT '',
    finished_at   TIMESTAMP
);
CREATE INDEX IF NOT EXISTS batches_running ON batches (operation_id) WHERE state = 'running';

CREATE TABLE IF NOT EXISTS batch_items (
    batch_id      TEXT NOT NULL REFERENCES batches(id),
    seq           INTEGER NOT NULL,
    contact_id    TEXT NOT NULL,
    contact_label TEXT NOT NULL DEFAULT '',
    fingerprint   TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'deleted', 'skipped')),
    deletion_id   TEXT REFERENCES deletions(id),
    why           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (batch_id, seq)
);

-- The filter terms of `/contact cleanup`. SQLite's LIKE cannot use an
-- expression index: an email pattern with a fixed start is also read as a
-- range on contacts_email_lower (crm/batch.go); one with a fixed end scans.
CREATE INDEX IF NOT EXISTS contacts_source ON contacts (source) WHERE source IS NOT NULL;
CREATE INDEX IF NOT EXISTS contacts_created_at ON contacts (created_at);
CREATE INDEX IF NOT EXISTS contacts_location_created ON contacts (location_id, created_at);

-- +goose Down
DROP INDEX IF EXISTS contacts_location_created;
DROP INDEX IF EXISTS contacts_created_at;
DROP INDEX IF EXISTS contacts_source;
DROP TABLE IF EXISTS batch_items;
DROP TABLE IF EXISTS batches;
DROP INDEX IF EXISTS audit_log_batch_id;
ALTER TABLE audit_log DROP COLUMN batch_id;
DROP INDEX IF EXISTS deletions_batch_id;
ALTER TABLE deletions DROP COLUMN batch_id;
