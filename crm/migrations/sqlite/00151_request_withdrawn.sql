-- +goose Up
-- A requester may withdraw their pending request, as
-- migrations/postgres/00151. SQLite cannot change a CHECK constraint in
-- place: the table is rebuilt with the new one (sqlite.org/lang_altertable,
-- "other kinds of table schema changes"); nothing references it, and its
-- indexes are created again.
CREATE TABLE approval_requests_new (
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
                  CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'failed', 'withdrawn')),
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
INSERT INTO approval_requests_new (id, contact_id, contact_label, requester, reason, note, fingerprint, counts, summary, state, created_at, expires_at, remind_at, reminded_at, decided_by, decided_at, reject_reason, fail_reason, deletion_id, channel, message_ts)
    SELECT id, contact_id, contact_label, requester, reason, note, fingerprint, counts, summary, state, created_at, expires_at, remind_at, reminded_at, decided_by, decided_at, reject_reason, fail_reason, deletion_id, channel, message_ts FROM approval_requests;
DROP TABLE approval_requests;
ALTER TABLE approval_requests_new RENAME TO approval_requests;
-- One open request per contact: a second person asking is pointed to the first.
CREATE UNIQUE INDEX IF NOT EXISTS approval_requests_one_pending ON approval_requests (contact_id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approval_requests_expiry ON approval_requests (expires_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approval_requests_remind ON approval_requests (remind_at) WHERE state = 'pending' AND reminded_at IS NULL;
CREATE INDEX IF NOT EXISTS approval_requests_requester ON approval_requests (requester, created_at);

-- +goose Down
-- A withdrawn request reads as rejected where 'withdrawn' is unknown.
CREATE TABLE approval_requests_new (
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
INSERT INTO approval_requests_new (id, contact_id, contact_label, requester, reason, note, fingerprint, counts, summary, state, created_at, expires_at, remind_at, reminded_at, decided_by, decided_at, reject_reason, fail_reason, deletion_id, channel, message_ts)
    SELECT id, contact_id, contact_label, requester, reason, note, fingerprint, counts, summary,
        CASE WHEN state = 'withdrawn' THEN 'rejected' ELSE state END, created_at, expires_at, remind_at, reminded_at, decided_by, decided_at, reject_reason, fail_reason, deletion_id, channel, message_ts FROM approval_requests;
DROP TABLE approval_requests;
ALTER TABLE approval_requests_new RENAME TO approval_requests;
-- One open request per contact: a second person asking is pointed to the first.
CREATE UNIQUE INDEX IF NOT EXISTS approval_requests_one_pending ON approval_requests (contact_id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approval_requests_expiry ON approval_requests (expires_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approval_requests_remind ON approval_requests (remind_at) WHERE state = 'pending' AND reminded_at IS NULL;
CREATE INDEX IF NOT EXISTS approval_requests_requester ON approval_requests (requester, created_at);
