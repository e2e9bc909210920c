-- +goose Up
-- Keys seen recently (a request's signature, a Socket Mode envelope, a
-- warning already shown), kept while Redis cannot answer: replays and
-- redeliveries are refused across replicas without it. Rows only accumulate
-- during an outage and are deleted once expired. UNLOGGED: a write costs no
-- WAL flush (the fallback adds ~1 ms to a request instead of ~4); what a
-- crash loses is a few minutes of replay memory, as when Redis restarts.
CREATE UNLOGGED TABLE IF NOT EXISTS seen_keys (
    key        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_keys_expires_at ON seen_keys (expires_at);

-- A deleter's direct deletes of the last hour, counted for DELETE_RATE_LIMIT
-- when Redis's counters cannot be read (or lost them).
CREATE INDEX IF NOT EXISTS deletions_direct_by ON deletions (deleted_by, deleted_at) WHERE approved_by IS NULL;

-- +goose Down
DROP INDEX IF EXISTS deletions_direct_by;
DROP TABLE IF EXISTS seen_keys;
