package crm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// batchRequestKey is what a batch request keeps as its contact_id: one
// pending request per filter (a second person asking is pointed to the
// first), without the filter's text (it may hold an address) in the audit
// lines that name the request's contact.
func batchRequestKey(f BatchFilter) string {
	h := sha256.Sum256([]byte(f.String()))
	return "batch:" + hex.EncodeToString(h[:8])
}

// RequestBatchApproval records a pending request to delete a batch, after
// checking the preview is the one the requester confirmed (*BatchChanged,
// ErrBatchCount). Its Approval has Kind() KindBatch, ContactLabel "37
// contacts", Fingerprint the preview's, Counts the totals and Summary.Batch
// what the approvals message shows. A pending request for the same filter
// is returned with ErrAlreadyRequested.
func (s *Store) RequestBatchApproval(ctx context.Context, r NewBatchApproval) (Approval, AuditEntry, error) {
	var a Approval
	var audit AuditEntry
	if r.Requester == "" || r.Reason == "" || r.Fingerprint == "" || r.TTL <= 0 {
		return a, audit, precondition("A batch request needs who asks, a reason, what they saw and how long it stays open.")
	}
	if r.Limit <= 0 {
		r.Limit = DefaultBulkLimit
	}
	p, err := s.confirmedPreview(ctx, r.Filter, BatchOptions{Limit: r.Limit, IncludeRisky: r.IncludeRisky}, r.Fingerprint, r.ExpectCount)
	if err != nil {
		return a, audit, err
	}
	err = s.withTx(ctx, func(tx *sqlx.Tx) error {
		key := batchRequestKey(r.Filter)
		var err error
		if a, err = s.mayRequestTx(ctx, tx, key, r.Requester, r.RequestLimit); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		sum := &BatchSummary{Filter: r.Filter.String(), IncludeRisky: r.IncludeRisky, Limit: r.Limit, Count: p.Count(), Kept: len(p.Kept),
			Totals: p.Totals, OptedOut: p.OptedOut}
		for _, b := range p.Deletes[:min(BatchShown, len(p.Deletes))] {
			sum.First = append(sum.First, BatchShownAs{ContactID: b.Contact.ID, Label: b.Contact.Name(), Counts: b.Linked.Counts, Risks: b.Risks})
		}
		a = Approval{ID: NewID("R", 10), ContactID: key, ContactLabel: contactsText(p.Count()), Requester: r.Requester, Reason: r.Reason,
			Note: r.Note, Fingerprint: p.Fingerprint, Counts: p.Totals, Summary: Summary{Kind: KindBatch, DND: []string{}, Batch: sum},
			State: ApprovalPending, CreatedAt: now, ExpiresAt: now.Add(r.TTL), RemindAt: now.Add(r.TTL / 2), ApprovalsNeeded: 1}
		if err := s.insertApprovalTx(ctx, tx, &a); err != nil {
			return err
		}
		audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: r.Requester, Action: AuditDeleteRequested, ContactID: a.ContactID, RequestID: a.ID, RequestKind: KindBatch,
			Reason: r.Reason, Outcome: "pending", Detail: "batch of " + a.ContactLabel + "; expires " + a.ExpiresAt.Format(time.RFC3339), At: now})
		if err != nil {
			return err
		}
		return notifyOf(ctx, s, tx, r.Notify, a)
	})
	if err != nil && !errors.Is(err, ErrAlreadyRequested) {
		return Approval{}, AuditEntry{}, err
	}
	return a, audit, err
}

// approveBatch is Approve of a batch request: the admin's typed count must
// be the count; a preview that changed since the request (or since
// d.ExpectFingerprint) is reported (Changed, BatchPreview) and nothing is
// done; else the request is decided in the transaction that records the
// batch, and the batch runs as DeleteBatch (the requester deletes, the
// admin approves).
func (s *Store) approveBatch(ctx context.Context, d Decision, a Approval) (ApproveResult, error) {
	res := ApproveResult{Approval: a}
	if err := s.decidable(a, d.Admin, s.now().UTC()); err != nil {
		return res, err
	}
	sum := a.Summary.Batch
	if sum == nil {
		return res, precondition("A batch request without its batch.")
	}
	f, err := ParseBatchFilter(sum.Filter)
	if err != nil {
		return res, err
	}
	expect := d.ExpectFingerprint
	if expect == "" {
		expect = a.Fingerprint
	}
	// runBatch previews the batch and checks it against what the admin
	// confirmed (*BatchChanged, ErrBatchCount, ErrBatchEmpty) before decide
	// runs: the count in decide's audit line is the preview's.
	var decided Approval
	var audits []AuditEntry
	decide := func(ctx context.Context, tx *sqlx.Tx, batchID string, now time.Time) error {
		locked, err := s.lockApproval(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if err := s.decidable(locked, d.Admin, now); err != nil {
			decided = locked
			return err
		}
		if decided, err = s.finish(ctx, tx, a.ID, ApprovalApproved, d.Admin, now, `, deletion_id = ?`, batchID); err != nil {
			return err
		}
		e, err := s.auditTx(ctx, tx, AuditEntry{Actor: d.Admin, Action: AuditApproved, DeletionID: batchID, BatchID: batchID, RequestID: a.ID,
			RequestKind: KindBatch, Reason: a.Reason, Outcome: "deleted", Detail: "requested by " + a.Requester + "; batch of " + contactsText(d.ExpectCount), At: now})
		audits = append(audits, e)
		return err
	}
	req := BatchRequest{Filter: f, IncludeRisky: sum.IncludeRisky, Limit: sum.Limit, ExpectCount: d.ExpectCount, ExpectFingerprint: expect,
		Actor: a.Requester, ApprovedBy: d.Admin, RequestID: a.ID, Reason: a.Reason, Note: a.Note, RestoreWindow: d.RestoreWindow,
		Operation: d.Operation, Progress: d.Progress,
		Notify: func(bd BatchDeleted) ([]outbox.Note, error) {
			var notes []outbox.Note
			if d.BatchNotify != nil {
				n, err := d.BatchNotify(bd)
				if err != nil {
					return nil, err
				}
				notes = append(notes, n...)
			}
			if d.Notify != nil {
				r := ApproveResult{Approval: decided, Batch: &bd, Audit: append(append([]AuditEntry(nil), audits...), bd.Audit)}
				n, err := d.Notify(r)
				if err != nil {
					return nil, err
				}
				notes = append(notes, n...)
			}
			return notes, nil
		}}
	out, err := s.runBatch(ctx, req, decide)
	var changed *BatchChanged
	switch {
	case errors.As(err, &changed):
		res.Changed, res.BatchPreview, res.Fingerprint = true, &changed.Preview, changed.Preview.Fingerprint
		return res, nil
	case err != nil:
		if decided.ID != "" {
			res.Approval = decided
		}
		return res, err
	}
	res.Approval, res.Batch, res.Audit = decided, &out, append(audits, out.Audit)
	return res, nil
}

// scrubBatchNames erases a contact's name where batches keep it: their
// items, and the first contacts a batch request shows.
func scrubBatchNames(ctx context.Context, tx *sqlx.Tx, contactID string) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batch_items SET contact_label = '`+ErasedText+`' WHERE contact_id = ? AND contact_label <> ''`), contactID); err != nil {
		return fmt.Errorf("erase batch items of contact %s: %w", contactID, err)
	}
	key, err := json.Marshal(contactID)
	if err != nil {
		return fmt.Errorf("encode contact id: %w", err)
	}
	summary := "summary"
	if dialectOf(tx) == Postgres {
		summary = "CAST(summary AS text)" // jsonb's text has a space after each colon
	}
	var rows []struct {
		ID      string `db:"id"`
		Summary []byte `db:"summary"`
	}
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT id, summary FROM approval_requests WHERE contact_id LIKE 'batch:%' AND `+
		summary+` LIKE ?`), "%"+string(key)+"%"); err != nil {
		return fmt.Errorf("find batch requests of contact %s: %w", contactID, err)
	}
	for _, r := range rows {
		var sum Summary
		if err := json.Unmarshal(r.Summary, &sum); err != nil {
			return fmt.Errorf("decode summary of request %s: %w", r.ID, err)
		}
		if sum.Batch == nil {
			continue
		}
		for i := range sum.Batch.First {
			if sum.Batch.First[i].ContactID == contactID {
				sum.Batch.First[i].Label = ErasedText
			}
		}
		js, err := json.Marshal(sum)
		if err != nil {
			return fmt.Errorf("encode summary of request %s: %w", r.ID, err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE approval_requests SET summary = ? WHERE id = ?`), string(js), r.ID); err != nil {
			return fmt.Errorf("erase contact %s from request %s: %w", contactID, r.ID, err)
		}
	}
	return nil
}
