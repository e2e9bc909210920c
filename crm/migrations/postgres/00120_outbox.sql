-- +goose Up
-- The outbox: every message the bot says to Slack is written here in the
-- transaction of the change it announces, then delivered by a worker in each
-- replica until Slack accepts it. Order is kept per stream (the conversation:
-- a channel id, or a user id for a DM); payload is opaque to the database.
CREATE TABLE IF NOT EXISTS outbox (
    id              bigserial PRIMARY KEY,
    stream          text NOT NULL,
    channel         text NOT NULL,
    payload         text NOT NULL,
    ref             text NOT NULL DEFAULT '',  -- names this post, for later updates and replies
    replaces        text NOT NULL DEFAULT '',  -- ref of the post this note updates in place
    thread          text NOT NULL DEFAULT '',  -- ref of the post this note replies under
    after_ref       text NOT NULL DEFAULT '',  -- ref that must be posted first
    missing         text NOT NULL DEFAULT '',  -- when replaces never got posted: 'post' anew, else skip
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    delivered_at    timestamptz,
    gave_up_at      timestamptz
);
-- The head of each stream, and what is due: only undelivered notes.
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (stream, id) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_pending_ref ON outbox (ref) WHERE delivered_at IS NULL AND gave_up_at IS NULL AND ref <> '';
CREATE INDEX IF NOT EXISTS outbox_gave_up ON outbox (gave_up_at) WHERE gave_up_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- Where each named post landed, so that updates and thread replies find it
-- after a restart and on any replica.
CREATE TABLE IF NOT EXISTS outbox_refs (
    ref       text PRIMARY KEY,
    channel   text NOT NULL,
    ts        text NOT NULL,
    posted_at timestamptz NOT NULL
);
INSERT INTO outbox_refs (ref, channel, ts, posted_at)
    SELECT 'approval:' || id, channel, message_ts, created_at FROM approval_requests WHERE message_ts <> ''
    ON CONFLICT DO NOTHING;
INSERT INTO outbox_refs (ref, channel, ts, posted_at)
    SELECT 'incident:' || deletion_id, channel, message_ts, reported_at FROM incidents WHERE message_ts <> ''
    ON CONFLICT DO NOTHING;

-- Long operations (a delete or a restore) that show progress: a row from
-- before the work starts until its outcome commits, so that one a killed
-- process left unfinished is resolved on restart. The work's transaction
-- holds the row's lock while it runs.
CREATE TABLE IF NOT EXISTS operations (
    id          text PRIMARY KEY,
    kind        text NOT NULL,
    actor       text NOT NULL,
    subject     text NOT NULL,
    label       text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    outcome     text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS operations_unfinished ON operations (started_at) WHERE finished_at IS NULL;

-- Periodic jobs: one row per job, claimed by moving next_run_at, so that
-- each run happens once across replicas.
CREATE TABLE IF NOT EXISTS periodic_jobs (
    name             text PRIMARY KEY,
    next_run_at      timestamptz NOT NULL,
    last_started_at  timestamptz,
    last_finished_at timestamptz,
    last_error       text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE IF EXISTS periodic_jobs;
DROP TABLE IF EXISTS operations;
DROP TABLE IF EXISTS outbox_refs;
DROP TABLE IF EXISTS outbox;
