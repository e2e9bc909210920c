-- +goose Up
-- Privacy erasure: the contact and every linked row go with no archive, and
-- its name, email and phone are replaced by "[erased]" wherever contactbot
-- kept them. The audit trail stays append-only with one narrow, checked
-- exception: an UPDATE that only sets detail to "[erased]" on an entry about
-- a contact that has an erasure record (deletions.kind = 'erasure', written
-- in the same transaction and itself audited). Nothing else may change, and
-- nothing may be deleted.

-- contactbot_erased reports whether an audit entry (by its contact,
-- deletion and request ids) is about an erased contact: the contact itself,
-- one of its deletions, a merge into it, or a request about it.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_erased(contact text, deletion text, request text) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM deletions e WHERE e.kind = 'erasure' AND e.contact_id IN (
        contact,
        (SELECT contact_id FROM deletions WHERE id = deletion),
        (SELECT original_id FROM merges WHERE deletion_id = deletion),
        (SELECT contact_id FROM approval_requests WHERE id = request),
        (SELECT summary ->> 'merge_into' FROM approval_requests WHERE id = request)))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.detail = '[erased]'
       AND (NEW.id, NEW.at, NEW.actor, NEW.action, NEW.contact_id, NEW.deletion_id, NEW.request_id, NEW.reason, NEW.outcome)
           IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.actor, OLD.action, OLD.contact_id, OLD.deletion_id, OLD.request_id, OLD.reason, OLD.outcome)
       AND contactbot_erased(OLD.contact_id, OLD.deletion_id, OLD.request_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contactbot_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END $$;
-- +goose StatementEnd
DROP FUNCTION IF EXISTS contactbot_erased(text, text, text);
