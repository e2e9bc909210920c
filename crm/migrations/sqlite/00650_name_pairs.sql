-- +goose Up
-- Each contact's name words in pairs (as migrations/postgres/00650): a
-- two-word name search reads the contacts that have both words from one
-- posting list. contactbot_name_pairs is the program's crm.NamePairs.
CREATE TABLE IF NOT EXISTS contacts_name_pairs (
    pair       TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (pair, contact_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS contacts_name_pairs_contact_id ON contacts_name_pairs (contact_id);

INSERT OR IGNORE INTO contacts_name_pairs (pair, contact_id)
    SELECT p.value, c.id FROM contacts c, json_each(contactbot_name_pairs(c.first_name, c.last_name)) p;

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS contacts_name_pairs_insert AFTER INSERT ON contacts BEGIN
    INSERT OR IGNORE INTO contacts_name_pairs (pair, contact_id)
        SELECT value, new.id FROM json_each(contactbot_name_pairs(new.first_name, new.last_name));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS contacts_name_pairs_update AFTER UPDATE OF id, first_name, last_name ON contacts BEGIN
    DELETE FROM contacts_name_pairs WHERE contact_id = old.id;
    INSERT OR IGNORE INTO contacts_name_pairs (pair, contact_id)
        SELECT value, new.id FROM json_each(contactbot_name_pairs(new.first_name, new.last_name));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS contacts_name_pairs_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM contacts_name_pairs WHERE contact_id = old.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER IF EXISTS contacts_name_pairs_delete;
DROP TRIGGER IF EXISTS contacts_name_pairs_update;
DROP TRIGGER IF EXISTS contacts_name_pairs_insert;
DROP TABLE IF EXISTS contacts_name_pairs;
