-- +goose Up
-- What the reporter says was wrong with a deletion (optional), shown in the
-- incident message.
ALTER TABLE incidents ADD COLUMN IF NOT EXISTS note text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE incidents DROP COLUMN IF EXISTS note;
