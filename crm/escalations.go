package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// EscalateAt is when a request still open is escalated: at three quarters
// of its time.
func EscalateAt(createdAt, expiresAt time.Time) time.Time {
	return createdAt.Add(expiresAt.Sub(createdAt) * 3 / 4)
}

// scheduleEscalationTx records, with a new request, when it is escalated.
func (s *Store) scheduleEscalationTx(ctx context.Context, tx *sqlx.Tx, a Approval) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO approval_escalations (request_id, escalate_at) VALUES (?, ?)`),
		a.ID, EscalateAt(a.CreatedAt, a.ExpiresAt)); err != nil {
		return fmt.Errorf("schedule escalation of %s: %w", a.ID, err)
	}
	return nil
}

// ClaimEscalations settles every escalation that is due and returns the
// requests still open among them, each to exactly one caller however many
// replicas run the job; notify renders each one's messages, written in the
// same transaction. Escalations of requests that closed meanwhile are
// settled without a word.
func (s *Store) ClaimEscalations(ctx context.Context, notify func(Approval) ([]outbox.Note, error)) ([]Approval, error) {
	var out []Approval
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		now := s.now().UTC()
		var ids []string
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`UPDATE approval_escalations SET escalated_at = ?
			WHERE escalated_at IS NULL AND request_id IN (
				SELECT request_id FROM approval_escalations WHERE escalated_at IS NULL AND escalate_at <= ? ORDER BY escalate_at LIMIT ?)
			RETURNING request_id`), now, now, jobBatch); err != nil {
			return fmt.Errorf("claim escalations: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		where, args, err := sqlx.In(`WHERE state = ? AND expires_at > ? AND id IN (?) ORDER BY created_at, id`, ApprovalPending, now, ids)
		if err != nil {
			return fmt.Errorf("claim escalations: %w", err)
		}
		if out, err = s.selectApprovals(ctx, tx, where, args...); err != nil {
			return err
		}
		for _, a := range out {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE approval_escalations SET sent = ? WHERE request_id = ?`), true, a.ID); err != nil {
				return fmt.Errorf("mark escalation of %s: %w", a.ID, err)
			}
			if err := notifyOf(ctx, s, tx, notify, a); err != nil {
				return err
			}
		}
		if len(out) > 0 {
			return wantAdminCallTx(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Escalated reports whether request id was escalated (at three quarters of
// its time, while still open).
func (s *Store) Escalated(ctx context.Context, id string) (bool, error) {
	var sent []bool
	if err := s.db.SelectContext(ctx, &sent, s.db.Rebind(`SELECT sent FROM approval_escalations WHERE request_id = ?`), id); err != nil {
		return false, fmt.Errorf("escalation of %s: %w", id, err)
	}
	return len(sent) == 1 && sent[0], nil
}

// ApprovalJobsDue reports, with one read of three partial indexes and
// admin_calls' one row, whether any request is due to expire, be reminded
// or be escalated, or the admins to be called: the job runs
// every few seconds, so that a short APPROVAL_TTL behaves like a long one,
// and mostly finds nothing.
func (s *Store) ApprovalJobsDue(ctx context.Context) (bool, error) {
	now := s.now().UTC()
	var due bool
	err := s.db.GetContext(ctx, &due, s.db.Rebind(`SELECT
		EXISTS (SELECT 1 FROM approval_requests WHERE state = 'pending' AND expires_at <= ?)
		OR EXISTS (SELECT 1 FROM approval_requests WHERE state = 'pending' AND reminded_at IS NULL AND remind_at <= ?)
		OR EXISTS (SELECT 1 FROM approval_escalations WHERE escalated_at IS NULL AND escalate_at <= ?)
		OR EXISTS (SELECT 1 FROM admin_calls WHERE wanted AND (last_at IS NULL OR last_at <= ?))`), now, now, now, now.Add(-AdminCallEvery))
	if err != nil {
		return false, fmt.Errorf("approval work due: %w", err)
	}
	return due, nil
}
