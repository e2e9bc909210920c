package crm_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

func TestErasure(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testErasure)
}

func testErasure(t *testing.T, dialect crm.Dialect) {
	ctx := context.Background()
	// The person to erase, as it appears anywhere: name, email, phone.
	personal := []string{"Jane", "Doe", "jane.doe@example.com", "+1 (555) 010-2233", "(555)", "010-2233", "5550102233"}

	t.Run("LeavesNoPersonalDataAnywhereYetKeepsTheOptOut", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		bystander := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Bob", LastName: "Keep", Email: "bob@example.com", Phone: "+1 555 777 0000"}, crmtest.SmallFull)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
		// Her history in contactbot: a Set DND, a rejected delete request
		// whose reason names her, a duplicate of her merged into her (its
		// archive holds her name again), and its deletion note.
		if _, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: []string{"call"}, Actor: "USUP", Reason: "unsubscribe"}); err != nil {
			t.Fatal(err)
		}
		_, l, _ := s.Linked(ctx, id)
		req, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "USUP", Reason: "other", Note: "Jane Doe called about 555.010.2233", Fingerprint: l.Fingerprint, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Reject(ctx, req.ID, "UADMIN", "Jane Doe still has a deal", nil); err != nil {
			t.Fatal(err)
		}
		dup := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "JANE.DOE@example.com", Phone: "555-010-2233"}, crmtest.SmallLowRisk)
		if _, err := s.Merge(ctx, crm.MergeRequest{DuplicateID: dup, OriginalID: id, Actor: "UDEL", Reason: "duplicate", Note: "second Jane Doe", RestoreWindow: time.Hour}); err != nil {
			t.Fatal(err)
		}
		// Messages to Slack about her and about someone else.
		if err := s.Enqueue(ctx, outbox.Note{Channel: "UDEL", Payload: []byte(`{"text":"Deleted *Jane Doe* · jane.doe@example.com","blocks":null}`)},
			outbox.Note{Channel: "UDEL", Payload: []byte(`{"text":"Deleted *Bob Keep* · bob@example.com","blocks":null}`)}); err != nil {
			t.Fatal(err)
		}
		bystanderBefore := crmtest.Dump(t, s)
		// The search below can fail: before the erasure it finds her in the
		// contacts, the archive, the merge record, requests and the audit trail.
		foundBefore := strings.Join(crmtest.FindText(t, s, personal...), "\n")
		for _, where := range []string{"contacts.email", "archived_rows.data", "merges.original_before", "approval_requests.note", "audit_log.detail", "deletions.note", "outbox.payload"} {
			if !strings.Contains(foundBefore, where+": ") {
				t.Errorf("before the erasure the search does not find her in %s:\n%s", where, foundBefore)
			}
		}

		// The erasure: requested, approved by another admin.
		_, l, _ = s.Linked(ctx, id)
		er, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "UADMIN", Reason: "erasure", Kind: crm.KindErasure,
			Note: "GDPR request from Jane Doe, ticket 4711", Fingerprint: l.Fingerprint, TTL: time.Hour, RequesterIsAdmin: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Approve(ctx, crm.Decision{RequestID: er.ID, Admin: "UADMIN", RestoreWindow: time.Hour, Confirmed: true}); !errors.Is(err, crm.ErrOwnRequest) {
			t.Fatalf("an admin approving their own erasure: %v", err)
		}
		if _, err := s.Approve(ctx, crm.Decision{RequestID: er.ID, Admin: "UADMIN2", RestoreWindow: time.Hour}); !errors.Is(err, crm.ErrErasureUnconfirmed) {
			t.Fatalf("an erasure approved without ERASE typed: %v", err)
		}
		res, err := s.Approve(ctx, crm.Decision{RequestID: er.ID, Admin: "UADMIN2", RestoreWindow: time.Hour, Confirmed: true})
		if err != nil || res.Deleted == nil {
			t.Fatalf("Approve: %+v, %v", res, err)
		}
		d := res.Deleted.Deletion
		if d.Kind != crm.KindErasure || d.ContactLabel != "[erased]" || d.Note != "[erased]" || res.Deleted.Contact.Name() != "[erased]" || res.Deleted.Contact.Email != "" {
			t.Errorf("erasure record %+v, contact %+v", d, res.Deleted.Contact)
		}
		if res.Approval.ContactLabel != "[erased]" || res.Approval.State != crm.ApprovalApproved {
			t.Errorf("request after approval = %+v", res.Approval)
		}

		// Nothing of her is left in any table, column by column.
		if found := crmtest.FindText(t, s, personal...); len(found) > 0 {
			t.Errorf("personal data left after the erasure:\n%s", strings.Join(found, "\n"))
		}
		// Her rows are gone, with no archive; nobody else's changed.
		for _, table := range crmtest.CRMTables {
			col := "contact_id"
			switch table {
			case "contacts":
				col = "id"
			case "messages":
				continue
			}
			if n := crmtest.CountRows(t, s, table, col+" = $1", id); n != 0 {
				t.Errorf("%s still holds %d rows of the erased contact", table, n)
			}
		}
		if n := crmtest.CountRows(t, s, "archived_rows", ""); n != 0 {
			t.Errorf("%d archived rows kept after the erasure", n)
		}
		if n := crmtest.CountRows(t, s, "outbox", "payload LIKE '%Bob Keep%'"); n != 1 {
			t.Error("the erasure touched a message about someone else")
		}
		after := crmtest.Dump(t, s)
		for table, rows := range bystanderBefore {
			var want []string
			for _, r := range rows {
				if strings.Contains(r, bystander) {
					want = append(want, r)
				}
			}
			var got []string
			for _, r := range after[table] {
				if strings.Contains(r, bystander) {
					got = append(got, r)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the erasure touched another contact's %s:\n%s", table, diff)
			}
		}
		// What is kept: who and when (the approving admin erased it), counts, ids, the reason code.
		trail, err := s.AuditTrail(ctx, "", d.ID, 10)
		byAction := map[string]crm.AuditEntry{}
		for _, e := range trail {
			byAction[e.Action] = e
		}
		erasedLine, approvedLine := byAction[crm.AuditErased], byAction[crm.AuditApproved]
		if err != nil || len(trail) != 2 || erasedLine.Actor != "UADMIN2" || approvedLine.Actor != "UADMIN2" {
			t.Fatalf("erasure audit = %+v, %v", trail, err)
		}
		// 42 rows: hers (23) and the merged duplicate's moved onto her (19).
		wantDetail := "42 rows erased without an archive; opt-out kept on the suppression list: email " + res.Deleted.Suppressed[0].ID + ", phone " + res.Deleted.Suppressed[1].ID +
			"; 1 record and 4 archived rows of earlier deletions or merges erased, 2 requests, 5 audit details and 1 Slack message scrubbed"
		if erasedLine.Detail != wantDetail {
			t.Errorf("erasure audit detail =\n%q, want\n%q", erasedLine.Detail, wantDetail)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "detail = '[erased]'"); n != 5 {
			t.Errorf("%d audit details say [erased], want 5", n)
		}
		got, err := s.Deletion(ctx, d.ID)
		if err != nil || got.Counts.Total() != 42 || got.DeletedBy != "UADMIN" || got.ApprovedBy == nil || *got.ApprovedBy != "UADMIN2" {
			t.Errorf("kept deletion record = %+v, %v", got, err)
		}

		// Never messaged again: a re-created contact gets DND on every channel.
		insertPlain(t, s, "recreated_after_er1", "Jane.Doe@example.com", "")
		dnd, flag := dndAndFlag(t, s, "recreated_after_er1")
		want := map[string]string{}
		for _, ch := range crm.DNDChannels {
			want[ch] = crm.DNDPermanent
		}
		if diff := cmp.Diff(want, dnd); diff != "" || !flag {
			t.Errorf("DND of the contact re-created after the erasure (-want +got):\n%s flag %t", diff, flag)
		}
		insertPlain(t, s, "recreated_after_er2", "", "555 010 2233")
		if dnd := dndOf(t, s, "recreated_after_er2"); !cmp.Equal(want, dnd) {
			t.Errorf("DND of the contact re-created by phone = %v", dnd)
		}

		// It cannot be restored or reported as restorable.
		if _, err := s.Restore(ctx, d.ID, "UADMIN"); !errors.Is(err, crm.ErrErasureNotRestorable) {
			t.Errorf("restore of an erasure: %v", err)
		}
		if _, err := s.ReportDeletion(ctx, d.ID, "USUP", "", nil); !errors.Is(err, crm.ErrErasureNotRestorable) {
			t.Errorf("report of an erasure: %v", err)
		}
	})

	t.Run("TheAuditTrailsExceptionIsNarrow", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		other := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Bob", Email: "bob@example.com"}, crmtest.SmallFull)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"}, crmtest.SmallFull)
		if _, err := s.SetDND(ctx, crm.DNDRequest{ContactID: other, Channels: []string{"call"}, Actor: "USUP", Reason: "unsubscribe"}); err != nil {
			t.Fatal(err)
		}
		_, l, _ := s.Linked(ctx, id)
		er, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "USUP", Reason: "erasure", Kind: crm.KindErasure, Fingerprint: l.Fingerprint, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		firstApproval(t, s, er.ID)
		if _, err := s.Approve(ctx, crm.Decision{RequestID: er.ID, Admin: "UADMIN", RestoreWindow: time.Hour, Confirmed: true}); err != nil {
			t.Fatal(err)
		}
		for name, q := range map[string]string{
			"another contact's entry":     `UPDATE audit_log SET detail = '[erased]' WHERE contact_id = '` + other + `'`,
			"anything but [erased]":       `UPDATE audit_log SET detail = 'rewritten' WHERE contact_id = '` + id + `'`,
			"another column":              `UPDATE audit_log SET actor = 'UNOBODY', detail = '[erased]' WHERE contact_id = '` + id + `'`,
			"a delete, even of its lines": `DELETE FROM audit_log WHERE contact_id = '` + id + `'`,
		} {
			if _, err := s.DB().Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want the append-only refusal", name, err)
			}
		}
	})

	t.Run("ChangedSinceTheRequestIsHeld", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"}, crmtest.SmallFull)
		_, l, _ := s.Linked(ctx, id)
		er, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "USUP", Reason: "erasure", Kind: crm.KindErasure, Fingerprint: l.Fingerprint, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		crmtest.InsertRows(t, s, "notes", "id, contact_id, body, created_at", 1, func(int) []any { return []any{"late_note", id, "new", time.Now()} })
		firstApproval(t, s, er.ID)
		before := crmtest.Dump(t, s)
		res, err := s.Approve(ctx, crm.Decision{RequestID: er.ID, Admin: "UADMIN", RestoreWindow: time.Hour, Confirmed: true})
		if err != nil || !res.Changed || res.Deleted != nil {
			t.Fatalf("approve after a change: %+v, %v", res, err)
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Errorf("a held erasure changed the CRM:\n%s", diff)
		}
	})
}

// TestErasureOfEscapedText: a writer of notes (the bot) escapes text and
// encodes it as JSON, so a name such as Tom & Jerry reads "Tom \u0026amp;
// Jerry" in a payload. Told how (Hooks.PayloadText), an erasure finds it
// there as it finds the raw text: a delivered message that names the
// person, or a pending one with their email, or one that replaces the
// post of an operation on them, is replaced; a pending one that only
// names them is left to be sent (it may be about another person of that
// name). Nothing else of the person is left in any table, in any of those
// forms.
func TestErasureOfEscapedText(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testErasureOfEscapedText)
}

// entityEscaper is the test writer's escaping (as for Slack's mrkdwn).
var entityEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// jsonText is s inside a JSON string, as encoding/json writes it.
func jsonText(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b[1 : len(b)-1])
}

// writtenPayload is a note's payload as the test writer writes text.
func writtenPayload(text string) []byte {
	return []byte(`{"text":"` + jsonText(text) + `","blocks":null}`)
}

func testErasureOfEscapedText(t *testing.T, dialect crm.Dialect) {
	ctx := context.Background()
	for _, p := range []crmtest.Contact{
		{FirstName: "Tom & Jerry", LastName: "Hanna-Barbera", Email: "tom&jerry+news@example.com", Phone: "+1 (555) 010-7788"},
		{FirstName: `Robert "Bob"`, LastName: "Smith", Email: "bob.smith+crm@example.com"},
		{FirstName: "<Ann>", LastName: "Öztürk", Email: "ann<o>@example.com"},
	} {
		t.Run(p.FirstName, func(t *testing.T) {
			s := crmtest.NewStoreOf(t, dialect, crm.Hooks{PayloadText: func(text string) []string {
				return []string{jsonText(text), jsonText(entityEscaper.Replace(text))}
			}})
			id := crmtest.InsertFull(t, s, p, crmtest.SmallLowRisk)
			name := crm.Contact{FirstName: p.FirstName, LastName: p.LastName}.Name()
			crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Bob", LastName: "Keep", Email: "bob@example.com"}, crmtest.SmallLowRisk)
			op, err := s.StartOperation(ctx, crm.OperationDelete, "UDEL", id, name)
			if err != nil {
				t.Fatal(err)
			}
			// Delivered: one naming her only, one about someone else.
			if err := s.Enqueue(ctx, outbox.Note{Channel: "UDEL", Payload: writtenPayload("Deleted *" + entityEscaper.Replace(name) + "* from the list")},
				outbox.Note{Channel: "UDEL", Payload: writtenPayload("Deleted *Bob Keep* from the list")}); err != nil {
				t.Fatal(err)
			}
			drain(t, s, (&recorder{}).send)
			// Pending: her email alone; the outcome of the delete she was
			// the subject of (its post named by ref); her name alone.
			keptPayload := writtenPayload("Call " + entityEscaper.Replace(name) + " back")
			if err := s.Enqueue(ctx, outbox.Note{Channel: "UHOLD", Payload: writtenPayload("Write to <mailto:" + entityEscaper.Replace(p.Email) + ">")},
				outbox.Note{Channel: "UHOLD", Payload: writtenPayload("The delete of " + entityEscaper.Replace(name) + " did not complete"), Replaces: outbox.OperationRef(op.ID), Missing: outbox.MissingPost},
				outbox.Note{Channel: "UHOLD", Payload: keptPayload}); err != nil {
				t.Fatal(err)
			}

			personal := []string{name, p.FirstName, p.LastName, p.Email}
			if p.Phone != "" {
				personal = append(personal, p.Phone)
			}
			for _, n := range personal[:4] {
				personal = append(personal, entityEscaper.Replace(n)) // how the writer shows it
			}
			before := crmtest.FindText(t, s, personal...)
			if got := strings.Count(strings.Join(uniq(before), "\n"), "outbox.payload: "); got != 4 {
				t.Fatalf("before the erasure the search finds %d of her 4 messages in the outbox:\n%s", got, strings.Join(before, "\n"))
			}

			_, l, _ := s.Linked(ctx, id)
			er, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "USUP", Reason: "erasure", Kind: crm.KindErasure, Fingerprint: l.Fingerprint, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			firstApproval(t, s, er.ID)
			if res, err := s.Approve(ctx, crm.Decision{RequestID: er.ID, Admin: "UADMIN", RestoreWindow: time.Hour, Confirmed: true}); err != nil || res.Deleted == nil {
				t.Fatalf("Approve: %+v, %v", res, err)
			}
			for _, found := range uniq(crmtest.FindText(t, s, personal...)) {
				if found != "outbox.payload: "+string(keptPayload) {
					t.Errorf("personal data left after the erasure: %s", found)
				}
			}
			if n := crmtest.CountRows(t, s, "outbox", "payload = $1", string(keptPayload)); n != 1 {
				t.Errorf("the pending message that only names her: %d left, want 1 (it may be about someone else)", n)
			}
			if n := crmtest.CountRows(t, s, "outbox", `payload = '{"text":"[erased]","blocks":null}'`); n != 3 {
				t.Errorf("%d messages replaced, want 3 (delivered with her name, pending with her email, her operation's outcome)", n)
			}
			if n := crmtest.CountRows(t, s, "outbox", "payload LIKE '%Bob Keep%'"); n != 1 {
				t.Error("the erasure touched a message about someone else")
			}
		})
	}
}

// uniq is found without repeats (one row is found by each needle it holds).
func uniq(found []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range found {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// firstApproval records UADMIN2's approval of an erasure someone who is not
// an admin asked for: the first of the two it needs.
func firstApproval(t *testing.T, s *crm.Store, requestID string) {
	t.Helper()
	res, err := s.RecordErasureApproval(context.Background(), requestID, "UADMIN2", nil)
	if err != nil || res.Completes || res.Approval.FirstApprovedBy != "UADMIN2" {
		t.Fatalf("first approval: %+v, %v", res, err)
	}
}
