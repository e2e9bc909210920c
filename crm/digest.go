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
	// Deletes made in the period (merges and erasures are counted apart),
	// by reason and by who deleted (the requester, for a delete an admin
	// approved), most first.
	Deletions         int
	DeletionsByReason []Tally
	DeletionsByPerson []Tally
	// Merges of duplicates into the contact that stays, by who merged (the
	// requester, for a merge an admin approved).
	Merges         int
	MergesByPerson []Tally
	// Privacy erasures, by who requested them (an admin always approved).
	Erasures         int
	ErasuresByPerson []Tally
	// Batches deleted in the period (their contacts are counted in
	// Deletions too, BatchContacts of them), by who deleted, most first.
	Batches         int
	BatchContacts   int
	BatchesByPerson []Tally
	// Restores made (MergeRestores of them undid a merge) and deletions
	// reported as wrong in the period.
	Restores      int
	MergeRestores int
	Incidents     int
	// Suppression hits: contacts that got a deleted contact's opt-out back
	// from the suppression list (the triggers' re-apply lines), by what the
	// opt-out was kept from: a delete, a merge or an erasure (a deletion
	// kind).
	SuppressionHits         int
	SuppressionHitsBySource []Tally
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
	tally := func(dst *[]Tally, col string, kind Kind) error {
		if err := s.db.SelectContext(ctx, dst, s.db.Rebind(`SELECT `+col+` AS k, count(*) AS n FROM deletions
			WHERE deleted_at >= ? AND deleted_at < ? AND kind = ? AND batch_id <> id GROUP BY `+col+` ORDER BY n DESC, k`), from, to, kind); err != nil {
			return fmt.Errorf("digest: %s by %s: %w", kind, col, err)
		}
		return nil
	}
	// A batch's own record is no delete of its own: its contacts are.
	const made = `SELECT count(*) FROM deletions WHERE deleted_at >= ? AND deleted_at < ? AND kind = ? AND batch_id <> id`
	for _, k := range []struct {
		kind     Kind
		n        *int
		by       []*[]Tally
		byColumn []string
	}{
		{KindDelete, &d.Deletions, []*[]Tally{&d.DeletionsByReason, &d.DeletionsByPerson}, []string{"reason", "deleted_by"}},
		{KindMerge, &d.Merges, []*[]Tally{&d.MergesByPerson}, []string{"deleted_by"}},
		{KindErasure, &d.Erasures, []*[]Tally{&d.ErasuresByPerson}, []string{"deleted_by"}},
	} {
		if err := count(k.n, made, from, to, k.kind); err != nil {
			return d, err
		}
		if *k.n == 0 {
			continue
		}
		for i, dst := range k.by {
			if err := tally(dst, k.byColumn[i], k.kind); err != nil {
				return d, err
			}
		}
	}
	const batches = `FROM deletions WHERE deleted_at >= ? AND deleted_at < ? AND batch_id = id`
	if err := count(&d.Batches, `SELECT count(*) `+batches, from, to); err != nil {
		return d, err
	}
	if d.Batches > 0 {
		if err := count(&d.BatchContacts, `SELECT count(*) FROM deletions WHERE deleted_at >= ? AND deleted_at < ? AND batch_id NOT IN ('', id)`, from, to); err != nil {
			return d, err
		}
		if err := s.db.SelectContext(ctx, &d.BatchesByPerson, s.db.Rebind(`SELECT deleted_by AS k, count(*) AS n `+batches+` GROUP BY deleted_by ORDER BY n DESC, k`), from, to); err != nil {
			return d, fmt.Errorf("digest: batches by person: %w", err)
		}
	}
	if err := count(&d.Restores, `SELECT count(*) FROM deletions WHERE restored_at >= ? AND restored_at < ? AND batch_id <> id`, from, to); err != nil {
		return d, err
	}
	if err := count(&d.MergeRestores, `SELECT count(*) FROM deletions WHERE restored_at >= ? AND restored_at < ? AND kind = ?`, from, to, KindMerge); err != nil {
		return d, err
	}
	const hits = `FROM audit_log a LEFT JOIN deletions d ON d.id = a.deletion_id WHERE a.action = 'dnd_reapplied' AND a.at >= ? AND a.at < ?`
	if err := count(&d.SuppressionHits, `SELECT count(*) `+hits, from, to); err != nil {
		return d, err
	}
	if d.SuppressionHits > 0 {
		if err := s.db.SelectContext(ctx, &d.SuppressionHitsBySource, s.db.Rebind(`SELECT coalesce(d.kind, 'delete') AS k, count(*) AS n `+hits+`
			GROUP BY coalesce(d.kind, 'delete') ORDER BY n DESC, k`), from, to); err != nil {
			return d, fmt.Errorf("digest: suppression hits by source: %w", err)
		}
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
	// A batch is one archive: its own record, not one per contact.
	const expiring = `purged_at IS NULL AND restored_at IS NULL AND restore_until > ? AND restore_until <= ? AND batch_id IN ('', id)`
	week := to.Add(7 * 24 * time.Hour)
	if err := count(&d.ExpiringTotal, `SELECT count(*) FROM deletions WHERE `+expiring, to, week); err != nil {
		return d, err
	}
	if err := s.db.SelectContext(ctx, &d.Expiring, s.db.Rebind(`SELECT * FROM deletions WHERE `+expiring+` ORDER BY restore_until, id LIMIT ?`),
		to, week, ExpiringShown); err != nil {
		return d, fmt.Errorf("digest: expiring archives: %w", err)
	}
	for i := range d.Expiring {
		if err := d.Expiring[i].decode(); err != nil {
			return d, err
		}
	}
	return d, nil
}
