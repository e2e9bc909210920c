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

// dndOf returns a contact's dnd_settings as channel → status.
func dndOf(t *testing.T, s *crm.Store, id string) map[string]string {
	t.Helper()
	var rows []crm.DNDSetting
	if err := s.DB().Select(&rows, `SELECT channel, status FROM dnd_settings WHERE contact_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Channel] = r.Status
	}
	return out
}

func contactDND(t *testing.T, s *crm.Store, id string) (bool, time.Time) {
	t.Helper()
	var row struct {
		DND       bool      `db:"dnd"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	if err := s.DB().Get(&row, `SELECT dnd, updated_at FROM contacts WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return row.DND, row.UpdatedAt
}

func sameDump(t *testing.T, what string, before, after map[string][]string) {
	t.Helper()
	if d := cmp.Diff(before, after); d != "" {
		t.Errorf("%s: CRM tables differ (-before +after):\n%s", what, d)
	}
}

func auditCount(t *testing.T, s *crm.Store, action string) int {
	t.Helper()
	return crmtest.CountRows(t, s, "audit_log", "action = $1", action)
}

func TestSetDND(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testSetDND)
}

func testSetDND(t *testing.T, dialect crm.Dialect) {
	ctx := context.Background()

	t.Run("AllChannelsThenUndo", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		other := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Other"}, crmtest.SmallFull)
		// sms active, email permanent, call inactive; no row for whatsapp, gmb, fb.
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
		before := crmtest.Dump(t, s)
		_, updatedBefore := contactDND(t, s, id)

		res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: crm.DNDChannels, Actor: "U1", Reason: "unsubscribe"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"sms": "active", "email": "permanent", "call": "active", "whatsapp": "active", "gmb": "active", "fb": "active"}
		if got := dndOf(t, s, id); !cmp.Equal(got, want) {
			t.Errorf("DND after = %v, want %v", got, want)
		}
		if on, at := contactDND(t, s, id); !on || at.Equal(updatedBefore) {
			t.Errorf("contacts.dnd = %v, updated_at %v (before %v): want on and touched", on, at, updatedBefore)
		}
		wantChanged := []crm.DNDChange{{"call", "inactive", "active"}, {"whatsapp", "", "active"}, {"gmb", "", "active"}, {"fb", "", "active"}}
		if !cmp.Equal(res.Changed, wantChanged) || len(res.Kept) != 2 || !res.ContactDNDChanged || !res.Contact.DND {
			t.Errorf("result = %+v", res)
		}
		if res.Undo == nil || res.Undo.ExpiresAt.Sub(res.Undo.CreatedAt) != crm.UndoWindow {
			t.Fatalf("undo = %+v", res.Undo)
		}
		if res.Audit.ID == 0 || res.Audit.Action != crm.AuditDNDSet || res.Audit.Actor != "U1" || res.Audit.ContactID != id ||
			!strings.Contains(res.Audit.Detail, "Calls: off → on") || !strings.Contains(res.Audit.Detail, res.Undo.ID) {
			t.Errorf("audit = %+v", res.Audit)
		}
		if n := auditCount(t, s, crm.AuditDNDSet); n != 1 {
			t.Errorf("%d dnd_set audit rows, want 1", n)
		}
		if got := dndOf(t, s, other); len(got) != 3 {
			t.Errorf("the other contact's DND changed: %v", got)
		}

		u, err := s.Undo(ctx, res.Undo.ID, "U1", false)
		if err != nil {
			t.Fatalf("Undo: %v", err)
		}
		sameDump(t, "after undo", before, crmtest.Dump(t, s))
		if u.Audit.Action != crm.AuditUndone || u.Audit.ContactID != id || u.Action.UndoneBy == nil || *u.Action.UndoneBy != "U1" ||
			!strings.Contains(u.Audit.Detail, "WhatsApp: on → not set") {
			t.Errorf("undo result = %+v", u)
		}
		if n := auditCount(t, s, crm.AuditUndone); n != 1 {
			t.Errorf("%d undone audit rows, want 1", n)
		}

		_, err = s.Undo(ctx, res.Undo.ID, "U1", false)
		if !errors.Is(err, crm.ErrUndoDone) {
			t.Errorf("second undo: %v, want ErrUndoDone", err)
		}
		sameDump(t, "after a second undo", before, crmtest.Dump(t, s))
		if n := auditCount(t, s, crm.AuditUndone); n != 1 {
			t.Errorf("a refused undo wrote audit: %d rows", n)
		}
	})

	t.Run("ChosenChannels", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
		before := crmtest.Dump(t, s)
		res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: []string{"whatsapp", "sms", "sms"}, Actor: "U1"})
		if err != nil {
			t.Fatal(err)
		}
		if got := dndOf(t, s, id); !cmp.Equal(got, map[string]string{"sms": "active", "whatsapp": "active"}) {
			t.Errorf("DND = %v", got)
		}
		after := crmtest.Dump(t, s)
		if !cmp.Equal(before["contacts"], after["contacts"]) {
			t.Errorf("contacts row changed though not every channel is on:\n%v\n%v", before["contacts"], after["contacts"])
		}
		if len(res.Changed) != 2 || res.ContactDNDChanged || res.Undo == nil {
			t.Errorf("result = %+v", res)
		}
		if _, err := s.Undo(ctx, res.Undo.ID, "U1", false); err != nil {
			t.Fatal(err)
		}
		sameDump(t, "after undo", before, crmtest.Dump(t, s))
	})

	t.Run("ContactDNDOnlyWhenAllOn", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
		five := crm.DNDChannels[:5]
		if _, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: five, Actor: "U1"}); err != nil {
			t.Fatal(err)
		}
		if on, _ := contactDND(t, s, id); on {
			t.Fatal("contacts.dnd set with five of six channels on")
		}
		res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: []string{"fb"}, Actor: "U1"})
		if err != nil {
			t.Fatal(err)
		}
		if on, _ := contactDND(t, s, id); !on || !res.ContactDNDChanged {
			t.Fatal("contacts.dnd not set once all six are on")
		}
	})

	t.Run("PermanentNeverLowered", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
		for _, ch := range crm.DNDChannels {
			s.DB().MustExec(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES ($1, $2, 'permanent')`, id, ch)
		}
		before := crmtest.Dump(t, s)
		res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: crm.DNDChannels, Actor: "U1"})
		if err != nil {
			t.Fatal(err)
		}
		// Six permanent channels but contacts.dnd off: the flag goes on, the channels stay permanent.
		if len(res.Changed) != 0 || len(res.Kept) != 6 || !res.ContactDNDChanged {
			t.Errorf("result = %+v", res)
		}
		for ch, st := range dndOf(t, s, id) {
			if st != "permanent" {
				t.Errorf("%s lowered to %s", ch, st)
			}
		}
		if _, err := s.Undo(ctx, res.Undo.ID, "U1", false); err != nil {
			t.Fatal(err)
		}
		sameDump(t, "after undo", before, crmtest.Dump(t, s))
		// Nothing left to change: no undo, one audit row saying so.
		s.DB().MustExec(`UPDATE contacts SET dnd = true WHERE id = $1`, id)
		res, err = s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: []string{"email"}, Actor: "U1"})
		if err != nil || res.Undo != nil || !strings.HasPrefix(res.Audit.Outcome, "unchanged") {
			t.Errorf("no-op SetDND = %+v, %v", res, err)
		}
		if n := auditCount(t, s, crm.AuditDNDSet); n != 2 {
			t.Errorf("%d dnd_set audit rows, want 2", n)
		}
	})

	t.Run("UndoNeverLowersANewerSTOP", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
		res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: []string{"sms"}, Actor: "U1"})
		if err != nil {
			t.Fatal(err)
		}
		// A STOP reply arrives after the change.
		s.DB().MustExec(`UPDATE dnd_settings SET status = 'permanent' WHERE contact_id = $1 AND channel = 'sms'`, id)
		before := crmtest.Dump(t, s)
		if _, err := s.Undo(ctx, res.Undo.ID, "U1", false); !errors.Is(err, crm.ErrUndoConflict) {
			t.Fatalf("undo over a newer change: %v, want ErrUndoConflict", err)
		}
		sameDump(t, "after refused undo", before, crmtest.Dump(t, s))
	})

	t.Run("UndoKeepsANewerUpdatedAt", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
		res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: crm.DNDChannels, Actor: "U1"})
		if err != nil {
			t.Fatal(err)
		}
		s.DB().MustExec(`UPDATE contacts SET first_name = 'Janet', updated_at = $1 WHERE id = $2`, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), id)
		if _, err := s.Undo(ctx, res.Undo.ID, "U1", false); err != nil {
			t.Fatal(err)
		}
		on, at := contactDND(t, s, id)
		if on || !at.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || len(dndOf(t, s, id)) != 0 {
			t.Errorf("after undo: dnd %v, updated_at %v, rows %v", on, at, dndOf(t, s, id))
		}
	})

	t.Run("Refusals", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
		for name, req := range map[string]crm.DNDRequest{
			"NoChannels":     {ContactID: id, Actor: "U1"},
			"UnknownChannel": {ContactID: id, Channels: []string{"sms", "pigeon"}, Actor: "U1"},
		} {
			if _, err := s.SetDND(ctx, req); crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		// No actor is the caller's mistake, not a person's: internal.
		if _, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: []string{"sms"}}); !errors.Is(err, crm.ErrPrecondition) || crm.ErrorCode(err) != crm.EINTERNAL {
			t.Errorf("NoActor: %v, want a broken precondition", err)
		}
		if _, err := s.SetDND(ctx, crm.DNDRequest{ContactID: "gone", Channels: []string{"sms"}, Actor: "U1"}); !errors.Is(err, crm.ErrContactGone) {
			t.Errorf("missing contact: %v", err)
		}
		if n := crmtest.CountRows(t, s, "dnd_settings", "") + crmtest.CountRows(t, s, "audit_log", "") + crmtest.CountRows(t, s, "undo_actions", ""); n != 0 {
			t.Errorf("refused requests wrote %d rows", n)
		}
	})
}

func TestUndoRules(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, testUndoRules)
}

func testUndoRules(t *testing.T, s *crm.Store) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
	set := func() string {
		t.Helper()
		res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: []string{"sms"}, Actor: "U1"})
		if err != nil || res.Undo == nil {
			t.Fatalf("SetDND: %+v %v", res, err)
		}
		return res.Undo.ID
	}

	t.Run("OtherUserRefused", func(t *testing.T) {
		undoID := set()
		before := crmtest.Dump(t, s)
		if _, err := s.Undo(ctx, undoID, "U2", false); !errors.Is(err, crm.ErrUndoNotYours) {
			t.Fatalf("undo by another user: %v", err)
		}
		sameDump(t, "refused undo", before, crmtest.Dump(t, s))
		if _, err := s.Undo(ctx, undoID, "UADMIN", true); err != nil {
			t.Fatalf("undo by an admin: %v", err)
		}
		if len(dndOf(t, s, id)) != 0 {
			t.Error("admin's undo did not remove the row")
		}
	})
	t.Run("Expired", func(t *testing.T) {
		undoID := set()
		now = now.Add(crm.UndoWindow)
		res, err := s.Undo(ctx, undoID, "U1", false)
		if !errors.Is(err, crm.ErrUndoExpired) || res.Action.ExpiresAt.IsZero() {
			t.Fatalf("late undo: %v (%+v)", err, res.Action)
		}
		if dndOf(t, s, id)["sms"] != "active" {
			t.Error("expired undo changed DND")
		}
		s.DB().MustExec(`DELETE FROM dnd_settings WHERE contact_id = $1`, id)
	})
	t.Run("NotFound", func(t *testing.T) {
		if _, err := s.Undo(ctx, "Anope", "U1", true); !errors.Is(err, crm.ErrUndoNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
	})
	t.Run("ConcurrentUndoOnce", func(t *testing.T) {
		undoID := set()
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Undo(ctx, undoID, "U1", false)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, crm.ErrUndoDone):
			default:
				t.Errorf("unexpected: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d undos succeeded, want 1", ok)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "action = 'undone' AND detail LIKE '%' || $1 || '%'", undoID); n != 1 {
			t.Errorf("%d undo audit rows for %s, want 1", n, undoID)
		}
	})
	t.Run("ContactDeleted", func(t *testing.T) {
		undoID := set()
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Undo(ctx, undoID, "U1", false); !errors.Is(err, crm.ErrContactGone) {
			t.Fatalf("undo after delete: %v", err)
		}
	})
}

func TestRemoveFollowUp(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, testRemoveFollowUp)
}

func testRemoveFollowUp(t *testing.T, s *crm.Store) {
	ctx := context.Background()
	// Jane: _w1 active, _w2 finished (InsertFull), plus _w3 active and _w4 stopped.
	id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
	other := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Other"}, crmtest.SmallFull)
	s.DB().MustExec(`INSERT INTO workflow_enrollments (id, contact_id, workflow_name, status, enrolled_at) VALUES
		($1 || '_w3', $1, 'Reminders', 'active', $2), ($1 || '_w4', $1, 'Old', 'stopped', $3)`,
		id, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	before := crmtest.Dump(t, s)

	res, err := s.RemoveFollowUp(ctx, crm.FollowUpRequest{ContactID: id, Actor: "U1", Reason: "stop_followup",
		EnrollmentIDs: []string{id + "_w1", id + "_w2", id + "_w3", id + "_w4", other + "_w1", "nope", id + "_w1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stopped) != 2 || res.Stopped[0].ID != id+"_w1" || res.Stopped[1].ID != id+"_w3" || res.Skipped != 4 || res.Undo == nil {
		t.Errorf("result = %+v", res)
	}
	status := func(eid string) string {
		var st string
		if err := s.DB().Get(&st, `SELECT status FROM workflow_enrollments WHERE id = $1`, eid); err != nil {
			t.Fatal(err)
		}
		return st
	}
	for eid, want := range map[string]string{id + "_w1": "stopped", id + "_w2": "finished", id + "_w3": "stopped", id + "_w4": "stopped", other + "_w1": "active"} {
		if got := status(eid); got != want {
			t.Errorf("%s = %s, want %s", eid, got, want)
		}
	}
	// Nothing but those two rows changed.
	after := crmtest.Dump(t, s)
	for _, table := range crmtest.CRMTables {
		if table != "workflow_enrollments" && !cmp.Equal(before[table], after[table]) {
			t.Errorf("%s changed", table)
		}
	}
	if d := len(cmp.Diff(before["workflow_enrollments"], after["workflow_enrollments"])); d == 0 {
		t.Error("no enrollment changed")
	}
	if n := auditCount(t, s, crm.AuditFollowUpRemoved); n != 1 || !strings.Contains(res.Audit.Detail, "Reminders") {
		t.Errorf("%d followup audit rows (%+v)", n, res.Audit)
	}

	if _, err := s.Undo(ctx, res.Undo.ID, "U1", false); err != nil {
		t.Fatal(err)
	}
	sameDump(t, "after undo", before, crmtest.Dump(t, s))

	t.Run("NothingActive", func(t *testing.T) {
		res, err := s.RemoveFollowUp(ctx, crm.FollowUpRequest{ContactID: id, Actor: "U1", EnrollmentIDs: []string{id + "_w2"}})
		if err != nil || len(res.Stopped) != 0 || res.Undo != nil || !strings.HasPrefix(res.Audit.Outcome, "unchanged") {
			t.Errorf("nothing active: %+v %v", res, err)
		}
	})
	t.Run("Refusals", func(t *testing.T) {
		if _, err := s.RemoveFollowUp(ctx, crm.FollowUpRequest{ContactID: id, Actor: "U1"}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("no ids: %v", err)
		}
		if _, err := s.RemoveFollowUp(ctx, crm.FollowUpRequest{ContactID: "gone", Actor: "U1", EnrollmentIDs: []string{"x"}}); !errors.Is(err, crm.ErrContactGone) {
			t.Errorf("gone: %v", err)
		}
	})
	t.Run("UndoAfterRestart", func(t *testing.T) {
		res, err := s.RemoveFollowUp(ctx, crm.FollowUpRequest{ContactID: id, Actor: "U1", EnrollmentIDs: []string{id + "_w1"}})
		if err != nil {
			t.Fatal(err)
		}
		s.DB().MustExec(`UPDATE workflow_enrollments SET status = 'finished' WHERE id = $1`, id+"_w1")
		if _, err := s.Undo(ctx, res.Undo.ID, "U1", false); !errors.Is(err, crm.ErrUndoConflict) {
			t.Errorf("undo over a newer change: %v", err)
		}
		if status(id+"_w1") != "finished" {
			t.Error("refused undo changed the enrollment")
		}
	})
}

// TestAuditRefusesChanges runs the statements through the store's own
// connection pool and inside a transaction, as the bot's code paths would.
func TestAuditRefusesChanges(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, testAuditRefusesChanges)
}

func testAuditRefusesChanges(t *testing.T, s *crm.Store) {
	ctx := context.Background()
	id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
	res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: id, Channels: []string{"sms"}, Actor: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Undo(ctx, res.Undo.ID, "U1", false); err != nil {
		t.Fatal(err)
	}
	trail, total, err := s.ContactHistory(ctx, id, 10)
	if err != nil || total != 2 || len(trail) != 2 || trail[0].Action != crm.AuditDNDSet || trail[1].Action != crm.AuditUndone {
		t.Fatalf("history = %+v (%d), %v", trail, total, err)
	}
	for _, q := range []string{
		`UPDATE audit_log SET outcome = 'tampered' WHERE id = $1`,
		`DELETE FROM audit_log WHERE id = $1`,
	} {
		if _, err := s.DB().ExecContext(ctx, q, res.Audit.ID); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", q, err)
		}
		tx, err := s.DB().BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, q, res.Audit.ID); err == nil {
			t.Errorf("%s allowed inside a transaction", q)
		}
		_ = tx.Rollback()
	}
	again, _, err := s.ContactHistory(ctx, id, 10)
	if err != nil || !cmp.Equal(trail, again) {
		t.Errorf("audit rows changed: %v", cmp.Diff(trail, again))
	}
}

func TestContactHistory(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, testContactHistory)
}

func testContactHistory(t *testing.T, s *crm.Store) {
	ctx := context.Background()
	id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
	other := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Other"})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if _, err := s.Audit(ctx, crm.AuditEntry{Actor: "U1", Action: crm.AuditFind, ContactID: id, At: base.Add(time.Duration(i) * time.Minute), Detail: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Audit(ctx, crm.AuditEntry{Actor: "U1", Action: crm.AuditFind, ContactID: other}); err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return base.Add(time.Hour) })
	del, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U2", Reason: "duplicate", RestoreWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// A later line about the deletion only (as a report would write).
	if _, err := s.Audit(ctx, crm.AuditEntry{Actor: "U3", Action: crm.AuditReported, DeletionID: del.Deletion.ID, At: base.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, total, err := s.ContactHistory(ctx, id, 3)
	if err != nil {
		t.Fatal(err)
	}
	if total != 7 || len(got) != 3 || got[0].Detail != "e" || got[1].Action != crm.AuditDeleted || got[2].Action != crm.AuditReported {
		t.Errorf("history = %+v (total %d), want the newest find, the delete and the report of 7", got, total)
	}
	if _, _, err := s.ContactHistory(ctx, "", 3); crm.ErrorCode(err) != crm.EINVALID {
		t.Errorf("no contact: %v", err)
	}
}
