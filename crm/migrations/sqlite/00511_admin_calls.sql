-- +goose Up
-- As migrations/postgres/00511.
CREATE TABLE IF NOT EXISTS admin_calls (
    name    TEXT PRIMARY KEY,
    wanted  BOOLEAN NOT NULL DEFAULT false,
    last_at TIMESTAMP
);
INSERT INTO admin_calls (name) VALUES ('approvals') ON CONFLICT DO NOTHING;

-- +goose Down
DROP TABLE IF EXISTS admin_calls;
