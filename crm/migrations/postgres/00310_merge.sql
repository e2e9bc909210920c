-- +goose Up
-- Merge instead of delete: a duplicate's linked rows move onto the contact
-- that stays, and the emptied duplicate goes through the archive. A merge is
-- a deletion of kind 'merge' (restorable like a delete); an erasure
-- (migration 00320) one of kind 'erasure'.
ALTER TABLE deletions ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'delete'
    CHECK (kind IN ('delete', 'merge', 'erasure'));

-- What a merge did to the contact that stays, so that its restore can put
-- both contacts back row for row: the original's fields and DND before and
-- after the merge (JSON, crm.MergeState), and how many rows moved per table.
-- original_before and original_after are blanked when the merge is restored or purged.
CREATE TABLE IF NOT EXISTS merges (
    deletion_id  text PRIMARY KEY REFERENCES deletions(id),
    duplicate_id text NOT NULL,
    original_id  text NOT NULL,
    original_before jsonb NOT NULL DEFAULT '{}'::jsonb,
    original_after  jsonb NOT NULL DEFAULT '{}'::jsonb,
    moved        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS merges_original_id ON merges (original_id);

-- Every row a merge moved onto the original, by table and id: a restore
-- moves exactly these back (messages follow their conversations).
CREATE TABLE IF NOT EXISTS merge_moves (
    deletion_id text NOT NULL REFERENCES deletions(id),
    table_name  text NOT NULL,
    row_id      text NOT NULL,
    PRIMARY KEY (deletion_id, table_name, row_id)
);

-- +goose Down
DROP TABLE IF EXISTS merge_moves;
DROP TABLE IF EXISTS merges;
ALTER TABLE deletions DROP COLUMN IF EXISTS kind;
