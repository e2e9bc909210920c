-- +goose Up
-- The audit trail: one row per thing a person did through the bot. It holds
-- ids and reasons, never contact details, and is append-only: a trigger
-- refuses every UPDATE and DELETE, whoever asks.
CREATE TABLE IF NOT EXISTS audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    contact_id  text NOT NULL DEFAULT '',
    deletion_id text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    outcome     text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_log_contact_id ON audit_log (contact_id, at) WHERE contact_id <> '';
CREATE INDEX IF NOT EXISTS audit_log_deletion_id ON audit_log (deletion_id, at) WHERE deletion_id <> '';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END $$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION contactbot_audit_append_only();
-- TRUNCATE skips row triggers; refuse it as well.
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION contactbot_audit_append_only();

-- +goose Down
DROP TABLE IF EXISTS audit_log;
DROP FUNCTION IF EXISTS contactbot_audit_append_only();
