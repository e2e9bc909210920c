-- +goose Up
-- Search never scans contacts (as migrations/postgres/00002): email by
-- lower(), phone by its reversed digits, names by their folded words.
-- contactbot_phone_key, contactbot_fold and contactbot_name_words are Go
-- functions the program registers on every connection (crm/sqlite.go), so
-- writing contacts needs contactbot's own binary, not the sqlite3 shell.
CREATE INDEX IF NOT EXISTS contacts_email_lower ON contacts (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS contacts_phone_key ON contacts (contactbot_phone_key(phone)) WHERE phone IS NOT NULL;

-- SQLite has no tsvector: each contact's name words, folded (lower case, no
-- accents), one row each, kept current by triggers. A query word is a prefix
-- range on (word), so "jan" finds "Jane" through the primary key.
CREATE TABLE IF NOT EXISTS contacts_name_words (
    word       TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (word, contact_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS contacts_name_words_contact_id ON contacts_name_words (contact_id);

INSERT OR IGNORE INTO contacts_name_words (word, contact_id)
    SELECT w.value, c.id FROM contacts c, json_each(contactbot_name_words(c.first_name, c.last_name)) w;

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS contacts_name_words_insert AFTER INSERT ON contacts BEGIN
    INSERT OR IGNORE INTO contacts_name_words (word, contact_id)
        SELECT value, new.id FROM json_each(contactbot_name_words(new.first_name, new.last_name));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS contacts_name_words_update AFTER UPDATE OF id, first_name, last_name ON contacts BEGIN
    DELETE FROM contacts_name_words WHERE contact_id = old.id;
    INSERT OR IGNORE INTO contacts_name_words (word, contact_id)
        SELECT value, new.id FROM json_each(contactbot_name_words(new.first_name, new.last_name));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS contacts_name_words_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM contacts_name_words WHERE contact_id = old.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER IF EXISTS contacts_name_words_delete;
DROP TRIGGER IF EXISTS contacts_name_words_update;
DROP TRIGGER IF EXISTS contacts_name_words_insert;
DROP TABLE IF EXISTS contacts_name_words;
DROP INDEX IF EXISTS contacts_phone_key;
DROP INDEX IF EXISTS contacts_email_lower;
