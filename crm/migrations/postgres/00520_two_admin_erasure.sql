-- +goose Up
-- An erasure asked for by someone who is not an admin needs two different
-- admins: approvals_needed says how many (1 or 2), first_approved_by and
-- first_approved_at keep the first of two, under the request's row lock.
-- Erasures still waiting when this runs need two: who asked is not known here.
ALTER TABLE approval_requests ADD COLUMN IF NOT EXISTS approvals_needed integer NOT NULL DEFAULT 1 CHECK (approvals_needed IN (1, 2));
ALTER TABLE approval_requests ADD COLUMN IF NOT EXISTS first_approved_by text;
ALTER TABLE approval_requests ADD COLUMN IF NOT EXISTS first_approved_at timestamptz;
UPDATE approval_requests SET approvals_needed = 2 WHERE state = 'pending' AND summary->>'kind' = 'erasure';

-- Removing a suppression entry a privacy erasure wrote needs a second
-- admin: the removal is requested, and another admin approves it.
CREATE TABLE IF NOT EXISTS suppression_removals (
    id             text PRIMARY KEY,
    suppression_id text NOT NULL,
    -- The entry as it was when requested, for the message after it is gone.
    entry_kind     text NOT NULL,
    deletion_id    text NOT NULL DEFAULT '',
    contact_id     text NOT NULL DEFAULT '',
    requester      text NOT NULL,
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'gone')),
    created_at     timestamptz NOT NULL,
    decided_by     text,
    decided_at     timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS suppression_removals_one_pending ON suppression_removals (suppression_id) WHERE state = 'pending';
REVOKE ALL ON suppression_removals FROM PUBLIC;

-- Removing any other entry, which one admin may do, opens a review; a
-- deletion may have two entries (email and phone), so a review names its entry.
ALTER TABLE reviews ADD COLUMN IF NOT EXISTS entry_id text NOT NULL DEFAULT '';
ALTER TABLE reviews ADD COLUMN IF NOT EXISTS entry_kind text NOT NULL DEFAULT '';
ALTER TABLE reviews DROP CONSTRAINT IF EXISTS reviews_kind_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_kind_check CHECK (kind IN ('delete', 'restore', 'suppression_removal'));
ALTER TABLE reviews DROP CONSTRAINT IF EXISTS reviews_kind_deletion_id_key;
ALTER TABLE reviews ADD CONSTRAINT reviews_kind_deletion_id_entry_key UNIQUE (kind, deletion_id, entry_id);

-- +goose Down
DELETE FROM reviews WHERE kind = 'suppression_removal';
ALTER TABLE reviews DROP CONSTRAINT IF EXISTS reviews_kind_deletion_id_entry_key;
ALTER TABLE reviews ADD CONSTRAINT reviews_kind_deletion_id_key UNIQUE (kind, deletion_id);
ALTER TABLE reviews DROP CONSTRAINT IF EXISTS reviews_kind_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_kind_check CHECK (kind IN ('delete', 'restore'));
ALTER TABLE reviews DROP COLUMN IF EXISTS entry_kind;
ALTER TABLE reviews DROP COLUMN IF EXISTS entry_id;
DROP TABLE IF EXISTS suppression_removals;
ALTER TABLE approval_requests DROP COLUMN IF EXISTS first_approved_at;
ALTER TABLE approval_requests DROP COLUMN IF EXISTS first_approved_by;
ALTER TABLE approval_requests DROP COLUMN IF EXISTS approvals_needed;
