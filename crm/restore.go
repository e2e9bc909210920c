package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"contactbot/internal/words"
	"contactbot/outbox"
)

// Restored is the outcome of a restore.
type Restored struct {
	// Deletion is the deletion record. On success RestoredBy and RestoredAt
	// are set; on a refusal (already restored, window closed) it is the record
	// as found, so the caller can say by whom, when, or until when.
	Deletion Deletion
	// Contact is the contact as it was put back.
	Contact Contact
	// Rows is how many rows were put back, the contact included.
	Rows int
	// Duplicates are other contacts that share the restored contact's email or
	// phone digits, typically re-created while it was deleted. Both remain.
	// (After a merge's restore the contact it was merged into is one.)
	Duplicates []ContactRef
	// Original is set for a merge: the contact the duplicate was merged
	// into, with its fields and DND as before the merge.
	Original *Contact
	// Kept names the original's fields or DND channels a merge's restore
	// left as they are, because they changed after the merge.
	Kept []string
	// Audit is the audit line written in the same transaction.
	Audit AuditEntry
	// Incident is the deletion's incident, when Reported.
	Incident Incident
	Reported bool
	// Review is the review opened for the restore (RestoreRequest.Review).
	Review *Review
	// Batch is set when the deletion was a batch's own record: every
	// contact of the batch was restored (Deletion is the batch's record,
	// Rows the rows of all contacts; Contact is empty).
	Batch *BatchRestored
}

// RestoreRequest is who restores which deletion, and what to tell.
type RestoreRequest struct {
	DeletionID string
	Actor      string
	// Progress, when set, hears how many rows are back so far, after each
	// table. It runs inside the transaction: keep it quick.
	Progress func(done, total int)
	// Operation, when set, is the StartOperation this restore finishes.
	Operation string
	// Notify renders the messages that announce the restore (the incident
	// update, DMs), written in its transaction.
	Notify func(Restored) ([]outbox.Note, error)
	// Review, when set, records that the admin restored alone: another
	// admin is to acknowledge it (Restored.Review).
	Review bool
}

// WindowClosed reports whether the deletion can no longer be restored at now:
// its restore window passed or its archive was purged.
func (d Deletion) WindowClosed(now time.Time) bool {
	return d.PurgedAt != nil || now.After(d.RestoreUntil)
}

// timeText writes t for a sentence that has no richer rendering (the bot
// renders times in each reader's own zone instead).
func timeText(t time.Time) string { return t.UTC().Format(words.MinuteLayout) }

// restorable returns why d cannot be restored (or reported) at now, or nil.
func restorable(d Deletion, now time.Time) error {
	if d.Kind == KindErasure {
		return ErrErasureNotRestorable
	}
	if d.RestoredAt != nil {
		by := ""
		if d.RestoredBy != nil {
			by = " by " + *d.RestoredBy
		}
		return Errorf(ECONFLICT, "This deletion was already restored%s at %s. Search for the contact to see it.", by, timeText(*d.RestoredAt))
	}
	if d.WindowClosed(now) {
		return Errorf(EINVALID, "The restore window of this deletion closed at %s: it can no longer be restored.", timeText(d.RestoreUntil))
	}
	return nil
}

// Restore puts every row a deletion archived back where it was, with the same
// ids and column values, in one transaction: the deletion's row lock makes
// concurrent restores take turns, and the second finds it already restored.
// If any archived row's id has been taken since, nothing is restored. The
// archived rows are removed in the same transaction: the data is live again,
// and keeping a second copy of it until the window closes would serve no
// restore (a deletion restores once) and would keep personal data longer.
func (s *Store) Restore(ctx context.Context, deletionID, actor string) (Restored, error) {
	return s.RestoreWith(ctx, RestoreRequest{DeletionID: deletionID, Actor: actor})
}

// RestoreWith is Restore with progress, an operation to finish and the
// messages to write with it.
func (s *Store) RestoreWith(ctx context.Context, r RestoreRequest) (Restored, error) {
	var out Restored
	deletionID, actor, progress := r.DeletionID, r.Actor, r.Progress
	if deletionID == "" || actor == "" {
		return out, precondition("A restore needs a deletion id and who restores it.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		if r.Operation != "" {
			if err := s.lockOperation(ctx, tx, r.Operation); err != nil {
				return err
			}
		}
		if err := s.boundLockWait(ctx, tx); err != nil {
			return err
		}
		d, err := loadDeletion(ctx, tx, deletionID, s.dialect.ForUpdate())
		if err != nil {
			return err
		}
		out.Deletion = d
		now := s.now().UTC()
		if err := restorable(d, now); err != nil {
			return err
		}
		if d.IsBatch() {
			out, err = s.restoreBatchTx(ctx, tx, d, actor, now, progress)
		} else {
			out, err = s.restoreTx(ctx, tx, d, actor, now, progress)
		}
		if err != nil {
			return err
		}
		if r.Review {
			if out.Review, err = s.openReviewTx(ctx, tx, ReviewRestore, d.ID, actor, now); err != nil {
				return err
			}
		}
		err = tx.GetContext(ctx, &out.Incident, tx.Rebind(`SELECT * FROM incidents WHERE deletion_id = ?`), d.ID)
		switch {
		case isNoRows(err):
		case err != nil:
			return fmt.Errorf("load incident of %s: %w", d.ID, err)
		default:
			out.Reported = true
		}
		if r.Operation != "" {
			if _, err := s.finishOperationTx(ctx, tx, r.Operation, OperationDone); err != nil {
				return err
			}
		}
		return notifyOf(ctx, s, tx, r.Notify, out)
	})
	if err == nil && r.Operation != "" {
		// A failed operation stays this process's until FinishOperation.
		s.operationEnded(r.Operation)
	}
	if isLockTimeout(err) {
		err = ErrLockTimeout
	}
	return out, err
}

// restoreTx puts back one deletion's rows in tx (restorable checked), with
// its audit line: RestoreWith's work, and that of each contact of a batch.
func (s *Store) restoreTx(ctx context.Context, tx *sqlx.Tx, d Deletion, actor string, now time.Time, progress func(done, total int)) (Restored, error) {
	out := Restored{Deletion: d}
	err := func() error {
		c, err := archivedContact(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		var archived int
		if err := tx.GetContext(ctx, &archived, tx.Rebind(`SELECT count(*) FROM archived_rows WHERE deletion_id = ?`), d.ID); err != nil {
			return fmt.Errorf("count archived rows of %s: %w", d.ID, err)
		}
		total := archived
		if d.Kind == KindMerge {
			total = d.Counts.Total()
		}
		report := func(done int) {
			if progress != nil {
				progress(done, total)
			}
		}
		var n int
		if d.Kind == KindMerge {
			var orig Contact
			if n, orig, out.Kept, err = s.restoreMergeTx(ctx, tx, d, c, report); err != nil {
				return err
			}
			out.Original = &orig
		} else {
			// The archived DND rows come back as they were: the suppression
			// triggers must not re-apply the contact's own opt-out first.
			if err := skipReapply(ctx, tx, c.ID); err != nil {
				return err
			}
			if n, err = putBack(ctx, tx, d.ID, c.ID, report); err != nil {
				return err
			}
			if err := resumeReapply(ctx, tx, c.ID); err != nil {
				return err
			}
			if n != archived {
				return fmt.Errorf("restored %d rows of deletion %s but %d are archived: rolled back", n, d.ID, archived)
			}
		}
		if n != d.Counts.Total() {
			// Every archived (and moved) row goes back or none does.
			return fmt.Errorf("restored %d rows of deletion %s but %d were deleted: rolled back", n, d.ID, d.Counts.Total())
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM archived_rows WHERE deletion_id = ?`), d.ID); err != nil {
			return fmt.Errorf("drop archive of %s: %w", d.ID, err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deletions SET restored_by = ?, restored_at = ? WHERE id = ?`), actor, now, d.ID); err != nil {
			return fmt.Errorf("mark %s restored: %w", d.ID, err)
		}
		out.Deletion.RestoredBy, out.Deletion.RestoredAt = &actor, &now
		out.Contact, out.Rows = c, n
		if out.Duplicates, err = s.duplicatesIn(ctx, tx, c); err != nil {
			return err
		}
		if out.Original != nil {
			// The contact it was merged into shares its email or phone, of
			// course: that is not news.
			out.Duplicates = slices.DeleteFunc(out.Duplicates, func(r ContactRef) bool { return r.ID == out.Original.ID })
		}
		detail := rowsText(n) + " restored"
		if out.Original != nil {
			detail = fmt.Sprintf("merge into %s undone: %s back with the duplicate; its fields and DND as before the merge", out.Original.ID, rowsText(n))
			if len(out.Kept) > 0 {
				detail += " except " + strings.Join(out.Kept, ", ") + " (changed since)"
			}
		}
		// The contact carries its own DND again: the entries its delete
		// kept are no longer needed.
		unsuppressed, err := unsuppressTx(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		if unsuppressed > 0 {
			detail += fmt.Sprintf("; %s removed from the suppression list", plural(unsuppressed, "entry", "entries"))
		}
		for _, dup := range out.Duplicates {
			detail += "; possible duplicate " + dup.ID
		}
		if d.BatchID != "" {
			detail += "; batch " + d.BatchID
		}
		out.Audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: actor, Action: AuditRestored, ContactID: c.ID, DeletionID: d.ID, BatchID: d.BatchID,
			RequestID: deref(d.RequestID), Reason: d.Reason, Outcome: "ok", Detail: detail, At: now})
		if err != nil {
			return err
		}
		return nil
	}()
	return out, err
}

// queryer is a *sqlx.DB or a *sqlx.Tx.
type queryer interface {
	sqlx.QueryerContext
	Rebind(string) string
	driverNamer
}

// loadDeletion reads one deletion on tx (a transaction or the pool); lock is
// "" or a locking clause.
func loadDeletion(ctx context.Context, tx queryer, id, lock string) (Deletion, error) {
	var d Deletion
	err := sqlx.GetContext(ctx, tx, &d, tx.Rebind(`SELECT * FROM deletions WHERE id = ?`+lock), id)
	if isNoRows(err) {
		return d, Errorf(ENOTFOUND, "There is no deletion with id %s. Check the id in the delete summary.", id)
	}
	if err != nil {
		return d, fmt.Errorf("load deletion %s: %w", id, err)
	}
	return d, d.decode()
}

// archivedContact reads the contact a deletion archived, as a Contact.
func archivedContact(ctx context.Context, q queryer, deletionID string) (Contact, error) {
	if dialectOf(q) == SQLite {
		return archivedContactSQLite(ctx, q, deletionID)
	}
	var c Contact
	err := sqlx.GetContext(ctx, q, &c, q.Rebind(`SELECT `+contactColumns+`
		FROM archived_rows a, jsonb_populate_record(CAST(NULL AS contacts), a.data) c
		WHERE a.deletion_id = ? AND a.table_name = 'contacts'`), deletionID)
	if isNoRows(err) {
		return c, Errorf(ENOTFOUND, "The archive of deletion %s is gone, so it can no longer be restored.", deletionID)
	}
	if err != nil {
		return c, fmt.Errorf("load archived contact of %s: %w", deletionID, err)
	}
	return c, nil
}

// putBack inserts a deletion's archived rows into their tables, parents
// first, set-based: each table's rows go back in one INSERT … SELECT that
// rebuilds the typed row from its JSON. It tells progress the running total
// after each table and returns how many rows it inserted.
func putBack(ctx context.Context, tx *sqlx.Tx, deletionID, contactID string, progress func(done int)) (int, error) {
	total := 0
	for _, t := range archivedTables {
		if id, err := takenID(ctx, tx, t.Name, t.RowID, deletionID, contactID); err != nil {
			return total, err
		} else if id != "" {
			return total, errIDTaken(t.Name, id)
		}
		q, err := putBackQuery(ctx, tx, t.Name)
		if err != nil {
			return total, err
		}
		res, err := tx.ExecContext(ctx, q, deletionID, t.Name)
		if isUniqueViolation(err) {
			// Taken between the check and the insert: still whole or nothing.
			return total, errIDTaken(t.Name, "")
		}
		if err != nil {
			return total, fmt.Errorf("restore %s of deletion %s: %w", t.Name, deletionID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("restore %s: %w", t.Name, err)
		}
		total += int(n)
		progress(total)
	}
	return total, nil
}

// putBackQuery is the INSERT … SELECT that puts back one table's archived
// rows of a deletion (parameters: deletion id, table name). table comes from
// archivedTables, never from input.
func putBackQuery(ctx context.Context, tx *sqlx.Tx, table string) (string, error) {
	if dialectOf(tx) == SQLite {
		cols, exprs, err := SQLiteRowFromJSON(ctx, tx, table, "a.data")
		if err != nil {
			return "", err
		}
		return `INSERT INTO ` + table + ` (` + cols + `) SELECT ` + exprs + `
			FROM archived_rows a WHERE a.deletion_id = ? AND a.table_name = ? ORDER BY a.seq`, nil
	}
	// Column order is the table's own on both sides: SELECT r.* of a row of that type.
	return tx.Rebind(`INSERT INTO ` + table + ` SELECT r.*
			FROM archived_rows a, jsonb_populate_record(CAST(NULL AS ` + table + `), a.data) r
			WHERE a.deletion_id = ? AND a.table_name = ? ORDER BY a.seq`), nil
}

// takenID returns the id of an archived row of table whose key is in use
// again, or "". rowID is the key column as archivedTables names it ("t.id").
func takenID(ctx context.Context, tx *sqlx.Tx, table, rowID, deletionID, contactID string) (string, error) {
	match := rowID + " = a.row_id"
	args := []any{deletionID, table}
	if table == "dnd_settings" { // keyed by (contact_id, channel)
		match += " AND t.contact_id = ?"
		args = append(args, contactID)
	}
	var ids []string
	err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT a.row_id FROM archived_rows a
		WHERE a.deletion_id = ? AND a.table_name = ? AND EXISTS (SELECT 1 FROM `+table+` t WHERE `+match+`)
		ORDER BY a.seq LIMIT 1`), args...)
	if err != nil {
		return "", fmt.Errorf("check %s ids of deletion %s: %w", table, deletionID, err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

func errIDTaken(table, id string) *Error {
	what := "one of its rows"
	if id != "" {
		what = "id " + id
	}
	return Errorf(ECONFLICT, "Nothing was restored: the table %s already has a row with %s, which this deletion needs to put back. "+
		"A restore puts back every row or none. Tell the developers: the archive is kept and the restore can be retried once the id is free.", table, what)
}

// isUniqueViolation reports whether err is a unique-key violation:
// SQLSTATE 23505 on PostgreSQL, SQLITE_CONSTRAINT_UNIQUE or
// SQLITE_CONSTRAINT_PRIMARYKEY on SQLite.
func isUniqueViolation(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		return st.SQLState() == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// purgeBatch bounds how many deletions one purge transaction takes, so a
// long backlog never holds locks for long.
const purgeBatch = 100

// Purge ends the restore window of every deletion whose window has passed and
// was not restored: it deletes their archived rows, blanks the contact's
// details kept on the deletion (label and note), and records when. The
// deletion record (ids, who, when, reason, counts) and its audit trail stay.
// Replicas purging at once each claim different deletions (SKIP LOCKED), and a
// deletion being restored is skipped until the restore commits. It returns
// how many deletions it purged.
func (s *Store) Purge(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.purgeOnce(ctx)
		total += n
		if err != nil || n < purgeBatch {
			return total, err
		}
	}
}

// purgeOnce purges up to purgeBatch deletions in one transaction.
func (s *Store) purgeOnce(ctx context.Context) (int, error) {
	n := 0
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now().UTC()
		var claimed []struct {
			ID        string `db:"id"`
			ContactID string `db:"contact_id"`
		}
		// The claim and the blanking are one statement. On PostgreSQL SKIP
		// LOCKED leaves deletions another replica or a restore holds; on
		// SQLite this transaction is the only writer.
		if err := tx.SelectContext(ctx, &claimed, tx.Rebind(`UPDATE deletions SET purged_at = ?, contact_label = '', note = ''
			WHERE id IN (SELECT id FROM deletions
				WHERE purged_at IS NULL AND restored_at IS NULL AND restore_until < ?
				ORDER BY restore_until, id LIMIT ?`+s.dialect.ForUpdateSkipLocked()+`)
			RETURNING id, contact_id`), now, now, purgeBatch); err != nil {
			return fmt.Errorf("claim expired deletions: %w", err)
		}
		for _, d := range claimed {
			res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM archived_rows WHERE deletion_id = ?`), d.ID)
			if err != nil {
				return fmt.Errorf("purge archive of %s: %w", d.ID, err)
			}
			rows, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("purge archive of %s: %w", d.ID, err)
			}
			// A batch's own record keeps its contacts' names for its summary.
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batch_items SET contact_label = '' WHERE batch_id = ?`), d.ID); err != nil {
				return fmt.Errorf("purge names of batch %s: %w", d.ID, err)
			}
			// A merge's record of what moved, and the original's old fields.
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM merge_moves WHERE deletion_id = ?`), d.ID); err != nil {
				return fmt.Errorf("purge moves of %s: %w", d.ID, err)
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE merges SET original_before = '{}', original_after = '{}' WHERE deletion_id = ?`), d.ID); err != nil {
				return fmt.Errorf("purge merge record of %s: %w", d.ID, err)
			}
			if _, err := s.auditTx(ctx, tx, AuditEntry{Actor: "system", Action: AuditPurged, ContactID: d.ContactID, DeletionID: d.ID,
				Outcome: "ok", Detail: "restore window closed; the archive (" + rowsText(int(rows)) + ") and the contact's details removed", At: now}); err != nil {
				return err
			}
		}
		n = len(claimed)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
