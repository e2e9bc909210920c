package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// ApprovalState is where a request is in its life. The database keeps it
// as its text ("pending", "approved", ...).
type ApprovalState string

// Approval request states.
const (
	ApprovalPending  ApprovalState = "pending"
	ApprovalApproved ApprovalState = "approved"
	ApprovalRejected ApprovalState = "rejected"
	ApprovalExpired  ApprovalState = "expired"
	ApprovalFailed   ApprovalState = "failed" // approved, but the contact could not be deleted
	// ApprovalWithdrawn is a request its requester took back before anyone decided.
	ApprovalWithdrawn ApprovalState = "withdrawn"
)

// Audit actions of the approval flow besides those in audit.go.
const (
	// AuditDecisionRefused is a click on Approve or Reject by someone who may
	// not decide, or on a request that is no longer open.
	AuditDecisionRefused = "decision_refused"
	// AuditApprovalHeld is an approve stopped because the contact changed
	// since the request: the approver was shown the difference.
	AuditApprovalHeld = "approval_held"
	// AuditApprovalFailed is an approve that found the contact gone.
	AuditApprovalFailed = "approval_failed"
	// AuditWithdrawn is a requester taking back their pending request.
	AuditWithdrawn = "withdrawn"
)

// Errors of the approval flow. The bot words its own answers from the
// Approval returned alongside (who decided, when).
var (
	ErrNoApproval       = &Error{Code: ENOTFOUND, Message: "There is no such delete request. It may be from another workspace or an older version of contactbot."}
	ErrAlreadyDecided   = &Error{Code: ECONFLICT, Message: "This request has already been decided."}
	ErrApprovalExpired  = &Error{Code: ECONFLICT, Message: "This request has expired. Nothing was deleted; the requester can ask again."}
	ErrOwnRequest       = &Error{Code: EINVALID, Message: "Nobody decides on their own request: another admin must approve or reject it."}
	ErrAlreadyRequested = &Error{Code: ECONFLICT, Message: "Someone already asked to delete this contact and an admin has not decided yet. Nothing more to do: the requester hears the outcome."}
	ErrNotYourRequest   = &Error{Code: EINVALID, Message: "Only the person who asked for a delete can withdraw the request; an admin can reject it instead. Nothing was changed."}
)

// Summary is what an approver weighs besides the row counts, kept with a
// request so that a later approver can be shown what changed.
type Summary struct {
	OpenOpportunities int       `json:"open_opportunities"`
	OpenValue         string    `json:"open_value"`
	OpenTasks         int       `json:"open_tasks"`
	Upcoming          int       `json:"upcoming_appointments"`
	ActiveWorkflows   int       `json:"active_workflows"`
	DND               []string  `json:"dnd"` // opted-out channels; "all" for the contact-wide flag
	ContactUpdatedAt  time.Time `json:"contact_updated_at"`
	// Kind is what the request asks for: KindMerge or KindErasure; empty
	// for a delete (requests from before merges and erasures).
	Kind Kind `json:"kind,omitempty"`
	// MergeInto is the contact a merge request merges this one into.
	MergeInto string `json:"merge_into,omitempty"`
	// Via says where the request started (a message shortcut on a Slack
	// message): the approved delete's audit line mentions it too.
	Via string `json:"via,omitempty"`
	// Batch is what a batch request (Kind KindBatch) asks to delete.
	Batch *BatchSummary `json:"batch,omitempty"`
}

// SummaryOf condenses a contact and its linked items into a Summary.
func SummaryOf(c Contact, l Linked) Summary {
	s := Summary{OpenOpportunities: l.OpenOpportunityCount, OpenValue: l.OpenValue, OpenTasks: l.OpenTasks,
		Upcoming: l.UpcomingCount, ActiveWorkflows: l.ActiveWorkflowCount, ContactUpdatedAt: c.UpdatedAt.UTC(), DND: []string{}}
	if c.DND {
		s.DND = append(s.DND, SummaryDNDAll)
	}
	for _, d := range l.DND {
		if d.Status == DNDActive || d.Status == DNDPermanent {
			s.DND = append(s.DND, d.Channel)
		}
	}
	return s
}

// Approval is one request to delete a contact, and its outcome.
type Approval struct {
	ID           string        `db:"id"`
	ContactID    string        `db:"contact_id"`
	ContactLabel string        `db:"contact_label"`
	Requester    string        `db:"requester"`
	Reason       string        `db:"reason"`
	Note         string        `db:"note"`
	Fingerprint  string        `db:"fingerprint"`
	Counts       Counts        `db:"-"`
	CountsJSON   []byte        `db:"counts"`
	Summary      Summary       `db:"-"`
	SummaryJSON  []byte        `db:"summary"`
	State        ApprovalState `db:"state"`
	CreatedAt    time.Time     `db:"created_at"`
	ExpiresAt    time.Time     `db:"expires_at"`
	RemindAt     time.Time     `db:"remind_at"`
	RemindedAt   *time.Time    `db:"reminded_at"`
	DecidedBy    string        `db:"decided_by"`
	DecidedAt    *time.Time    `db:"decided_at"`
	RejectReason string        `db:"reject_reason"`
	FailReason   string        `db:"fail_reason"`
	DeletionID   string        `db:"deletion_id"`
	Channel      string        `db:"channel"`
	MessageTS    string        `db:"message_ts"`
	// ApprovalsNeeded is how many different admins must approve: 2 for an
	// erasure asked for by someone who is not an admin, else 1.
	ApprovalsNeeded int `db:"approvals_needed"`
	// FirstApprovedBy is the first of two approvers, once they approved
	// (ApprovalsNeeded 2); the second approval decides the request.
	FirstApprovedBy string     `db:"first_approved_by"`
	FirstApprovedAt *time.Time `db:"first_approved_at"`
}

// approvalColumns reads an approval with nullable text columns as "".
const approvalColumns = `id, contact_id, contact_label, requester, reason, note, fingerprint, counts, summary, state,
	created_at, expires_at, remind_at, reminded_at, coalesce(decided_by, '') AS decided_by, decided_at,
	reject_reason, fail_reason, coalesce(deletion_id, '') AS deletion_id, channel, message_ts,
	approvals_needed, coalesce(first_approved_by, '') AS first_approved_by, first_approved_at`

// Kind is what the request asks for: KindDelete, KindMerge or KindErasure.
func (a Approval) Kind() Kind {
	if a.Summary.Kind == "" {
		return KindDelete
	}
	return a.Summary.Kind
}

func (a *Approval) decode() error {
	if err := json.Unmarshal(a.CountsJSON, &a.Counts); err != nil {
		return fmt.Errorf("decode counts of request %s: %w", a.ID, err)
	}
	if err := json.Unmarshal(a.SummaryJSON, &a.Summary); err != nil {
		return fmt.Errorf("decode summary of request %s: %w", a.ID, err)
	}
	return nil
}

// SummaryDNDAll stands in Summary.DND for the contact-wide DND flag.
const SummaryDNDAll = "all"

// ChangeKind says what a Change is about.
type ChangeKind string

// Kinds of Change.
const (
	// ChangeCount: a number of rows or items; Item names it, Before and
	// After are the numbers.
	ChangeCount ChangeKind = "count"
	// ChangeOpenValue: the open opportunities' total value; Before and
	// After are amounts as the CRM keeps them ("1250.00"), without a
	// currency (it is the location's).
	ChangeOpenValue ChangeKind = "open_value"
	// ChangeDND: the opted-out channels; DNDBefore and DNDAfter list them.
	ChangeDND ChangeKind = "dnd"
	// ChangeName: the contact's name; Before and After are the names.
	ChangeName ChangeKind = "name"
	// ChangeEdited: the contact's details were edited (its updated_at).
	ChangeEdited ChangeKind = "edited"
	// ChangeOther: something the request's summary does not keep changed.
	ChangeOther ChangeKind = "other"
	// ChangeMergeTarget: the contact a merge request merges into changed.
	ChangeMergeTarget ChangeKind = "merge_target"
	// ChangeSinceConfirmed: the contact is as requested, but not as the
	// approver confirmed it after being shown an earlier change.
	ChangeSinceConfirmed ChangeKind = "since_confirmed"
)

// Change is one difference between the contact a delete request was made
// on and the contact as it is now. It holds values, not sentences: the bot
// words them (labels, the location's currency).
type Change struct {
	Kind ChangeKind
	// Item is what ChangeCount counts: a table of Counts.Kinds
	// ("messages", "workflow_enrollments") or a figure of Summary by its
	// JSON name ("open_opportunities", "open_tasks",
	// "upcoming_appointments", "active_workflows").
	Item          string
	Before, After string
	// DNDBefore and DNDAfter are Summary.DND: DNDChannels values, and
	// SummaryDNDAll for the contact-wide flag.
	DNDBefore, DNDAfter []string
}

// Changes lists, one entry each, what differs between the request and the
// contact as it is now. It is never empty when the fingerprints differ.
func (a Approval) Changes(c Contact, l Linked) []Change {
	var out []Change
	count := func(item string, x, y int) {
		if x != y {
			out = append(out, Change{Kind: ChangeCount, Item: item, Before: strconv.Itoa(x), After: strconv.Itoa(y)})
		}
	}
	before, after := a.Counts.Kinds(), l.Counts.Kinds()
	for i := range before {
		count(before[i].Table, before[i].N, after[i].N)
	}
	was, now := a.Summary, SummaryOf(c, l)
	count("open_opportunities", was.OpenOpportunities, now.OpenOpportunities)
	if was.OpenValue != now.OpenValue {
		out = append(out, Change{Kind: ChangeOpenValue, Before: was.OpenValue, After: now.OpenValue})
	}
	count("open_tasks", was.OpenTasks, now.OpenTasks)
	count("upcoming_appointments", was.Upcoming, now.Upcoming)
	count("active_workflows", was.ActiveWorkflows, now.ActiveWorkflows)
	if !slices.Equal(was.DND, now.DND) {
		out = append(out, Change{Kind: ChangeDND, DNDBefore: was.DND, DNDAfter: now.DND})
	}
	if a.ContactLabel != c.Name() {
		out = append(out, Change{Kind: ChangeName, Before: a.ContactLabel, After: c.Name()})
	} else if !was.ContactUpdatedAt.Equal(now.ContactUpdatedAt) {
		out = append(out, Change{Kind: ChangeEdited})
	}
	if len(out) == 0 && a.Fingerprint != l.Fingerprint {
		out = append(out, Change{Kind: ChangeOther})
	}
	return out
}

// NewApproval is a request to delete a contact, made by someone who may not
// delete it directly.
type NewApproval struct {
	ContactID string
	Requester string
	Reason    string
	Note      string
	// Fingerprint is Linked.Fingerprint as the requester saw it (for a
	// merge, MergeFingerprint of both contacts); it must still hold.
	Fingerprint string
	TTL         time.Duration
	// Via, when set, says where the request started (a message shortcut on
	// a Slack message); its audit line mentions it.
	Via string
	// Kind is KindDelete (or empty), KindMerge or KindErasure.
	Kind Kind
	// MergeInto is the contact a merge keeps (Kind KindMerge).
	MergeInto string
	// RequesterIsAdmin says the requester is an admin: their erasure needs
	// one other admin's approval; anyone else's needs two different admins.
	RequesterIsAdmin bool
	// Notify renders the messages that announce the request (the post in the
	// approvals channel, the requester's DM), written in its transaction.
	Notify func(Approval) ([]outbox.Note, error)
	// Limit, when > 0, is how many requests of every kind the requester may
	// have waiting at once; one more is refused with ErrTooManyRequests.
	Limit int
}

// ErrTooManyRequests refuses a request from someone who already has
// NewApproval.Limit requests waiting; nothing is recorded or posted.
var ErrTooManyRequests = &Error{Code: ECONFLICT, Message: "You have too many requests waiting for an admin. Withdraw one (`/contact deletions`) or wait for a decision; nothing was sent."}

// lockRequesterTx serialises, across replicas, the requests of one person
// until tx ends, so that two at once cannot both pass the limit. SQLite
// needs nothing: its transactions hold the one write lock from the start.
func lockRequesterTx(ctx context.Context, tx *sqlx.Tx, requester string) error {
	if dialectOf(tx) == SQLite {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('contactbot.requester'), hashtext($1))`, requester); err != nil {
		return fmt.Errorf("lock requests of %s: %w", requester, err)
	}
	return nil
}

// RequestApproval records a pending request, after checking the contact is
// as the requester saw it, and writes its audit line in the same
// transaction. When the contact already has a pending request it returns
// that request with ErrAlreadyRequested.
func (s *Store) RequestApproval(ctx context.Context, r NewApproval) (Approval, AuditEntry, error) {
	var a Approval
	var audit AuditEntry
	if r.ContactID == "" || r.Requester == "" || r.Reason == "" || r.Fingerprint == "" || r.TTL <= 0 {
		return a, audit, precondition("A delete request needs a contact, who asks, a reason, what they saw and how long it stays open.")
	}
	if r.Kind == KindDelete {
		r.Kind = ""
	}
	switch {
	case r.Kind == KindMerge && (r.MergeInto == "" || r.MergeInto == r.ContactID):
		return a, audit, precondition("A merge request needs the contact it merges into.")
	case r.Kind != "" && r.Kind != KindMerge && r.Kind != KindErasure:
		return a, audit, precondition("A request is for a delete, a merge or an erasure.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		c, l, err := s.linked(ctx, tx, r.ContactID, false)
		if err != nil {
			return err
		}
		saw := l.Fingerprint
		if r.Kind == KindMerge {
			oc, ol, err := s.linked(ctx, tx, r.MergeInto, false)
			if err != nil {
				return err
			}
			if !s.SameContactData(c, oc) {
				return ErrNotDuplicates
			}
			saw = MergeFingerprint(l.Fingerprint, ol.Fingerprint)
		}
		if saw != r.Fingerprint {
			return ErrContactChanged
		}
		if a, err = s.mayRequestTx(ctx, tx, r.ContactID, r.Requester, r.Limit); err != nil {
			return err
		}
		// Whole microseconds, as the database keeps them: an expiry compared
		// in Go must be the expiry stored, not one rounded up by the database.
		now := s.now().UTC().Truncate(time.Microsecond)
		a = Approval{ID: NewID("R", 10), ContactID: c.ID, ContactLabel: c.Name(), Requester: r.Requester, Reason: r.Reason,
			Note: r.Note, Fingerprint: saw, Counts: l.Counts, Summary: SummaryOf(c, l), State: ApprovalPending,
			CreatedAt: now, ExpiresAt: now.Add(r.TTL), RemindAt: now.Add(r.TTL / 2)}
		a.Summary.Kind, a.Summary.MergeInto, a.Summary.Via = r.Kind, r.MergeInto, r.Via
		a.ApprovalsNeeded = 1
		if r.Kind == KindErasure && !r.RequesterIsAdmin {
			a.ApprovalsNeeded = 2
		}
		if err := s.insertApprovalTx(ctx, tx, &a); err != nil {
			return err
		}
		detail := "expires " + a.ExpiresAt.Format(time.RFC3339)
		switch r.Kind {
		case KindMerge:
			detail = "merge into " + r.MergeInto + "; " + detail
		case KindErasure:
			detail = "privacy erasure; " + detail
		}
		audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: r.Requester, Action: AuditDeleteRequested, ContactID: c.ID, RequestID: a.ID, RequestKind: a.Summary.Kind,
			Reason: r.Reason, Outcome: "pending", Detail: withVia(detail, r.Via), At: now})
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

// mayRequestTx checks a new request for contactID by requester: a pending
// one for the contact is returned with ErrAlreadyRequested; someone who
// already has limit requests waiting (limit 0: no limit) gets
// ErrTooManyRequests.
func (s *Store) mayRequestTx(ctx context.Context, tx *sqlx.Tx, contactID, requester string, limit int) (Approval, error) {
	existing, err := s.selectApprovals(ctx, tx, `WHERE contact_id = ? AND state = ?`, contactID, ApprovalPending)
	if err != nil {
		return Approval{}, err
	}
	if len(existing) > 0 {
		return existing[0], ErrAlreadyRequested
	}
	if limit <= 0 {
		return Approval{}, nil
	}
	if err := lockRequesterTx(ctx, tx, requester); err != nil {
		return Approval{}, err
	}
	var waiting int
	if err := tx.GetContext(ctx, &waiting, tx.Rebind(`SELECT count(*) FROM approval_requests WHERE requester = ? AND state = ? AND expires_at > ?`),
		requester, ApprovalPending, s.now().UTC()); err != nil {
		return Approval{}, fmt.Errorf("count waiting requests of %s: %w", requester, err)
	}
	if waiting >= limit {
		return Approval{}, ErrTooManyRequests
	}
	return Approval{}, nil
}

// insertApprovalTx records a new request, its counts and summary encoded,
// and schedules its escalation. A concurrent pending request for the same
// contact gives ErrAlreadyRequested (and a zero *a).
func (s *Store) insertApprovalTx(ctx context.Context, tx *sqlx.Tx, a *Approval) error {
	var err error
	if a.CountsJSON, err = json.Marshal(a.Counts); err != nil {
		return fmt.Errorf("encode counts: %w", err)
	}
	if a.SummaryJSON, err = json.Marshal(a.Summary); err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	// JSON as strings: SQLite would keep a []byte as a BLOB.
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO approval_requests
		(id, contact_id, contact_label, requester, reason, note, fingerprint, counts, summary, state, created_at, expires_at, remind_at, approvals_needed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		a.ID, a.ContactID, a.ContactLabel, a.Requester, a.Reason, a.Note, a.Fingerprint, string(a.CountsJSON), string(a.SummaryJSON),
		a.State, a.CreatedAt, a.ExpiresAt, a.RemindAt, a.ApprovalsNeeded)
	if isUniqueViolation(err) {
		*a = Approval{}
		return ErrAlreadyRequested // a concurrent request won; its id is not readable in this aborted transaction
	}
	if err != nil {
		return fmt.Errorf("record delete request for %s: %w", a.ContactID, err)
	}
	return s.scheduleEscalationTx(ctx, tx, *a)
}

// SetApprovalMessage records where the request was posted in Slack, so that
// deciders and the expiry job can update it in place (the outbox records it
// itself when it delivers the post; this is for posts made otherwise).
func (s *Store) SetApprovalMessage(ctx context.Context, id, channel, ts string) error {
	return s.withTx(ctx, func(tx *sqlx.Tx) error {
		return s.outbox.RecordPost(ctx, tx, outbox.ApprovalRef(id), outbox.Sent{Channel: channel, TS: ts})
	})
}

// Approval loads one request.
func (s *Store) Approval(ctx context.Context, id string) (Approval, error) {
	list, err := s.selectApprovals(ctx, s.db, `WHERE id = ?`, id)
	if err != nil {
		return Approval{}, err
	}
	if len(list) == 0 {
		return Approval{}, ErrNoApproval
	}
	return list[0], nil
}

// PendingApprovals lists open requests, oldest first, at most limit.
func (s *Store) PendingApprovals(ctx context.Context, limit int) ([]Approval, error) {
	return s.selectApprovals(ctx, s.db, `WHERE state = ? ORDER BY created_at, id LIMIT ?`, ApprovalPending, limit)
}

// ApprovalsBy lists the requests of one requester, newest first, at most limit.
func (s *Store) ApprovalsBy(ctx context.Context, requester string, limit int) ([]Approval, error) {
	return s.selectApprovals(ctx, s.db, `WHERE requester = ? ORDER BY created_at DESC, id LIMIT ?`, requester, limit)
}

func (s *Store) selectApprovals(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]Approval, error) {
	var out []Approval
	if err := sqlx.SelectContext(ctx, q, &out, s.db.Rebind(`SELECT `+approvalColumns+` FROM approval_requests `+where), args...); err != nil {
		return nil, fmt.Errorf("load delete requests: %w", err)
	}
	for i := range out {
		if err := out[i].decode(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lockApproval loads a request and holds its row lock until tx ends: every
// decision goes through here, so decisions on one request take turns and the
// second sees the first's outcome.
func (s *Store) lockApproval(ctx context.Context, tx *sqlx.Tx, id string) (Approval, error) {
	var a Approval
	err := tx.GetContext(ctx, &a, tx.Rebind(`SELECT `+approvalColumns+` FROM approval_requests WHERE id = ?`+dialectOf(tx).ForUpdate()), id)
	if isNoRows(err) {
		return a, ErrNoApproval
	}
	if err != nil {
		return a, fmt.Errorf("lock request %s: %w", id, err)
	}
	return a, a.decode()
}

// decidable checks that a locked request may still be decided, and by whom.
func (s *Store) decidable(a Approval, admin string, now time.Time) error {
	switch {
	case a.State != ApprovalPending:
		return ErrAlreadyDecided
	case !now.Before(a.ExpiresAt):
		return ErrApprovalExpired
	case a.Requester == admin:
		return ErrOwnRequest
	}
	return nil
}

// finish moves a locked request to its final state and returns it as stored.
func (s *Store) finish(ctx context.Context, tx *sqlx.Tx, id string, state ApprovalState, admin string, now time.Time, set string, args ...any) (Approval, error) {
	var a Approval
	q := `UPDATE approval_requests SET state = ?, decided_by = ?, decided_at = ?` + set + ` WHERE id = ? RETURNING ` + approvalColumns
	all := append(append([]any{state, admin, now}, args...), id)
	if err := tx.GetContext(ctx, &a, tx.Rebind(q), all...); err != nil {
		return a, fmt.Errorf("mark request %s %s: %w", id, state, err)
	}
	return a, a.decode()
}

// Decision is an admin's approve of a request.
type Decision struct {
	RequestID string
	Admin     string
	// ExpectFingerprint, when set, is the contact's state the admin confirmed
	// after being shown a change; empty means the state the requester saw.
	ExpectFingerprint string
	RestoreWindow     time.Duration
	// Confirmed says the admin typed the confirmation word: an erasure is
	// only approved from its window, never by a click alone.
	Confirmed bool
	// Notify renders the messages that announce the decision, written in its
	// transaction; it is not called when the contact changed (nothing decided).
	Notify func(ApproveResult) ([]outbox.Note, error)
	// Of a batch request (KindBatch): ExpectCount is the count the admin
	// typed, which must be the request's; Operation, Progress and
	// BatchNotify are BatchRequest's. Notify is written with the batch's
	// last transaction. A batch whose preview changed since the request (or
	// since ExpectFingerprint) is left alone: ApproveResult.Changed and
	// BatchPreview say how it is now.
	ExpectCount int
	Operation   string
	Progress    func(done, total int)
	BatchNotify func(BatchDeleted) ([]outbox.Note, error)
}

// ApproveResult is what an approve did.
type ApproveResult struct {
	// Approval is the request after the call (as found, when refused).
	Approval Approval
	// Deleted is set when this call deleted the contact.
	Deleted *Deleted
	// Changed is set when the contact changed since what the approver
	// decided on: nothing was done, and Changes, Contact and Linked say how
	// it is now. Fingerprint is what approving it as it is now confirms
	// (Decision.ExpectFingerprint).
	Changed     bool
	Changes     []Change
	Contact     Contact
	Linked      Linked
	Fingerprint string
	// Audit are the lines written in the transaction.
	Audit []AuditEntry
	// Batch is set when this call deleted a batch (KindBatch);
	// BatchPreview when the batch changed (Changed): the preview as it is
	// now, whose Fingerprint approving it as it is confirms.
	Batch        *BatchDeleted
	BatchPreview *BatchPreview
}

// Approve decides a pending request as approved and deletes the contact, in
// one transaction under the request's row lock: of any number of concurrent
// approves, one deletes and the others get ErrAlreadyDecided with the
// request as decided. A request that expired gives ErrApprovalExpired, the
// requester's own approve ErrOwnRequest; both change nothing. A contact that
// is gone marks the request failed; one that changed since the request (or
// since ExpectFingerprint) is left alone and reported in the result.
func (s *Store) Approve(ctx context.Context, d Decision) (ApproveResult, error) {
	var res ApproveResult
	if d.RequestID == "" || d.Admin == "" || d.RestoreWindow <= 0 {
		return res, precondition("An approval needs a request, an admin and a restore window.")
	}
	// A batch deletes contact by contact in transactions of its own, not in
	// the decision's: it decides in the transaction that records the batch.
	if a, err := s.Approval(ctx, d.RequestID); err != nil {
		return res, err
	} else if a.Kind() == KindBatch {
		return s.approveBatch(ctx, d, a)
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		a, err := s.lockApproval(ctx, tx, d.RequestID)
		res.Approval = a
		if err != nil {
			return err
		}
		// One time for the approval and what it does, so that the audit
		// trail's order by time keeps the order they were written in.
		now := s.actionTime(time.Time{})
		if err := s.decidable(a, d.Admin, now); err != nil {
			return err
		}
		if a.Kind() == KindErasure {
			if !d.Confirmed {
				return ErrErasureUnconfirmed
			}
			if err := a.ErasureCompletableBy(d.Admin); err != nil {
				return err
			}
		}
		// Bounded from here, whatever the request's kind: the contacts'
		// locks. Not the request's, which concurrent approves wait for
		// until the first has decided.
		if err := s.boundLockWait(ctx, tx); err != nil {
			return err
		}
		expect := d.ExpectFingerprint
		if expect == "" {
			expect = a.Fingerprint
		}
		var del Deleted
		switch a.Kind() {
		case KindMerge:
			del, err = s.mergeTx(ctx, tx, MergeRequest{DuplicateID: a.ContactID, OriginalID: a.Summary.MergeInto, Actor: a.Requester, ApprovedBy: d.Admin,
				RequestID: a.ID, Reason: a.Reason, Note: a.Note, ExpectFingerprint: expect, RestoreWindow: d.RestoreWindow, Via: a.Summary.Via, at: now})
		case KindErasure:
			del, err = s.eraseTx(ctx, tx, eraseRequest{ContactID: a.ContactID, Actor: a.Requester, ApprovedBy: d.Admin, RequestID: a.ID,
				Reason: a.Reason, Note: a.Note, ExpectFingerprint: expect, Via: a.Summary.Via, at: now})
		default:
			del, err = s.deleteTx(ctx, tx, DeleteRequest{ContactID: a.ContactID, Actor: a.Requester, ApprovedBy: d.Admin, RequestID: a.ID,
				Reason: a.Reason, Note: a.Note, ExpectFingerprint: expect, RestoreWindow: d.RestoreWindow, Via: a.Summary.Via, at: now})
		}
		switch {
		case errors.Is(err, ErrContactGone):
			if res.Approval, err = s.finish(ctx, tx, a.ID, ApprovalFailed, d.Admin, now, `, fail_reason = ?`, ErrContactGone.Message); err != nil {
				return err
			}
			e, err := s.auditTx(ctx, tx, AuditEntry{Actor: d.Admin, Action: AuditApprovalFailed, ContactID: a.ContactID, RequestID: a.ID, RequestKind: a.Summary.Kind,
				Reason: a.Reason, Outcome: "contact gone", At: now})
			res.Audit = append(res.Audit, e)
			if err != nil {
				return err
			}
			return notifyOf(ctx, s, tx, d.Notify, res)
		case errors.Is(err, ErrContactChanged):
			c, l, err := s.linked(ctx, tx, a.ContactID, false)
			if err != nil {
				return err
			}
			res.Changed, res.Contact, res.Linked, res.Changes, res.Fingerprint = true, c, l, a.Changes(c, l), l.Fingerprint
			if a.Kind() == KindMerge {
				_, ol, err := s.linked(ctx, tx, a.Summary.MergeInto, false)
				if err != nil {
					return err
				}
				res.Fingerprint = MergeFingerprint(l.Fingerprint, ol.Fingerprint)
				if len(res.Changes) == 1 && res.Changes[0].Kind == ChangeOther {
					res.Changes = []Change{{Kind: ChangeMergeTarget}}
				}
			}
			if len(res.Changes) == 0 {
				// As requested, but not as the approver last confirmed it.
				res.Changes = []Change{{Kind: ChangeSinceConfirmed}}
			}
			return nil
		case err != nil:
			return err
		}
		res.Deleted = &del
		if res.Approval, err = s.finish(ctx, tx, a.ID, ApprovalApproved, d.Admin, now, `, deletion_id = ?`, del.Deletion.ID); err != nil {
			return err
		}
		detail := "requested by " + a.Requester
		if a.FirstApprovedBy != "" {
			detail += "; first approved by " + a.FirstApprovedBy
		}
		e, err := s.auditTx(ctx, tx, AuditEntry{Actor: d.Admin, Action: AuditApproved, ContactID: a.ContactID, DeletionID: del.Deletion.ID,
			RequestID: a.ID, RequestKind: a.Summary.Kind, Reason: a.Reason, Outcome: "deleted", Detail: detail, At: now})
		res.Audit = append(res.Audit, del.Audit, e)
		if err != nil {
			return err
		}
		return notifyOf(ctx, s, tx, d.Notify, res)
	})
	if err != nil {
		res.Deleted, res.Audit = nil, nil
	}
	if isLockTimeout(err) {
		err = ErrLockTimeout
	}
	return res, err
}

// Reject decides a pending request as rejected, with an optional reason, and
// writes the messages notify renders (may be nil) in its transaction. Its
// errors are Approve's; nothing is deleted either way.
func (s *Store) Reject(ctx context.Context, id, admin, reason string, notify func(Approval) ([]outbox.Note, error)) (Approval, AuditEntry, error) {
	var a Approval
	var audit AuditEntry
	if id == "" || admin == "" {
		return a, audit, precondition("A rejection needs a request and an admin.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if a, err = s.lockApproval(ctx, tx, id); err != nil {
			return err
		}
		now := s.now().UTC()
		if err := s.decidable(a, admin, now); err != nil {
			return err
		}
		if a, err = s.finish(ctx, tx, id, ApprovalRejected, admin, now, `, reject_reason = ?`, reason); err != nil {
			return err
		}
		audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: admin, Action: AuditRejected, ContactID: a.ContactID, RequestID: a.ID, RequestKind: a.Summary.Kind,
			Reason: a.Reason, Outcome: "rejected", Detail: reason, At: now})
		if err != nil {
			return err
		}
		return notifyOf(ctx, s, tx, notify, a)
	})
	return a, audit, err
}

// Withdraw takes back a pending request, for its requester only: the
// request ends as withdrawn (decided by the requester), so that no admin can
// approve it any more. It runs under the request's row lock, like every
// decision, so of a withdraw and an approve (or two withdraws) exactly one
// takes effect; the other gets ErrAlreadyDecided with the request as it now
// is. An expired request gives ErrApprovalExpired, someone else's
// ErrNotYourRequest; neither changes anything. notify renders the messages
// that announce it (may be nil), written in its transaction.
func (s *Store) Withdraw(ctx context.Context, id, requester string, notify func(Approval) ([]outbox.Note, error)) (Approval, AuditEntry, error) {
	var a Approval
	var audit AuditEntry
	if id == "" || requester == "" {
		return a, audit, precondition("A withdrawal needs a request and who asked for it.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if a, err = s.lockApproval(ctx, tx, id); err != nil {
			return err
		}
		now := s.now().UTC()
		switch {
		case a.Requester != requester:
			return ErrNotYourRequest
		case a.State != ApprovalPending:
			return ErrAlreadyDecided
		case !now.Before(a.ExpiresAt):
			return ErrApprovalExpired
		}
		if a, err = s.finish(ctx, tx, id, ApprovalWithdrawn, requester, now, ""); err != nil {
			return err
		}
		audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: requester, Action: AuditWithdrawn, ContactID: a.ContactID, RequestID: a.ID, RequestKind: a.Summary.Kind,
			Reason: a.Reason, Outcome: "withdrawn", At: now})
		if err != nil {
			return err
		}
		return notifyOf(ctx, s, tx, notify, a)
	})
	if isLockTimeout(err) {
		err = ErrLockTimeout
	}
	return a, audit, err
}

// jobBatch bounds the requests one run of a job handles; the next run takes the rest.
const jobBatch = 100

// ExpireDue marks pending requests whose time is up as expired and returns
// them with their audit lines; notify (may be nil) renders each one's
// messages, written in the same transaction. Each request is returned by
// exactly one caller, however many replicas run the job at once: the UPDATE
// re-checks state = 'pending' under the row lock.
func (s *Store) ExpireDue(ctx context.Context, notify func(Approval) ([]outbox.Note, error)) ([]Approval, []AuditEntry, error) {
	var out []Approval
	var audits []AuditEntry
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now().UTC()
		q := `UPDATE approval_requests SET state = ?, decided_at = ?
			WHERE state = ? AND expires_at <= ? AND id IN (
				SELECT id FROM approval_requests WHERE state = ? AND expires_at <= ? ORDER BY expires_at LIMIT ?)
			RETURNING ` + approvalColumns
		if err := tx.SelectContext(ctx, &out, tx.Rebind(q), ApprovalExpired, now, ApprovalPending, now, ApprovalPending, now, jobBatch); err != nil {
			return fmt.Errorf("expire delete requests: %w", err)
		}
		for i := range out {
			if err := out[i].decode(); err != nil {
				return err
			}
			e, err := s.auditTx(ctx, tx, AuditEntry{Actor: "system", Action: AuditExpired, ContactID: out[i].ContactID,
				RequestID: out[i].ID, RequestKind: out[i].Summary.Kind, Reason: out[i].Reason, Outcome: "expired", At: now})
			if err != nil {
				return err
			}
			audits = append(audits, e)
			if err := notifyOf(ctx, s, tx, notify, out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, audits, nil
}

// ClaimReminders returns pending requests past their reminder time that
// nobody reminded of yet, marking them reminded: each to exactly one caller.
// notify (may be nil) renders each reminder, written in the same transaction.
func (s *Store) ClaimReminders(ctx context.Context, notify func(Approval) ([]outbox.Note, error)) ([]Approval, error) {
	var out []Approval
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		now := s.now().UTC()
		q := `UPDATE approval_requests SET reminded_at = ?
			WHERE state = ? AND reminded_at IS NULL AND remind_at <= ? AND expires_at > ? AND id IN (
				SELECT id FROM approval_requests WHERE state = ? AND reminded_at IS NULL AND remind_at <= ? ORDER BY remind_at LIMIT ?)
			RETURNING ` + approvalColumns
		if err := tx.SelectContext(ctx, &out, tx.Rebind(q), now, ApprovalPending, now, now, ApprovalPending, now, jobBatch); err != nil {
			return fmt.Errorf("claim reminders: %w", err)
		}
		for i := range out {
			if err := out[i].decode(); err != nil {
				return err
			}
			if err := notifyOf(ctx, s, tx, notify, out[i]); err != nil {
				return err
			}
		}
		if len(out) > 0 {
			return wantAdminCallTx(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// notifyOf writes the notes fn renders for v in tx; a nil fn writes none.
func notifyOf[T any](ctx context.Context, s *Store, tx *sqlx.Tx, fn func(T) ([]outbox.Note, error), v T) error {
	if fn == nil {
		return nil
	}
	notes, err := fn(v)
	if err != nil {
		return fmt.Errorf("render notes: %w", err)
	}
	return s.enqueueTx(ctx, tx, notes)
}
