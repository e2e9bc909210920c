-- +goose Up
-- The Slack windows (views) the bot opened, and for whom: a click inside a
-- window names it by a view id the client sends, so the bot replaces a
-- window only when it opened that id for the person clicking, whichever
-- replica opened it. callback_id is what the window is now. Rows expire
-- after a day and are swept on insert. UNLOGGED: a write costs no WAL
-- flush; a crash loses only the in-place switches of windows open then
-- (their submits still work).
CREATE UNLOGGED TABLE IF NOT EXISTS opened_views (
    view_id     text PRIMARY KEY,
    user_id     text NOT NULL,
    callback_id text NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS opened_views_expires_at ON opened_views (expires_at);

-- +goose Down
DROP TABLE IF EXISTS opened_views;
