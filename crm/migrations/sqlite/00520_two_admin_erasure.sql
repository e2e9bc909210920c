-- +goose Up
-- As migrations/postgres/00520. SQLite cannot change a table's checks or
-- unique keys: reviews is rebuilt (nothing references it).
ALTER TABLE approval_requests ADD COLUMN approvals_needed INTEGER NOT NULL DEFAULT 1 CHECK (approvals_needed IN (1, 2));
ALTER TABLE approval_requests ADD COLUMN first_approved_by TEXT;
ALTER TABLE approval_requests ADD COLUMN first_approved_at TIMESTAMP;
UPDATE approval_requests SET approvals_needed = 2 WHERE state = 'pending' AND json_extract(summary, '$.kind') = 'erasure';

CREATE TABLE IF NOT EXISTS suppression_removals (
    id             TEXT PRIMARY KEY,
    suppression_id TEXT NOT NULL,
    entry_kind     TEXT NOT NULL,
    deletion_id    TEXT NOT NULL DEFAULT '',
    contact_id     TEXT NOT NULL DEFAULT '',
    requester      TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'gone')),
    created_at     TIMESTAMP NOT NULL,
    decided_by     TEXT,
    decided_at     TIMESTAMP
);
CREATE UNIQUE INDEX IF NOT EXISTS suppression_removals_one_pending ON suppression_removals (suppression_id) WHERE state = 'pending';

CREATE TABLE reviews_new (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('delete', 'restore', 'suppression_removal')),
    deletion_id     TEXT NOT NULL REFERENCES deletions(id),
    actor           TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    remind_at       TIMESTAMP NOT NULL,
    reminded_at     TIMESTAMP,
    acknowledged_by TEXT,
    acknowledged_at TIMESTAMP,
    entry_id        TEXT NOT NULL DEFAULT '',
    entry_kind      TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, deletion_id, entry_id)
);
INSERT INTO reviews_new (id, kind, deletion_id, actor, created_at, remind_at, reminded_at, acknowledged_by, acknowledged_at)
    SELECT id, kind, deletion_id, actor, created_at, remind_at, reminded_at, acknowledged_by, acknowledged_at FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_new RENAME TO reviews;
CREATE INDEX IF NOT EXISTS reviews_open ON reviews (created_at) WHERE acknowledged_at IS NULL;
CREATE INDEX IF NOT EXISTS reviews_remind ON reviews (remind_at) WHERE acknowledged_at IS NULL AND reminded_at IS NULL;

-- +goose Down
CREATE TABLE reviews_old (
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
INSERT INTO reviews_old (id, kind, deletion_id, actor, created_at, remind_at, reminded_at, acknowledged_by, acknowledged_at)
    SELECT id, kind, deletion_id, actor, created_at, remind_at, reminded_at, acknowledged_by, acknowledged_at FROM reviews WHERE kind <> 'suppression_removal';
DROP TABLE reviews;
ALTER TABLE reviews_old RENAME TO reviews;
CREATE INDEX IF NOT EXISTS reviews_open ON reviews (created_at) WHERE acknowledged_at IS NULL;
CREATE INDEX IF NOT EXISTS reviews_remind ON reviews (remind_at) WHERE acknowledged_at IS NULL AND reminded_at IS NULL;
DROP TABLE IF EXISTS suppression_removals;
ALTER TABLE approval_requests DROP COLUMN first_approved_at;
ALTER TABLE approval_requests DROP COLUMN first_approved_by;
ALTER TABLE approval_requests DROP COLUMN approvals_needed;
