-- +goose Up
-- Approval requests, as migrations/postgres/00010. SQLite has no row locks:
-- every transaction begins IMMEDIATE and holds the write lock, so deciders
-- still take turns and a request is decided once. counts and summary are
-- JSON text (Go passes them as strings).
CREATE TABLE IF NOT EXISTS approval_requests (
    id            TEXT PRIMARY KEY,
    contact_id    TEXT NOT NULL,
    contact_label TEXT NOT NULL DEFAULT '',
    requester     TEXT NOT NULL,
    reason        TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    fingerprint   TEXT NOT NULL,
    counts        TEXT NOT NULL DEFAULT '{}',
    summary       TEXT NOT NULL DEFAULT '{}',
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'failed')),
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    remind_at     TIMESTAMP NOT NULL,
    reminded_at   TIMESTAMP,
    decided_by    TEXT,
    decided_at    TIMESTAMP,
    reject_reason TEXT NOT NULL DEFAULT '',
    fail_reason   TEXT NOT NULL DEFAULT '',
    deletion_id   TEXT REFERENCES deletions(id),
    channel       TEXT NOT NULL DEFAULT '',
    message_ts    TEXT NOT NULL DEFAULT ''
);
-- One open request per contact: a second person asking is pointed to the first.
CREATE UNIQUE INDEX IF NOT EXISTS approval_requests_one_pending ON approval_requests (contact_id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approval_requests_expiry ON approval_requests (expires_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approval_requests_remind ON approval_requests (remind_at) WHERE state = 'pending' AND reminded_at IS NULL;
CREATE INDEX IF NOT EXISTS approval_requests_requester ON approval_requests (requester, created_at);

-- +goose Down
DROP TABLE IF EXISTS approval_requests;
