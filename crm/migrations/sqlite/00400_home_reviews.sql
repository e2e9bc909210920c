-- +goose Up
-- Escalations, reviews, the App Home and read indexes, as
-- migrations/postgres/00400. Times of existing requests are computed with
-- julianday and written back in the stored text form.
CREATE TABLE IF NOT EXISTS approval_escalations (
    request_id   TEXT PRIMARY KEY,
    escalate_at  TIMESTAMP NOT NULL,
    escalated_at TIMESTAMP,
    sent         BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS approval_escalations_due ON approval_escalations (escalate_at) WHERE escalated_at IS NULL;
INSERT INTO approval_escalations (request_id, escalate_at)
    SELECT id, strftime('%Y-%m-%d %H:%M:%f+00:00', julianday(created_at) + (julianday(expires_at) - julianday(created_at)) * 0.75)
    FROM approval_requests WHERE state = 'pending'
    ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS reviews (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('delete', 'restore')),
    deletion_id     TEXT NOT NULL REFERENCES deletions(id),
    actor           TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    remind_at       TIMESTAMP NOT NULL,
    reminded_at     TIMESTAMP,
    acknowledged_by TEXT,
    acknowledged_at TIMESTAMP,
    UNIQUE (kind, deletion_id)
);
CREATE INDEX IF NOT EXISTS reviews_open ON reviews (created_at) WHERE acknowledged_at IS NULL;
CREATE INDEX IF NOT EXISTS reviews_remind ON reviews (remind_at) WHERE acknowledged_at IS NULL AND reminded_at IS NULL;

CREATE TABLE IF NOT EXISTS home_tabs (
    user_id   TEXT PRIMARY KEY,
    opened_at TIMESTAMP NOT NULL
);

ALTER TABLE outbox ADD COLUMN coalescing BOOLEAN NOT NULL DEFAULT false;

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
ALTER TABLE outbox DROP COLUMN coalescing;
DROP TABLE IF EXISTS home_tabs;
DROP TABLE IF EXISTS reviews;
DROP TABLE IF EXISTS approval_escalations;
