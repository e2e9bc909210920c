-- +goose Up
-- What the reporter says was wrong with a deletion, as migrations/postgres/00150.
ALTER TABLE incidents ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE incidents DROP COLUMN note;
