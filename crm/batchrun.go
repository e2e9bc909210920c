package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// batchChunk is how many contacts one transaction of a batch deletes: each
// commit makes them final, and a crash loses at most the chunk in flight
// (rolled back whole).
const batchChunk = 20

// errBatchStopped stops a batch whose record was resolved (interrupted) by
// another process that found this one dead.
var errBatchStopped = &Error{Code: ECONFLICT, Message: "This batch was stopped: it took too long and was called off. The contacts deleted so far stay deleted (restorable); the others were not touched. Run the clean-up again for them."}

// ErrBatchEmpty refuses a batch with no contact to delete.
var ErrBatchEmpty = &Error{Code: EINVALID, Message: "No contact of this filter can be deleted in bulk, so nothing was deleted."}

// DeleteBatch deletes the contacts of a fresh preview of req.Filter, after
// checking it is the preview the person confirmed: a typed count that is
// not the count gives ErrBatchCount, a preview that changed *BatchChanged
// (with the new one); nothing is deleted then. The batch is recorded (its
// own deletion record, and one item per contact) before any contact goes;
// then each contact is deleted by Delete's own code (deleteTx: DELETE …
// RETURNING into the archive, suppression of an opt-out, its audit line),
// batchChunk contacts to a transaction that also marks their items done. A
// contact that changed since the preview (or is gone) is skipped and named
// in BatchDeleted.Skipped. The last transaction writes the batch's audit
// line, its review and its notes, and finishes the operation.
//
// The operation (req.Operation, or one DeleteBatch starts) makes the batch
// exactly once and resolvable: on PostgreSQL its row is held by a
// transaction open for the whole batch, so RecoverOperations on any replica
// finds it only when this process died; it then marks the batch
// interrupted. A crash never leaves a contact half deleted: each contact's
// rows, archive and item commit together.
func (s *Store) DeleteBatch(ctx context.Context, req BatchRequest) (BatchDeleted, error) {
	return s.runBatch(ctx, req, nil)
}

// batchDecide runs in the transaction that records the batch, before any
// contact goes: an approval decides its request there.
type batchDecide func(ctx context.Context, tx *sqlx.Tx, batchID string, now time.Time) error

func (s *Store) runBatch(ctx context.Context, req BatchRequest, decide batchDecide) (BatchDeleted, error) {
	var out BatchDeleted
	if req.Actor == "" || req.Reason == "" || req.RestoreWindow <= 0 {
		return out, precondition("A batch delete needs who deletes, a reason and a restore window.")
	}
	if req.Filter.IsZero() {
		return out, badFilter("Say which contacts to clean up: give at least one term.")
	}
	if req.Limit <= 0 {
		req.Limit = DefaultBulkLimit
	}
	p, err := s.confirmedPreview(ctx, req.Filter, BatchOptions{Limit: req.Limit, IncludeRisky: req.IncludeRisky}, req.ExpectFingerprint, req.ExpectCount)
	if err != nil {
		return out, err
	}
	op := req.Operation
	if op == "" {
		o, startErr := s.StartOperation(ctx, OperationDeleteBatch, req.Actor, "", req.Filter.String())
		if startErr != nil {
			return out, startErr
		}
		op = o.ID
		defer func() {
			if err != nil {
				// Resolves the batch (interrupted) unless the process is
				// dying, when RecoverOperations will.
				_ = s.FinishOperation(ctx, op, OperationFailed, nil)
			}
		}()
	}
	run := batchRun{s: s, req: req, preview: p, op: op, decide: decide}
	if s.dialect == Postgres {
		err = s.withTx(ctx, func(holder *sqlx.Tx) error {
			if err := s.lockOperation(ctx, holder, op); err != nil {
				return err
			}
			if err := run.begin(ctx); err != nil {
				return err
			}
			if _, err := holder.ExecContext(ctx, `UPDATE operations SET subject = $1 WHERE id = $2`, run.batchID, op); err != nil {
				return fmt.Errorf("name the batch of operation %s: %w", op, err)
			}
			if err := run.chunks(ctx); err != nil {
				return err
			}
			return run.finish(ctx, holder)
		})
	} else {
		err = func() error {
			if err := run.begin(ctx); err != nil {
				return err
			}
			if err := run.chunks(ctx); err != nil {
				return err
			}
			return s.withTx(ctx, func(tx *sqlx.Tx) error {
				if err := s.lockOperation(ctx, tx, op); err != nil {
					return err
				}
				return run.finish(ctx, tx)
			})
		}()
	}
	if err != nil {
		if isLockTimeout(err) {
			err = ErrLockTimeout
		}
		return out, err
	}
	s.operationEnded(op)
	return run.out, nil
}

// batchRun is one DeleteBatch under way.
type batchRun struct {
	s       *Store
	req     BatchRequest
	preview BatchPreview
	op      string
	decide  batchDecide
	batchID string
	items   []BatchItem // preview.Deletes', in order
	out     BatchDeleted
}

// begin records the batch, its items and (for an approval) the decision.
func (r *batchRun) begin(ctx context.Context) error {
	s, req := r.s, r.req
	r.batchID = NewID("B", 10)
	return s.withTx(ctx, func(tx *sqlx.Tx) error {
		if s.dialect == SQLite {
			if err := s.lockOperation(ctx, tx, r.op); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE operations SET subject = ? WHERE id = ?`, r.batchID, r.op); err != nil {
				return fmt.Errorf("name the batch of operation %s: %w", r.op, err)
			}
		}
		// Opted-out contacts go to the suppression list, which needs the
		// key: refuse now rather than stop midway at the first of them.
		if r.preview.OptedOut > 0 {
			if _, err := s.suppressionKeyFor(ctx, tx); err != nil {
				return err
			}
		}
		// One batch per operation, however often it is submitted.
		var started int
		if err := tx.GetContext(ctx, &started, tx.Rebind(`SELECT count(*) FROM batches WHERE operation_id = ?`), r.op); err != nil {
			return fmt.Errorf("look for the batch of operation %s: %w", r.op, err)
		}
		if started > 0 {
			return ErrOperationGone
		}
		now := s.actionTime(time.Time{})
		head := Deletion{ID: r.batchID, Kind: KindDelete, ContactLabel: contactsText(r.preview.Count()), DeletedBy: req.Actor,
			ApprovedBy: nullable(req.ApprovedBy), RequestID: nullable(req.RequestID), Reason: req.Reason, Note: req.Note,
			Counts: r.preview.Totals, DeletedAt: now, RestoreUntil: now.Add(req.RestoreWindow), BatchID: r.batchID}
		if err := recordDeletion(ctx, tx, &head); err != nil {
			return err
		}
		if r.decide != nil {
			if err := r.decide(ctx, tx, r.batchID, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO batches (id, filter, include_risky, state, count, operation_id) VALUES (?, ?, ?, ?, ?, ?)`),
			r.batchID, req.Filter.String(), req.IncludeRisky, BatchRunning, r.preview.Count(), r.op); err != nil {
			return fmt.Errorf("record batch: %w", err)
		}
		r.items = nil
		rows := make([]string, 0, len(r.preview.Deletes))
		var args []any
		for i, b := range r.preview.Deletes {
			it := BatchItem{BatchID: r.batchID, Seq: i + 1, ContactID: b.Contact.ID, ContactLabel: b.Contact.Name(), State: ItemPending}
			r.items = append(r.items, it)
			rows = append(rows, "(?, ?, ?, ?, ?)")
			args = append(args, it.BatchID, it.Seq, it.ContactID, it.ContactLabel, b.Linked.Fingerprint)
			if len(rows) == 100 || i == len(r.preview.Deletes)-1 {
				if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO batch_items (batch_id, seq, contact_id, contact_label, fingerprint) VALUES `+strings.Join(rows, ", ")), args...); err != nil {
					return fmt.Errorf("record batch items: %w", err)
				}
				rows, args = rows[:0], nil
			}
		}
		r.out.Batch = Batch{Deletion: head, Filter: req.Filter.String(), IncludeRisky: req.IncludeRisky, State: BatchRunning,
			Count: r.preview.Count(), Operation: r.op}
		return nil
	})
}

// chunks deletes the items, batchChunk (or req.chunk) to a transaction.
func (r *batchRun) chunks(ctx context.Context) error {
	size := batchChunk
	if r.req.chunk > 0 {
		size = r.req.chunk
	}
	for start := 0; start < len(r.items); start += size {
		end := min(start+size, len(r.items))
		if err := r.chunk(ctx, start, end); err != nil {
			return err
		}
	}
	return nil
}

// chunk deletes items [start, end) in one transaction.
func (r *batchRun) chunk(ctx context.Context, start, end int) error {
	s, req := r.s, r.req
	var deleted []Deleted
	var skipped []BatchItem
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		deleted, skipped = nil, nil
		if s.dialect == SQLite {
			if err := s.lockOperation(ctx, tx, r.op); err != nil {
				return err
			}
		}
		// Under the batch's row lock: a RecoverOperations that resolves
		// the batch waits for this chunk, and later chunks see it.
		var state []string
		if err := tx.SelectContext(ctx, &state, tx.Rebind(`SELECT state FROM batches WHERE id = ?`+s.dialect.ForUpdate()), r.batchID); err != nil {
			return fmt.Errorf("lock batch %s: %w", r.batchID, err)
		}
		if len(state) == 0 || BatchState(state[0]) != BatchRunning {
			return errBatchStopped
		}
		if err := s.boundLockWait(ctx, tx); err != nil {
			return err
		}
		for i := start; i < end; i++ {
			it := r.items[i]
			d, err := s.deleteTx(ctx, tx, DeleteRequest{ContactID: it.ContactID, Actor: req.Actor, Reason: req.Reason, Note: req.Note,
				ApprovedBy: req.ApprovedBy, RequestID: req.RequestID, ExpectFingerprint: r.preview.Deletes[i].Linked.Fingerprint, RestoreWindow: req.RestoreWindow, batchID: r.batchID})
			switch {
			case errors.Is(err, ErrContactChanged), errors.Is(err, ErrContactGone):
				// deleteTx wrote nothing: it checks before it writes.
				it.State, it.Why = ItemSkipped, "it changed since the preview"
				if errors.Is(err, ErrContactGone) {
					it.Why = "it was deleted or merged meanwhile"
				}
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batch_items SET state = ?, why = ? WHERE batch_id = ? AND seq = ?`),
					it.State, it.Why, it.BatchID, it.Seq); err != nil {
					return fmt.Errorf("mark batch item skipped: %w", err)
				}
				skipped = append(skipped, it)
			case err != nil:
				return err
			default:
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batch_items SET state = ?, deletion_id = ? WHERE batch_id = ? AND seq = ?`),
					ItemDeleted, d.Deletion.ID, it.BatchID, it.Seq); err != nil {
					return fmt.Errorf("mark batch item deleted: %w", err)
				}
				deleted = append(deleted, d)
			}
			if req.Progress != nil {
				req.Progress(i+1, len(r.items)) // chunks run in order
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.out.Deleted = append(r.out.Deleted, deleted...)
	r.out.Skipped = append(r.out.Skipped, skipped...)
	for _, d := range deleted {
		r.out.Suppressed = append(r.out.Suppressed, d.Suppressed...)
	}
	return nil
}

// finish closes the batch in tx: its record, its audit line, its review,
// the operation and the notes.
func (r *batchRun) finish(ctx context.Context, tx *sqlx.Tx) error {
	s, req := r.s, r.req
	now := s.actionTime(time.Time{})
	var totals Counts
	for _, d := range r.out.Deleted {
		totals = addCounts(totals, d.Deletion.Counts)
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET state = ?, finished_at = ? WHERE id = ? AND state = ?`), BatchDone, now, r.batchID, BatchRunning)
	if err != nil {
		return fmt.Errorf("finish batch %s: %w", r.batchID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return fmt.Errorf("finish batch %s: %w", r.batchID, err)
		}
		return errBatchStopped
	}
	if err := setBatchTotals(ctx, tx, r.batchID, len(r.out.Deleted), totals); err != nil {
		return err
	}
	b := &r.out.Batch
	b.State, b.FinishedAt, b.Deleted, b.Skipped = BatchDone, &now, len(r.out.Deleted), len(r.out.Skipped)
	b.Counts, b.ContactLabel = totals, contactsText(len(r.out.Deleted))
	detail := fmt.Sprintf("%s deleted, %s archived", contactsText(len(r.out.Deleted)), rowsText(totals.Total()-1+len(r.out.Deleted)))
	if req.IncludeRisky {
		detail += "; risky contacts included"
	}
	if len(r.out.Skipped) > 0 {
		detail += fmt.Sprintf("; %s skipped (changed since the preview)", contactsText(len(r.out.Skipped)))
	}
	if len(r.out.Suppressed) > 0 {
		detail += "; " + describeSuppressed(r.out.Suppressed)
	}
	if r.out.Audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: performedBy(req.Actor, req.ApprovedBy), Action: AuditBatchDeleted, DeletionID: r.batchID,
		RequestID: req.RequestID, Reason: req.Reason, Outcome: "ok", Detail: detail, At: now, BatchID: r.batchID}); err != nil {
		return err
	}
	if req.Review {
		if r.out.Review, err = s.openReviewTx(ctx, tx, ReviewDelete, r.batchID, req.Actor, now); err != nil {
			return err
		}
	}
	if _, err := s.finishOperationTx(ctx, tx, r.op, OperationDone); err != nil {
		return err
	}
	return notifyOf(ctx, s, tx, req.Notify, r.out)
}

// setBatchTotals writes what a batch deleted onto its own record.
func setBatchTotals(ctx context.Context, tx *sqlx.Tx, batchID string, n int, totals Counts) error {
	js, err := json.Marshal(totals)
	if err != nil {
		return fmt.Errorf("encode counts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deletions SET counts = ?, contact_label = ? WHERE id = ?`), string(js), contactsText(n), batchID); err != nil {
		return fmt.Errorf("record totals of batch %s: %w", batchID, err)
	}
	return nil
}

// contactsText is "1 contact", "37 contacts".
func contactsText(n int) string { return plural(n, "contact", "contacts") }

// resolveBatchTx marks the running batch of an operation whose process died
// or failed interrupted, in tx: the contacts deleted so far stay deleted
// (each with its archive), the others untouched. It returns the batch and
// its items, or nil when the operation has no running batch.
func (s *Store) resolveBatchTx(ctx context.Context, tx *sqlx.Tx, opID string) (*Batch, []BatchItem, error) {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT id FROM batches WHERE operation_id = ? AND state = ?`+s.dialect.ForUpdate()), opID, BatchRunning); err != nil {
		return nil, nil, fmt.Errorf("find batch of operation %s: %w", opID, err)
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	id := ids[0]
	now := s.actionTime(time.Time{})
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET state = ?, finished_at = ? WHERE id = ?`), BatchInterrupted, now, id); err != nil {
		return nil, nil, fmt.Errorf("mark batch %s interrupted: %w", id, err)
	}
	members, err := s.batchMembers(ctx, tx, id, "")
	if err != nil {
		return nil, nil, err
	}
	var totals Counts
	for _, m := range members {
		totals = addCounts(totals, m.Counts)
	}
	if err := setBatchTotals(ctx, tx, id, len(members), totals); err != nil {
		return nil, nil, err
	}
	b, items, err := s.loadBatch(ctx, tx, id, "")
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.auditTx(ctx, tx, AuditEntry{Actor: "system", Action: AuditBatchDeleted, DeletionID: id, RequestID: deref(b.RequestID), Reason: b.Reason,
		Outcome: "interrupted", At: now, BatchID: id,
		Detail: fmt.Sprintf("stopped after %s of %d (the process working on it ended); %s archived; the other %s untouched",
			contactsText(b.Deleted), b.Count, rowsText(totals.Total()-1+len(members)), contactsText(b.Count-b.Deleted-b.Skipped))}); err != nil {
		return nil, nil, err
	}
	return &b, items, nil
}

// batchMembers loads the deletions of a batch's contacts, oldest first;
// lock is "" or a locking clause.
func (s *Store) batchMembers(ctx context.Context, q queryer, batchID, lock string) ([]Deletion, error) {
	var out []Deletion
	if err := sqlx.SelectContext(ctx, q, &out, q.Rebind(`SELECT * FROM deletions WHERE batch_id = ? AND id <> ? ORDER BY deleted_at, id`+lock), batchID, batchID); err != nil {
		return nil, fmt.Errorf("load deletions of batch %s: %w", batchID, err)
	}
	for i := range out {
		if err := out[i].decode(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// batchRow is a batches row.
type batchRow struct {
	ID           string     `db:"id"`
	Filter       string     `db:"filter"`
	IncludeRisky bool       `db:"include_risky"`
	State        BatchState `db:"state"`
	Count        int        `db:"count"`
	Operation    string     `db:"operation_id"`
	FinishedAt   *time.Time `db:"finished_at"`
}

// Batch loads a batch and its contacts, in order.
func (s *Store) Batch(ctx context.Context, id string) (Batch, []BatchItem, error) {
	return s.loadBatch(ctx, s.db, id, "")
}

// loadBatch is Batch on q; lock ("" or a locking clause) locks the batch's
// own deletion record.
func (s *Store) loadBatch(ctx context.Context, q queryer, id, lock string) (Batch, []BatchItem, error) {
	var b Batch
	d, err := loadDeletion(ctx, q, id, lock)
	if err != nil || !d.IsBatch() {
		if err == nil || ErrorCode(err) == ENOTFOUND {
			err = ErrNotBatch
		}
		return b, nil, err
	}
	var row batchRow
	if err := sqlx.GetContext(ctx, q, &row, q.Rebind(`SELECT * FROM batches WHERE id = ?`), id); err != nil {
		return b, nil, fmt.Errorf("load batch %s: %w", id, err)
	}
	b = Batch{Deletion: d, Filter: row.Filter, IncludeRisky: row.IncludeRisky, State: row.State, Count: row.Count, Operation: row.Operation, FinishedAt: row.FinishedAt}
	var items []struct {
		Seq          int            `db:"seq"`
		ContactID    string         `db:"contact_id"`
		ContactLabel string         `db:"contact_label"`
		State        BatchItemState `db:"state"`
		DeletionID   string         `db:"deletion_id"`
		Why          string         `db:"why"`
		Restored     bool           `db:"restored"`
	}
	if err := sqlx.SelectContext(ctx, q, &items, q.Rebind(`SELECT i.seq, i.contact_id, i.contact_label, i.state, coalesce(i.deletion_id, '') AS deletion_id, i.why,
		d.restored_at IS NOT NULL AS restored
		FROM batch_items i LEFT JOIN deletions d ON d.id = i.deletion_id WHERE i.batch_id = ? ORDER BY i.seq`), id); err != nil {
		return b, nil, fmt.Errorf("load contacts of batch %s: %w", id, err)
	}
	out := make([]BatchItem, len(items))
	for i, it := range items {
		out[i] = BatchItem{BatchID: id, Seq: it.Seq, ContactID: it.ContactID, ContactLabel: it.ContactLabel, State: it.State,
			DeletionID: it.DeletionID, Why: it.Why, Restored: it.Restored}
		switch it.State {
		case ItemDeleted:
			b.Deleted++
			if it.Restored {
				b.Restored++
			}
		case ItemSkipped:
			b.Skipped++
		}
	}
	return b, out, nil
}
