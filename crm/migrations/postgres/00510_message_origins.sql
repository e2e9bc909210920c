-- +goose Up
-- The messages the "Find contacts in this message" shortcut was used on,
-- kept on the server: the shortcut's buttons and the windows they open
-- carry only the row's id, which the server issued to that person, so
-- where an action started is never text a client wrote.
CREATE TABLE IF NOT EXISTS message_origins (
    id         text PRIMARY KEY,
    user_id    text NOT NULL,
    channel    text NOT NULL,
    message_ts text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS message_origins_created_at ON message_origins (created_at);

-- +goose Down
DROP TABLE IF EXISTS message_origins;
