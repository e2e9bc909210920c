-- +goose Up
-- A requester may withdraw their pending request: state 'withdrawn', with
-- decided_by the requester. The pending-only unique index then lets anyone
-- ask again.
ALTER TABLE approval_requests DROP CONSTRAINT IF EXISTS approval_requests_state_check;
ALTER TABLE approval_requests ADD CONSTRAINT approval_requests_state_check
    CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'failed', 'withdrawn'));

-- +goose Down
-- A withdrawn request reads as rejected where 'withdrawn' is unknown.
ALTER TABLE approval_requests DROP CONSTRAINT IF EXISTS approval_requests_state_check;
UPDATE approval_requests SET state = 'rejected' WHERE state = 'withdrawn';
ALTER TABLE approval_requests ADD CONSTRAINT approval_requests_state_check
    CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'failed'));
