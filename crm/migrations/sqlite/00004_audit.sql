-- +goose Up
-- The audit trail, as migrations/postgres/00004: append-only, enforced by
-- triggers that abort every UPDATE and DELETE. (SQLite has no TRUNCATE; its
-- DELETE without WHERE fires the triggers too.)
CREATE TABLE IF NOT EXISTS audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    contact_id  TEXT NOT NULL DEFAULT '',
    deletion_id TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_log_contact_id ON audit_log (contact_id, at) WHERE contact_id <> '';
CREATE INDEX IF NOT EXISTS audit_log_deletion_id ON audit_log (deletion_id, at) WHERE deletion_id <> '';

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE IF EXISTS audit_log;
