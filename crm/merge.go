package crm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// A merge keeps a duplicate's history where a delete would throw it away:
// the duplicate's conversations (with their messages), notes, opportunities,
// tasks, appointments and workflow enrollments move onto the contact that
// stays (the original), the original's empty email, phone and company are
// filled from the duplicate, the stricter DND of the two is kept, and the
// emptied duplicate is deleted through the archive, all in one transaction.
// It is a deletion of kind KindMerge, reported and restored like a delete:
// its restore puts the duplicate back, moves every moved row back to it and
// returns the original's fields and DND to what they were.

// AuditMerged is the audit action of a merge.
const AuditMerged = "merged"

// movedTables are the tables a merge moves rows of, by contact_id, in the
// order the counts list them. Messages follow their conversations.
var movedTables = []string{"conversations", "notes", "opportunities", "tasks", "appointments", "workflow_enrollments"}

// MergeState is the original's fields and DND that a merge may change, as
// they were before it (or after it). Text fields are nil for NULL.
type MergeState struct {
	Email       *string           `json:"email"`
	Phone       *string           `json:"phone"`
	CompanyName *string           `json:"company_name"`
	DND         bool              `json:"dnd"`
	UpdatedAt   time.Time         `json:"updated_at"`
	Channels    map[string]string `json:"channels"` // channel → status, every row
}

// MergeOutcome is what a merge did besides deleting the duplicate.
type MergeOutcome struct {
	// Original is the contact that stays, as it is after the merge.
	Original Contact
	// Moved counts the rows that moved onto the original, per kind.
	Moved Counts
	// Filled names the original's fields filled from the duplicate:
	// "email", "phone", "company".
	Filled []string
	// DNDRaised are the original's channels made stricter by the duplicate's.
	DNDRaised []DNDChange
	// ContactDNDRaised is set when the original's contact-wide DND was turned on.
	ContactDNDRaised bool
}

// MergeRequest is who merges which duplicate into which original, and why.
type MergeRequest struct {
	DuplicateID string // the contact that goes
	OriginalID  string // the contact that stays
	Actor       string
	Reason      string
	Note        string
	ApprovedBy  string
	RequestID   string
	// ExpectFingerprint, when set, must equal MergeFingerprint of the two
	// contacts as they are now, or nothing happens (ErrContactChanged).
	ExpectFingerprint string
	RestoreWindow     time.Duration
	// Review, when set, records that an admin merged alone: another admin
	// is to acknowledge it (Deleted.Review), as for a direct delete.
	Review bool
	// Via, when set, says where the merge started (a message shortcut on a
	// Slack message); its audit line mentions it.
	Via string
	// at, when set, is the time of the approval this is done for: the
	// approval and what it does are one moment of the audit trail.
	at time.Time
	// Notify renders the messages that announce the merge (the merger's
	// summary), written in its transaction.
	Notify func(Deleted) ([]outbox.Note, error)
}

// MergeFingerprint condenses what the person merging looked at: the
// duplicate's and the original's Linked.Fingerprint.
func MergeFingerprint(duplicate, original string) string {
	h := sha256.Sum256([]byte(duplicate + "→" + original))
	return hex.EncodeToString(h[:])[:16]
}

// Merge merges a duplicate into its original in one transaction (see the
// package comment above) and returns the duplicate's deletion record with
// the merge's outcome. Both contacts are locked, in id order, so concurrent
// merges, deletes and edits of either wait.
func (s *Store) Merge(ctx context.Context, req MergeRequest) (Deleted, error) {
	var out Deleted
	if req.DuplicateID == "" || req.OriginalID == "" || req.Actor == "" || req.Reason == "" {
		return out, precondition("A merge needs the duplicate, the contact it merges into, who merges and a reason.")
	}
	if req.RestoreWindow <= 0 {
		return out, precondition("A merge needs a restore window.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.boundLockWait(ctx, tx); err != nil {
			return err
		}
		var err error
		if out, err = s.mergeTx(ctx, tx, req); err != nil {
			return err
		}
		return notifyOf(ctx, s, tx, req.Notify, out)
	})
	if isLockTimeout(err) {
		err = ErrLockTimeout
	}
	return out, err
}

// ErrNotDuplicates refuses a merge of two contacts that share neither email
// nor phone, or live in different locations.
var ErrNotDuplicates = &Error{Code: EINVALID, Message: "These two contacts do not share an email or phone number in the same location, so contactbot will not merge them. Nothing was changed: search again and merge the contacts flagged as possible duplicates."}

// mergeTx is Merge inside tx, so that an approval can decide and merge in
// one transaction.
func (s *Store) mergeTx(ctx context.Context, tx *sqlx.Tx, req MergeRequest) (Deleted, error) {
	var out Deleted
	if req.DuplicateID == req.OriginalID {
		return out, Errorf(EINVALID, "A contact cannot be merged into itself. Nothing was changed.")
	}
	// Lock in id order: two merges of the same pair, either way round, take turns.
	type loaded struct {
		c Contact
		l Linked
	}
	got := map[string]loaded{}
	ids := []string{req.DuplicateID, req.OriginalID}
	sort.Strings(ids)
	for _, id := range ids {
		c, l, err := s.linked(ctx, tx, id, true)
		if err != nil {
			return out, err
		}
		got[id] = loaded{c, l}
	}
	dup, orig := got[req.DuplicateID], got[req.OriginalID]
	if req.ExpectFingerprint != "" && req.ExpectFingerprint != MergeFingerprint(dup.l.Fingerprint, orig.l.Fingerprint) {
		return out, ErrContactChanged
	}
	if !s.SameContactData(dup.c, orig.c) {
		return out, ErrNotDuplicates
	}
	now := s.actionTime(req.at)
	d := Deletion{ID: NewID("D", 10), Kind: KindMerge, ContactID: dup.c.ID, ContactLabel: dup.c.Name(), DeletedBy: req.Actor,
		ApprovedBy: nullable(req.ApprovedBy), RequestID: nullable(req.RequestID), Reason: req.Reason, Note: req.Note,
		Counts: dup.l.Counts, DeletedAt: now, RestoreUntil: now.Add(req.RestoreWindow)}
	if err := recordDeletion(ctx, tx, &d); err != nil {
		return out, err
	}
	before, err := mergeState(ctx, tx, orig.c.ID)
	if err != nil {
		return out, err
	}
	// The original takes the duplicate's address in this transaction; its
	// DND is decided here (the stricter of the two), not by the triggers.
	if err := skipReapply(ctx, tx, orig.c.ID); err != nil {
		return out, err
	}
	m := MergeOutcome{}
	if m.Moved, err = moveRows(ctx, tx, d.ID, dup.c.ID, orig.c.ID, dup.l.Counts); err != nil {
		return out, err
	}

	// The stricter DND of the two, channel by channel; permanent is never lowered.
	dupDND := map[string]string{}
	for _, x := range dup.l.DND {
		dupDND[x.Channel] = x.Status
	}
	for _, ch := range DNDChannels {
		from, to := before.Channels[ch], dupDND[ch]
		if dndRank(to) > dndRank(from) {
			if err := writeChannel(ctx, tx, orig.c.ID, ch, from, to); err != nil {
				return out, err
			}
			m.DNDRaised = append(m.DNDRaised, DNDChange{Channel: ch, Before: from, After: to})
		}
	}
	after := before
	after.Channels = map[string]string{}
	for ch, st := range before.Channels {
		after.Channels[ch] = st
	}
	for _, c := range m.DNDRaised {
		after.Channels[c.Channel] = c.After
	}
	if dup.c.DND && !before.DND {
		after.DND, m.ContactDNDRaised = true, true
	}
	// Empty fields of the original take the duplicate's values.
	fill := func(field string, cur **string, v string) {
		if (*cur == nil || **cur == "") && v != "" {
			*cur = &v
			m.Filled = append(m.Filled, field)
		}
	}
	fill("email", &after.Email, dup.c.Email)
	fill("phone", &after.Phone, dup.c.Phone)
	fill("company", &after.CompanyName, dup.c.CompanyName)
	if len(m.Filled) > 0 || m.ContactDNDRaised {
		after.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE contacts SET email = ?, phone = ?, company_name = ?, dnd = ?, updated_at = ? WHERE id = ?`),
			after.Email, after.Phone, after.CompanyName, after.DND, after.UpdatedAt, orig.c.ID); err != nil {
			return out, fmt.Errorf("fill contact %s from %s: %w", orig.c.ID, dup.c.ID, err)
		}
	}
	if err := resumeReapply(ctx, tx, orig.c.ID); err != nil {
		return out, err
	}

	// What is left of the duplicate (the contact and its DND rows) goes
	// through the archive, as a delete would.
	removed, err := archiveAndDelete(ctx, tx, d.ID, dup.c.ID, func(int) {})
	if err != nil {
		return out, err
	}
	if removed != 1+dup.l.DNDSettings {
		return out, fmt.Errorf("merge of %s archived %d rows, want %d: rolled back", dup.c.ID, removed, 1+dup.l.DNDSettings)
	}
	if err := recordMerge(ctx, tx, d.ID, dup.c.ID, orig.c.ID, before, after, m.Moved); err != nil {
		return out, err
	}
	out = Deleted{Deletion: d, Contact: dup.c}
	detail := fmt.Sprintf("merged into %s: %s", orig.c.ID, describeMerge(m))
	if o, ok := optOutOf(dup.c, dup.l); ok {
		if out.Suppressed, err = s.suppressTx(ctx, tx, dup.c, o, SuppressionMerged, d.ID, req.Actor, now); err != nil {
			return out, err
		}
		detail += "; " + describeSuppressed(out.Suppressed)
	}
	if m.Original, err = lockContact(ctx, tx, orig.c.ID); err != nil {
		return out, err
	}
	out.Merge = &m
	out.Audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: performedBy(req.Actor, req.ApprovedBy), Action: AuditMerged, ContactID: dup.c.ID, DeletionID: d.ID,
		RequestID: req.RequestID, Reason: req.Reason, Outcome: "ok", Detail: withVia(detail, req.Via), At: now})
	if err != nil || !req.Review {
		return out, err
	}
	out.Review, err = s.openReviewTx(ctx, tx, ReviewDelete, d.ID, req.Actor, now)
	return out, err
}

// SameContactData reports whether two contacts of one location share an
// email or a phone number (SharedData).
func (s *Store) SameContactData(a, b Contact) bool {
	return a.LocationID == b.LocationID && s.SharedData(a, b).Any()
}

// SharedData says what two contacts share as search flags possible
// duplicates (Duplicates): the same email, any case; a phone number when
// one's digits end with the other's national number.
func (s *Store) SharedData(a, b Contact) Shared {
	ea, eb := EmailKey(a.Email), EmailKey(b.Email)
	sharesPhone := func(x, y Contact) bool {
		key := s.duplicatePhoneKey(x.Phone)
		return key != "" && strings.HasSuffix(PhoneDigits(y.Phone), key)
	}
	return Shared{Email: ea != "" && ea == eb, Phone: sharesPhone(a, b) || sharesPhone(b, a)}
}

// dndRank orders DND statuses by strictness; no row counts as inactive.
func dndRank(status string) int {
	switch status {
	case DNDPermanent:
		return 2
	case DNDActive:
		return 1
	}
	return 0
}

// mergeState reads a contact's fields and DND rows as a merge may change them.
func mergeState(ctx context.Context, tx *sqlx.Tx, contactID string) (MergeState, error) {
	var st MergeState
	var row struct {
		Email       *string   `db:"email"`
		Phone       *string   `db:"phone"`
		CompanyName *string   `db:"company_name"`
		DND         bool      `db:"dnd"`
		UpdatedAt   time.Time `db:"updated_at"`
	}
	if err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT email, phone, company_name, dnd, updated_at FROM contacts WHERE id = ?`), contactID); err != nil {
		if isNoRows(err) {
			return st, ErrContactGone
		}
		return st, fmt.Errorf("read contact %s: %w", contactID, err)
	}
	st = MergeState{Email: row.Email, Phone: row.Phone, CompanyName: row.CompanyName, DND: row.DND, UpdatedAt: row.UpdatedAt.UTC()}
	var err error
	st.Channels, err = lockDND(ctx, tx, contactID)
	return st, err
}

// moveRows moves every linked row of from onto to, recording each in
// merge_moves, and checks that the counts are those the caller saw under
// the contact's lock. It returns what moved.
func moveRows(ctx context.Context, tx *sqlx.Tx, deletionID, from, to string, want Counts) (Counts, error) {
	var moved Counts
	counts := map[string]*int{"conversations": &moved.Conversations, "notes": &moved.Notes, "opportunities": &moved.Opportunities,
		"tasks": &moved.Tasks, "appointments": &moved.Appointments, "workflow_enrollments": &moved.WorkflowEnrollments}
	for _, t := range movedTables {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO merge_moves (deletion_id, table_name, row_id)
			SELECT ?, '`+t+`', id FROM `+t+` WHERE contact_id = ?`), deletionID, from); err != nil {
			return moved, fmt.Errorf("record %s moving from %s: %w", t, from, err)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+t+` SET contact_id = ? WHERE contact_id = ?`), to, from)
		if err != nil {
			return moved, fmt.Errorf("move %s from %s to %s: %w", t, from, to, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return moved, fmt.Errorf("move %s: %w", t, err)
		}
		*counts[t] = int(n)
	}
	moved.Messages = want.Messages // they hang off the conversations, which moved whole
	if moved.Conversations != want.Conversations || moved.Notes != want.Notes || moved.Opportunities != want.Opportunities ||
		moved.Tasks != want.Tasks || moved.Appointments != want.Appointments || moved.WorkflowEnrollments != want.WorkflowEnrollments {
		// The locks make this impossible; if it happens, keep everything.
		return moved, fmt.Errorf("moved %+v from %s but counted %+v: rolled back", moved, from, want)
	}
	return moved, nil
}

// recordMerge keeps what a restore of the merge needs.
func recordMerge(ctx context.Context, tx *sqlx.Tx, deletionID, duplicateID, originalID string, before, after MergeState, moved Counts) error {
	b, err := json.Marshal(before)
	if err != nil {
		return fmt.Errorf("encode merge state: %w", err)
	}
	a, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("encode merge state: %w", err)
	}
	m, err := json.Marshal(moved)
	if err != nil {
		return fmt.Errorf("encode merge counts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO merges (deletion_id, duplicate_id, original_id, original_before, original_after, moved) VALUES (?, ?, ?, ?, ?, ?)`),
		deletionID, duplicateID, originalID, string(b), string(a), string(m)); err != nil {
		return fmt.Errorf("record merge %s: %w", deletionID, err)
	}
	return nil
}

// describeMerge is a merge's audit detail: what moved, what was filled,
// which DND was raised. Ids and counts only.
func describeMerge(m MergeOutcome) string {
	one := map[string]string{"conversations": "conversation", "messages": "message", "notes": "note", "opportunities": "opportunity",
		"tasks": "task", "appointments": "appointment", "workflow_enrollments": "workflow enrollment"}
	var parts []string
	for _, k := range m.Moved.Kinds() {
		if k.N > 0 && k.Table != "dnd_settings" {
			parts = append(parts, plural(k.N, one[k.Table], strings.ReplaceAll(k.Table, "_", " ")))
		}
	}
	s := "moved " + strings.Join(parts, ", ")
	if len(parts) == 0 {
		s = "nothing to move"
	}
	if len(m.Filled) > 0 {
		s += "; filled " + strings.Join(m.Filled, ", ")
	}
	if len(m.DNDRaised) > 0 {
		var ch []string
		for _, c := range m.DNDRaised {
			ch = append(ch, fmt.Sprintf("%s: %s → %s", ChannelLabel(c.Channel), DNDStatusLabel(c.Before), DNDStatusLabel(c.After)))
		}
		s += "; DND " + strings.Join(ch, ", ")
	}
	if m.ContactDNDRaised {
		s += fmt.Sprintf("; contact DND: %s → %s", contactDNDLabel(false), contactDNDLabel(true))
	}
	return s
}

// mergeRecord is a merge as recorded for its restore.
type mergeRecord struct {
	DeletionID  string `db:"deletion_id"`
	DuplicateID string `db:"duplicate_id"`
	OriginalID  string `db:"original_id"`
	BeforeJSON  string `db:"original_before"`
	AfterJSON   string `db:"original_after"`
	MovedJSON   string `db:"moved"`
	Before      MergeState
	After       MergeState
	Moved       Counts
}

func loadMerge(ctx context.Context, q queryer, deletionID string) (mergeRecord, error) {
	var m mergeRecord
	err := sqlx.GetContext(ctx, q, &m, q.Rebind(`SELECT deletion_id, duplicate_id, original_id, CAST(original_before AS text) AS original_before,
		CAST(original_after AS text) AS original_after, CAST(moved AS text) AS moved FROM merges WHERE deletion_id = ?`), deletionID)
	if isNoRows(err) {
		return m, Errorf(ENOTFOUND, "The record of merge %s is gone, so it can no longer be restored.", deletionID)
	}
	if err != nil {
		return m, fmt.Errorf("load merge %s: %w", deletionID, err)
	}
	for _, x := range []struct {
		raw string
		dst any
	}{{m.BeforeJSON, &m.Before}, {m.AfterJSON, &m.After}, {m.MovedJSON, &m.Moved}} {
		if err := json.Unmarshal([]byte(x.raw), x.dst); err != nil {
			return m, fmt.Errorf("decode merge %s: %w", deletionID, err)
		}
	}
	return m, nil
}

// restoreMergeTx puts a merge back: the duplicate's archived rows return,
// every moved row moves back to it, and the original's fields and DND
// return to what they were before the merge, where they still hold what the
// merge wrote (a later change, such as a STOP reply, is kept and named in
// Kept). Every moved row must still be on the original, or nothing is
// restored. It returns how many rows are back with the duplicate.
func (s *Store) restoreMergeTx(ctx context.Context, tx *sqlx.Tx, d Deletion, dup Contact, progress func(done int)) (n int, original Contact, kept []string, err error) {
	m, err := loadMerge(ctx, tx, d.ID)
	if err != nil {
		return 0, original, nil, err
	}
	if original, err = lockContact(ctx, tx, m.OriginalID); errors.Is(err, ErrContactGone) {
		return 0, original, nil, Errorf(ECONFLICT, "Nothing was restored: this merge moved rows onto contact %s, which has been deleted since. Restore that contact first, then this merge.", m.OriginalID)
	} else if err != nil {
		return 0, original, nil, err
	}
	// Every moved row must still be on the original: whole or nothing.
	for _, t := range movedTables {
		var recorded, there int
		if err := tx.GetContext(ctx, &recorded, tx.Rebind(`SELECT count(*) FROM merge_moves WHERE deletion_id = ? AND table_name = ?`), d.ID, t); err != nil {
			return 0, original, nil, fmt.Errorf("count moved %s of %s: %w", t, d.ID, err)
		}
		if err := tx.GetContext(ctx, &there, tx.Rebind(`SELECT count(*) FROM `+t+` WHERE contact_id = ? AND id IN
			(SELECT row_id FROM merge_moves WHERE deletion_id = ? AND table_name = ?)`), m.OriginalID, d.ID, t); err != nil {
			return 0, original, nil, fmt.Errorf("count moved %s of %s: %w", t, d.ID, err)
		}
		if there != recorded {
			return 0, original, nil, Errorf(ECONFLICT, "Nothing was restored: %d of the %d %s this merge moved onto %s are no longer there (deleted or moved since). A restore moves every row back or none.",
				recorded-there, recorded, strings.ReplaceAll(t, "_", " "), m.OriginalID)
		}
	}
	if err := skipReapply(ctx, tx, dup.ID, m.OriginalID); err != nil {
		return 0, original, nil, err
	}
	if n, err = putBack(ctx, tx, d.ID, dup.ID, progress); err != nil {
		return 0, original, nil, err
	}
	for _, t := range movedTables {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+t+` SET contact_id = ? WHERE contact_id = ? AND id IN
			(SELECT row_id FROM merge_moves WHERE deletion_id = ? AND table_name = ?)`), dup.ID, m.OriginalID, d.ID, t)
		if err != nil {
			return 0, original, nil, fmt.Errorf("move %s back to %s: %w", t, dup.ID, err)
		}
		moved, err := res.RowsAffected()
		if err != nil {
			return 0, original, nil, fmt.Errorf("move %s back: %w", t, err)
		}
		n += int(moved)
		progress(n)
	}
	n += m.Moved.Messages
	if kept, err = revertOriginal(ctx, tx, m); err != nil {
		return 0, original, nil, err
	}
	if err := resumeReapply(ctx, tx, dup.ID, m.OriginalID); err != nil {
		return 0, original, nil, err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM merge_moves WHERE deletion_id = ?`), d.ID); err != nil {
		return 0, original, nil, fmt.Errorf("drop moves of %s: %w", d.ID, err)
	}
	// The original's old fields are personal data: kept no longer than needed.
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE merges SET original_before = '{}', original_after = '{}' WHERE deletion_id = ?`), d.ID); err != nil {
		return 0, original, nil, fmt.Errorf("blank merge %s: %w", d.ID, err)
	}
	original, err = lockContact(ctx, tx, m.OriginalID)
	return n, original, kept, err
}

// revertOriginal returns the original's fields and DND to their state
// before the merge, each only where it still holds what the merge wrote.
// It returns the names of what it kept because it changed since.
func revertOriginal(ctx context.Context, tx *sqlx.Tx, m mergeRecord) ([]string, error) {
	cur, err := mergeState(ctx, tx, m.OriginalID)
	if err != nil {
		return nil, err
	}
	var kept []string
	for _, ch := range DNDChannels {
		was, wrote := m.Before.Channels[ch], m.After.Channels[ch]
		if was == wrote {
			continue
		}
		if cur.Channels[ch] != wrote {
			kept = append(kept, "DND "+ch)
			continue
		}
		if err := writeChannel(ctx, tx, m.OriginalID, ch, wrote, was); err != nil {
			return nil, err
		}
	}
	next := cur
	same := func(a, b *string) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
	field := func(name string, dst **string, was, wrote, now *string) {
		if same(was, wrote) {
			return
		}
		if !same(now, wrote) {
			kept = append(kept, name)
			return
		}
		*dst = was
	}
	field("email", &next.Email, m.Before.Email, m.After.Email, cur.Email)
	field("phone", &next.Phone, m.Before.Phone, m.After.Phone, cur.Phone)
	field("company", &next.CompanyName, m.Before.CompanyName, m.After.CompanyName, cur.CompanyName)
	if m.Before.DND != m.After.DND {
		if cur.DND == m.After.DND {
			next.DND = m.Before.DND
		} else {
			kept = append(kept, "contact DND")
		}
	}
	if cur.UpdatedAt.Equal(m.After.UpdatedAt) {
		next.UpdatedAt = m.Before.UpdatedAt // else someone edited it since: theirs is the true time
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE contacts SET email = ?, phone = ?, company_name = ?, dnd = ?, updated_at = ? WHERE id = ?`),
		next.Email, next.Phone, next.CompanyName, next.DND, next.UpdatedAt, m.OriginalID); err != nil {
		return nil, fmt.Errorf("put back contact %s: %w", m.OriginalID, err)
	}
	return kept, nil
}
