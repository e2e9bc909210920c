package crm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// TestCoalescedRefresh: a refresh delivered settles the same refreshes
// written before it; one written after it is delivered on its own; other
// payloads and streams are untouched.
func TestCoalescedRefresh(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		refresh := func(user string) outbox.Note {
			return outbox.Note{Channel: "home:" + user, Payload: []byte(`{"home":"` + user + `"}`), Coalesce: true}
		}
		for range 5 {
			if err := s.Enqueue(ctx, refresh("U1"), refresh("U2")); err != nil {
				t.Fatal(err)
			}
		}
		var r recorder
		// A refresh written while the first is being delivered is written
		// after the batch was read: it is delivered on its own.
		wrote := false
		send := func(ctx context.Context, o outbox.Outgoing) (outbox.Sent, error) {
			if !wrote {
				wrote = true
				if err := s.Enqueue(ctx, refresh("U1")); err != nil {
					t.Error(err)
				}
			}
			return r.send(ctx, o)
		}
		drain(t, s, send)
		per := map[string]int{}
		for _, o := range r.sent {
			per[o.Channel]++
		}
		if per["home:U1"] != 2 || per["home:U2"] != 1 {
			t.Errorf("deliveries %v, want home:U1 twice (the batch, then the one written during it) and home:U2 once", per)
		}
		if n := crmtest.CountRows(t, s, "outbox", "delivered_at IS NULL"); n != 0 {
			t.Errorf("%d refreshes left undelivered", n)
		}
	})
}

// TestHomeLists: what a Home tab shows comes from indexed reads: a
// person's pending requests and recent deletions (with their incident), the
// open incidents, and who has opened the tab.
func TestHomeLists(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Now().UTC().Truncate(time.Second))
		s.SetClock(clock.Now)
		if has, _ := s.HasHome(ctx, "U1"); has {
			t.Error("U1 has a Home tab before opening it")
		}
		if err := s.HomeOpened(ctx, "U1"); err != nil {
			t.Fatal(err)
		}
		if err := s.HomeOpened(ctx, "U1"); err != nil { // again: still one row
			t.Fatal(err)
		}
		if users, err := s.HomeUsers(ctx); err != nil || fmt.Sprint(users) != "[U1]" {
			t.Errorf("HomeUsers = %v, %v", users, err)
		}
		_, a := newRequest(t, s, time.Hour)
		if list, total, err := s.PendingApprovalsOf(ctx, "U1", 10); err != nil || total != 1 || list[0].ID != a.ID {
			t.Errorf("PendingApprovalsOf(U1) = %+v %d %v", list, total, err)
		}
		if list, total, _ := s.PendingApprovalsOf(ctx, "U2", 10); total != 0 || len(list) != 0 {
			t.Errorf("U2 sees %d requests", total)
		}
		if n, err := s.CountPendingApprovals(ctx); n != 1 || err != nil {
			t.Errorf("CountPendingApprovals = %d, %v", n, err)
		}

		var ids []string
		for i := range 3 {
			id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: fmt.Sprint("C", i), LastName: "Doe"})
			d, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: 48 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.Deletion.ID)
			clock.Advance(time.Minute)
		}
		if _, err := s.ReportDeletion(ctx, ids[0], "U2", "", nil); err != nil {
			t.Fatal(err)
		}
		list, total, err := s.DeletionsBy(ctx, "U1", clock.Now().Add(-time.Hour), 2)
		if err != nil || total != 3 || len(list) != 2 || list[0].ID != ids[2] {
			t.Fatalf("DeletionsBy = %d of %d, %v", len(list), total, err)
		}
		inc, total, err := s.OpenIncidents(ctx, 10)
		if err != nil || total != 1 || inc[0].ID != ids[0] || !inc[0].Reported || inc[0].ReportedBy != "U2" || inc[0].ContactLabel != "C0 Doe" {
			t.Fatalf("OpenIncidents = %+v (%d), %v", inc, total, err)
		}
		if _, err := s.Restore(ctx, ids[0], "UADMIN1"); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := s.OpenIncidents(ctx, 10); total != 0 {
			t.Errorf("a restored deletion is still an open incident")
		}
		item, err := s.DeletionItemOf(ctx, ids[0])
		if err != nil || !item.Reported || item.RestoredAt == nil {
			t.Errorf("DeletionItemOf = %+v, %v", item, err)
		}
	})
}

// TestDigestData: the digest counts a week's deletions by reason and
// person, restores and incidents, and what is waiting and expiring.
func TestDigestData(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		start := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
		clock := crmtest.NewClock(start.Add(-24 * time.Hour))
		s.SetClock(clock.Now)
		del := func(actor, reason string, window time.Duration) string {
			id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "X", LastName: actor + reason}, crmtest.SmallLowRisk)
			d, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: actor, Reason: reason, RestoreWindow: window})
			if err != nil {
				t.Fatal(err)
			}
			return d.Deletion.ID
		}
		del("U1", "duplicate", 30*24*time.Hour) // before the week: not counted
		clock.Advance(48 * time.Hour)
		del("U1", "duplicate", 30*24*time.Hour)
		del("U1", "test_contact", 30*24*time.Hour)
		restored := del("U2", "duplicate", 30*24*time.Hour)
		expiring := del("U2", "test_contact", 9*24*time.Hour) // closes 2 days after the week ends
		if _, err := s.ReportDeletion(ctx, restored, "U3", "", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Restore(ctx, restored, "UADMIN1"); err != nil {
			t.Fatal(err)
		}
		newRequest(t, s, 30*24*time.Hour)
		end := start.Add(7 * 24 * time.Hour)
		clock.Advance(end.Sub(clock.Now()))
		d, err := s.Digest(ctx, start, end)
		if err != nil {
			t.Fatal(err)
		}
		if d.Deletions != 4 || d.Restores != 1 || d.Incidents != 1 || d.PendingRequests != 1 || d.PendingReviews != 0 {
			t.Errorf("digest = %+v", d)
		}
		if got := fmt.Sprint(d.DeletionsByReason); got != "[{duplicate 2} {test_contact 2}]" {
			t.Errorf("by reason = %s", got)
		}
		if got := fmt.Sprint(d.DeletionsByPerson); got != "[{U1 2} {U2 2}]" {
			t.Errorf("by person = %s", got)
		}
		if d.ExpiringTotal != 1 || len(d.Expiring) != 1 || d.Expiring[0].ID != expiring {
			t.Errorf("expiring = %d %+v, want %s", d.ExpiringTotal, d.Expiring, expiring)
		} else if want, err := s.Deletion(ctx, expiring); err != nil || d.Expiring[0].Counts != want.Counts || want.Counts == (crm.Counts{}) {
			t.Errorf("expiring counts %+v, want the deletion's %+v (%v)", d.Expiring[0].Counts, want.Counts, err)
		}
	})
}

// TestEachAuditEntry: the export reads the entries of a period, oldest
// first, and stops at the callback's error.
func TestEachAuditEntry(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		s.SetClock(clock.Now)
		for i := range 5 {
			if _, err := s.Audit(ctx, crm.AuditEntry{Actor: "U1", Action: crm.AuditFind, ContactID: fmt.Sprint("c", i)}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(24 * time.Hour)
		}
		var got []string
		err := s.EachAuditEntry(ctx, time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), func(e crm.AuditEntry) error {
			got = append(got, e.ContactID)
			return nil
		})
		if err != nil || fmt.Sprint(got) != "[c2 c3 c4]" {
			t.Errorf("entries %v, %v", got, err)
		}
		stop := fmt.Errorf("stop")
		n := 0
		err = s.EachAuditEntry(ctx, time.Time{}, func(crm.AuditEntry) error {
			n++
			return stop
		})
		if err != stop || n != 1 {
			t.Errorf("EachAuditEntry returned %v after %d entries, want stop after 1", err, n)
		}
	})
}

// TestPurgeDue: the purge's due check finds an archive exactly when its
// restore window has passed and it was neither restored nor purged.
func TestPurgeDue(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Old", LastName: "One"})
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if due, err := s.PurgeDue(ctx); due || err != nil {
			t.Errorf("due inside the window: %v %v", due, err)
		}
		clock.Advance(time.Minute + time.Second)
		if due, err := s.PurgeDue(ctx); !due || err != nil {
			t.Errorf("not due after the window: %v %v", due, err)
		}
		if n, err := s.Purge(ctx); n != 1 || err != nil {
			t.Fatalf("purge %d %v", n, err)
		}
		if due, _ := s.PurgeDue(ctx); due {
			t.Error("still due after the purge")
		}
	})
}

// TestHomeAndDigestOfPrivacyFlows: the Home tab's and the digest's reads of
// merges, erasures and suppression hits, on both dialects: a person's
// deletions include their merges (with the contact that stays) and the
// erasures they asked for or approved; the contacts whose DND the triggers
// re-applied are listed (while they exist); the digest counts deletes,
// merges, erasures, restores of merges and suppression hits apart, each by
// person or source.
func TestHomeAndDigestOfPrivacyFlows(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Now().UTC().Truncate(time.Second))
		s.SetClock(clock.Now)
		since := clock.Now().Add(-time.Hour)
		// A merge by U1, restored later.
		orig := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Sam", LastName: "Lee", Email: "sam@example.com"}, crmtest.SmallLowRisk)
		dup := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Sam", LastName: "Lee", Email: "SAM@example.com"}, crmtest.SmallLowRisk)
		m, err := s.Merge(ctx, crm.MergeRequest{DuplicateID: dup, OriginalID: orig, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour, Review: true})
		if err != nil || m.Review == nil {
			t.Fatalf("Merge: %+v, %v", m.Review, err)
		}
		// An erasure U2 asked for and UADMIN approved.
		tom := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Tom", LastName: "Becker", Email: "tom@example.com"}, crmtest.SmallLowRisk)
		_, l, _ := s.Linked(ctx, tom)
		a, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: tom, Requester: "U2", Reason: "erasure", Fingerprint: l.Fingerprint, TTL: time.Hour, Kind: crm.KindErasure, Via: "message shortcut on a message"})
		if err != nil {
			t.Fatal(err)
		}
		firstApproval(t, s, a.ID)
		res, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "UADMIN", RestoreWindow: time.Hour, Confirmed: true})
		if err != nil || res.Deleted == nil {
			t.Fatalf("Approve: %+v, %v", res, err)
		}
		if !strings.HasSuffix(res.Deleted.Audit.Detail, "; via message shortcut on a message") {
			t.Errorf("the approved erasure's audit detail %q does not name where the request started", res.Deleted.Audit.Detail)
		}
		// An opted-out contact deleted by U1, imported again: a hit.
		priya := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Priya", LastName: "Patel", Email: "priya@example.com"}, crmtest.SmallFull)
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: priya, Actor: "U1", Reason: "test_contact", RestoreWindow: time.Hour}); err != nil {
			t.Fatal(err)
		}
		insertPlain(t, s, "priyaagain000000001", "priya@example.com", "")

		list, total, err := s.DeletionsBy(ctx, "U1", since, 10)
		if err != nil || total != 2 || len(list) != 2 {
			t.Fatalf("DeletionsBy(U1) = %+v (%d), %v", list, total, err)
		}
		kinds := map[crm.Kind]crm.DeletionItem{}
		for _, d := range list {
			kinds[d.Kind] = d
		}
		if kinds[crm.KindMerge].MergedInto != orig || kinds[crm.KindDelete].MergedInto != "" {
			t.Errorf("merged into: %+v", kinds)
		}
		for _, who := range []string{"U2", "UADMIN"} {
			list, total, err := s.DeletionsBy(ctx, who, since, 10)
			if err != nil || total != 1 || len(list) != 1 || list[0].Kind != crm.KindErasure || list[0].ContactLabel != crm.ErasedText {
				t.Errorf("DeletionsBy(%s) = %+v (%d), %v", who, list, total, err)
			}
		}
		hits, total, err := s.SuppressionHits(ctx, since, 10)
		if err != nil || total != 1 || len(hits) != 1 || hits[0].ContactID != "priyaagain000000001" || hits[0].Name() != "Re Created" ||
			!strings.HasPrefix(hits[0].Detail, "opted out before (deleted ") || hits[0].DeletionID != kinds[crm.KindDelete].ID {
			t.Errorf("SuppressionHits = %+v (%d), %v", hits, total, err)
		}

		if _, err := s.Restore(ctx, m.Deletion.ID, "UADMIN"); err != nil {
			t.Fatal(err)
		}
		d, err := s.Digest(ctx, since, clock.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if d.Deletions != 1 || d.Merges != 1 || d.Erasures != 1 || d.Restores != 1 || d.MergeRestores != 1 || d.SuppressionHits != 1 {
			t.Errorf("digest = %+v", d)
		}
		for what, got := range map[string]string{
			"deletions by reason": fmt.Sprint(d.DeletionsByReason), "deletions by person": fmt.Sprint(d.DeletionsByPerson),
			"merges by person": fmt.Sprint(d.MergesByPerson), "erasures by person": fmt.Sprint(d.ErasuresByPerson),
			"hits by source": fmt.Sprint(d.SuppressionHitsBySource),
		} {
			want := map[string]string{"deletions by reason": "[{test_contact 1}]", "deletions by person": "[{U1 1}]",
				"merges by person": "[{U1 1}]", "erasures by person": "[{U2 1}]", "hits by source": "[{delete 1}]"}[what]
			if got != want {
				t.Errorf("%s = %s, want %s", what, got, want)
			}
		}
		// A hit's contact that is gone no longer shows on the Home tab.
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: "priyaagain000000001", Actor: "U1", Reason: "test_contact", RestoreWindow: time.Hour}); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := s.SuppressionHits(ctx, since, 10); total != 0 {
			t.Errorf("%d hits listed for contacts that are gone", total)
		}
	})
}
