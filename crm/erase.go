package crm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// A privacy erasure ("right to be forgotten") deletes a contact and every
// linked row with no archive, replaces its name, email and phone with
// ErasedText wherever contactbot kept them (deletion records, approval
// requests, the audit trail's details, the archives of its earlier deletions
// and of merges into it), and puts its email and phone on the suppression
// list with every channel permanent, so that it is never messaged again. It
// cannot be restored. It only happens through an approval by an admin other
// than the requester (Approve of a request of kind KindErasure).
//
// What stays: the deletion record (ids, who, when, the reason code, the row
// counts), the audit lines (who did what when, details "[erased]"), and the
// suppression entries (keyed hashes, channels, date).

// ErasedText stands in for erased personal data.
const ErasedText = "[erased]"

// AuditErased is the audit action of a privacy erasure.
const AuditErased = "erased"

// ErrErasureNotRestorable answers a report or restore of an erasure.
var ErrErasureNotRestorable = &Error{Code: EINVALID, Message: "This was a privacy erasure: nothing was archived, so it cannot be restored. The contact's data is gone for good; its email and phone stay on the suppression list, so it is never messaged again."}

// eraseRequest is who asked for an erasure, who approved it, and on what
// they saw.
type eraseRequest struct {
	ContactID, Actor, ApprovedBy, RequestID, Reason, Note string
	ExpectFingerprint                                     string
	// Via says where the request started (a message shortcut).
	Via string
	// at is the approval's time (see DeleteRequest.at).
	at time.Time
}

// eraseTx erases a contact inside an approval's transaction. The Deleted it
// returns carries no personal data: its Contact is the id and ErasedText.
func (s *Store) eraseTx(ctx context.Context, tx *sqlx.Tx, req eraseRequest) (Deleted, error) {
	var out Deleted
	if req.ApprovedBy == "" || req.ApprovedBy == req.Actor {
		return out, precondition("A privacy erasure needs a second admin's approval. Nothing was erased.")
	}
	c, l, err := s.linked(ctx, tx, req.ContactID, true)
	if err != nil {
		return out, err
	}
	if req.ExpectFingerprint != "" && req.ExpectFingerprint != l.Fingerprint {
		return out, ErrContactChanged
	}
	now := s.actionTime(req.at)
	d := Deletion{ID: NewID("D", 10), Kind: KindErasure, ContactID: c.ID, ContactLabel: ErasedText, DeletedBy: req.Actor,
		ApprovedBy: nullable(req.ApprovedBy), RequestID: nullable(req.RequestID), Reason: req.Reason, Note: erased(req.Note),
		Counts: l.Counts, DeletedAt: now, RestoreUntil: now, PurgedAt: &now}
	if err := recordDeletion(ctx, tx, &d); err != nil {
		return out, err
	}
	if out.Suppressed, err = s.suppressTx(ctx, tx, c, everyChannelPermanent(), SuppressionErased, d.ID, req.Actor, now); err != nil {
		return out, err
	}
	removed, err := removeContact(ctx, tx, c.ID)
	if err != nil {
		return out, err
	}
	if removed != l.Counts.Total() {
		return out, fmt.Errorf("erased %d rows of contact %s but counted %d: rolled back", removed, c.ID, l.Counts.Total())
	}
	scrubbed, err := scrubTraces(ctx, tx, c, d.ID, now, s.payloadForms)
	if err != nil {
		return out, err
	}
	out = Deleted{Deletion: d, Contact: Contact{ID: c.ID, LocationID: c.LocationID, FirstName: ErasedText}, Suppressed: out.Suppressed}
	detail := fmt.Sprintf("%s erased without an archive; %s; %s", rowsText(removed), describeSuppressed(out.Suppressed), scrubbed)
	out.Audit, err = s.auditTx(ctx, tx, AuditEntry{Actor: performedBy(req.Actor, req.ApprovedBy), Action: AuditErased, ContactID: c.ID, DeletionID: d.ID,
		RequestID: req.RequestID, Reason: req.Reason, Outcome: "ok", Detail: withVia(detail, req.Via), At: now})
	return out, err
}

// erased replaces non-empty free text with ErasedText.
func erased(s string) string {
	if s == "" {
		return ""
	}
	return ErasedText
}

// removeContact deletes a contact and every linked row, children first,
// with no archive. It returns how many rows it deleted.
func removeContact(ctx context.Context, tx *sqlx.Tx, contactID string) (int, error) {
	total := 0
	for i := len(archivedTables) - 1; i >= 0; i-- {
		t := archivedTables[i]
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM `+t.from()), contactID)
		if err != nil {
			return total, fmt.Errorf("erase %s of contact %s: %w", t.Name, contactID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("erase %s: %w", t.Name, err)
		}
		total += int(n)
	}
	return total, nil
}

// scrubTraces replaces the erased contact's personal data with ErasedText
// in everything contactbot kept about it, and drops the archives that hold
// copies of it. erasure is the erasure's own deletion id. It returns what it
// did, in counts, for the audit line. forms gives the forms text takes in
// the outbox's payloads (Store.payloadForms).
func scrubTraces(ctx context.Context, tx *sqlx.Tx, c Contact, erasure string, now time.Time, forms func(string) []string) (string, error) {
	contactID := c.ID
	exec := func(what, q string, args ...any) (int, error) {
		res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
		if err != nil {
			return 0, fmt.Errorf("erase %s of contact %s: %w", what, contactID, err)
		}
		n, err := res.RowsAffected()
		return int(n), err
	}
	// Its earlier deletions, and merges of duplicates into it: their
	// archives are copies of its data (a duplicate is the same person).
	var deletionIDs []string
	if err := tx.SelectContext(ctx, &deletionIDs, tx.Rebind(`SELECT id FROM deletions WHERE id <> ? AND (contact_id = ?
		OR id IN (SELECT deletion_id FROM merges WHERE original_id = ?)) ORDER BY id`), erasure, contactID, contactID); err != nil {
		return "", fmt.Errorf("find deletions of contact %s: %w", contactID, err)
	}
	var archives int
	if len(deletionIDs) > 0 {
		in := func(q string, args ...any) (string, []any) {
			q, args, err := sqlx.In(q, append(args, deletionIDs)...)
			if err != nil {
				panic(err) // deletionIDs is a non-empty []string
			}
			return q, args
		}
		q, args := in(`DELETE FROM archived_rows WHERE deletion_id IN (?)`)
		n, err := exec("archives", q, args...)
		if err != nil {
			return "", err
		}
		archives = n
		q, args = in(`DELETE FROM merge_moves WHERE deletion_id IN (?)`)
		if _, err := exec("merge records", q, args...); err != nil {
			return "", err
		}
		q, args = in(`UPDATE merges SET original_before = '{}', original_after = '{}' WHERE deletion_id IN (?)`)
		if _, err := exec("merge records", q, args...); err != nil {
			return "", err
		}
		q, args = in(`UPDATE incidents SET note = '` + ErasedText + `' WHERE note <> '' AND deletion_id IN (?)`)
		if _, err := exec("incident notes", q, args...); err != nil {
			return "", err
		}
		q, args = in(`UPDATE deletions SET contact_label = '`+ErasedText+`',
			note = CASE WHEN note = '' THEN '' ELSE '`+ErasedText+`' END,
			purged_at = CASE WHEN restored_at IS NULL AND purged_at IS NULL THEN ? ELSE purged_at END
			WHERE id IN (?)`, now)
		if _, err := exec("deletion records", q, args...); err != nil {
			return "", err
		}
	}
	mergeInto := dialectOf(tx).jsonField("summary", "merge_into")
	requests, err := exec("requests", `UPDATE approval_requests SET contact_label = '`+ErasedText+`',
		note = CASE WHEN note = '' THEN '' ELSE '`+ErasedText+`' END,
		reject_reason = CASE WHEN reject_reason = '' THEN '' ELSE '`+ErasedText+`' END
		WHERE contact_id = ? OR `+mergeInto+` = ?`, contactID, contactID)
	if err != nil {
		return "", err
	}
	if err := scrubBatchNames(ctx, tx, contactID); err != nil {
		return "", err
	}
	// The audit trail's one exception (migration 00320): details only.
	lines, err := exec("audit details", `UPDATE audit_log SET detail = '`+ErasedText+`'
		WHERE detail NOT IN ('', '`+ErasedText+`') AND (contact_id = ?
			OR deletion_id IN (SELECT id FROM deletions WHERE contact_id = ?)
			OR deletion_id IN (SELECT deletion_id FROM merges WHERE original_id = ?)
			OR request_id IN (SELECT id FROM approval_requests WHERE contact_id = ? OR `+mergeInto+` = ?))`,
		contactID, contactID, contactID, contactID, contactID)
	if err != nil {
		return "", err
	}
	// Undo records and re-apply marks name only ids and statuses, but
	// belong to a contact that is gone for good.
	if _, err := exec("undo records", `DELETE FROM undo_actions WHERE contact_id = ?`, contactID); err != nil {
		return "", err
	}
	if _, err := exec("suppression hits", `DELETE FROM suppression_hits WHERE contact_id = ?`, contactID); err != nil {
		return "", err
	}
	messages, err := scrubOutbox(ctx, tx, c, erasure, deletionIDs, forms)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s and %s of earlier deletions or merges erased, %s, %s and %s scrubbed",
		plural(len(deletionIDs), "record", "records"), plural(archives, "archived row", "archived rows"),
		plural(requests, "request", "requests"), plural(lines, "audit detail", "audit details"),
		plural(messages, "Slack message", "Slack messages")), nil
}

// erasedPayload stands in for an outbox message about an erased contact: a
// message the bot can still deliver, which says only that.
const erasedPayload = `{"text":"` + ErasedText + `","blocks":null}`

// scrubOutbox replaces the outbox messages (sent or still to send) that
// name the erased contact with erasedPayload, and its name on long
// operations with ErasedText (those on it or its deletions, and finished
// ones labelled with its full name). A message names it when it holds its id, the
// id of one of its deletions or requests, its email or its phone, or when it
// is, updates or replies under the post of one of them (its ref, replaces or
// thread: a request's message or its DM, an incident, an operation's progress DM,
// whose outcome names the contact by name only); a message already
// delivered also when it holds its full name (a pending one is left to be
// sent when only the name matches: it may be another person's).
//
// Payloads hold text as their writer put it there, escaped and encoded
// (Tom & Jerry reads "Tom \u0026amp; Jerry" in the bot's): each of the
// email, phone and name is looked for in every form forms gives. lower() is
// applied to both sides in SQL, not to the needle in Go: SQLite's changes
// ASCII only, so a needle lowered in Go ("öztürk") would miss the "Öztürk"
// it leaves as it is.
// It returns how many messages it replaced.
func scrubOutbox(ctx context.Context, tx *sqlx.Tx, c Contact, erasure string, deletionIDs []string, forms func(string) []string) (int, error) {
	var requestIDs, operationIDs []string
	if err := tx.SelectContext(ctx, &requestIDs, tx.Rebind(`SELECT id FROM approval_requests WHERE contact_id = ? OR `+
		dialectOf(tx).jsonField("summary", "merge_into")+` = ?`), c.ID, c.ID); err != nil {
		return 0, fmt.Errorf("find requests of contact %s: %w", c.ID, err)
	}
	subjects := append([]string{c.ID}, deletionIDs...)
	q, qargs, err := sqlx.In(`SELECT id FROM operations WHERE subject IN (?)`, subjects)
	if err != nil {
		return 0, fmt.Errorf("find operations: %w", err)
	}
	if err := tx.SelectContext(ctx, &operationIDs, tx.Rebind(q), qargs...); err != nil {
		return 0, fmt.Errorf("find operations of contact %s: %w", c.ID, err)
	}
	var anyRow, delivered []string
	var args []any
	contains := func(list *[]string, needle string) {
		if needle == "" {
			return
		}
		for _, f := range forms(needle) {
			*list = append(*list, `lower(payload) LIKE lower(?) ESCAPE '\'`)
			args = append(args, "%"+likeEscape(f)+"%")
		}
	}
	for _, id := range append(append([]string{c.ID, erasure}, deletionIDs...), requestIDs...) {
		contains(&anyRow, id)
	}
	contains(&anyRow, c.Email)
	contains(&anyRow, c.Phone)
	var refs []string
	for _, id := range requestIDs {
		refs = append(refs, outbox.ApprovalRef(id).String(), outbox.RequestDMRef(id).String())
	}
	for _, id := range append([]string{erasure}, deletionIDs...) {
		refs = append(refs, outbox.IncidentRef(id).String())
	}
	for _, id := range operationIDs {
		refs = append(refs, outbox.OperationRef(id).String())
	}
	for _, col := range []string{"ref", "replaces", "thread"} {
		in, inArgs, err := sqlx.In(col+` IN (?)`, refs)
		if err != nil {
			return 0, fmt.Errorf("outbox refs: %w", err)
		}
		anyRow = append(anyRow, in)
		args = append(args, inArgs...)
	}
	var name string // its full name; none when it has none
	if c.FirstName != "" || c.LastName != "" {
		name = c.Name()
		contains(&delivered, name)
	}
	where := "(" + strings.Join(anyRow, " OR ") + ")"
	if len(delivered) > 0 {
		where += " OR (delivered_at IS NOT NULL AND (" + strings.Join(delivered, " OR ") + "))"
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET payload = '`+erasedPayload+`' WHERE payload <> '`+erasedPayload+`' AND (`+where+`)`), args...)
	if err != nil {
		return 0, fmt.Errorf("erase outbox messages of contact %s: %w", c.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	// A finished operation's label, like a delivered message, also when it
	// is only the name.
	q, qargs, err = sqlx.In(`UPDATE operations SET label = '`+ErasedText+`' WHERE label <> '' AND (subject IN (?)
		OR (finished_at IS NOT NULL AND lower(label) = lower(?)))`, subjects, name)
	if err != nil {
		return 0, fmt.Errorf("erase operation labels: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), qargs...); err != nil {
		return 0, fmt.Errorf("erase operation labels of contact %s: %w", c.ID, err)
	}
	return int(n), nil
}

// likeEscape escapes LIKE's wildcards (with ESCAPE '\') in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}
