package crm

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// An erasure cannot be restored, so it never rests on one person's click:
// an admin's request needs another admin's approval, anyone else's two
// different admins' (Approval.ApprovalsNeeded). The first of two approvals
// is only recorded (RecordErasureApproval); the approval that completes it
// is an Approve with Decision.Confirmed, which the bot sets only when the
// admin typed ERASE in the window that click opens.

// AuditFirstApproval is the first of the two approvals an erasure needs.
const AuditFirstApproval = "first_approval"

// Errors of the two-admin erasure.
var (
	ErrAlreadyApproved     = &Error{Code: ECONFLICT, Message: "You already approved this erasure: a second, different admin must approve it. Nothing was changed."}
	ErrErasureUnconfirmed  = &Error{Code: EINVALID, Message: "A privacy erasure is approved in its window, by typing ERASE. Nothing was erased."}
	ErrErasureNeedsFirst   = &Error{Code: EINVALID, Message: "This erasure needs two admins' approvals and has none yet: press Approve on the request first. Nothing was erased."}
	errNotAnErasureRequest = &Error{Code: EINVALID, Message: "Only an erasure request takes approvals one at a time. Nothing was changed."}
)

// ErasureCompletableBy tells whether admin's approval of a pending erasure
// request would complete it: the approvals before it are enough
// (ErrErasureNeedsFirst when a first of two is still missing), and none of
// them is admin's (ErrAlreadyApproved). The store checks it under the
// request's lock; the bot may check it first on the request as read.
func (a Approval) ErasureCompletableBy(admin string) error {
	switch {
	case a.FirstApprovedBy == admin:
		return ErrAlreadyApproved
	case a.ApprovalsNeeded >= 2 && a.FirstApprovedBy == "":
		return ErrErasureNeedsFirst
	}
	return nil
}

// ErasureApproval is what an admin's Approve of an erasure request did.
type ErasureApproval struct {
	// Approval is the request after the call (as found, when refused).
	Approval Approval
	// Completes is set when this approval would complete the erasure:
	// nothing was recorded, and the admin confirms it by typing ERASE
	// (Approve with Decision.Confirmed).
	Completes bool
	// Contact and Linked are the contact as it is now, when this call
	// recorded a first approval and the contact is still there.
	Contact *Contact
	Linked  *Linked
	// Audit is the first approval's audit line.
	Audit AuditEntry
}

// RecordErasureApproval takes admin's Approve of a pending erasure request,
// under the request's row lock: when it is the first of two it is recorded
// with its audit line and notify's messages (in the same transaction), else
// the result says it Completes the erasure and nothing is written. Of two
// admins pressing at once, one is first and the other completes; the
// requester gets ErrOwnRequest, the first approver again ErrAlreadyApproved,
// a closed request ErrAlreadyDecided or ErrApprovalExpired.
func (s *Store) RecordErasureApproval(ctx context.Context, id, admin string, notify func(ErasureApproval) ([]outbox.Note, error)) (ErasureApproval, error) {
	var res ErasureApproval
	if id == "" || admin == "" {
		return res, precondition("An approval needs a request and an admin.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		a, err := s.lockApproval(ctx, tx, id)
		res.Approval = a
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if err := s.decidable(a, admin, now); err != nil {
			return err
		}
		if a.Kind() != KindErasure {
			return errNotAnErasureRequest
		}
		switch err := a.ErasureCompletableBy(admin); err {
		case nil:
			res.Completes = true
			return nil
		case ErrErasureNeedsFirst:
			// This is the first of two approvals: recorded below.
		default:
			return err
		}
		if err := tx.GetContext(ctx, &res.Approval, tx.Rebind(`UPDATE approval_requests SET first_approved_by = ?, first_approved_at = ?
			WHERE id = ? AND first_approved_by IS NULL RETURNING `+approvalColumns), admin, now, id); err != nil {
			return fmt.Errorf("record first approval of request %s: %w", id, err)
		}
		if err := res.Approval.decode(); err != nil {
			return err
		}
		if c, l, err := s.linked(ctx, tx, a.ContactID, false); err == nil {
			res.Contact, res.Linked = &c, &l
		}
		if res.Audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: admin, Action: AuditFirstApproval, ContactID: a.ContactID, RequestID: a.ID,
			RequestKind: a.Summary.Kind, Reason: a.Reason, Outcome: "waiting for a second admin", Detail: "requested by " + a.Requester, At: now}); err != nil {
			return err
		}
		return notifyOf(ctx, s, tx, notify, res)
	})
	if isLockTimeout(err) {
		err = ErrLockTimeout
	}
	return res, err
}
