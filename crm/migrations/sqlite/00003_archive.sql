-- +goose Up
-- The bot's record of deletes, as migrations/postgres/00003. counts and data
-- are JSON text; archived rows are written by SQLiteRowJSON in the shape of
-- PostgreSQL's to_jsonb (crm/sqlite.go).
CREATE TABLE IF NOT EXISTS deletions (
    id            TEXT PRIMARY KEY,
    contact_id    TEXT NOT NULL,
    contact_label TEXT NOT NULL DEFAULT '',
    deleted_by    TEXT NOT NULL,
    approved_by   TEXT,
    request_id    TEXT,
    reason        TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    counts        TEXT NOT NULL DEFAULT '{}',
    deleted_at    TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    restore_until TIMESTAMP NOT NULL,
    restored_by   TEXT,
    restored_at   TIMESTAMP,
    purged_at     TIMESTAMP
);
CREATE INDEX IF NOT EXISTS deletions_contact_id ON deletions (contact_id);
-- Go passes json.Marshal's []byte, which SQLite would keep as a BLOB (and
-- its JSON functions read BLOBs as binary JSONB): keep counts as text.
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS deletions_counts_text AFTER INSERT ON deletions WHEN typeof(new.counts) = 'blob' BEGIN
    UPDATE deletions SET counts = CAST(new.counts AS TEXT) WHERE id = new.id;
END;
-- +goose StatementEnd
CREATE INDEX IF NOT EXISTS deletions_restore_until ON deletions (restore_until) WHERE purged_at IS NULL AND restored_at IS NULL;

-- seq is the rowid: it increases with every insert, so it keeps insertion
-- order (PostgreSQL's bigserial) within and across deletions.
CREATE TABLE IF NOT EXISTS archived_rows (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    deletion_id TEXT NOT NULL REFERENCES deletions(id),
    table_name  TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS archived_rows_deletion_id ON archived_rows (deletion_id, seq);

-- +goose Down
DROP TABLE IF EXISTS archived_rows;
DROP TABLE IF EXISTS deletions;
