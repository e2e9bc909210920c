-- +goose Up
-- The PostgreSQL 00040 gives PostgreSQL the name-words table SQLite has had
-- since its 00002; here only the exact-name index is new.
CREATE INDEX IF NOT EXISTS contacts_name_folded ON contacts (contactbot_fold(first_name || ' ' || last_name));

-- +goose Down
DROP INDEX IF EXISTS contacts_name_folded;
