package crm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// dndAndFlag reads a contact's DND rows as channel → status, and its flag.
func dndAndFlag(t *testing.T, s *crm.Store, id string) (map[string]string, bool) {
	t.Helper()
	var flag bool
	if err := s.DB().Get(&flag, s.DB().Rebind(`SELECT dnd FROM contacts WHERE id = ?`), id); err != nil {
		t.Fatal(err)
	}
	return dndOf(t, s, id), flag
}

// insertPlain writes a contact the way an import does: one plain INSERT.
func insertPlain(t *testing.T, s *crm.Store, id, email, phone string) {
	t.Helper()
	s.DB().MustExec(s.DB().Rebind(`INSERT INTO contacts (id, location_id, first_name, last_name, email, phone, created_at, updated_at)
		VALUES (?, 'loc_main', 'Re', 'Created', ?, ?, ?, ?)`), id, nullIfEmpty(email), nullIfEmpty(phone), crmtest.ContactCreatedAt, crmtest.ContactUpdatedAt)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestSuppression(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testSuppression)
}

func testSuppression(t *testing.T, dialect crm.Dialect) {
	ctx := context.Background()
	// InsertFull's DND: sms active, email permanent, call inactive.
	optedOut := map[string]string{"sms": "active", "email": "permanent"}

	t.Run("DeletedAndRecreatedByPlainInsertGetsDNDBack", func(t *testing.T) {
		// The bot posts audit lines to the audit channel once it runs.
		var feeding atomic.Bool
		s := crmtest.NewStoreOf(t, dialect, crm.Hooks{AuditNotes: func(e crm.AuditEntry) []outbox.Note {
			if !feeding.Load() {
				return nil
			}
			return []outbox.Note{{Channel: "CAUDIT", Payload: []byte(`{"text":"` + e.Action + ` ` + e.ContactID + `"}`)}}
		}})
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "Jane.Doe@Example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
		res, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "test_contact", RestoreWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Suppressed) != 2 || res.Suppressed[0].Kind != crm.SuppressionEmail || res.Suppressed[1].Kind != crm.SuppressionPhone {
			t.Fatalf("suppressed = %+v, want an email and a phone entry", res.Suppressed)
		}
		if !strings.Contains(res.Audit.Detail, "opt-out kept on the suppression list: email S") {
			t.Errorf("delete audit detail = %q", res.Audit.Detail)
		}
		// Only hashes: the list holds no address.
		var texts []string
		s.DB().Select(&texts, `SELECT hash || dnd FROM suppressions`)
		for _, x := range texts {
			if strings.Contains(strings.ToLower(x), "doe") || strings.Contains(x, "2233") {
				t.Errorf("suppression row holds contact details: %s", x)
			}
		}

		// Re-created by email, in another case and with spaces.
		insertPlain(t, s, "recreated_by_email01", " JANE.DOE@example.COM ", "")
		got, flag := dndAndFlag(t, s, "recreated_by_email01")
		if diff := cmp.Diff(optedOut, got); diff != "" || flag {
			t.Errorf("DND of the contact re-created by email (-want +got):\n%s flag %t", diff, flag)
		}
		// Re-created by phone, written another way (national number only).
		insertPlain(t, s, "recreated_by_phone01", "", "555.010.2233")
		if got := dndOf(t, s, "recreated_by_phone01"); !cmp.Equal(optedOut, got) {
			t.Errorf("DND of the contact re-created by phone = %v, want %v", got, optedOut)
		}
		// Someone else: untouched.
		insertPlain(t, s, "someone_else_000001", "john@example.com", "+1 555 010 9999")
		if got := dndOf(t, s, "someone_else_000001"); len(got) != 0 {
			t.Errorf("an unrelated contact got DND %v", got)
		}

		// The audit trail says so, once per contact.
		var trail []crm.AuditEntry
		if err := s.DB().Select(&trail, `SELECT * FROM audit_log WHERE action = 'dnd_reapplied' ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		if len(trail) != 2 || trail[0].ContactID != "recreated_by_email01" || trail[0].Actor != "system" || trail[0].DeletionID != res.Deletion.ID {
			t.Fatalf("re-apply audit lines = %+v", trail)
		}
		want := "opted out before (deleted " + res.Deletion.DeletedAt.UTC().Format("2006-01-02") + "): DND re-applied: SMS on, Email on (permanent); suppression " + res.Suppressed[0].ID
		if trail[0].Detail != want {
			t.Errorf("re-apply audit detail =\n%q, want\n%q", trail[0].Detail, want)
		}
		deletedAt := res.Deletion.DeletedAt
		// The bot posts the trigger's lines to the audit channel: each once.
		feeding.Store(true)
		if n, err := s.FeedReapplied(ctx); err != nil || n != 2 {
			t.Fatalf("FeedReapplied = %d, %v; want the 2 lines", n, err)
		}
		if n, err := s.FeedReapplied(ctx); err != nil || n != 0 {
			t.Errorf("FeedReapplied again = %d, %v; want 0", n, err)
		}
		if n := crmtest.CountRows(t, s, "outbox", "channel = 'CAUDIT' AND payload LIKE '%dnd_reapplied recreated_by_%'"); n != 2 {
			t.Errorf("%d audit feed notes for the re-applies, want 2", n)
		}
		at, ok, err := s.OptedOutBefore(ctx, "recreated_by_phone01")
		if err != nil || !ok || !at.Equal(deletedAt) {
			t.Errorf("OptedOutBefore = %v, %t, %v; want %v", at, ok, err, res.Deletion.DeletedAt)
		}
		if _, ok, _ := s.OptedOutBefore(ctx, "someone_else_000001"); ok {
			t.Error("an unrelated contact is marked as opted out before")
		}
		// Search marks it.
		sr, err := s.Search(ctx, "555.010.2233")
		if err != nil || len(sr.Matches) != 1 || sr.Matches[0].OptedOutBefore == nil || !sr.Matches[0].OptedOutBefore.Equal(deletedAt) {
			t.Errorf("search match = %+v, %v", sr.Matches, err)
		}
	})

	t.Run("ContactWideFlagAndEditedAddress", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Flag", LastName: "Only", Email: "flag@example.com", DND: true})
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "test_contact", RestoreWindow: time.Hour}); err != nil {
			t.Fatal(err)
		}
		insertPlain(t, s, "edited_later_000001", "other@example.com", "")
		if _, flag := dndAndFlag(t, s, "edited_later_000001"); flag {
			t.Fatal("DND set before the address matched")
		}
		// An edit to the opted-out address is the same risk as an import.
		s.DB().MustExec(s.DB().Rebind(`UPDATE contacts SET email = 'FLAG@example.com' WHERE id = ?`), "edited_later_000001")
		if got, flag := dndAndFlag(t, s, "edited_later_000001"); !flag || len(got) != 0 {
			t.Errorf("after the edit: DND rows %v, flag %t; want the contact flag only", got, flag)
		}
		// Editing another field does not re-apply again.
		s.DB().MustExec(s.DB().Rebind(`UPDATE contacts SET first_name = 'Renamed', email = 'flag@example.com' WHERE id = ?`), "edited_later_000001")
		if n := crmtest.CountRows(t, s, "audit_log", "action = 'dnd_reapplied'"); n != 1 {
			t.Errorf("%d re-apply audit lines, want 1", n)
		}
	})

	t.Run("ImporterWritingDNDRowsAfterwardsNeverLowersThem", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"}, crmtest.SmallFull)
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "test_contact", RestoreWindow: time.Hour}); err != nil {
			t.Fatal(err)
		}
		insertPlain(t, s, "imported_0000000001", "jane@example.com", "")
		// The import then writes its own DND rows: no key collision, no lowering.
		s.DB().MustExec(s.DB().Rebind(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES (?, 'sms', 'inactive'), (?, 'email', 'active'), (?, 'whatsapp', 'active')`),
			"imported_0000000001", "imported_0000000001", "imported_0000000001")
		s.DB().MustExec(s.DB().Rebind(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES (?, 'sms', 'permanent')`), "imported_0000000001")
		got := dndOf(t, s, "imported_0000000001")
		if diff := cmp.Diff(map[string]string{"sms": "permanent", "email": "permanent", "whatsapp": "active"}, got); diff != "" {
			t.Errorf("DND after the importer's rows (-want +got):\n%s", diff)
		}
		// A contact that never got DND back keeps the table's usual rule.
		other := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Other"})
		s.DB().MustExec(s.DB().Rebind(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES (?, 'sms', 'active')`), other)
		if _, err := s.DB().Exec(s.DB().Rebind(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES (?, 'sms', 'inactive')`), other); err == nil {
			t.Error("a duplicate DND row was accepted for a contact without a re-applied opt-out")
		}
	})

	t.Run("RestoreWithTheReapplyInPlace", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
		before := crmtest.Dump(t, s)
		d := deleteContact(t, s, id)
		res, err := s.Restore(ctx, d.ID, "UADMIN")
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Fatalf("CRM after delete + restore differs (-before +after):\n%s", diff)
		}
		if n := crmtest.CountRows(t, s, "suppressions", ""); n != 0 {
			t.Errorf("%d suppression entries left after the restore; the contact carries its DND itself", n)
		}
		if !strings.Contains(res.Audit.Detail, "2 entries removed from the suppression list") {
			t.Errorf("restore audit detail = %q", res.Audit.Detail)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "action = 'dnd_reapplied'"); n != 0 {
			t.Errorf("the restore re-applied DND (%d audit lines)", n)
		}
	})

	t.Run("RestoreBesideARecreatedContact", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
		// The original's DND rows, as stored before the delete.
		var wantRows []string
		s.DB().Select(&wantRows, s.DB().Rebind(`SELECT channel || '=' || status FROM dnd_settings WHERE contact_id = ? ORDER BY channel`), id)
		d := deleteContact(t, s, id)
		insertPlain(t, s, "recreated_000000001", "jane@example.com", "")
		if _, err := s.Restore(ctx, d.ID, "UADMIN"); err != nil {
			t.Fatalf("Restore beside the re-created contact: %v", err)
		}
		var gotRows []string
		s.DB().Select(&gotRows, s.DB().Rebind(`SELECT channel || '=' || status FROM dnd_settings WHERE contact_id = ? ORDER BY channel`), id)
		if diff := cmp.Diff(wantRows, gotRows); diff != "" {
			t.Errorf("restored DND rows (-archived +restored):\n%s", diff)
		}
		if got := dndOf(t, s, "recreated_000000001"); !cmp.Equal(optedOut, got) {
			t.Errorf("the re-created contact's DND = %v, want it kept: %v", got, optedOut)
		}
	})

	t.Run("PhoneByItsNationalNumber", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		// Deleted with the country code; re-created in national format, and
		// with the international prefix instead of +.
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Tom", Phone: "+49 30 901820"}, crmtest.SmallFull)
		deleteContact(t, s, id)
		for i, phone := range []string{"030 901820", "0049-30-901820", "(030) 90 18 20"} {
			rid := fmt.Sprintf("recreated_phone_%03d", i)
			insertPlain(t, s, rid, "", phone)
			if got := dndOf(t, s, rid); !cmp.Equal(optedOut, got) {
				t.Errorf("re-created as %q: DND %v, want %v", phone, got, optedOut)
			}
		}
		// A number that merely shares the area code is someone else.
		insertPlain(t, s, "other_berlin_number", "", "030 901821")
		if got := dndOf(t, s, "other_berlin_number"); len(got) != 0 {
			t.Errorf("another number got DND %v", got)
		}
	})

	t.Run("NoDNDNoEntry", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Low", Email: "low@example.com"}, crmtest.SmallLowRisk)
		res, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "test_contact", RestoreWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Suppressed) != 0 || crmtest.CountRows(t, s, "suppressions", "") != 0 {
			t.Errorf("a contact without DND was suppressed: %+v", res.Suppressed)
		}
	})

	t.Run("OutlivesThePurge", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		clk := withClock(s)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"}, crmtest.SmallFull)
		deleteContact(t, s, id)
		clk.Advance(2 * time.Hour)
		if n, err := s.Purge(ctx); err != nil || n != 1 {
			t.Fatalf("Purge = %d, %v", n, err)
		}
		insertPlain(t, s, "after_purge_0000001", "jane@example.com", "")
		if got := dndOf(t, s, "after_purge_0000001"); !cmp.Equal(optedOut, got) {
			t.Errorf("after the purge the opt-out was lost: %v", got)
		}
	})

	t.Run("LookUpAndRemove", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com", Phone: "+44 20 7946 0958"}, crmtest.SmallFull)
		del := deleteContact(t, s, id)
		look, byEmail, err := s.FindSuppressions(ctx, "JANE@example.com")
		if err != nil || look.Kind != crm.SuppressionEmail || len(byEmail) != 1 || byEmail[0].DeletionID != del.ID || !cmp.Equal(optedOut, byEmail[0].DND) {
			t.Fatalf("by email: %+v %+v, %v", look, byEmail, err)
		}
		_, byPhone, err := s.FindSuppressions(ctx, "020 7946 0958")
		if err != nil || len(byPhone) != 1 || byPhone[0].Kind != crm.SuppressionPhone {
			t.Fatalf("by phone: %+v, %v", byPhone, err)
		}
		if _, none, err := s.FindSuppressions(ctx, "nobody@example.com"); err != nil || len(none) != 0 {
			t.Errorf("an address never suppressed: %+v, %v", none, err)
		}
		if _, _, err := s.FindSuppressions(ctx, "jane doe"); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("a name: %v", err)
		}
		res, err := s.RemoveSuppression(ctx, byEmail[0].ID, "UADMIN", nil)
		removed, audit := res.Entry, res.Audit
		if err != nil || removed.ID != byEmail[0].ID || !res.Removed {
			t.Fatalf("RemoveSuppression: %+v, %v", res, err)
		}
		if res.Review == nil || res.Review.Kind != crm.ReviewSuppressionRemoval || res.Review.EntryID != removed.ID || res.Review.Actor != "UADMIN" || res.Review.DeletionID != del.ID {
			t.Errorf("review of the removal = %+v", res.Review)
		}
		wantDetail := "email entry " + removed.ID + " (deleted; SMS on, Email on (permanent), deleted " + del.DeletedAt.UTC().Format("2006-01-02") + ") removed"
		if audit.Action != crm.AuditSuppressionRemoved || audit.Actor != "UADMIN" || audit.Detail != wantDetail || audit.DeletionID != del.ID {
			t.Errorf("audit = %+v, want detail %q", audit, wantDetail)
		}
		if _, err := s.RemoveSuppression(ctx, removed.ID, "UADMIN", nil); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("removing twice: %v", err)
		}
		insertPlain(t, s, "after_removal_00001", "jane@example.com", "")
		if got, flag := dndAndFlag(t, s, "after_removal_00001"); len(got) != 0 || flag {
			t.Errorf("a removed entry still re-applied DND: %v", got)
		}
		insertPlain(t, s, "by_phone_still_0001", "", "+44 20 7946 0958")
		if got := dndOf(t, s, "by_phone_still_0001"); !cmp.Equal(optedOut, got) {
			t.Errorf("the phone entry stopped working: %v", got)
		}
	})

	t.Run("Key", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		if err := s.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
			t.Errorf("the same key again: %v", err)
		}
		if err := s.SetSuppressionKey(ctx, "abc"); crm.ErrorCode(err) != crm.EINVALID || !strings.Contains(crm.ErrorMessage(err), "openssl rand -hex 32") {
			t.Errorf("a short key: %v", err)
		}
		other := crm.NewSuppressionKey()
		// No entries yet: a new key may replace the old one.
		if err := s.SetSuppressionKey(ctx, other); err != nil {
			t.Fatalf("a new key on an empty list: %v", err)
		}
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"}, crmtest.SmallFull)
		deleteContact(t, s, id)
		err := s.SetSuppressionKey(ctx, crmtest.SuppressionKey)
		if crm.ErrorCode(err) != crm.EINVALID || !strings.Contains(crm.ErrorMessage(err), "not the key the 1 entry on the suppression list were made with") {
			t.Errorf("another key with entries: %v", err)
		}
		insertPlain(t, s, "still_matches_00001", "jane@example.com", "")
		if got := dndOf(t, s, "still_matches_00001"); !cmp.Equal(optedOut, got) {
			t.Errorf("a refused key change broke the list: %v", got)
		}
	})

	t.Run("NoKeyNoDeleteOfAnOptedOutContact", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		s.DB().MustExec(`DELETE FROM contactbot_settings`)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"}, crmtest.SmallFull)
		before := crmtest.Dump(t, s)
		_, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "test_contact", RestoreWindow: time.Hour})
		if !errors.Is(err, crm.ErrNoSuppressionKey) {
			t.Fatalf("delete without a key: %v", err)
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Errorf("a refused delete changed the CRM:\n%s", diff)
		}
	})
}
