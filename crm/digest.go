package crm

import (
	"context"
	"fmt"
	"time"
)

// Tally is a count under a key: a reason, a person.
type Tally struct {
	Key string `db:"k"`
	N   int    `db:"n"`
}

// DigestData is what the weekly digest reports: what happened between From
// and To, and what is waiting at To.
type DigestData struct {
	From, To time.Time
	// Deletions made in the period, by reason and by who deleted (the
	// requester, for a delete an admin approved), most first.
	Deletions         int
	DeletionsByReason []Tally
	DeletionsByPerson []Tally
	// Restores made and deletions reported as wrong in the period.
	Restores  int
	Incidents int
	// Waiting at To: requests for a decision, reviews for an acknowledgement.
	PendingRequests int
	PendingReviews  int
	// Archives whose restore window closes within a week of To, soonest
	// first (at most ExpiringShown), and how many.
	Expiring      []Deletion
	ExpiringTotal int
}

// ExpiringShown bounds the archives the digest names.
const ExpiringShown = 10

// Digest gathers the digest of the period [from, to).
func (s *Store) Digest(ctx context.Context, from, to time.Time) (DigestData, error) {
	from, to = from.UTC(), to.UTC()
	d := DigestData{From: from, To: to}
	count := func(dst *int, q string, args ...any) error {
		if err := s.db.GetContext(ctx, dst, s.db.Rebind(q), args...); err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		return nil
	}
	tally := func(dst *[]Tally, col string) error {
		if err := s.db.SelectContext(ctx, dst, s.db.Rebind(`SELECT `+col+` AS k, count(*) AS n FROM deletions
			WHERE deleted_at >= ? AND deleted_at < ? GROUP BY `+col+` ORDER BY n DESC, k`), from, to); err != nil {
			return fmt.Errorf("digest: deletions by %s: %w", col, err)
		}
		return nil
	}
	if err := count(&d.Deletions, `SELECT count(*) FROM deletions WHERE deleted_at >= ? AND deleted_at < ?`, from, to); err != nil {
		return d, err
	}
	if err := tally(&d.DeletionsByReason, "reason"); err != nil {
		return d, err
	}
	if err := tally(&d.DeletionsByPerson, "deleted_by"); err != nil {
		return d, err
	}
	if err := count(&d.Restores, `SELECT count(*) FROM deletions WHERE restored_at >= ? AND restored_at < ?`, from, to); err != nil {
		return d, err
	}
	if err := count(&d.Incidents, `SELECT count(*) FROM incidents WHERE reported_at >= ? AND reported_at < ?`, from, to); err != nil {
		return d, err
	}
	if err := count(&d.PendingRequests, `SELECT count(*) FROM approval_requests WHERE state = 'pending' AND expires_at > ?`, to); err != nil {
		return d, err
	}
	if err := count(&d.PendingReviews, `SELECT count(*) FROM reviews WHERE acknowledged_at IS NULL`); err != nil {
		return d, err
	}
	const expiring = `purged_at IS NULL AND restored_at IS NULL AND restore_until > ? AND restore_until <= ?`
	week := to.Add(7 * 24 * time.Hour)
	if err := count(&d.ExpiringTotal, `SELECT count(*) FROM deletions WHERE `+expiring, to, week); err != nil {
		return d, err
	}
	if err := s.db.SelectContext(ctx, &d.Expiring, s.db.Rebind(`SELECT * FROM deletions WHERE `+expiring+` ORDER BY restore_until, id LIMIT ?`),
		to, week, ExpiringShown); err != nil {
		return d, fmt.Errorf("digest: expiring archives: %w", err)
	}
	return d, nil
}
