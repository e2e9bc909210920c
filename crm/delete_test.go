package crm_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

func TestDelete(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testDelete)
}

func testDelete(t *testing.T, d crm.Dialect) {
	ctx := context.Background()

	t.Run("ArchivesEveryRowAndRemovesThem", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		other := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Keep", LastName: "Me"}, crmtest.SmallFull)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
		_, linked, err := s.Linked(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := crm.Counts{DNDSettings: 3, Conversations: 2, Messages: 6, Notes: 2, Opportunities: 2, Tasks: 3, Appointments: 2, WorkflowEnrollments: 2}
		if linked.Counts != want {
			t.Fatalf("Linked counts = %+v, want %+v", linked.Counts, want)
		}
		if linked.OpenOpportunityCount != 1 || linked.UpcomingCount != 1 || linked.ActiveWorkflowCount != 1 || !linked.HasDND() {
			t.Errorf("Linked summary = %+v", linked)
		}

		got, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "test_contact", Note: "n", ExpectFingerprint: linked.Fingerprint, RestoreWindow: time.Hour})
		if err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if got.Deletion.Counts != want || got.Contact.ID != id {
			t.Errorf("Deleted = %+v", got)
		}
		for _, table := range crmtest.CRMTables {
			where, args := "contact_id = $1", []any{id}
			switch table {
			case "contacts":
				where = "id = $1"
			case "messages":
				where = "conversation_id LIKE $1 || '%'"
			}
			if n := crmtest.CountRows(t, s, table, where, args...); n != 0 {
				t.Errorf("%s still has %d rows of the deleted contact", table, n)
			}
		}
		if n := crmtest.CountRows(t, s, "archived_rows", "deletion_id = $1", got.Deletion.ID); n != want.Total() {
			t.Errorf("archived %d rows, want %d", n, want.Total())
		}
		if n := crmtest.CountRows(t, s, "notes", "contact_id = $1", other); n != 2 {
			t.Errorf("the other contact lost notes: %d left", n)
		}
		d, err := s.Deletion(ctx, got.Deletion.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.DeletedBy != "U1" || d.Reason != "test_contact" || d.Counts != want || d.RestoreUntil.Sub(d.DeletedAt) != time.Hour {
			t.Errorf("deletion record = %+v", d)
		}
	})

	t.Run("AllOrNothing", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
		before := crmtest.Dump(t, s)
		// Fail half-way: after messages, notes, tasks… went, conversations refuse.
		if d == crm.SQLite {
			s.DB().MustExec(`CREATE TRIGGER fail_delete BEFORE DELETE ON conversations BEGIN SELECT RAISE(ABORT, 'forced failure'); END`)
		} else {
			s.DB().MustExec(`CREATE FUNCTION fail_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$`)
			s.DB().MustExec(`CREATE TRIGGER fail_delete BEFORE DELETE ON conversations FOR EACH ROW EXECUTE FUNCTION fail_delete()`)
		}
		_, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "test_contact", RestoreWindow: time.Hour})
		if err == nil {
			t.Fatal("Delete succeeded despite the forced failure")
		}
		if crm.ErrorCode(err) != crm.EINTERNAL {
			t.Errorf("error code = %s, want internal", crm.ErrorCode(err))
		}
		after := crmtest.Dump(t, s)
		for _, table := range crmtest.CRMTables {
			if len(before[table]) != len(after[table]) {
				t.Errorf("%s: %d rows before, %d after a failed delete", table, len(before[table]), len(after[table]))
			}
		}
		if n := crmtest.CountRows(t, s, "archived_rows", ""); n != 0 {
			t.Errorf("failed delete left %d archived rows", n)
		}
		if n := crmtest.CountRows(t, s, "deletions", ""); n != 0 {
			t.Errorf("failed delete left %d deletion records", n)
		}
	})

	t.Run("ConcurrentDeletesOneWins", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, crm.ErrContactGone):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d deletes won, want exactly 1", wins)
		}
		if n := crmtest.CountRows(t, s, "deletions", ""); n != 1 {
			t.Errorf("%d deletion records, want 1", n)
		}
		if n := crmtest.CountRows(t, s, "archived_rows", "table_name = 'contacts'"); n != 1 {
			t.Errorf("contact archived %d times", n)
		}
	})

	t.Run("ErrContactChanged", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
		_, linked, err := s.Linked(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s.DB().MustExec(`INSERT INTO notes (id, contact_id, body) VALUES ('late_note', $1, 'added while the modal was open')`, id)
		_, err = s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", ExpectFingerprint: linked.Fingerprint, RestoreWindow: time.Hour})
		if !errors.Is(err, crm.ErrContactChanged) {
			t.Fatalf("Delete after a change: %v, want ErrContactChanged", err)
		}
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 1 {
			t.Error("changed contact was deleted")
		}
	})

	t.Run("ErrContactGone", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		_, err := s.Delete(ctx, crm.DeleteRequest{ContactID: "nope", Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour})
		if !errors.Is(err, crm.ErrContactGone) {
			t.Fatalf("got %v, want ErrContactGone", err)
		}
	})
}
