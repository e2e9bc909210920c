package crm

import (
	"context"
	"fmt"
)

// ContactHistory returns the newest limit audit entries about a contact (its
// own and those of its deletions), oldest first, and how many there are in
// all. It works for deleted contacts too: the audit trail outlives them. A
// contact's history includes the merges of duplicates into it. Given a batch
// id, it is the batch's history: its own lines and each contact's.
func (s *Store) ContactHistory(ctx context.Context, contactID string, limit int) ([]AuditEntry, int, error) {
	if contactID == "" {
		return nil, 0, Errorf(EINVALID, "Say which contact: a contact id or a deletion id.")
	}
	if limit <= 0 {
		limit = 20
	}
	// Its own entries, its deletions', and those of merges into it; for a
	// batch id, the batch's lines and those of each of its contacts.
	where := `contact_id = ? OR deletion_id IN (SELECT id FROM deletions WHERE contact_id = ?)
		OR deletion_id IN (SELECT deletion_id FROM merges WHERE original_id = ?) OR (batch_id <> '' AND batch_id = ?)`
	var total int
	if err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT count(*) FROM audit_log WHERE `+where), contactID, contactID, contactID, contactID); err != nil {
		return nil, 0, fmt.Errorf("count audit trail of %s: %w", contactID, err)
	}
	var out []AuditEntry
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT a.*, `+s.dialect.requestKindOf()+` FROM (SELECT * FROM audit_log WHERE `+where+`
		ORDER BY at DESC, id DESC LIMIT ?) a LEFT JOIN approval_requests r ON r.id = a.request_id ORDER BY a.at, a.id`), contactID, contactID, contactID, contactID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("load audit trail of %s: %w", contactID, err)
	}
	return out, total, nil
}
