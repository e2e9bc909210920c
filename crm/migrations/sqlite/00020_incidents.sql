-- +goose Up
-- Reported wrong deletions, as migrations/postgres/00020: one row per
-- deletion; channel and message_ts are filled once the message is posted.
CREATE TABLE IF NOT EXISTS incidents (
    deletion_id TEXT PRIMARY KEY REFERENCES deletions(id),
    reported_by TEXT NOT NULL,
    reported_at TIMESTAMP NOT NULL,
    channel     TEXT NOT NULL DEFAULT '',
    message_ts  TEXT NOT NULL DEFAULT ''
);

-- `/contact report <email | phone>` finds deletions by the deleted contact's
-- email or phone digits, read from its archived row, without scanning the
-- archive. The query must spell the expression the same way (json_extract,
-- see Dialect.archivedField) for SQLite to use the index.
CREATE INDEX IF NOT EXISTS archived_contacts_email ON archived_rows (lower(json_extract(data, '$.email')))
    WHERE table_name = 'contacts';
CREATE INDEX IF NOT EXISTS archived_contacts_phone_key ON archived_rows (contactbot_phone_key(json_extract(data, '$.phone')))
    WHERE table_name = 'contacts';

-- +goose Down
DROP INDEX IF EXISTS archived_contacts_phone_key;
DROP INDEX IF EXISTS archived_contacts_email;
DROP TABLE IF EXISTS incidents;
