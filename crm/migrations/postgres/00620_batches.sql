-- +goose Up
-- Batch clean-up (crm/batch.go). A batch is a deletion record of its own
-- (its head: batch_id = id, contact_id '', counts the totals) plus one
-- ordinary deletion per contact whose batch_id names the head, so that
-- incidents, reviews and restore windows of a batch work as for one contact.
ALTER TABLE deletions ADD COLUMN IF NOT EXISTS batch_id text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS deletions_batch_id ON deletions (batch_id) WHERE batch_id <> '';
-- The audit lines of a batch (its own and one per contact) carry its id.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS batch_id text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS audit_log_batch_id ON audit_log (batch_id, at) WHERE batch_id <> '';

-- What a batch set out to do and where it is: the authority after a crash.
CREATE TABLE IF NOT EXISTS batches (
    id            text PRIMARY KEY REFERENCES deletions(id),
    filter        text NOT NULL,
    include_risky boolean NOT NULL DEFAULT false,
    state         text NOT NULL CHECK (state IN ('running', 'done', 'interrupted')),
    count         integer NOT NULL,
    operation_id  text NOT NULL DEFAULT '',
    finished_at   timestamptz
);
CREATE INDEX IF NOT EXISTS batches_running ON batches (operation_id) WHERE state = 'running';

-- One row per contact of a batch: pending until its own transaction deletes
-- it (deleted, with its deletion) or finds it changed (skipped, with why).
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id      text NOT NULL REFERENCES batches(id),
    seq           integer NOT NULL,
    contact_id    text NOT NULL,
    -- The contact's name, for the summary of a skipped one; blanked by purge.
    contact_label text NOT NULL DEFAULT '',
    fingerprint   text NOT NULL,
    state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'deleted', 'skipped')),
    deletion_id   text REFERENCES deletions(id),
    why           text NOT NULL DEFAULT '',
    PRIMARY KEY (batch_id, seq)
);

-- The filter terms of `/contact cleanup`, on the CRM's contacts, so that a
-- preview reads only the contacts it matches (at most BULK_LIMIT + 1):
-- an email pattern with a fixed start ("test+*@acme.com") by a byte-order
-- index on lower(email) (contacts_email_lower's default collation cannot
-- serve LIKE), one with a fixed end ("*@qa.example.com") by the reversed
-- address, source and location (with the creation day) by plain b-trees,
-- created: alone by created_at.
CREATE INDEX IF NOT EXISTS contacts_email_pattern ON contacts (lower(email) text_pattern_ops) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS contacts_email_reversed ON contacts (reverse(lower(email)) text_pattern_ops) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS contacts_source ON contacts (source) WHERE source IS NOT NULL;
CREATE INDEX IF NOT EXISTS contacts_created_at ON contacts (created_at);
CREATE INDEX IF NOT EXISTS contacts_location_created ON contacts (location_id, created_at);

-- +goose Down
DROP INDEX IF EXISTS contacts_location_created;
DROP INDEX IF EXISTS contacts_created_at;
DROP INDEX IF EXISTS contacts_source;
DROP INDEX IF EXISTS contacts_email_reversed;
DROP INDEX IF EXISTS contacts_email_pattern;
DROP TABLE IF EXISTS batch_items;
DROP TABLE IF EXISTS batches;
DROP INDEX IF EXISTS audit_log_batch_id;
ALTER TABLE audit_log DROP COLUMN IF EXISTS batch_id;
DROP INDEX IF EXISTS deletions_batch_id;
ALTER TABLE deletions DROP COLUMN IF EXISTS batch_id;
