-- +goose Up
-- Names are found as people type them (as migrations/postgres/00200):
-- "mueller" finds Müller, "muller" still does, "obrien" finds O'Brien. The
-- words come from contactbot_name_words, the program's crm.NameWords, which
-- now also folds every character as PostgreSQL's unaccent rules do: the
-- folded-name index and every contact's words are rebuilt with it.
REINDEX contacts_name_folded;
DELETE FROM contacts_name_words;
INSERT OR IGNORE INTO contacts_name_words (word, contact_id)
    SELECT w.value, c.id FROM contacts c, json_each(contactbot_name_words(c.first_name, c.last_name)) w;

-- +goose Down
SELECT 1;
