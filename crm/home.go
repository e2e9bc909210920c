package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// HomeOpened records that user opened the bot's Home tab, so that later
// changes that concern them refresh it.
func (s *Store) HomeOpened(ctx context.Context, user string) error {
	if user == "" {
		return precondition("A Home tab needs a user.")
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO home_tabs (user_id, opened_at) VALUES (?, ?)
		ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at`), user, s.now().UTC())
	if err != nil {
		return fmt.Errorf("record Home tab of %s: %w", user, err)
	}
	return nil
}

// HasHome reports whether user has ever opened the Home tab.
func (s *Store) HasHome(ctx context.Context, user string) (bool, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM home_tabs WHERE user_id = ?`), user); err != nil {
		return false, fmt.Errorf("Home tab of %s: %w", user, err)
	}
	return n > 0, nil
}

// HomeUsers lists everyone who has opened the Home tab.
func (s *Store) HomeUsers(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.db.SelectContext(ctx, &out, `SELECT user_id FROM home_tabs ORDER BY user_id`); err != nil {
		return nil, fmt.Errorf("Home tab users: %w", err)
	}
	return out, nil
}

// CountPendingApprovals counts the requests waiting for a decision.
func (s *Store) CountPendingApprovals(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM approval_requests WHERE state = 'pending'`); err != nil {
		return 0, fmt.Errorf("count pending requests: %w", err)
	}
	return n, nil
}

// PendingApprovalsOf lists requester's requests waiting for a decision,
// oldest first, at most limit, and how many there are.
func (s *Store) PendingApprovalsOf(ctx context.Context, requester string, limit int) ([]Approval, int, error) {
	list, err := s.selectApprovals(ctx, s.db, `WHERE requester = ? AND state = ? ORDER BY created_at, id LIMIT ?`, requester, ApprovalPending, limit)
	if err != nil {
		return nil, 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM approval_requests WHERE requester = ? AND state = 'pending'`), requester); err != nil {
		return nil, 0, fmt.Errorf("count pending requests of %s: %w", requester, err)
	}
	return list, n, nil
}

// DeletionItem is a deletion with its incident, when it was reported, and
// for a merge the contact it was merged into.
type DeletionItem struct {
	Deletion
	Reported   bool       `db:"reported"`
	ReportedBy string     `db:"reported_by"`
	ReportedAt *time.Time `db:"reported_at"`
	MergedInto string     `db:"merged_into"`
	// BatchCount is, for a batch's own record (IsBatch), how many contacts
	// it set out to delete; BatchDeleted how many it deleted.
	BatchCount   int `db:"batch_count"`
	BatchDeleted int `db:"batch_deleted"`
}

const deletionItemSelect = `SELECT d.*, i.deletion_id IS NOT NULL AS reported, coalesce(i.reported_by, '') AS reported_by, i.reported_at,
	coalesce(m.original_id, '') AS merged_into, coalesce(b.count, 0) AS batch_count,
	(SELECT count(*) FROM batch_items bi WHERE bi.batch_id = b.id AND bi.state = 'deleted') AS batch_deleted
	FROM deletions d LEFT JOIN incidents i ON i.deletion_id = d.id LEFT JOIN merges m ON m.deletion_id = d.id LEFT JOIN batches b ON b.id = d.id `

func (s *Store) selectDeletionItems(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]DeletionItem, error) {
	var out []DeletionItem
	if err := sqlx.SelectContext(ctx, q, &out, s.db.Rebind(deletionItemSelect+where), args...); err != nil {
		return nil, fmt.Errorf("load deletions: %w", err)
	}
	for i := range out {
		if err := out[i].decode(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeletionsBy lists what user deleted since a time (their own deletes,
// merges and erasures, and those an admin approved for them) and the
// erasures they approved, newest first, at most limit, and how many there
// are. A batch is one item, its own record (IsBatch, BatchCount), not one
// per contact.
func (s *Store) DeletionsBy(ctx context.Context, user string, since time.Time, limit int) ([]DeletionItem, int, error) {
	const by = `(d.deleted_by = ? OR (d.kind = 'erasure' AND d.approved_by = ?)) AND d.deleted_at >= ? AND d.batch_id IN ('', d.id)`
	list, err := s.selectDeletionItems(ctx, s.db, `WHERE `+by+` ORDER BY d.deleted_at DESC, d.id LIMIT ?`, user, user, since.UTC(), limit)
	if err != nil {
		return nil, 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM deletions d WHERE `+by), user, user, since.UTC()); err != nil {
		return nil, 0, fmt.Errorf("count deletions of %s: %w", user, err)
	}
	return list, n, nil
}

// OpenIncidents lists deletions reported as wrong that can still be
// restored, oldest report first, at most limit, and how many there are.
func (s *Store) OpenIncidents(ctx context.Context, limit int) ([]DeletionItem, int, error) {
	now := s.now().UTC()
	const open = `d.restored_at IS NULL AND d.purged_at IS NULL AND d.restore_until > ?`
	list, err := s.selectDeletionItems(ctx, s.db, `WHERE i.deletion_id IS NOT NULL AND `+open+` ORDER BY i.reported_at, d.id LIMIT ?`, now, limit)
	if err != nil {
		return nil, 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM incidents i JOIN deletions d ON d.id = i.deletion_id WHERE `+open), now); err != nil {
		return nil, 0, fmt.Errorf("count open incidents: %w", err)
	}
	return list, n, nil
}

// DeletionItemOf loads one deletion with its incident.
func (s *Store) DeletionItemOf(ctx context.Context, id string) (DeletionItem, error) {
	list, err := s.selectDeletionItems(ctx, s.db, `WHERE d.id = ?`, id)
	if err != nil {
		return DeletionItem{}, err
	}
	if len(list) == 0 {
		return DeletionItem{}, Errorf(ENOTFOUND, "There is no deletion with id %s. Check the id in the delete summary.", id)
	}
	return list[0], nil
}

// SuppressionHit is a contact that got a deleted contact's opt-out back
// from the suppression list: the database triggers' audit line, with the
// contact as it is now.
type SuppressionHit struct {
	AuditID   int64     `db:"id"`
	At        time.Time `db:"at"`
	ContactID string    `db:"contact_id"`
	// DeletionID is the delete, merge or erasure the newest matching entry
	// came from.
	DeletionID string `db:"deletion_id"`
	// Detail is the audit line's detail: the delete date and the channels
	// re-applied, in words.
	Detail    string `db:"detail"`
	FirstName string `db:"first_name"`
	LastName  string `db:"last_name"`
}

// Name is the contact's name as Contact.Name gives it.
func (h SuppressionHit) Name() string {
	return Contact{ID: h.ContactID, FirstName: h.FirstName, LastName: h.LastName}.Name()
}

// SuppressionHits lists the DND re-applies since a time to contacts that
// still exist, newest first, at most limit, and how many there are.
func (s *Store) SuppressionHits(ctx context.Context, since time.Time, limit int) ([]SuppressionHit, int, error) {
	const hits = `FROM audit_log a JOIN contacts c ON c.id = a.contact_id WHERE a.action = 'dnd_reapplied' AND a.at >= ?`
	var list []SuppressionHit
	if err := s.db.SelectContext(ctx, &list, s.db.Rebind(`SELECT a.id, a.at, a.contact_id, a.deletion_id, a.detail, c.first_name, c.last_name `+
		hits+` ORDER BY a.at DESC, a.id DESC LIMIT ?`), since.UTC(), limit); err != nil {
		return nil, 0, fmt.Errorf("suppression hits: %w", err)
	}
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) `+hits), since.UTC()); err != nil {
		return nil, 0, fmt.Errorf("count suppression hits: %w", err)
	}
	return list, n, nil
}
