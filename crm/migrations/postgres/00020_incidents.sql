-- +goose Up
-- A reported wrong deletion: one row per deletion, so that two people (or two
-- replicas handling two clicks) reporting the same deletion post one incident
-- message. channel and message_ts are filled once the message is posted; a
-- row without them is a report in progress.
CREATE TABLE IF NOT EXISTS incidents (
    deletion_id text PRIMARY KEY REFERENCES deletions(id),
    reported_by text NOT NULL,
    reported_at timestamptz NOT NULL,
    channel     text NOT NULL DEFAULT '',
    message_ts  text NOT NULL DEFAULT ''
);

-- `/contact report <email | phone>` finds deletions by the deleted contact's
-- email or phone digits, read from its archived row, without scanning the
-- archive (same expressions as the contacts indexes in 00002).
CREATE INDEX IF NOT EXISTS archived_contacts_email ON archived_rows (lower(data ->> 'email'))
    WHERE table_name = 'contacts';
CREATE INDEX IF NOT EXISTS archived_contacts_phone_key ON archived_rows (contactbot_phone_key(data ->> 'phone') text_pattern_ops)
    WHERE table_name = 'contacts';

-- +goose Down
DROP INDEX IF EXISTS archived_contacts_phone_key;
DROP INDEX IF EXISTS archived_contacts_email;
DROP TABLE IF EXISTS incidents;
