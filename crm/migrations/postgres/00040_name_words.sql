-- +goose Up
-- Name search by word prefixes, fast at millions of contacts: each contact's
-- folded name words (lower case, no accents), one row each, kept current by a
-- trigger, as the SQLite dialect has had since its 00002. A query word is a
-- range on (word) in byte order, so "jan" finds "Jane" by streaming the
-- primary key: a query stops after the rows it shows, however common the
-- word, and the planner has real statistics on a plain column (it had only a
-- guess for the tsvector index of 00002, and chose to scan).
CREATE TABLE IF NOT EXISTS contacts_name_words (
    word       text COLLATE "C" NOT NULL,
    contact_id text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    PRIMARY KEY (word, contact_id)
);
-- (contact_id, word): checking a second query word for a contact reads the index only.
CREATE INDEX IF NOT EXISTS contacts_name_words_contact_word ON contacts_name_words (contact_id, word);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_name_words(first_name text, last_name text) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT DISTINCT w FROM regexp_split_to_table(contactbot_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '[^[:alnum:]]+') w WHERE w <> '' $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_index_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM contacts_name_words WHERE contact_id = OLD.id;
    END IF;
    INSERT INTO contacts_name_words (word, contact_id)
        SELECT w, NEW.id FROM contactbot_name_words(NEW.first_name, NEW.last_name) w
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd

DROP TRIGGER IF EXISTS contacts_name_words_sync ON contacts;
CREATE TRIGGER contacts_name_words_sync AFTER INSERT OR UPDATE OF id, first_name, last_name ON contacts
    FOR EACH ROW EXECUTE FUNCTION contactbot_index_name_words();

INSERT INTO contacts_name_words (word, contact_id)
    SELECT w, c.id FROM contacts c, contactbot_name_words(c.first_name, c.last_name) w
    ON CONFLICT DO NOTHING;
ANALYZE contacts_name_words;

-- The tsvector index of 00002 is no longer read.
DROP INDEX IF EXISTS contacts_name_doc;

-- A full name equal to the query (an exact match, shown first) by index.
CREATE INDEX IF NOT EXISTS contacts_name_folded ON contacts (contactbot_fold(first_name || ' ' || last_name));

-- +goose Down
DROP INDEX IF EXISTS contacts_name_folded;
CREATE INDEX IF NOT EXISTS contacts_name_doc ON contacts USING gin (contactbot_name_doc(first_name, last_name));
DROP TRIGGER IF EXISTS contacts_name_words_sync ON contacts;
DROP FUNCTION IF EXISTS contactbot_index_name_words();
DROP FUNCTION IF EXISTS contactbot_name_words(text, text);
DROP TABLE IF EXISTS contacts_name_words;
