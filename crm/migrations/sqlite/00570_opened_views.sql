-- +goose Up
-- As migrations/postgres/00570: the Slack windows the bot opened, and for
-- whom.
CREATE TABLE IF NOT EXISTS opened_views (
    view_id     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    callback_id TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS opened_views_expires_at ON opened_views (expires_at);

-- +goose Down
DROP TABLE IF EXISTS opened_views;
