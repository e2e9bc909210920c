-- +goose Up
-- Merges, erasures and suppression hits in the Home tab and the
-- weekly digest: the admins' list of contacts whose DND came back from the
-- suppression list reads the triggers' audit lines of the last 30 days, and
-- a person's recent deletions include the erasures they approved.
CREATE INDEX IF NOT EXISTS audit_log_reapplied ON audit_log (at) WHERE action = 'dnd_reapplied';
CREATE INDEX IF NOT EXISTS deletions_erasure_approved_by ON deletions (approved_by, deleted_at) WHERE kind = 'erasure';

-- +goose Down
DROP INDEX IF EXISTS deletions_erasure_approved_by;
DROP INDEX IF EXISTS audit_log_reapplied;
