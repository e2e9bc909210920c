-- +goose Up
-- Privacy erasure, as migrations/postgres/00320: the audit trail's one
-- exception, an UPDATE that only sets detail to "[erased]" on an entry about
-- an erased contact.
DROP TRIGGER IF EXISTS audit_log_no_update;
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (new.detail = '[erased]'
    AND new.id IS old.id AND new.at IS old.at AND new.actor IS old.actor AND new.action IS old.action
    AND new.contact_id IS old.contact_id AND new.deletion_id IS old.deletion_id AND new.request_id IS old.request_id
    AND new.reason IS old.reason AND new.outcome IS old.outcome
    AND EXISTS (SELECT 1 FROM deletions e WHERE e.kind = 'erasure' AND e.contact_id IN (
        old.contact_id,
        (SELECT contact_id FROM deletions WHERE id = old.deletion_id),
        (SELECT original_id FROM merges WHERE deletion_id = old.deletion_id),
        (SELECT contact_id FROM approval_requests WHERE id = old.request_id),
        (SELECT json_extract(summary, '$.merge_into') FROM approval_requests WHERE id = old.request_id))))
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER IF EXISTS audit_log_no_update;
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
-- +goose StatementEnd
