-- +goose Up
-- Names are found as people type them: "mueller" finds Müller
-- (German and Nordic letters spelled out: ü→ue, ö→oe, ä→ae, ß→ss, å→aa,
-- ø→oe, æ→ae) while "muller" still does, and "obrien" finds O'Brien. Each
-- name is indexed under both spellings, and a word with apostrophes also
-- without them. crm.NameWords is the same function in Go (SQLite's triggers
-- call it); TestNameWordsAgree compares the two.

-- The transliteration chain of crm.Transliterate, on lower-case text,
-- decomposed letters (u + U+0308) included, then folded as usual.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_translit(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT contactbot_fold(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(lower(t),
            'u' || chr(776), 'ue'), 'o' || chr(776), 'oe'), 'a' || chr(776), 'ae'), 'a' || chr(778), 'aa'),
            'ü', 'ue'), 'ö', 'oe'), 'ä', 'ae'), 'ß', 'ss'), 'å', 'aa'), 'ø', 'oe'), 'æ', 'ae')) $$;
-- +goose StatementEnd

-- Words: the folded and the transliterated name, split at anything that is
-- neither a letter, a digit nor an apostrophe; each piece split at its
-- apostrophes, and also joined without them.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_name_words(first_name text, last_name text) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT DISTINCT w
    FROM (SELECT coalesce(first_name, '') || ' ' || coalesce(last_name, '') AS n) name,
         LATERAL (SELECT contactbot_fold(name.n) UNION SELECT contactbot_translit(name.n)) form(f),
         LATERAL regexp_split_to_table(form.f, '[^[:alnum:]''’‘ʼ`´]+') token(t),
         LATERAL (SELECT regexp_split_to_table(token.t, '[''’‘ʼ`´]+')
                  UNION ALL SELECT regexp_replace(token.t, '[''’‘ʼ`´]+', '', 'g') WHERE token.t ~ '[''’‘ʼ`´]') part(w)
    WHERE w <> '' $$;
-- +goose StatementEnd

-- Existing names gain their new words; the old ones stay (every old word is
-- still a word). Only names with a letter to spell out or an apostrophe
-- change.
INSERT INTO contacts_name_words (word, contact_id)
    SELECT w, c.id FROM contacts c, contactbot_name_words(c.first_name, c.last_name) w
    WHERE contactbot_fold(c.first_name || ' ' || c.last_name) ~ '[''’‘ʼ`´]'
       OR contactbot_fold(c.first_name || ' ' || c.last_name) <> contactbot_translit(c.first_name || ' ' || c.last_name)
    ON CONFLICT DO NOTHING;
-- Statistics on up to 1,000 of the most common words (100 by default): with
-- a few hundred first and last names in common use, a rarer word's prefix
-- range was estimated at one row, and the planner then rescanned the other
-- word's range for each of its thousands of postings (0.9 s at a million
-- contacts, against 1 ms by hash).
ALTER TABLE contacts_name_words ALTER COLUMN word SET STATISTICS 1000;
ANALYZE contacts_name_words;

-- +goose Down
ALTER TABLE contacts_name_words ALTER COLUMN word SET STATISTICS -1;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_name_words(first_name text, last_name text) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT DISTINCT w FROM regexp_split_to_table(contactbot_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '[^[:alnum:]]+') w WHERE w <> '' $$;
-- +goose StatementEnd
DELETE FROM contacts_name_words nw WHERE NOT EXISTS (
    SELECT 1 FROM contacts c, contactbot_name_words(c.first_name, c.last_name) w WHERE c.id = nw.contact_id AND w = nw.word);
DROP FUNCTION IF EXISTS contactbot_translit(text);
