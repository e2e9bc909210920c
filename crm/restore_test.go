package crm_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

func withClock(s *crm.Store) *crmtest.Clock {
	c := crmtest.NewClock(time.Now())
	s.SetClock(c.Now)
	return c
}

func deleteContact(t *testing.T, s *crm.Store, id string) crm.Deletion {
	t.Helper()
	res, err := s.Delete(context.Background(), crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "duplicate", Note: "looked like a copy", RestoreWindow: time.Hour})
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	return res.Deletion
}

func TestRestore(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testRestore)
}

func testRestore(t *testing.T, dialect crm.Dialect) {
	ctx := context.Background()

	t.Run("PutsBackEveryRowExactly", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Keep", LastName: "Me", Email: "keep@example.com"}, crmtest.SmallFull)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
		// NULLs and odd values must survive the JSON round trip too.
		s.DB().MustExec(`UPDATE contacts SET company_name = NULL, source = 'it''s "quoted" \ and <b>' WHERE id = $1`, id)
		s.DB().MustExec(`UPDATE opportunities SET monetary_value = 0.10 WHERE id = $1 || '_o2'`, id)
		before := crmtest.Dump(t, s)

		d := deleteContact(t, s, id)
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 0 {
			t.Fatal("the delete did not remove the contact")
		}
		res, err := s.Restore(ctx, d.ID, "UADMIN")
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Fatalf("CRM tables after delete + restore differ from before (-before +after):\n%s", diff)
		}
		if res.Rows != 23 || res.Contact.ID != id || res.Contact.Email != "jane@example.com" || len(res.Duplicates) != 0 {
			t.Errorf("Restored = rows %d, contact %+v, duplicates %v", res.Rows, res.Contact, res.Duplicates)
		}
		if n := crmtest.CountRows(t, s, "archived_rows", "deletion_id = $1", d.ID); n != 0 {
			t.Errorf("%d archived rows left after the restore, want 0", n)
		}
		got, err := s.Deletion(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RestoredBy == nil || *got.RestoredBy != "UADMIN" || got.RestoredAt == nil {
			t.Errorf("deletion after restore = %+v", got)
		}
		if res.Audit.ID == 0 || res.Audit.Action != crm.AuditRestored || res.Audit.Actor != "UADMIN" || !strings.Contains(res.Audit.Detail, "23 rows restored") {
			t.Errorf("restore audit = %+v", res.Audit)
		}
		trail, err := s.AuditTrail(ctx, "", d.ID, 10)
		if err != nil || len(trail) != 2 || trail[0].Action != crm.AuditDeleted || trail[1].Action != crm.AuditRestored {
			t.Errorf("audit trail = %+v, %v", trail, err)
		}
	})

	t.Run("TwiceSaysAlreadyRestored", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
		d := deleteContact(t, s, id)
		if _, err := s.Restore(ctx, d.ID, "UADMIN"); err != nil {
			t.Fatal(err)
		}
		before := crmtest.Dump(t, s)
		res, err := s.Restore(ctx, d.ID, "UADMIN2")
		if crm.ErrorCode(err) != crm.ECONFLICT || !strings.Contains(crm.ErrorMessage(err), "already restored by UADMIN at") {
			t.Fatalf("second restore: %v", err)
		}
		if res.Deletion.RestoredBy == nil || *res.Deletion.RestoredBy != "UADMIN" {
			t.Errorf("refusal carries deletion %+v, want restored by UADMIN", res.Deletion)
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Errorf("a refused restore changed the CRM:\n%s", diff)
		}
	})

	t.Run("ConcurrentRestoresRestoreOnce", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
		before := crmtest.Dump(t, s)
		d := deleteContact(t, s, id)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Restore(ctx, d.ID, "UADMIN")
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case crm.ErrorCode(err) == crm.ECONFLICT && strings.Contains(crm.ErrorMessage(err), "already restored"):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d restores won, want exactly 1", wins)
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Errorf("after concurrent restores the CRM differs from before the delete:\n%s", diff)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "action = 'restored'"); n != 1 {
			t.Errorf("%d restore audit lines, want 1", n)
		}
	})

	t.Run("AfterTheWindow", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		clk := withClock(s)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
		d := deleteContact(t, s, id)
		clk.Advance(time.Hour + time.Second)
		res, err := s.Restore(ctx, d.ID, "UADMIN")
		if crm.ErrorCode(err) != crm.EINVALID || !strings.Contains(crm.ErrorMessage(err), "restore window of this deletion closed at "+d.RestoreUntil.UTC().Format("2006-01-02 15:04")) {
			t.Fatalf("restore after the window: %v", err)
		}
		if !res.Deletion.WindowClosed(clk.Now()) || res.Deletion.ID != d.ID {
			t.Errorf("refusal carries deletion %+v", res.Deletion)
		}
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 0 {
			t.Error("the contact came back after the window")
		}
		if n := crmtest.CountRows(t, s, "archived_rows", "deletion_id = $1", d.ID); n != 23 {
			t.Errorf("a refused restore touched the archive: %d rows", n)
		}
	})

	t.Run("UnknownDeletion", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		if _, err := s.Restore(ctx, "DNOPENOPENO", "UADMIN"); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("unknown deletion: %v", err)
		}
		if _, err := s.Restore(ctx, "DNOPENOPENO", ""); !errors.Is(err, crm.ErrPrecondition) || crm.ErrorCode(err) != crm.EINTERNAL {
			t.Errorf("no actor: %v", err)
		}
	})

	t.Run("RecreatedContactIsNamedAndBothRemain", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
		d := deleteContact(t, s, id)
		again := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Again", Email: "JANE@example.com"})
		byPhone := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Phone", LastName: "Twin", Phone: "555-010-2233"})
		crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Not", LastName: "Related", Email: "other@example.com"})
		res, err := s.Restore(ctx, d.ID, "UADMIN")
		if err != nil {
			t.Fatalf("Restore beside a re-created contact: %v", err)
		}
		var got []string
		for _, dup := range res.Duplicates {
			got = append(got, dup.ID)
		}
		want := []string{again, byPhone}
		if again > byPhone {
			want = []string{byPhone, again}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("duplicates (-want +got):\n%s", diff)
		}
		for _, c := range []string{id, again, byPhone} {
			if n := crmtest.CountRows(t, s, "contacts", "id = $1", c); n != 1 {
				t.Errorf("contact %s: %d rows, want 1", c, n)
			}
		}
		if !strings.Contains(res.Audit.Detail, "possible duplicate "+again) {
			t.Errorf("audit detail does not name the duplicate: %q", res.Audit.Detail)
		}
	})

	t.Run("TakenIDFailsWholeAndChangesNothing", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		other := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Other"})
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
		d := deleteContact(t, s, id)
		// Another contact's task takes the id of one of the archived tasks:
		// contacts, DND, conversations, messages, notes and opportunities
		// would go back before tasks are reached.
		s.DB().MustExec(`INSERT INTO tasks (id, contact_id, title) VALUES ($1 || '_t2', $2, 'squatter')`, id, other)
		before := crmtest.Dump(t, s)
		_, err := s.Restore(ctx, d.ID, "UADMIN")
		if crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatalf("restore with a taken id: %v, want a conflict", err)
		}
		msg := crm.ErrorMessage(err)
		for _, want := range []string{"Nothing was restored", "tasks", id + "_t2"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Errorf("a failed restore changed the CRM:\n%s", diff)
		}
		if n := crmtest.CountRows(t, s, "archived_rows", "deletion_id = $1", d.ID); n != 23 {
			t.Errorf("a failed restore touched the archive: %d rows", n)
		}
		if got, _ := s.Deletion(ctx, d.ID); got.RestoredAt != nil {
			t.Error("a failed restore marked the deletion restored")
		}
		// Once the id is free again, the restore works.
		s.DB().MustExec(`DELETE FROM tasks WHERE title = 'squatter'`)
		if _, err := s.Restore(ctx, d.ID, "UADMIN"); err != nil {
			t.Errorf("restore after the id was freed: %v", err)
		}
	})
}

func TestPurge(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testPurge)
}

func testPurge(t *testing.T, dialect crm.Dialect) {
	ctx := context.Background()

	t.Run("RemovesOnlyExpiredArchives", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		clk := withClock(s)
		expired := deleteContact(t, s, crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Old", Email: "old@example.com"}, crmtest.SmallFull))
		restored := deleteContact(t, s, crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Back"}, crmtest.SmallFull))
		if _, err := s.Restore(ctx, restored.ID, "UADMIN"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(30 * time.Minute)
		young := deleteContact(t, s, crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Young"}, crmtest.SmallFull))
		clk.Advance(31 * time.Minute) // expired's window passed; young's has 29 minutes left
		crmBefore := crmtest.Dump(t, s)

		n, err := s.Purge(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Purge = %d, %v; want 1 deletion purged", n, err)
		}
		if n := crmtest.CountRows(t, s, "archived_rows", "deletion_id = $1", expired.ID); n != 0 {
			t.Errorf("expired archive still has %d rows", n)
		}
		if n := crmtest.CountRows(t, s, "archived_rows", "deletion_id = $1", young.ID); n != 23 {
			t.Errorf("young archive has %d rows, want 23", n)
		}
		d, err := s.Deletion(ctx, expired.ID)
		if err != nil {
			t.Fatalf("the deletion record must stay: %v", err)
		}
		if d.PurgedAt == nil || d.ContactLabel != "" || d.Note != "" || d.DeletedBy != "UDEL" || d.Reason != "duplicate" || d.Counts.Total() != 23 {
			t.Errorf("purged deletion record = %+v", d)
		}
		if y, _ := s.Deletion(ctx, young.ID); y.PurgedAt != nil || y.ContactLabel != "Young" {
			t.Errorf("young deletion touched: %+v", y)
		}
		if diff := cmp.Diff(crmBefore, crmtest.Dump(t, s)); diff != "" {
			t.Errorf("purge changed CRM tables:\n%s", diff)
		}
		trail, err := s.AuditTrail(ctx, "", expired.ID, 10)
		if err != nil || len(trail) != 2 || trail[0].Action != crm.AuditDeleted || trail[1].Action != crm.AuditPurged || trail[1].Actor != "system" {
			t.Errorf("audit trail of the purged deletion = %+v, %v", trail, err)
		}
		if ds, err := s.FindDeletions(ctx, "old@example.com"); err != nil || len(ds) != 0 {
			t.Errorf("purged deletion still found by email: %v, %v", ds, err)
		}
		if _, err := s.Restore(ctx, expired.ID, "UADMIN"); crm.ErrorCode(err) != crm.EINVALID || !strings.Contains(crm.ErrorMessage(err), "closed") {
			t.Errorf("restore of a purged deletion: %v", err)
		}
		if n, err := s.Purge(ctx); err != nil || n != 0 {
			t.Errorf("second Purge = %d, %v; want 0", n, err)
		}
		if _, err := s.Restore(ctx, young.ID, "UADMIN"); err != nil {
			t.Errorf("a deletion inside its window no longer restores: %v", err)
		}
	})

	t.Run("ReplicasPurgeEachOnce", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		clk := withClock(s)
		const deletions = 150 // more than one batch
		crmtest.InsertRows(t, s, "contacts", "id, location_id, first_name", deletions, func(g int) []any { return []any{"c" + strconv.Itoa(g), "loc", "Bulk"} })
		crmtest.InsertRows(t, s, "notes", "id, contact_id", deletions, func(g int) []any { return []any{"n" + strconv.Itoa(g), "c" + strconv.Itoa(g)} })
		for i := 1; i <= deletions; i++ {
			if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: "c" + strconv.Itoa(i), Actor: "UDEL", Reason: "test_contact", RestoreWindow: time.Hour}); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(2 * time.Hour)
		const replicas = 4
		counts := make([]int, replicas)
		errs := make([]error, replicas)
		var wg sync.WaitGroup
		for i := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				counts[i], errs[i] = s.Purge(ctx)
			}()
		}
		wg.Wait()
		total := 0
		for i := range replicas {
			if errs[i] != nil {
				t.Errorf("replica %d: %v", i, errs[i])
			}
			total += counts[i]
		}
		if total != deletions {
			t.Errorf("replicas purged %d deletions in all, want %d", total, deletions)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "action = 'purged'"); n != deletions {
			t.Errorf("%d purge audit lines, want %d", n, deletions)
		}
		if n := crmtest.CountRows(t, s, "archived_rows", ""); n != 0 {
			t.Errorf("%d archived rows left", n)
		}
	})
}

func TestReportDeletion(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, testReportDeletion)
}

func testReportDeletion(t *testing.T, s *crm.Store) {
	ctx := context.Background()
	clk := withClock(s)
	id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "Jane@Example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
	d := deleteContact(t, s, id)

	t.Run("FindDeletions", func(t *testing.T) {
		for _, q := range []string{d.ID, id, "jane@example.com", "JANE@EXAMPLE.COM", "555 010 2233", "+1-555-010-2233", "5550102233"} {
			ds, err := s.FindDeletions(ctx, q)
			if err != nil || len(ds) != 1 || ds[0].ID != d.ID || ds[0].Counts.Total() != 23 {
				t.Errorf("FindDeletions(%q) = %+v, %v", q, ds, err)
			}
		}
		for _, q := range []string{"nobody@example.com", "555 999 0000", "DZZZZZZZZZZ"} {
			if ds, err := s.FindDeletions(ctx, q); err != nil || len(ds) != 0 {
				t.Errorf("FindDeletions(%q) = %+v, %v; want none", q, ds, err)
			}
		}
		for _, q := range []string{"", "jane doe", "'; DROP TABLE deletions; --"} {
			if _, err := s.FindDeletions(ctx, q); crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("FindDeletions(%q): %v, want invalid", q, err)
			}
		}
	})

	t.Run("ConcurrentReportsMakeOneIncident", func(t *testing.T) {
		const n = 8
		reps := make([]crm.Report, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reps[i], errs[i] = s.ReportDeletion(ctx, d.ID, "UREP"+strconv.Itoa(i), "", nil)
			}()
		}
		wg.Wait()
		first := ""
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("report %d: %v", i, errs[i])
			}
			if reps[i].New {
				if first != "" {
					t.Fatalf("two reports both recorded the incident: %s and %s", first, reps[i].Incident.ReportedBy)
				}
				first = reps[i].Incident.ReportedBy
				if reps[i].Contact.Email != "Jane@Example.com" || reps[i].Deletion.ID != d.ID {
					t.Errorf("report = %+v", reps[i])
				}
			}
		}
		if first == "" {
			t.Fatal("no report recorded the incident")
		}
		for i := range n {
			if reps[i].Incident.ReportedBy != first {
				t.Errorf("report %d sees incident by %s, want %s", i, reps[i].Incident.ReportedBy, first)
			}
			if reps[i].Audit.ID == 0 || reps[i].Audit.Action != crm.AuditReported {
				t.Errorf("report %d audit = %+v", i, reps[i].Audit)
			}
		}
		if n := crmtest.CountRows(t, s, "incidents", ""); n != 1 {
			t.Errorf("%d incidents, want 1", n)
		}
	})

	t.Run("StaleClaimIsTakenOverUntilItsMessageIsPosted", func(t *testing.T) {
		inc, found, err := s.Incident(ctx, d.ID)
		if err != nil || !found || inc.MessageTS != "" {
			t.Fatalf("incident = %+v, %v, %v", inc, found, err)
		}
		clk.Advance(3 * time.Minute) // the first reporter never posted
		post := func(r crm.Report) ([]outbox.Note, error) {
			return []outbox.Note{{Channel: "CINC", Payload: []byte("incident"), Ref: outbox.IncidentRef(r.Deletion.ID)}}, nil
		}
		rep, err := s.ReportDeletion(ctx, d.ID, "ULATE", "", post)
		if err != nil || !rep.New || rep.Incident.ReportedBy != "ULATE" {
			t.Fatalf("report after a stale claim = %+v, %v", rep, err)
		}
		// Its message waiting in the outbox keeps the claim, however long.
		clk.Advance(time.Minute * 10)
		if again, err := s.ReportDeletion(ctx, d.ID, "UOTHER", "", nil); err != nil || again.New || again.Incident.ReportedBy != "ULATE" {
			t.Errorf("report while the incident message waits = %+v, %v", again, err)
		}
		// Delivered, the message is the incident's.
		drain(t, s, func(context.Context, outbox.Outgoing) (outbox.Sent, error) {
			return outbox.Sent{Channel: "CINC", TS: "1700000000.000100"}, nil
		})
		clk.Advance(time.Minute * 10)
		again, err := s.ReportDeletion(ctx, d.ID, "UOTHER", "", nil)
		if err != nil || again.New || again.Incident.ReportedBy != "ULATE" || again.Incident.MessageTS != "1700000000.000100" || again.Incident.Channel != "CINC" {
			t.Errorf("report of a posted incident = %+v, %v", again, err)
		}
	})

	t.Run("RefusedOnceRestored", func(t *testing.T) {
		if _, err := s.Restore(ctx, d.ID, "UADMIN"); err != nil {
			t.Fatal(err)
		}
		rep, err := s.ReportDeletion(ctx, d.ID, "UREP", "", nil)
		if crm.ErrorCode(err) != crm.ECONFLICT || rep.Deletion.RestoredBy == nil {
			t.Errorf("report of a restored deletion = %+v, %v", rep, err)
		}
		if ds, _ := s.FindDeletions(ctx, "jane@example.com"); len(ds) != 0 {
			t.Errorf("a restored deletion is still found by email: %+v", ds)
		}
		if ds, _ := s.FindDeletions(ctx, d.ID); len(ds) != 1 || ds[0].RestoredAt == nil {
			t.Errorf("a restored deletion is not found by id: %+v", ds)
		}
	})
}
