-- +goose Up
-- A two-word name search ("anna jansen") reads the contacts that have both
-- words from one posting list, in id order, instead of walking both words'
-- lists until they meet: each contact's name words are also kept in pairs,
-- "a b" with a before b in byte order (words hold no spaces). Walking two
-- lists read every posting up to the last match: 7,700 for the 200 Anna
-- Jansens a count stops at, 54,000 for "anna weiss" (180 matches: the
-- count never stops early), where a pair's list gives exactly its matches.
-- A usual name of two words has one pair; a transliterated one (Müller:
-- muller, mueller) up to six.
CREATE TABLE IF NOT EXISTS contacts_name_pairs (
    pair       text COLLATE "C" NOT NULL,
    contact_id text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    PRIMARY KEY (pair, contact_id)
);
-- For the cascade and the trigger's delete on a rename.
CREATE INDEX IF NOT EXISTS contacts_name_pairs_contact_id ON contacts_name_pairs (contact_id);

-- The pairs of a name's words: crm.NamePairs in Go (SQLite's triggers call
-- it); TestNameWordsAgree compares the two.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_name_pairs(words text[]) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT a || ' ' || b FROM unnest(words) a, unnest(words) b WHERE a COLLATE "C" < b COLLATE "C" $$;
-- +goose StatementEnd

-- The name index's trigger (00040) keeps the pairs too, from the words it
-- computes once.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_index_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    words text[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM contacts_name_words WHERE contact_id = OLD.id;
        DELETE FROM contacts_name_pairs WHERE contact_id = OLD.id;
    END IF;
    -- From a FROM clause, where PostgreSQL inlines the SQL function: called
    -- from a select list it was planned again for every row (3 times the
    -- cost of the whole insert).
    words := ARRAY(SELECT w FROM contactbot_name_words(NEW.first_name, NEW.last_name) w);
    INSERT INTO contacts_name_words (word, contact_id)
        SELECT w, NEW.id FROM unnest(words) w
        ON CONFLICT DO NOTHING;
    IF cardinality(words) > 1 THEN
        INSERT INTO contacts_name_pairs (pair, contact_id)
            SELECT p, NEW.id FROM contactbot_name_pairs(words) p
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- The CRM's own sessions fire this trigger: as before this migration
-- replaced it, it runs as its owner with the bot's schemas (and pg_temp
-- last) for its names, whatever the writer's search_path.
-- +goose StatementBegin
DO $$ BEGIN
    EXECUTE format('ALTER FUNCTION contactbot_index_name_words() SECURITY DEFINER SET search_path = %s, pg_temp', current_setting('search_path'));
END $$;
-- +goose StatementEnd

-- Existing contacts: the pairs of the words already indexed.
INSERT INTO contacts_name_pairs (pair, contact_id)
    SELECT a.word || ' ' || b.word, a.contact_id
    FROM contacts_name_words a JOIN contacts_name_words b ON b.contact_id = a.contact_id AND a.word < b.word
    ON CONFLICT DO NOTHING;
ANALYZE contacts_name_pairs;

-- +goose Down
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
-- +goose StatementBegin
DO $$ BEGIN
    EXECUTE format('ALTER FUNCTION contactbot_index_name_words() SECURITY DEFINER SET search_path = %s, pg_temp', current_setting('search_path'));
END $$;
-- +goose StatementEnd
DROP FUNCTION IF EXISTS contactbot_name_pairs(text[]);
DROP TABLE IF EXISTS contacts_name_pairs;
