-- +goose Up
-- Approval requests: a delete that someone without the right to delete
-- directly asked for, and what became of it. The row is the authority, not
-- the Slack message: deciders lock it (SELECT … FOR UPDATE), so a request is
-- decided once whatever the number of clicks or replicas.
CREATE TABLE IF NOT EXISTS approval_requests (
    id            text PRIMARY KEY,
    contact_id    text NOT NULL,
    -- The contact's name when requested, for listings after it is gone.
    contact_label text NOT NULL DEFAULT '',
    requester     text NOT NULL,
    reason        text NOT NULL,
    note          text NOT NULL DEFAULT '',
    -- What the requester saw: Linked.Fingerprint, the counts, and the
    -- decision-relevant summary (open opportunities, DND…), to show an
    -- approver what changed since.
    fingerprint   text NOT NULL,
    counts        jsonb NOT NULL DEFAULT '{}'::jsonb,
    summary       jsonb NOT NULL DEFAULT '{}'::jsonb,
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'failed')),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    -- When to remind approvers (half the TTL), set once at creation.
    remind_at     timestamptz NOT NULL,
    reminded_at   timestamptz,
    decided_by    text,
    decided_at    timestamptz,
    reject_reason text NOT NULL DEFAULT '',
    fail_reason   text NOT NULL DEFAULT '',
    deletion_id   text REFERENCES deletions(id),
    -- Where the request was posted, for chat.update and thread replies.
    channel       text NOT NULL DEFAULT '',
    message_ts    text NOT NULL DEFAULT ''
);
-- One open request per contact: a second person asking is pointed to the first.
CREATE UNIQUE INDEX IF NOT EXISTS approval_requests_one_pending ON approval_requests (contact_id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approval_requests_expiry ON approval_requests (expires_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS approval_requests_remind ON approval_requests (remind_at) WHERE state = 'pending' AND reminded_at IS NULL;
CREATE INDEX IF NOT EXISTS approval_requests_requester ON approval_requests (requester, created_at);

-- +goose Down
DROP TABLE IF EXISTS approval_requests;
