package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// restoreBatchTx is RestoreWith's work for a batch's own record head, locked
// and restorable: every contact of the batch put back, row for row with the
// same ids, in one transaction under the batch record's row lock (of two
// restores at once the second finds it already restored). Contacts restored
// one by one before are left as they are (BatchRestored.Already). A contact
// whose restore window closed, or any id taken since, refuses the whole
// restore: nothing is put back.
func (s *Store) restoreBatchTx(ctx context.Context, tx *sqlx.Tx, head Deletion, actor string, now time.Time, progress func(done, total int)) (Restored, error) {
	out := Restored{Deletion: head}
	b, items, err := s.loadBatch(ctx, tx, head.ID, "")
	if err != nil {
		return out, err
	}
	if b.State == BatchRunning {
		return out, Errorf(ECONFLICT, "This batch is still being deleted. Restore it once it has finished; nothing was restored.")
	}
	members, err := s.batchMembers(ctx, tx, head.ID, s.dialect.ForUpdate())
	if err != nil {
		return out, err
	}
	var total int
	if err := tx.GetContext(ctx, &total, tx.Rebind(`SELECT count(*) FROM archived_rows
		WHERE deletion_id IN (SELECT id FROM deletions WHERE batch_id = ? AND id <> ? AND restored_at IS NULL)`), head.ID, head.ID); err != nil {
		return out, fmt.Errorf("count archived rows of batch %s: %w", head.ID, err)
	}
	itemOf := map[string]BatchItem{}
	for _, it := range items {
		itemOf[it.DeletionID] = it
	}
	br := &BatchRestored{}
	for _, m := range members {
		if m.RestoredAt != nil {
			br.Already = append(br.Already, itemOf[m.ID])
			continue
		}
		if err := restorable(m, now); err != nil {
			return out, err
		}
		base := br.Rows
		r, err := s.restoreTx(ctx, tx, m, actor, now, func(done, _ int) {
			if progress != nil {
				progress(base+done, total)
			}
		})
		if err != nil {
			return out, err
		}
		br.Restored = append(br.Restored, r)
		br.Rows += r.Rows
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deletions SET restored_by = ?, restored_at = ? WHERE id = ?`), actor, now, head.ID); err != nil {
		return out, fmt.Errorf("mark batch %s restored: %w", head.ID, err)
	}
	detail := fmt.Sprintf("%s restored (%s)", contactsText(len(br.Restored)), rowsText(br.Rows))
	if len(br.Already) > 0 {
		detail += fmt.Sprintf("; %s restored one by one before", contactsText(len(br.Already)))
	}
	if out.Audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: actor, Action: AuditBatchRestored, DeletionID: head.ID, BatchID: head.ID,
		RequestID: deref(head.RequestID), Reason: head.Reason, Outcome: "ok", Detail: detail, At: now}); err != nil {
		return out, err
	}
	if br.Batch, _, err = s.loadBatch(ctx, tx, head.ID, ""); err != nil {
		return out, err
	}
	out.Deletion = br.Batch.Deletion
	out.Rows, out.Batch = br.Rows, br
	return out, nil
}
