package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// AdminCallEvery is the least time between two calls to the admins about
// what waits for them: reminders and escalations due meanwhile wait for the
// next call, which lists everything then waiting.
const AdminCallEvery = time.Hour

// adminCallName is admin_calls' one row, for the approvals channel.
const adminCallName = "approvals"

// AdminCall is what one call to the admins lists, oldest first: the
// requests waiting for a decision and the reviews of what an admin did
// alone waiting for another admin.
type AdminCall struct {
	Requests []Approval
	Reviews  []Review
}

// Empty reports whether nothing waits, so there is nobody to call.
func (c AdminCall) Empty() bool { return len(c.Requests) == 0 && len(c.Reviews) == 0 }

// wantAdminCallTx records, with a reminder or escalation claimed in tx,
// that the admins are to be called about what waits for them.
func wantAdminCallTx(ctx context.Context, tx *sqlx.Tx) error {
	return setAdminCallWanted(ctx, tx, true)
}

// setAdminCallWanted sets or drops, in tx, the wish to call the admins.
func setAdminCallWanted(ctx context.Context, tx *sqlx.Tx, wanted bool) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE admin_calls SET wanted = ? WHERE name = ?`), wanted, adminCallName); err != nil {
		return fmt.Errorf("set admin call wanted to %t: %w", wanted, err)
	}
	return nil
}

// ClaimAdminCall calls the admins when a reminder or escalation (of a
// request or of a review) wants it and the last call is at least
// AdminCallEvery ago: render writes the one message about every request
// and every review waiting, in the same transaction as the claim, so that
// one replica calls, once (a nil render writes nothing). It returns what
// was listed; nothing when no call was due or nothing waits any more.
func (s *Store) ClaimAdminCall(ctx context.Context, render func(AdminCall) ([]outbox.Note, error)) (AdminCall, error) {
	var out AdminCall
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		out = AdminCall{}
		now := s.now().UTC()
		due := `WHERE name = ? AND wanted AND (last_at IS NULL OR last_at <= ?)`
		var wanted []string
		if err := tx.SelectContext(ctx, &wanted, tx.Rebind(`SELECT name FROM admin_calls `+due), adminCallName, now.Add(-AdminCallEvery)); err != nil {
			return fmt.Errorf("read admin call: %w", err)
		}
		if len(wanted) == 0 {
			return nil
		}
		requests, err := s.selectApprovals(ctx, tx, `WHERE state = ? AND expires_at > ? ORDER BY created_at, id`, ApprovalPending, now)
		if err != nil {
			return err
		}
		reviews, err := s.selectReviews(ctx, tx, `WHERE r.acknowledged_at IS NULL ORDER BY r.created_at, r.id`)
		if err != nil {
			return err
		}
		if len(requests) == 0 && len(reviews) == 0 {
			// Nothing waits any more: nobody is called, and the hour is
			// not used up, so the next call is not held back.
			return setAdminCallWanted(ctx, tx, false)
		}
		// The claim decides between replicas: one of them moves last_at.
		var claimed []string
		if err := tx.SelectContext(ctx, &claimed, tx.Rebind(`UPDATE admin_calls SET wanted = ?, last_at = ? `+due+` RETURNING name`),
			false, now, adminCallName, now.Add(-AdminCallEvery)); err != nil {
			return fmt.Errorf("claim admin call: %w", err)
		}
		if len(claimed) == 0 {
			return nil
		}
		out = AdminCall{Requests: requests, Reviews: reviews}
		return notifyOf(ctx, s, tx, render, out)
	})
	if err != nil {
		return AdminCall{}, err
	}
	return out, nil
}
