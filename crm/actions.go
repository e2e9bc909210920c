package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/internal/words"
)

// The SOP's right answers to "stop messaging them": Set DND and Remove
// follow-up. Each is one transaction with its audit line and an undo record
// holding the exact values it replaced.

// UndoWindow is how long a Set DND or Remove follow-up can be undone. Long
// enough to notice a slip the same day; after it the change is simply the
// contact's state, changed like any other.
const UndoWindow = 24 * time.Hour

// UndoKind is the change an undo reverts, stored as its text in
// undo_actions.kind.
type UndoKind string

// Undo kinds.
const (
	UndoKindDND      UndoKind = "dnd"
	UndoKindFollowUp UndoKind = "followup"
)

// maxEnrollmentIDs bounds one RemoveFollowUp call; a modal lists far fewer.
const maxEnrollmentIDs = 100

// Errors of Undo. Their messages stand alone; the bot may say more (who
// undid it, when the window closed) from UndoResult.Action.
var (
	ErrUndoNotFound = &Error{Code: ENOTFOUND, Message: "There is no change with this id to undo. It may be from another contactbot."}
	ErrUndoNotYours = &Error{Code: EINVALID, Message: "Only the person who made this change, or an admin, can undo it. Nothing was changed."}
	ErrUndoDone     = &Error{Code: ECONFLICT, Message: "This change was already undone. Nothing was changed."}
	ErrUndoExpired  = &Error{Code: EINVALID, Message: "The undo window for this change has closed. Nothing was changed; set the values by hand in Leadgains if needed."}
	ErrUndoConflict = &Error{Code: ECONFLICT, Message: "This contact's DND or workflows changed again after this change, so undoing it would overwrite someone else's change. Nothing was undone: check the contact in Leadgains."}
)

// ActionState is the part of a contact a Set DND or Remove follow-up touched:
// the values before (UndoAction.Previous) or after (UndoAction.Applied).
type ActionState struct {
	// Contact is set when the contacts row itself changed (its dnd flag).
	Contact     *ContactDNDState   `json:"contact,omitempty"`
	DND         []ChannelStatus    `json:"dnd,omitempty"`
	Enrollments []EnrollmentStatus `json:"enrollments,omitempty"`
}

// ContactDNDState is the contacts row's DND flag and the updated_at that went with it.
type ContactDNDState struct {
	DND       bool      `json:"dnd"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ChannelStatus is one dnd_settings row; Status "" means there was no row.
type ChannelStatus struct {
	Channel string `json:"channel"`
	Status  string `json:"status"`
}

// EnrollmentStatus is one workflow enrollment's status.
type EnrollmentStatus struct {
	ID           string `json:"id"`
	WorkflowName string `json:"workflow_name"`
	Status       string `json:"status"`
}

// UndoAction is the undo record of one Set DND or Remove follow-up.
type UndoAction struct {
	ID           string     `db:"id"`
	Kind         UndoKind   `db:"kind"`
	Actor        string     `db:"actor"`
	ContactID    string     `db:"contact_id"`
	PreviousJSON []byte     `db:"previous"`
	AppliedJSON  []byte     `db:"applied"`
	AuditID      int64      `db:"audit_id"`
	CreatedAt    time.Time  `db:"created_at"`
	ExpiresAt    time.Time  `db:"expires_at"`
	UndoneBy     *string    `db:"undone_by"`
	UndoneAt     *time.Time `db:"undone_at"`

	Previous ActionState `db:"-"`
	Applied  ActionState `db:"-"`
}

// DNDRequest is who sets DND on which channels of a contact, and why.
type DNDRequest struct {
	ContactID string
	// Channels are values of DNDChannels; each is set to active unless it is
	// already active or permanent.
	Channels []string
	Actor    string
	Reason   string
	// Via says where the request came from, for the audit line ("delete window").
	Via string
}

// DNDChange is one channel whose status changed; Before "" means no row.
type DNDChange struct {
	Channel, Before, After string
}

// DNDResult is the outcome of SetDND.
type DNDResult struct {
	Contact Contact // as it is after the change
	Changed []DNDChange
	// Kept are chosen channels that were already on (active or permanent).
	Kept []DNDSetting
	// DND is every channel's status after the change, in DNDChannels order;
	// Status "" means the contact has no row for the channel.
	DND               []DNDSetting
	ContactDNDChanged bool
	// Undo is nil when nothing changed.
	Undo  *UndoAction
	Audit AuditEntry
}

// FollowUpRequest is who stops which workflow enrollments of a contact, and why.
type FollowUpRequest struct {
	ContactID     string
	EnrollmentIDs []string
	Actor         string
	Reason        string
	Via           string
}

// FollowUpResult is the outcome of RemoveFollowUp.
type FollowUpResult struct {
	Contact Contact
	Stopped []WorkflowEnrollment // now stopped
	// Skipped counts chosen ids that were not active enrollments of this
	// contact (finished or stopped meanwhile, or someone else's): untouched.
	Skipped int
	Undo    *UndoAction // nil when nothing changed
	Audit   AuditEntry
}

// UndoResult is the outcome of Undo. On an Undo error, Action is set when the
// record could be read, so the caller can say who undid it or when the
// window closed.
type UndoResult struct {
	Action  UndoAction
	Contact Contact
	Audit   AuditEntry
}

// SetDND sets the chosen channels of a contact to active, inserting rows for
// channels it has none for. A permanent status (a STOP reply) is never
// lowered or changed. When every channel ends up active or permanent,
// contacts.dnd is set too. The change, its audit line and its undo record
// commit together.
func (s *Store) SetDND(ctx context.Context, req DNDRequest) (DNDResult, error) {
	var out DNDResult
	chosen, err := validChannels(req.Channels)
	if err != nil {
		return out, err
	}
	if req.ContactID == "" || req.Actor == "" {
		return out, precondition("Setting DND needs a contact and who sets it.")
	}
	err = s.withTx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockContact(ctx, tx, req.ContactID)
		if err != nil {
			return err
		}
		cur, err := lockDND(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		// Postgres keeps microseconds: the applied snapshot must equal what is stored.
		now := s.now().UTC().Truncate(time.Microsecond)
		var prev, applied ActionState
		for _, ch := range chosen {
			before := cur[ch]
			if before == DNDActive || before == DNDPermanent {
				out.Kept = append(out.Kept, DNDSetting{Channel: ch, Status: before})
				continue
			}
			if err := writeChannel(ctx, tx, c.ID, ch, before, DNDActive); err != nil {
				return err
			}
			cur[ch] = DNDActive
			prev.DND = append(prev.DND, ChannelStatus{ch, before})
			applied.DND = append(applied.DND, ChannelStatus{ch, DNDActive})
			out.Changed = append(out.Changed, DNDChange{ch, before, DNDActive})
		}
		if allOn(cur) && !c.DND {
			prev.Contact = &ContactDNDState{DND: false, UpdatedAt: c.UpdatedAt}
			applied.Contact = &ContactDNDState{DND: true, UpdatedAt: now}
			if err := writeContactDND(ctx, tx, c.ID, true, now); err != nil {
				return err
			}
			c.DND, c.UpdatedAt = true, now
			out.ContactDNDChanged = true
		}
		out.Contact = c
		for _, ch := range DNDChannels {
			out.DND = append(out.DND, DNDSetting{Channel: ch, Status: cur[ch]})
		}

		entry := AuditEntry{Actor: req.Actor, Action: AuditDNDSet, ContactID: c.ID, Reason: req.Reason, Outcome: "ok", At: now,
			Detail: withVia(describeDND(out), req.Via)}
		if len(out.Changed) == 0 && !out.ContactDNDChanged {
			entry.Outcome = "unchanged: already on"
		}
		out.Undo, out.Audit, err = s.recordActionTx(ctx, tx, UndoKindDND, entry, prev, applied)
		return err
	})
	return out, err
}

// RemoveFollowUp stops the given workflow enrollments of a contact: only
// those that are active and belong to the contact; nothing else changes.
func (s *Store) RemoveFollowUp(ctx context.Context, req FollowUpRequest) (FollowUpResult, error) {
	var out FollowUpResult
	if req.ContactID == "" || req.Actor == "" {
		return out, precondition("Removing follow-up needs a contact and who removes it.")
	}
	ids := dedupe(req.EnrollmentIDs)
	if len(ids) == 0 {
		return out, Errorf(EINVALID, "Choose at least one workflow to stop.")
	}
	if len(ids) > maxEnrollmentIDs {
		return out, Errorf(EINVALID, "Choose at most %d workflows at once.", maxEnrollmentIDs)
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockContact(ctx, tx, req.ContactID)
		if err != nil {
			return err
		}
		found, err := lockEnrollments(ctx, tx, c.ID, ids)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		var prev, applied ActionState
		var stop []string
		for _, w := range found {
			if w.Status != "active" {
				continue
			}
			stop = append(stop, w.ID)
			prev.Enrollments = append(prev.Enrollments, EnrollmentStatus{w.ID, w.WorkflowName, w.Status})
			applied.Enrollments = append(applied.Enrollments, EnrollmentStatus{w.ID, w.WorkflowName, "stopped"})
			w.Status = "stopped"
			out.Stopped = append(out.Stopped, w)
		}
		if err := writeEnrollments(ctx, tx, c.ID, stop, "active", "stopped"); err != nil {
			return err
		}
		out.Contact = c
		out.Skipped = len(ids) - len(stop)

		entry := AuditEntry{Actor: req.Actor, Action: AuditFollowUpRemoved, ContactID: c.ID, Reason: req.Reason, Outcome: "ok", At: now,
			Detail: withVia(describeEnrollments("stopped", out.Stopped, out.Skipped), req.Via)}
		if len(stop) == 0 {
			entry.Outcome = "unchanged: nothing active"
		}
		out.Undo, out.Audit, err = s.recordActionTx(ctx, tx, UndoKindFollowUp, entry, prev, applied)
		return err
	})
	return out, err
}

// Undo puts back what a Set DND or Remove follow-up replaced, exactly: rows
// that did not exist are removed again, contacts.dnd and updated_at return.
// Only the person who made the change or an admin may undo it, within
// UndoWindow, once. If anything the change wrote has changed since, nothing
// is undone (ErrUndoConflict): an undo must not overwrite a newer change,
// such as a STOP reply that made a channel permanent.
func (s *Store) Undo(ctx context.Context, undoID, actor string, isAdmin bool) (UndoResult, error) {
	var out UndoResult
	if undoID == "" || actor == "" {
		return out, precondition("An undo needs the change's id and who undoes it.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		a, err := lockUndo(ctx, tx, undoID)
		if err != nil {
			return err
		}
		out.Action = a
		now := s.now().UTC()
		switch {
		case a.Actor != actor && !isAdmin:
			return ErrUndoNotYours
		case a.UndoneAt != nil:
			return ErrUndoDone
		case !now.Before(a.ExpiresAt):
			return ErrUndoExpired
		}
		c, err := lockContact(ctx, tx, a.ContactID)
		if err != nil {
			return err
		}
		switch a.Kind {
		case UndoKindDND:
			c, err = undoDND(ctx, tx, c, a)
		case UndoKindFollowUp:
			err = undoFollowUp(ctx, tx, c.ID, a)
		default:
			err = fmt.Errorf("undo %s: unknown kind %q", a.ID, a.Kind)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE undo_actions SET undone_by = ?, undone_at = ? WHERE id = ? AND undone_at IS NULL`),
			actor, now, a.ID); err != nil {
			return fmt.Errorf("mark undo %s done: %w", a.ID, err)
		}
		out.Action.UndoneBy, out.Action.UndoneAt = &actor, &now
		out.Contact = c
		out.Audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: actor, Action: AuditUndone, ContactID: c.ID, Reason: undoneAction(a.Kind),
			Outcome: "ok", At: now, Detail: fmt.Sprintf("undid %s %s by %s: %s", undoneWhat(a.Kind), a.ID, a.Actor, describeRestore(a))})
		return err
	})
	return out, err
}

// recordActionTx writes the audit line of an action and, when it changed
// anything, its undo record, pointing at each other.
func (s *Store) recordActionTx(ctx context.Context, tx *sqlx.Tx, kind UndoKind, e AuditEntry, prev, applied ActionState) (*UndoAction, AuditEntry, error) {
	changed := prev.Contact != nil || len(prev.DND) > 0 || len(prev.Enrollments) > 0
	if !changed {
		e, err := s.auditTx(ctx, tx, e)
		return nil, e, err
	}
	u := &UndoAction{ID: NewID("A", 12), Kind: kind, Actor: e.Actor, ContactID: e.ContactID,
		CreatedAt: e.At, ExpiresAt: e.At.Add(UndoWindow), Previous: prev, Applied: applied}
	e.Detail += "; undo " + u.ID
	e, err := s.auditTx(ctx, tx, e)
	if err != nil {
		return nil, e, err
	}
	u.AuditID = e.ID
	if u.PreviousJSON, err = json.Marshal(prev); err != nil {
		return nil, e, fmt.Errorf("encode previous state: %w", err)
	}
	if u.AppliedJSON, err = json.Marshal(applied); err != nil {
		return nil, e, fmt.Errorf("encode applied state: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO undo_actions (id, kind, actor, contact_id, previous, applied, audit_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		u.ID, u.Kind, u.Actor, u.ContactID, string(u.PreviousJSON), string(u.AppliedJSON), u.AuditID, u.CreatedAt, u.ExpiresAt); err != nil {
		return nil, e, fmt.Errorf("record undo of %s: %w", kind, err)
	}
	return u, e, nil
}

// undoDND restores the channels and the contact flag a Set DND changed.
func undoDND(ctx context.Context, tx *sqlx.Tx, c Contact, a UndoAction) (Contact, error) {
	cur, err := lockDND(ctx, tx, c.ID)
	if err != nil {
		return c, err
	}
	for _, ch := range a.Applied.DND {
		if cur[ch.Channel] != ch.Status {
			return c, ErrUndoConflict
		}
	}
	if ac := a.Applied.Contact; ac != nil && c.DND != ac.DND {
		return c, ErrUndoConflict
	}
	for i, ch := range a.Previous.DND {
		if err := writeChannel(ctx, tx, c.ID, ch.Channel, a.Applied.DND[i].Status, ch.Status); err != nil {
			return c, err
		}
	}
	if pc, ac := a.Previous.Contact, a.Applied.Contact; pc != nil && ac != nil {
		// updated_at returns too, unless someone edited the contact since:
		// then their timestamp is the true one.
		at := c.UpdatedAt
		if at.Equal(ac.UpdatedAt) {
			at = pc.UpdatedAt
		}
		if err := writeContactDND(ctx, tx, c.ID, pc.DND, at); err != nil {
			return c, err
		}
		c.DND, c.UpdatedAt = pc.DND, at
	}
	return c, nil
}

// undoFollowUp puts stopped enrollments back to what they were.
func undoFollowUp(ctx context.Context, tx *sqlx.Tx, contactID string, a UndoAction) error {
	var ids []string
	for _, e := range a.Applied.Enrollments {
		ids = append(ids, e.ID)
	}
	found, err := lockEnrollments(ctx, tx, contactID, ids)
	if err != nil {
		return err
	}
	status := map[string]string{}
	for _, w := range found {
		status[w.ID] = w.Status
	}
	for _, e := range a.Applied.Enrollments {
		if status[e.ID] != e.Status {
			return ErrUndoConflict
		}
	}
	byStatus := map[string][]string{}
	for _, e := range a.Previous.Enrollments {
		byStatus[e.Status] = append(byStatus[e.Status], e.ID)
	}
	for st, ids := range byStatus {
		if err := writeEnrollments(ctx, tx, contactID, ids, "stopped", st); err != nil {
			return err
		}
	}
	return nil
}

// lockContact loads a contact and locks its row until the transaction ends:
// a concurrent delete, DND change or undo of the same contact waits.
func lockContact(ctx context.Context, tx *sqlx.Tx, id string) (Contact, error) {
	var c Contact
	err := tx.GetContext(ctx, &c, tx.Rebind(`SELECT `+contactColumns+` FROM contacts c WHERE c.id = ?`+dialectOf(tx).ForUpdate()), id)
	if isNoRows(err) {
		return c, ErrContactGone
	}
	if err != nil {
		return c, fmt.Errorf("lock contact %s: %w", id, err)
	}
	return c, nil
}

// lockDND returns a contact's DND status by channel ("" for no row), locking the rows.
func lockDND(ctx context.Context, tx *sqlx.Tx, contactID string) (map[string]string, error) {
	var rows []DNDSetting
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT channel, status FROM dnd_settings WHERE contact_id = ? ORDER BY channel`+dialectOf(tx).ForUpdate()), contactID); err != nil {
		return nil, fmt.Errorf("lock DND of %s: %w", contactID, err)
	}
	cur := map[string]string{}
	for _, r := range rows {
		cur[r.Channel] = r.Status
	}
	return cur, nil
}

// writeChannel moves one channel from status from to status to, where ""
// means no row: it inserts, updates or deletes accordingly.
func writeChannel(ctx context.Context, tx *sqlx.Tx, contactID, channel, from, to string) error {
	var q string
	var args []any
	switch {
	case from == to:
		return nil
	case from == "":
		q, args = `INSERT INTO dnd_settings (contact_id, channel, status) VALUES (?, ?, ?)`, []any{contactID, channel, to}
	case to == "":
		q, args = `DELETE FROM dnd_settings WHERE contact_id = ? AND channel = ? AND status = ?`, []any{contactID, channel, from}
	default:
		q, args = `UPDATE dnd_settings SET status = ? WHERE contact_id = ? AND channel = ? AND status = ?`, []any{to, contactID, channel, from}
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("set DND %s of %s from %q to %q: %w", channel, contactID, from, to, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		// The rows are locked; this means the lock did not hold. Keep everything.
		return fmt.Errorf("set DND %s of %s: %d rows changed, want 1 (%v)", channel, contactID, n, err)
	}
	return nil
}

func writeContactDND(ctx context.Context, tx *sqlx.Tx, contactID string, dnd bool, updatedAt time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE contacts SET dnd = ?, updated_at = ? WHERE id = ?`), dnd, updatedAt, contactID); err != nil {
		return fmt.Errorf("set contact DND of %s: %w", contactID, err)
	}
	return nil
}

// lockEnrollments loads and locks the contact's enrollments among ids; ids
// of other contacts' enrollments are simply not found.
func lockEnrollments(ctx context.Context, tx *sqlx.Tx, contactID string, ids []string) ([]WorkflowEnrollment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT id, workflow_name, status, enrolled_at FROM workflow_enrollments
		WHERE contact_id = ? AND id IN (?) ORDER BY enrolled_at, id`+dialectOf(tx).ForUpdate(), contactID, ids)
	if err != nil {
		return nil, fmt.Errorf("build enrollment query: %w", err)
	}
	var out []WorkflowEnrollment
	if err := tx.SelectContext(ctx, &out, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("lock enrollments of %s: %w", contactID, err)
	}
	return out, nil
}

// writeEnrollments moves the given enrollments from one status to another;
// every one must move.
func writeEnrollments(ctx context.Context, tx *sqlx.Tx, contactID string, ids []string, from, to string) error {
	if len(ids) == 0 {
		return nil
	}
	q, args, err := sqlx.In(`UPDATE workflow_enrollments SET status = ? WHERE contact_id = ? AND status = ? AND id IN (?)`, to, contactID, from, ids)
	if err != nil {
		return fmt.Errorf("build enrollment update: %w", err)
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("set enrollments of %s to %s: %w", contactID, to, err)
	}
	if n, err := res.RowsAffected(); err != nil || int(n) != len(ids) {
		return fmt.Errorf("set enrollments of %s to %s: %d rows changed, want %d (%v)", contactID, to, n, len(ids), err)
	}
	return nil
}

// lockUndo loads an undo record and locks it, so that it is undone once.
func lockUndo(ctx context.Context, tx *sqlx.Tx, id string) (UndoAction, error) {
	var a UndoAction
	err := tx.GetContext(ctx, &a, tx.Rebind(`SELECT id, kind, actor, contact_id, previous, applied, audit_id, created_at, expires_at, undone_by, undone_at
		FROM undo_actions WHERE id = ?`+dialectOf(tx).ForUpdate()), id)
	if isNoRows(err) {
		return a, ErrUndoNotFound
	}
	if err != nil {
		return a, fmt.Errorf("load undo %s: %w", id, err)
	}
	if err := json.Unmarshal(a.PreviousJSON, &a.Previous); err != nil {
		return a, fmt.Errorf("decode undo %s: %w", id, err)
	}
	if err := json.Unmarshal(a.AppliedJSON, &a.Applied); err != nil {
		return a, fmt.Errorf("decode undo %s: %w", id, err)
	}
	if len(a.Previous.DND) != len(a.Applied.DND) || len(a.Previous.Enrollments) != len(a.Applied.Enrollments) {
		return a, errors.New("undo " + id + ": previous and applied states do not match")
	}
	return a, nil
}

// validChannels checks and de-duplicates channel names, in DNDChannels order.
func validChannels(chs []string) ([]string, error) {
	if len(chs) == 0 {
		return nil, Errorf(EINVALID, "Choose at least one channel to set DND on.")
	}
	for _, ch := range chs {
		if !slices.Contains(DNDChannels, ch) {
			return nil, Errorf(EINVALID, "%q is not a DND channel; choose among SMS, email, calls, WhatsApp, Google Business and Facebook.", words.Cut(ch, 30))
		}
	}
	var out []string
	for _, ch := range DNDChannels {
		if slices.Contains(chs, ch) {
			out = append(out, ch)
		}
	}
	return out, nil
}

func allOn(cur map[string]string) bool {
	for _, ch := range DNDChannels {
		if cur[ch] != DNDActive && cur[ch] != DNDPermanent {
			return false
		}
	}
	return true
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && len(id) <= 255 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func undoneAction(kind UndoKind) string {
	if kind == UndoKindFollowUp {
		return AuditFollowUpRemoved
	}
	return AuditDNDSet
}

// undoneWhat names the change an undo reverts, as the bot's buttons do.
func undoneWhat(kind UndoKind) string {
	if kind == UndoKindFollowUp {
		return "Remove follow-up"
	}
	return "Set DND"
}

// rowsText is "1 row" or "N rows", for audit details.
func rowsText(n int) string { return plural(n, "row", "rows") }

// plural is "1 workflow" or "N workflows", for audit details.
func plural(n int, one, many string) string { return words.Plural(n, one, many) }

// The audit details below are read by people (the audit channel, /contact
// history, exports show them as stored): channels, statuses and the
// contact-wide flag in words (labels.go), as the bot's messages say them.
// Ids stay where they identify a row; workflow names are the CRM's.

// contactDNDLabel words the contact-wide DND flag.
func contactDNDLabel(on bool) string {
	if on {
		return "on for all channels"
	}
	return "off"
}

// describeDND is the audit detail of a Set DND, e.g. "Calls: off → on,
// WhatsApp: not set → on, Email: already on (STOP reply, permanent); contact
// DND: off → on for all channels".
func describeDND(r DNDResult) string {
	var parts []string
	for _, c := range r.Changed {
		parts = append(parts, fmt.Sprintf("%s: %s → %s", ChannelLabel(c.Channel), DNDStatusLabel(c.Before), DNDStatusLabel(c.After)))
	}
	for _, k := range r.Kept {
		parts = append(parts, fmt.Sprintf("%s: already %s", ChannelLabel(k.Channel), DNDStatusLabel(k.Status)))
	}
	s := strings.Join(parts, ", ")
	if r.ContactDNDChanged {
		s += fmt.Sprintf("; contact DND: %s → %s", contactDNDLabel(false), contactDNDLabel(true))
	}
	return s
}

// describeEnrollments is the audit detail of a Remove follow-up, e.g.
// "stopped 2 workflows: Nurture 1 (id), Reminders (id); 1 no longer
// running, left alone".
func describeEnrollments(verb string, ws []WorkflowEnrollment, skipped int) string {
	var names []string
	for _, w := range ws {
		names = append(names, fmt.Sprintf("%s (%s)", words.Cut(w.WorkflowName, 60), w.ID))
	}
	s := fmt.Sprintf("%s %s: %s", verb, plural(len(ws), "workflow", "workflows"), strings.Join(names, ", "))
	if len(ws) == 0 {
		s = verb + " none"
	}
	if skipped > 0 {
		s += fmt.Sprintf("; %d no longer running, left alone", skipped)
	}
	return s
}

// describeRestore says what an undo put back, for its audit line, e.g.
// "Calls: on → off, WhatsApp: on → not set, contact DND: on for all
// channels → off" or "Nurture 1 (id): stopped → running".
func describeRestore(a UndoAction) string {
	var parts []string
	for i, p := range a.Previous.DND {
		parts = append(parts, fmt.Sprintf("%s: %s → %s", ChannelLabel(p.Channel), DNDStatusLabel(a.Applied.DND[i].Status), DNDStatusLabel(p.Status)))
	}
	if pc, ac := a.Previous.Contact, a.Applied.Contact; pc != nil && ac != nil {
		parts = append(parts, fmt.Sprintf("contact DND: %s → %s", contactDNDLabel(ac.DND), contactDNDLabel(pc.DND)))
	}
	for i, p := range a.Previous.Enrollments {
		parts = append(parts, fmt.Sprintf("%s (%s): %s → %s", words.Cut(p.WorkflowName, 60), p.ID,
			WorkflowStatusLabel(a.Applied.Enrollments[i].Status), WorkflowStatusLabel(p.Status)))
	}
	return strings.Join(parts, ", ")
}

// withVia adds where an action started to its audit detail, as one more
// clause ("1 row archived; via message shortcut on …"): the feed shows a
// detail in parentheses, which must not nest.
func withVia(s, via string) string {
	switch {
	case via == "":
		return s
	case s == "":
		return "via " + via
	}
	return s + "; via " + via
}
