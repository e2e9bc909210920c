-- +goose Up
-- Escalation of approval requests, review of what an admin did
-- alone, the App Home, and the indexes the digest and the audit export read.

-- Escalation of a pending request at 75 % of its time. Its own table rather
-- than columns of approval_requests: a row is written with the request and
-- settled once when due (escalated, or skipped when the request closed),
-- so the "due" query only ever reads rows still to settle.
CREATE TABLE IF NOT EXISTS approval_escalations (
    request_id   text PRIMARY KEY,
    escalate_at  timestamptz NOT NULL,
    escalated_at timestamptz,
    -- false when the request had closed before it was due: nobody was told.
    sent         boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS approval_escalations_due ON approval_escalations (escalate_at) WHERE escalated_at IS NULL;
INSERT INTO approval_escalations (request_id, escalate_at)
    SELECT id, created_at + (expires_at - created_at) * 0.75 FROM approval_requests WHERE state = 'pending'
    ON CONFLICT DO NOTHING;

-- A delete or restore an admin did alone, waiting for another admin to
-- acknowledge it; reminded once after a day. One per deletion and kind.
CREATE TABLE IF NOT EXISTS reviews (
    id              text PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('delete', 'restore')),
    deletion_id     text NOT NULL REFERENCES deletions(id),
    actor           text NOT NULL,
    created_at      timestamptz NOT NULL,
    remind_at       timestamptz NOT NULL,
    reminded_at     timestamptz,
    acknowledged_by text,
    acknowledged_at timestamptz,
    UNIQUE (kind, deletion_id)
);
CREATE INDEX IF NOT EXISTS reviews_open ON reviews (created_at) WHERE acknowledged_at IS NULL;
CREATE INDEX IF NOT EXISTS reviews_remind ON reviews (remind_at) WHERE acknowledged_at IS NULL AND reminded_at IS NULL;

-- Who has opened the bot's Home tab: only their tabs are refreshed after a
-- change (anyone else's is published when they first open it).
CREATE TABLE IF NOT EXISTS home_tabs (
    user_id   text PRIMARY KEY,
    opened_at timestamptz NOT NULL
);

-- A refresh note (a Home tab to publish again): delivering it also settles
-- the later notes of its stream with the same payload, so a burst of
-- changes publishes once.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS coalescing boolean NOT NULL DEFAULT false;

-- The Home tab lists a person's recent deletions; the digest counts
-- deletions, restores and incidents of a week; the audit export reads a
-- time range.
CREATE INDEX IF NOT EXISTS deletions_deleted_by ON deletions (deleted_by, deleted_at);
CREATE INDEX IF NOT EXISTS deletions_deleted_at ON deletions (deleted_at);
CREATE INDEX IF NOT EXISTS deletions_restored_at ON deletions (restored_at) WHERE restored_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS incidents_reported_at ON incidents (reported_at);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);

-- +goose Down
DROP INDEX IF EXISTS audit_log_at;
DROP INDEX IF EXISTS incidents_reported_at;
DROP INDEX IF EXISTS deletions_restored_at;
DROP INDEX IF EXISTS deletions_deleted_at;
DROP INDEX IF EXISTS deletions_deleted_by;
ALTER TABLE outbox DROP COLUMN IF EXISTS coalescing;
DROP TABLE IF EXISTS home_tabs;
DROP TABLE IF EXISTS reviews;
DROP TABLE IF EXISTS approval_escalations;
