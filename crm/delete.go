package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// ErrContactChanged is returned when the contact or its linked items changed
// after the person deciding on the delete looked at them.
var ErrContactChanged = &Error{Code: ECONFLICT, Message: "This contact changed since you opened it (new or changed conversations, notes, opportunities, tasks, appointments, workflows or DND). Nothing was deleted: search again and check it before deleting."}

// archivedTables are the tables a delete empties for one contact, parents
// first: the order a restore inserts in. A delete removes them in reverse.
var archivedTables = []archivedTable{
	{"contacts", "t.id = ?", "t.id"},
	{"dnd_settings", "t.contact_id = ?", "t.channel"},
	{"conversations", "t.contact_id = ?", "t.id"},
	{"messages", "t.conversation_id IN (SELECT id FROM conversations WHERE contact_id = ?)", "t.id"},
	{"notes", "t.contact_id = ?", "t.id"},
	{"opportunities", "t.contact_id = ?", "t.id"},
	{"tasks", "t.contact_id = ?", "t.id"},
	{"appointments", "t.contact_id = ?", "t.id"},
	{"workflow_enrollments", "t.contact_id = ?", "t.id"},
}

// archivedTable is one table of a contact's rows: those of Name (alias t)
// where Where holds for the contact id (its one parameter), each keyed by
// RowID.
type archivedTable struct {
	Name, Where, RowID string
}

// from is the FROM clause of the contact's rows.
func (t archivedTable) from() string { return t.Name + " AS t WHERE " + t.Where }

// DeleteRequest is who deletes which contact, why, and on what they saw.
type DeleteRequest struct {
	ContactID string
	Actor     string // Slack user id of who deleted (or requested, when approved: the audit entry names the approver)
	Reason    string
	Note      string
	// ApprovedBy and RequestID are set when an admin approved the delete.
	ApprovedBy string
	RequestID  string
	// ExpectFingerprint, when set, must equal the contact's current
	// Linked.Fingerprint or nothing is deleted (ErrContactChanged).
	ExpectFingerprint string
	RestoreWindow     time.Duration
	// Progress, when set, hears how many of the rows have been archived so
	// far: (0, total) once the contact is locked and counted, then after
	// each table. It runs inside the transaction: keep it quick.
	Progress func(done, total int)
	// Operation, when set, is the StartOperation this delete finishes: its
	// row is held while the delete runs and marked done when it commits.
	Operation string
	// Notify renders the messages that announce the delete (the deleter's
	// summary), written in its transaction.
	Notify func(Deleted) ([]outbox.Note, error)
	// Review, when set, records that an admin deleted alone: another admin
	// is to acknowledge it (Deleted.Review).
	Review bool
	// Via, when set, says where the delete started (a message shortcut on a
	// Slack message); its audit line mentions it.
	Via string
	// at, when set, is the time of the approval this is done for: the
	// approval and what it does are one moment of the audit trail.
	at time.Time
	// batchID, when set, is the batch this delete is one contact of.
	batchID string
}

// ErrLockTimeout is returned when another change held the contact (or the
// deletion) longer than LockWait: nothing was changed.
var ErrLockTimeout = &Error{Code: ECONFLICT, Message: "Another change to this contact took too long to finish, so nothing was changed. Try again in a minute."}

// LockWait bounds how long a delete, merge, erasure or restore waits for
// another change to the same contact to finish.
const LockWait = 30 * time.Second

// Deleted is the outcome of an archived delete.
type Deleted struct {
	Deletion Deletion
	Contact  Contact
	// Merge is set when the contact was merged into another rather than
	// deleted: what moved onto the contact that stays.
	Merge *MergeOutcome
	// Suppressed are the suppression entries that keep the contact's
	// opt-out (none when it had no DND).
	Suppressed []Suppression
	// Audit is the audit line written in the same transaction.
	Audit AuditEntry
	// Review is the review opened for an admin's delete alone (DeleteRequest.Review).
	Review *Review
}

// Delete archives and removes a contact with every linked row, in one
// transaction: each table's rows are deleted and archived by the same
// statement (DELETE … RETURNING), so the archive holds exactly what went.
// Of two concurrent deletes of one contact, the first takes the contact's row
// lock and the second then finds it gone (ErrContactGone).
func (s *Store) Delete(ctx context.Context, req DeleteRequest) (Deleted, error) {
	var out Deleted
	if req.ContactID == "" || req.Actor == "" || req.Reason == "" {
		return out, precondition("A delete needs a contact, who deletes it, and a reason.")
	}
	if req.RestoreWindow <= 0 {
		return out, precondition("A delete needs a restore window.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		if req.Operation != "" {
			if err := s.lockOperation(ctx, tx, req.Operation); err != nil {
				return err
			}
		}
		if err := s.boundLockWait(ctx, tx); err != nil {
			return err
		}
		var err error
		if out, err = s.deleteTx(ctx, tx, req); err != nil {
			return err
		}
		if req.Operation != "" {
			if _, err := s.finishOperationTx(ctx, tx, req.Operation, OperationDone); err != nil {
				return err
			}
		}
		return notifyOf(ctx, s, tx, req.Notify, out)
	})
	if err == nil && req.Operation != "" {
		// A failed operation stays this process's until FinishOperation.
		s.operationEnded(req.Operation)
	}
	if isLockTimeout(err) {
		err = ErrLockTimeout
	}
	return out, err
}

// actionTime is the time an action is recorded at: at (an approval's time)
// when set, else now; in whole microseconds, as PostgreSQL keeps them.
func (s *Store) actionTime(at time.Time) time.Time {
	if at.IsZero() {
		at = s.now()
	}
	return at.UTC().Truncate(time.Microsecond)
}

// deleteTx is Delete inside tx, so that an approval can decide and delete in
// one transaction.
func (s *Store) deleteTx(ctx context.Context, tx *sqlx.Tx, req DeleteRequest) (Deleted, error) {
	var out Deleted
	err := func() error {
		c, l, err := s.linked(ctx, tx, req.ContactID, true)
		if err != nil {
			return err
		}
		if req.Progress != nil {
			req.Progress(0, l.Counts.Total())
		}
		if req.ExpectFingerprint != "" && req.ExpectFingerprint != l.Fingerprint {
			return ErrContactChanged
		}
		// Whole microseconds, as PostgreSQL keeps them: the dates the caller
		// shows must be the dates stored (suppression entries carry it too).
		now := s.actionTime(req.at)
		d := Deletion{
			ID:           NewID("D", 10),
			Kind:         KindDelete,
			ContactID:    c.ID,
			ContactLabel: c.Name(),
			DeletedBy:    req.Actor,
			ApprovedBy:   nullable(req.ApprovedBy),
			RequestID:    nullable(req.RequestID),
			Reason:       req.Reason,
			Note:         req.Note,
			Counts:       l.Counts,
			DeletedAt:    now,
			RestoreUntil: now.Add(req.RestoreWindow),
			BatchID:      req.batchID,
		}
		if err := recordDeletion(ctx, tx, &d); err != nil {
			return err
		}
		progress := func(done int) {
			if req.Progress != nil {
				req.Progress(done, l.Counts.Total())
			}
		}
		removed, err := archiveAndDelete(ctx, tx, d.ID, c.ID, progress)
		if err != nil {
			return err
		}
		if removed != l.Counts.Total() {
			// The row locks make this impossible; if it happens, keep everything.
			return fmt.Errorf("archived %d rows of contact %s but counted %d: rolled back", removed, c.ID, l.Counts.Total())
		}
		out = Deleted{Deletion: d, Contact: c}
		detail := rowsText(removed) + " archived"
		if req.batchID != "" {
			detail += "; batch " + req.batchID
		}
		if o, ok := optOutOf(c, l); ok {
			if out.Suppressed, err = s.suppressTx(ctx, tx, c, o, SuppressionDeleted, d.ID, req.Actor, now); err != nil {
				return err
			}
			detail += "; " + describeSuppressed(out.Suppressed)
		}
		out.Audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: performedBy(req.Actor, req.ApprovedBy), Action: AuditDeleted, ContactID: c.ID, DeletionID: d.ID,
			RequestID: req.RequestID, Reason: req.Reason, Outcome: "ok", Detail: withVia(detail, req.Via), At: now, BatchID: req.batchID})
		if err != nil || !req.Review {
			return err
		}
		out.Review, err = s.openReviewTx(ctx, tx, ReviewDelete, d.ID, req.Actor, now)
		return err
	}()
	return out, err
}

// recordDeletion inserts a deletion record, its counts encoded.
func recordDeletion(ctx context.Context, tx *sqlx.Tx, d *Deletion) error {
	var err error
	if d.CountsJSON, err = json.Marshal(d.Counts); err != nil {
		return fmt.Errorf("encode counts: %w", err)
	}
	if _, err := tx.NamedExecContext(ctx, `INSERT INTO deletions
		(id, kind, contact_id, contact_label, deleted_by, approved_by, request_id, reason, note, counts, deleted_at, restore_until, purged_at, batch_id)
		VALUES (:id, :kind, :contact_id, :contact_label, :deleted_by, :approved_by, :request_id, :reason, :note, :counts, :deleted_at, :restore_until, :purged_at, :batch_id)`, d); err != nil {
		return fmt.Errorf("record deletion: %w", err)
	}
	return nil
}

// archiveAndDelete removes the contact's rows table by table, children first,
// archiving each removed row whole, and tells progress the running total
// after each table. It returns how many rows it removed.
func archiveAndDelete(ctx context.Context, tx *sqlx.Tx, deletionID, contactID string, progress func(done int)) (int, error) {
	if dialectOf(tx) == SQLite {
		return archiveAndDeleteSQLite(ctx, tx, deletionID, contactID, progress)
	}
	total := 0
	for i := len(archivedTables) - 1; i >= 0; i-- {
		t := archivedTables[i]
		q := `WITH gone AS (DELETE FROM ` + t.from() + ` RETURNING t.*)
			INSERT INTO archived_rows (deletion_id, table_name, row_id, data)
			SELECT ?, '` + t.Name + `', ` + strings.Replace(t.RowID, "t.", "gone.", 1) + `, to_jsonb(gone) FROM gone ORDER BY 3`
		res, err := tx.ExecContext(ctx, tx.Rebind(q), contactID, deletionID)
		if err != nil {
			return total, fmt.Errorf("archive and delete %s of contact %s: %w", t.Name, contactID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("archive %s: %w", t.Name, err)
		}
		total += int(n)
		progress(total)
	}
	return total, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Deletion loads one deletion record by id.
func (s *Store) Deletion(ctx context.Context, id string) (Deletion, error) {
	return loadDeletion(ctx, s.db, id, "")
}
