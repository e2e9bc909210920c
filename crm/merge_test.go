package crm_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// mergePair writes an original (low-risk, no phone, no company, DND rows all
// inactive) and a duplicate sharing its email, with a phone, a company and
// DND (sms active, email permanent), each with rows in every linked table.
func mergePair(t *testing.T, s *crm.Store) (orig, dup string) {
	t.Helper()
	orig = crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	s.DB().MustExec(s.DB().Rebind(`UPDATE contacts SET company_name = NULL WHERE id = ?`), orig)
	dup = crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "JANE@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
	s.DB().MustExec(s.DB().Rebind(`UPDATE contacts SET company_name = 'Doe & Sons' WHERE id = ?`), dup)
	return orig, dup
}

func merge(t *testing.T, s *crm.Store, dup, orig string) crm.Deleted {
	t.Helper()
	res, err := s.Merge(context.Background(), crm.MergeRequest{DuplicateID: dup, OriginalID: orig, Actor: "UDEL", Reason: "duplicate", Note: "imported twice", RestoreWindow: time.Hour})
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	return res
}

func TestMerge(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testMerge)
}

func testMerge(t *testing.T, dialect crm.Dialect) {
	ctx := context.Background()

	t.Run("MovesEveryRowAndItsRestorePutsBothContactsBackRowForRow", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Bystander", Email: "other@example.com"}, crmtest.SmallFull)
		orig, dup := mergePair(t, s)
		before := crmtest.Dump(t, s)
		rowsOf := func(id string) map[string]int {
			out := map[string]int{}
			for _, table := range []string{"conversations", "notes", "opportunities", "tasks", "appointments", "workflow_enrollments"} {
				out[table] = crmtest.CountRows(t, s, table, "contact_id = $1", id)
			}
			out["messages"] = crmtest.CountRows(t, s, "messages", "conversation_id IN (SELECT id FROM conversations WHERE contact_id = $1)", id)
			return out
		}
		origBefore, dupBefore := rowsOf(orig), rowsOf(dup)

		res := merge(t, s, dup, orig)
		if res.Deletion.Kind != crm.KindMerge || res.Merge == nil || res.Contact.ID != dup {
			t.Fatalf("Merge = %+v", res)
		}
		// Every linked row of the duplicate is on the original now.
		after := rowsOf(orig)
		for table, n := range origBefore {
			if after[table] != n+dupBefore[table] {
				t.Errorf("%s of the original: %d, want %d + %d", table, after[table], n, dupBefore[table])
			}
		}
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", dup); n != 0 {
			t.Error("the duplicate is still there")
		}
		m := res.Merge
		wantMoved := crm.Counts{Conversations: 2, Messages: 6, Notes: 2, Opportunities: 2, Tasks: 3, Appointments: 2, WorkflowEnrollments: 2}
		if diff := cmp.Diff(wantMoved, m.Moved); diff != "" {
			t.Errorf("moved (-want +got):\n%s", diff)
		}
		// Empty fields filled; the email it had is kept.
		if diff := cmp.Diff([]string{"phone", "company"}, m.Filled); diff != "" {
			t.Errorf("filled (-want +got):\n%s", diff)
		}
		if m.Original.Email != "jane@example.com" || m.Original.Phone != "+1 (555) 010-2233" || m.Original.CompanyName != "Doe & Sons" {
			t.Errorf("original after the merge = %+v", m.Original)
		}
		// The stricter DND of the two.
		if diff := cmp.Diff(map[string]string{"sms": "active", "email": "permanent", "call": "inactive"}, dndOf(t, s, orig)); diff != "" {
			t.Errorf("original's DND (-want +got):\n%s", diff)
		}
		wantRaised := []crm.DNDChange{{Channel: "sms", Before: "inactive", After: "active"}, {Channel: "email", Before: "inactive", After: "permanent"}}
		if diff := cmp.Diff(wantRaised, m.DNDRaised); diff != "" {
			t.Errorf("DND raised (-want +got):\n%s", diff)
		}
		// The emptied duplicate went through the archive; its opt-out is kept.
		if n := crmtest.CountRows(t, s, "archived_rows", "deletion_id = $1", res.Deletion.ID); n != 4 {
			t.Errorf("%d archived rows, want the contact and its 3 DND rows", n)
		}
		if len(res.Suppressed) != 2 || res.Suppressed[0].Source != crm.SuppressionMerged {
			t.Errorf("suppressed = %+v", res.Suppressed)
		}
		wantDetail := "merged into " + orig + ": moved 2 conversations, 6 messages, 2 notes, 2 opportunities, 3 tasks, 2 appointments, 2 workflow enrollments; filled phone, company; DND SMS: off → on, Email: off → on (STOP reply, permanent); opt-out kept on the suppression list: email " +
			res.Suppressed[0].ID + ", phone " + res.Suppressed[1].ID
		if res.Audit.Action != crm.AuditMerged || res.Audit.Detail != wantDetail {
			t.Errorf("audit = %+v\nwant detail %q", res.Audit, wantDetail)
		}
		// The original's history shows the merge too.
		hist, _, err := s.ContactHistory(ctx, orig, 10)
		if err != nil || len(hist) == 0 || hist[len(hist)-1].Action != crm.AuditMerged {
			t.Errorf("history of the original = %+v, %v", hist, err)
		}

		rest, err := s.Restore(ctx, res.Deletion.ID, "UADMIN")
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Fatalf("CRM after merge + restore differs from before (-before +after):\n%s", diff)
		}
		if rest.Rows != res.Deletion.Counts.Total() || rest.Original == nil || rest.Original.ID != orig || len(rest.Kept) != 0 {
			t.Errorf("Restored = rows %d (want %d), original %+v, kept %v", rest.Rows, res.Deletion.Counts.Total(), rest.Original, rest.Kept)
		}
		for _, table := range []string{"archived_rows", "merge_moves", "suppressions"} {
			if n := crmtest.CountRows(t, s, table, ""); n != 0 {
				t.Errorf("%d rows left in %s after the restore", n, table)
			}
		}
		if n := crmtest.CountRows(t, s, "merges", "original_before <> '{}' OR original_after <> '{}'"); n != 0 {
			t.Error("the merge record still holds the original's old fields")
		}
		if !strings.HasPrefix(rest.Audit.Detail, "merge into "+orig+" undone: 23 rows back with the duplicate") {
			t.Errorf("restore audit detail = %q", rest.Audit.Detail)
		}
	})

	t.Run("RestoreRefusedWhenAMovedRowIsGone", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		orig, dup := mergePair(t, s)
		res := merge(t, s, dup, orig)
		s.DB().MustExec(s.DB().Rebind(`DELETE FROM notes WHERE id = ?`), dup+"_n1")
		mid := crmtest.Dump(t, s)
		_, err := s.Restore(ctx, res.Deletion.ID, "UADMIN")
		want := "Nothing was restored: 1 of the 2 notes this merge moved onto " + orig + " are no longer there (deleted or moved since). A restore moves every row back or none."
		if crm.ErrorCode(err) != crm.ECONFLICT || crm.ErrorMessage(err) != want {
			t.Fatalf("restore = %v, want %q", err, want)
		}
		if diff := cmp.Diff(mid, crmtest.Dump(t, s)); diff != "" {
			t.Errorf("a refused restore changed the CRM:\n%s", diff)
		}
	})

	t.Run("RestoreKeepsWhatChangedSince", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		orig, dup := mergePair(t, s)
		res := merge(t, s, dup, orig)
		// A STOP reply after the merge: sms is permanent now, and must stay.
		s.DB().MustExec(s.DB().Rebind(`UPDATE dnd_settings SET status = 'permanent' WHERE contact_id = ? AND channel = 'sms'`), orig)
		rest, err := s.Restore(ctx, res.Deletion.ID, "UADMIN")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"DND sms"}, rest.Kept); diff != "" {
			t.Errorf("kept (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]string{"sms": "permanent", "email": "inactive", "call": "inactive"}, dndOf(t, s, orig)); diff != "" {
			t.Errorf("original's DND after the restore (-want +got):\n%s", diff)
		}
		if c, err := s.Contact(ctx, orig); err != nil || c.Phone != "" || c.CompanyName != "" {
			t.Errorf("original after the restore = %+v, %v; want its empty phone and company back", c, err)
		}
		if !strings.Contains(rest.Audit.Detail, "as before the merge except DND sms (changed since);") {
			t.Errorf("restore audit detail = %q", rest.Audit.Detail)
		}
	})

	t.Run("RestoreRefusedWhenTheOriginalIsDeleted", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		orig, dup := mergePair(t, s)
		res := merge(t, s, dup, orig)
		deleteContact(t, s, orig)
		_, err := s.Restore(ctx, res.Deletion.ID, "UADMIN")
		if crm.ErrorCode(err) != crm.ECONFLICT || !strings.Contains(crm.ErrorMessage(err), "Restore that contact first, then this merge.") {
			t.Errorf("restore = %v", err)
		}
	})

	t.Run("Refusals", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		orig, dup := mergePair(t, s)
		stranger := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "someone@example.com"})
		elsewhere := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
		s.DB().MustExec(s.DB().Rebind(`UPDATE contacts SET location_id = 'loc_other' WHERE id = ?`), elsewhere)
		before := crmtest.Dump(t, s)
		req := func(d, o, fp string) crm.MergeRequest {
			return crm.MergeRequest{DuplicateID: d, OriginalID: o, Actor: "UDEL", Reason: "duplicate", ExpectFingerprint: fp, RestoreWindow: time.Hour}
		}
		for name, c := range map[string]struct {
			req  crm.MergeRequest
			code string
			msg  string
		}{
			"NotDuplicates":     {req(stranger, orig, ""), crm.EINVALID, crm.ErrNotDuplicates.Message},
			"OtherLocation":     {req(elsewhere, orig, ""), crm.EINVALID, crm.ErrNotDuplicates.Message},
			"Itself":            {req(orig, orig, ""), crm.EINVALID, "A contact cannot be merged into itself. Nothing was changed."},
			"ChangedSinceShown": {req(dup, orig, "0123456789abcdef"), crm.ECONFLICT, crm.ErrContactChanged.Message},
			"Gone":              {req("nosuchcontact000000", orig, ""), crm.ENOTFOUND, crm.ErrContactGone.Message},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := s.Merge(ctx, c.req)
				if crm.ErrorCode(err) != c.code || crm.ErrorMessage(err) != c.msg {
					t.Errorf("Merge = %v, want %s %q", err, c.code, c.msg)
				}
			})
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Errorf("a refused merge changed the CRM:\n%s", diff)
		}
		// The fingerprint of what was shown lets it through.
		_, ld, _ := s.Linked(ctx, dup)
		_, lo, _ := s.Linked(ctx, orig)
		if _, err := s.Merge(ctx, req(dup, orig, crm.MergeFingerprint(ld.Fingerprint, lo.Fingerprint))); err != nil {
			t.Errorf("merge with the current fingerprint: %v", err)
		}
	})

	// A merge accepts every pair that search flags as possible duplicates:
	// a number stored with its country code and the same number typed
	// nationally with its trunk prefix share their national number.
	t.Run("MergesWhatSearchFlagsByNationalNumber", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		for _, p := range [][2]string{
			{"+49 30 901820", "030 901820"},
			{"030 9018 21", "+49 30 901821"},
			{"+44 20 7946 0018", "020 7946 0018"},
			{"+1 (555) 010-2233", "555.010.2233"},
		} {
			orig := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Orig", Phone: p[0]})
			dup := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Dup", Phone: p[1]})
			c, err := s.Contact(ctx, dup)
			if err != nil {
				t.Fatal(err)
			}
			if refs, err := s.Duplicates(ctx, c); err != nil || len(refs) != 1 || refs[0].ID != orig {
				t.Fatalf("%s: duplicates %+v, %v; want %s flagged", p[1], refs, err, orig)
			}
			if _, err := s.Merge(ctx, crm.MergeRequest{DuplicateID: dup, OriginalID: orig, Actor: "UDEL", Reason: "duplicate", RestoreWindow: time.Hour}); err != nil {
				t.Errorf("merge of %s into %s: %v", p[1], p[0], err)
			}
		}
	})

	t.Run("ConcurrentMergesBothWaysMergeOnce", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		orig, dup := mergePair(t, s)
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, o := dup, orig
				if i%2 == 1 {
					d, o = orig, dup
				}
				_, errs[i] = s.Merge(ctx, crm.MergeRequest{DuplicateID: d, OriginalID: o, Actor: "UDEL", Reason: "duplicate", RestoreWindow: time.Hour})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case crm.ErrorCode(err) != crm.ENOTFOUND:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if wins != 1 || crmtest.CountRows(t, s, "contacts", "") != 1 || crmtest.CountRows(t, s, "deletions", "kind = 'merge'") != 1 {
			t.Errorf("%d merges won, %d contacts left; want exactly one merge", wins, crmtest.CountRows(t, s, "contacts", ""))
		}
	})

	t.Run("ThroughAnApproval", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		orig, dup := mergePair(t, s)
		_, ld, _ := s.Linked(ctx, dup)
		_, lo, _ := s.Linked(ctx, orig)
		fp := crm.MergeFingerprint(ld.Fingerprint, lo.Fingerprint)
		if _, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: dup, Requester: "USUP", Reason: "duplicate", Kind: crm.KindMerge, Fingerprint: ld.Fingerprint, MergeInto: orig, TTL: time.Hour}); !errors.Is(err, crm.ErrContactChanged) {
			t.Errorf("a merge request on the duplicate's fingerprint alone: %v", err)
		}
		a, audit, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: dup, Requester: "USUP", Reason: "duplicate", Kind: crm.KindMerge, Fingerprint: fp, MergeInto: orig, TTL: time.Hour})
		if err != nil || a.Kind() != crm.KindMerge || a.Summary.MergeInto != orig || !strings.HasPrefix(audit.Detail, "merge into "+orig+"; expires ") {
			t.Fatalf("RequestApproval = %+v %+v, %v", a, audit, err)
		}
		// The original changes after the request: the approver is shown it.
		crmtest.InsertRows(t, s, "notes", "id, contact_id, body, created_at", 1, func(int) []any { return []any{"late_note", orig, "new", time.Now()} })
		res, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "UADMIN", RestoreWindow: time.Hour})
		if err != nil || !res.Changed || res.Deleted != nil || len(res.Changes) != 1 || res.Changes[0].Kind != crm.ChangeMergeTarget {
			t.Fatalf("approve after the original changed: %+v, %v", res, err)
		}
		// Approved as it is now: merged.
		res, err = s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "UADMIN", ExpectFingerprint: res.Fingerprint, RestoreWindow: time.Hour})
		if err != nil || res.Deleted == nil || res.Deleted.Merge == nil || res.Deleted.Deletion.Kind != crm.KindMerge || *res.Deleted.Deletion.ApprovedBy != "UADMIN" {
			t.Fatalf("approve as it is now: %+v, %v", res, err)
		}
		if n := crmtest.CountRows(t, s, "notes", "contact_id = $1", orig); n != 5 {
			t.Errorf("the original has %d notes, want its 3 and the duplicate's 2", n)
		}
	})

	t.Run("PurgeDropsWhatTheMergeKept", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		clk := withClock(s)
		orig, dup := mergePair(t, s)
		res := merge(t, s, dup, orig)
		clk.Advance(2 * time.Hour)
		if n, err := s.Purge(ctx); err != nil || n != 1 {
			t.Fatalf("Purge = %d, %v", n, err)
		}
		if n := crmtest.CountRows(t, s, "merge_moves", ""); n != 0 {
			t.Errorf("%d moves left after the purge", n)
		}
		if n := crmtest.CountRows(t, s, "merges", "original_before <> '{}'"); n != 0 {
			t.Error("the purged merge still holds the original's old fields")
		}
		if _, err := s.Restore(ctx, res.Deletion.ID, "UADMIN"); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("restore after the purge: %v", err)
		}
	})
}
