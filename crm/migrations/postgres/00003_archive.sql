-- +goose Up
-- The bot's own record of deletes. A deletion keeps who, when, why and what;
-- its archived rows are the source of truth for a restore and are purged when
-- the restore window closes (the deletion record itself stays).
CREATE TABLE IF NOT EXISTS deletions (
    id            text PRIMARY KEY,
    contact_id    text NOT NULL,
    -- A short label kept for the audit view; blanked by purge.
    contact_label text NOT NULL DEFAULT '',
    deleted_by    text NOT NULL,
    approved_by   text,
    request_id    text,
    reason        text NOT NULL,
    note          text NOT NULL DEFAULT '',
    counts        jsonb NOT NULL DEFAULT '{}'::jsonb,
    deleted_at    timestamptz NOT NULL DEFAULT now(),
    restore_until timestamptz NOT NULL,
    restored_by   text,
    restored_at   timestamptz,
    purged_at     timestamptz
);
CREATE INDEX IF NOT EXISTS deletions_contact_id ON deletions (contact_id);
CREATE INDEX IF NOT EXISTS deletions_restore_until ON deletions (restore_until) WHERE purged_at IS NULL AND restored_at IS NULL;

-- One archived row: the whole row as JSON, so a restore puts back the same
-- ids and values. seq keeps insertion order (parents before children).
CREATE TABLE IF NOT EXISTS archived_rows (
    deletion_id text NOT NULL REFERENCES deletions(id),
    seq         bigserial,
    table_name  text NOT NULL,
    row_id      text NOT NULL,
    data        jsonb NOT NULL,
    PRIMARY KEY (deletion_id, seq)
);

-- +goose Down
DROP TABLE IF EXISTS archived_rows;
DROP TABLE IF EXISTS deletions;
