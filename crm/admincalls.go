package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AdminCallEvery is the least time between two calls to the admins about
// waiting requests: reminders and escalations due meanwhile wait for the
// next call, which lists every request then waiting.
const AdminCallEvery = time.Hour

// adminCallName is admin_calls' one row, for the approvals channel.
const adminCallName = "approvals"

// wantAdminCallTx records, with a reminder or escalation claimed in tx,
// that the admins are to be called about the waiting requests.
func wantAdminCallTx(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE admin_calls SET wanted = ? WHERE name = ?`), true, adminCallName); err != nil {
		return fmt.Errorf("want an admin call: %w", err)
	}
	return nil
}

// ClaimAdminCall calls the admins when a reminder or escalation wants it
// and the last call is at least AdminCallEvery ago: render writes the one
// message about every request waiting (oldest first), in the same
// transaction as the claim, so that one replica calls, once (a nil render
// writes nothing). It returns
// the requests listed; none when no call was due or nothing waits any more.
func (s *Store) ClaimAdminCall(ctx context.Context, render func([]Approval) ([]Note, error)) ([]Approval, error) {
	var out []Approval
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		now := s.now().UTC()
		var claimed []string
		if err := tx.SelectContext(ctx, &claimed, tx.Rebind(`UPDATE admin_calls SET wanted = ?, last_at = ?
			WHERE name = ? AND wanted AND (last_at IS NULL OR last_at <= ?) RETURNING name`),
			false, now, adminCallName, now.Add(-AdminCallEvery)); err != nil {
			return fmt.Errorf("claim admin call: %w", err)
		}
		if len(claimed) == 0 {
			return nil
		}
		var err error
		if out, err = s.selectApprovals(ctx, tx, `WHERE state = ? AND expires_at > ? ORDER BY created_at, id`, ApprovalPending, now); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		return notifyOf(ctx, s, tx, render, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
