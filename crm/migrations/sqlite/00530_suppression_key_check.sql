-- +goose Up
-- As migrations/postgres/00530: the HMAC of a fixed text under the stored
-- key, through the Go function the triggers use (its email form leaves
-- this text as it is). An SQLite file has one user; the view keeps the
-- query the same on both databases.
CREATE VIEW IF NOT EXISTS contactbot_suppression_key_check AS
    SELECT contactbot_email_hash(value, 'contactbot suppression key check') AS key_check
      FROM contactbot_settings WHERE name = 'suppression_key';

-- +goose Down
DROP VIEW IF EXISTS contactbot_suppression_key_check;
