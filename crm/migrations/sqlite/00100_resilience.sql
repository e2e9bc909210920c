-- +goose Up
-- As migrations/postgres/00100: keys seen while Redis cannot answer, and the
-- index that counts a deleter's direct deletes of the last hour.
CREATE TABLE IF NOT EXISTS seen_keys (
    key        TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_keys_expires_at ON seen_keys (expires_at);

CREATE INDEX IF NOT EXISTS deletions_direct_by ON deletions (deleted_by, deleted_at) WHERE approved_by IS NULL;

-- +goose Down
DROP INDEX IF EXISTS deletions_direct_by;
DROP TABLE IF EXISTS seen_keys;
