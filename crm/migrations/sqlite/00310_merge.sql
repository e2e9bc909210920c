-- +goose Up
-- Merge instead of delete, as migrations/postgres/00310. original_before,
-- original_after and moved are JSON text.
ALTER TABLE deletions ADD COLUMN kind TEXT NOT NULL DEFAULT 'delete'
    CHECK (kind IN ('delete', 'merge', 'erasure'));

CREATE TABLE IF NOT EXISTS merges (
    deletion_id  TEXT PRIMARY KEY REFERENCES deletions(id),
    duplicate_id TEXT NOT NULL,
    original_id  TEXT NOT NULL,
    original_before TEXT NOT NULL DEFAULT '{}',
    original_after  TEXT NOT NULL DEFAULT '{}',
    moved        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS merges_original_id ON merges (original_id);

CREATE TABLE IF NOT EXISTS merge_moves (
    deletion_id TEXT NOT NULL REFERENCES deletions(id),
    table_name  TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    PRIMARY KEY (deletion_id, table_name, row_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE IF EXISTS merge_moves;
DROP TABLE IF EXISTS merges;
ALTER TABLE deletions DROP COLUMN kind;
