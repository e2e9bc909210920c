package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/internal/words"
	"contactbot/outbox"
)

// An erasure's suppression entries keep its promise that the person is
// never messaged again, so removing one needs two admins: the first one's
// Remove files a removal request, and a different admin approves it. Any
// other entry one admin removes, and another admin reviews it afterwards
// (a review of kind ReviewSuppressionRemoval), as a direct delete.

// RemovalState is where a suppression removal request is in its life. The
// database keeps it as its text ("pending", "approved", "gone").
type RemovalState string

// Suppression removal request states.
const (
	RemovalPending  RemovalState = "pending"
	RemovalApproved RemovalState = "approved"
	// RemovalGone is a request whose entry was no longer there when approved.
	RemovalGone RemovalState = "gone"
)

// AuditSuppressionRemovalRequested is an admin asking to remove an entry a
// privacy erasure wrote.
const AuditSuppressionRemovalRequested = "suppression_removal_requested"

// Errors of suppression removals.
var (
	ErrNoSuppressionRemoval    = &Error{Code: ENOTFOUND, Message: "There is no such suppression removal request. It may be from another workspace or an older version of contactbot. Nothing was removed."}
	ErrOwnSuppressionRemoval   = &Error{Code: EINVALID, Message: "You asked for this removal, so another admin must approve it. Nothing was removed."}
	ErrSuppressionRemovalDone  = &Error{Code: ECONFLICT, Message: "This removal request has already been decided. Nothing more to do."}
	ErrSuppressionRemovalAsked = &Error{Code: ECONFLICT, Message: "A removal of this entry is already waiting for a second admin in the approvals channel. Nothing more to do."}
)

// SuppressionRemoval is a request to remove an entry a privacy erasure
// wrote, waiting for a second admin.
type SuppressionRemoval struct {
	ID            string       `db:"id"`
	SuppressionID string       `db:"suppression_id"`
	EntryKind     string       `db:"entry_kind"`
	DeletionID    string       `db:"deletion_id"`
	ContactID     string       `db:"contact_id"`
	Requester     string       `db:"requester"`
	State         RemovalState `db:"state"`
	CreatedAt     time.Time    `db:"created_at"`
	DecidedBy     string       `db:"decided_by"`
	DecidedAt     *time.Time   `db:"decided_at"`
}

const suppressionRemovalColumns = `id, suppression_id, entry_kind, deletion_id, contact_id, requester, state, created_at,
	coalesce(decided_by, '') AS decided_by, decided_at`

// SuppressionRemoved is what a Remove (or the approval of a removal) did.
type SuppressionRemoved struct {
	// Entry is the entry as it was.
	Entry Suppression
	// Removed is set when the entry is off the list.
	Removed bool
	// Request is the removal request filed instead (an erasure's entry) or
	// approved.
	Request *SuppressionRemoval
	// Review is the review opened for a removal one admin did alone.
	Review *Review
	// Audit is the line written.
	Audit AuditEntry
}

// RemoveSuppression is an admin's Remove of one entry. An entry a privacy
// erasure wrote stays: a removal request is filed for a second admin
// (ErrSuppressionRemovalAsked when one is waiting already, returned with
// it). Any other entry is removed, and a review opened for another admin.
// Both write their audit line and notify's messages in the transaction.
func (s *Store) RemoveSuppression(ctx context.Context, id, actor string, notify func(SuppressionRemoved) ([]outbox.Note, error)) (SuppressionRemoved, error) {
	var res SuppressionRemoved
	if id == "" || actor == "" {
		return res, precondition("Removing a suppression entry needs its id and who removes it.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		e, err := s.lockSuppression(ctx, tx, id)
		res.Entry = e
		if err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if e.Source == SuppressionErased {
			waiting, err := selectSuppressionRemovals(ctx, tx, `WHERE suppression_id = ? AND state = ?`, e.ID, RemovalPending)
			if err != nil {
				return err
			}
			if len(waiting) > 0 {
				res.Request = &waiting[0]
				return ErrSuppressionRemovalAsked
			}
			r := SuppressionRemoval{ID: NewID("Q", 10), SuppressionID: e.ID, EntryKind: e.Kind, DeletionID: e.DeletionID, ContactID: e.ContactID,
				Requester: actor, State: RemovalPending, CreatedAt: now}
			_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO suppression_removals (id, suppression_id, entry_kind, deletion_id, contact_id, requester, state, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), r.ID, r.SuppressionID, r.EntryKind, r.DeletionID, r.ContactID, r.Requester, r.State, r.CreatedAt)
			if err != nil {
				return fmt.Errorf("request removal of suppression entry %s: %w", e.ID, err)
			}
			res.Request = &r
			if res.Audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: actor, Action: AuditSuppressionRemovalRequested, ContactID: e.ContactID, DeletionID: e.DeletionID,
				Outcome: "waiting for a second admin", Detail: fmt.Sprintf("%s entry %s (%s); removal request %s", e.Kind, e.ID, e.Source, r.ID), At: now}); err != nil {
				return err
			}
			return notifyOf(ctx, s, tx, notify, res)
		}
		if res.Audit, err = s.removeSuppressionTx(ctx, tx, e, actor, "", now); err != nil {
			return err
		}
		res.Removed = true
		if e.DeletionID != "" {
			if res.Review, err = s.openEntryReviewTx(ctx, tx, Review{Kind: ReviewSuppressionRemoval, DeletionID: e.DeletionID, Actor: actor,
				EntryID: e.ID, EntryKind: e.Kind}, now); err != nil {
				return err
			}
		}
		return notifyOf(ctx, s, tx, notify, res)
	})
	if err != nil && res.Request == nil {
		res = SuppressionRemoved{Entry: res.Entry}
	}
	return res, err
}

// ApproveSuppressionRemoval is a second admin's approval of a removal
// request: the entry is removed, audited, under the request's row lock, so
// that of concurrent approvals one removes and the others get
// ErrSuppressionRemovalDone. The requester gets ErrOwnSuppressionRemoval.
// An entry gone meanwhile marks the request RemovalGone.
func (s *Store) ApproveSuppressionRemoval(ctx context.Context, id, admin string, notify func(SuppressionRemoved) ([]outbox.Note, error)) (SuppressionRemoved, error) {
	var res SuppressionRemoved
	if id == "" || admin == "" {
		return res, precondition("An approval needs a removal request and an admin.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		list, err := selectSuppressionRemovals(ctx, tx, `WHERE id = ?`+s.dialect.ForUpdate(), id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return ErrNoSuppressionRemoval
		}
		r := list[0]
		res.Request = &r
		switch {
		case r.State != RemovalPending:
			return ErrSuppressionRemovalDone
		case r.Requester == admin:
			return ErrOwnSuppressionRemoval
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		e, err := s.lockSuppression(ctx, tx, r.SuppressionID)
		state := RemovalApproved
		switch {
		case ErrorCode(err) == ENOTFOUND:
			state = RemovalGone
		case err != nil:
			return err
		default:
			res.Entry = e
			if res.Audit, err = s.removeSuppressionTx(ctx, tx, e, admin, r.Requester, now); err != nil {
				return err
			}
			res.Removed = true
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE suppression_removals SET state = ?, decided_by = ?, decided_at = ? WHERE id = ?`), state, admin, now, id); err != nil {
			return fmt.Errorf("decide suppression removal %s: %w", id, err)
		}
		r.State, r.DecidedBy, r.DecidedAt = state, admin, &now
		return notifyOf(ctx, s, tx, notify, res)
	})
	return res, err
}

// lockSuppression loads one entry and holds its row lock until tx ends.
func (s *Store) lockSuppression(ctx context.Context, tx *sqlx.Tx, id string) (Suppression, error) {
	list, err := selectSuppressions(ctx, tx, `SELECT `+suppressionColumns+` FROM suppressions WHERE id = ?`+s.dialect.ForUpdate(), id)
	if err != nil {
		return Suppression{}, err
	}
	if len(list) == 0 {
		return Suppression{}, Errorf(ENOTFOUND, "There is no suppression entry %s: it was removed already. Look the email or phone up again.", shorten(id, 20))
	}
	return list[0], nil
}

// removeSuppressionTx takes a locked entry off the list with its audit
// line: a contact created with its email or phone no longer gets DND back.
// Contacts that already got it keep it. requestedBy is who asked, when a
// second admin approves the removal.
func (s *Store) removeSuppressionTx(ctx context.Context, tx *sqlx.Tx, e Suppression, actor, requestedBy string, now time.Time) (AuditEntry, error) {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM suppressions WHERE id = ?`), e.ID); err != nil {
		return AuditEntry{}, fmt.Errorf("remove suppression entry %s: %w", e.ID, err)
	}
	detail := fmt.Sprintf("%s entry %s (%s; %s, deleted %s) removed", e.Kind, e.ID, e.Source, describeOptOut(e), e.DeletedAt.UTC().Format(words.DayLayout))
	if requestedBy != "" {
		detail += "; requested by " + requestedBy
	}
	return s.auditTx(ctx, tx, AuditEntry{Actor: actor, Action: AuditSuppressionRemoved, ContactID: e.ContactID, DeletionID: e.DeletionID,
		Outcome: "ok", Detail: detail, At: now})
}

func selectSuppressionRemovals(ctx context.Context, q queryer, where string, args ...any) ([]SuppressionRemoval, error) {
	var out []SuppressionRemoval
	if err := sqlx.SelectContext(ctx, q, &out, q.Rebind(`SELECT `+suppressionRemovalColumns+` FROM suppression_removals `+where), args...); err != nil {
		return nil, fmt.Errorf("load suppression removal requests: %w", err)
	}
	return out, nil
}

// SuppressionRemovalRequest loads one removal request.
func (s *Store) SuppressionRemovalRequest(ctx context.Context, id string) (SuppressionRemoval, error) {
	list, err := selectSuppressionRemovals(ctx, s.db, `WHERE id = ?`, id)
	if err != nil {
		return SuppressionRemoval{}, err
	}
	if len(list) == 0 {
		return SuppressionRemoval{}, ErrNoSuppressionRemoval
	}
	return list[0], nil
}
