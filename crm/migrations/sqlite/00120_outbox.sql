-- +goose Up
-- The outbox, refs, operations and periodic jobs, as migrations/postgres/00120.
CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    stream          TEXT NOT NULL,
    channel         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    ref             TEXT NOT NULL DEFAULT '',
    replaces        TEXT NOT NULL DEFAULT '',
    thread          TEXT NOT NULL DEFAULT '',
    after_ref       TEXT NOT NULL DEFAULT '',
    missing         TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    TIMESTAMP,
    gave_up_at      TIMESTAMP
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (stream, id) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_pending_ref ON outbox (ref) WHERE delivered_at IS NULL AND gave_up_at IS NULL AND ref <> '';
CREATE INDEX IF NOT EXISTS outbox_gave_up ON outbox (gave_up_at) WHERE gave_up_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS outbox_refs (
    ref       TEXT PRIMARY KEY,
    channel   TEXT NOT NULL,
    ts        TEXT NOT NULL,
    posted_at TIMESTAMP NOT NULL
);
INSERT INTO outbox_refs (ref, channel, ts, posted_at)
    SELECT 'approval:' || id, channel, message_ts, created_at FROM approval_requests WHERE message_ts <> ''
    ON CONFLICT DO NOTHING;
INSERT INTO outbox_refs (ref, channel, ts, posted_at)
    SELECT 'incident:' || deletion_id, channel, message_ts, reported_at FROM incidents WHERE message_ts <> ''
    ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS operations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    subject     TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS operations_unfinished ON operations (started_at) WHERE finished_at IS NULL;

CREATE TABLE IF NOT EXISTS periodic_jobs (
    name             TEXT PRIMARY KEY,
    next_run_at      TIMESTAMP NOT NULL,
    last_started_at  TIMESTAMP,
    last_finished_at TIMESTAMP,
    last_error       TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE IF EXISTS periodic_jobs;
DROP TABLE IF EXISTS operations;
DROP TABLE IF EXISTS outbox_refs;
DROP TABLE IF EXISTS outbox;
