package crm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestAuditTrailOldestFirst: the audit export reads entries oldest first
// with ids in the order they were written, when what an approval does (a
// delete, an erasure) writes its line before the approval's own, on a clock
// that moves on between every reading of it.
func TestAuditTrailOldestFirst(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
		s.SetClock(func() time.Time {
			clock.Advance(time.Millisecond)
			return clock.Now()
		})
		for i, kind := range []crm.Kind{crm.KindDelete, crm.KindErasure, crm.KindDelete} {
			id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", Email: fmt.Sprintf("jane%d@example.com", i)}, crmtest.SmallFull)
			_, l, err := s.Linked(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			reason, requester := "duplicate", "USUP"
			if kind == crm.KindErasure {
				// An admin's erasure: one other admin approves it, typing ERASE.
				reason, requester = "erasure", "UADMIN2"
			}
			a, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: requester, Reason: reason, Kind: kind, Fingerprint: l.Fingerprint, TTL: time.Hour,
				RequesterIsAdmin: kind == crm.KindErasure})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "UADMIN", RestoreWindow: time.Hour, Confirmed: true}); err != nil {
				t.Fatal(err)
			}
		}
		var got []crm.AuditEntry
		if err := s.EachAuditEntry(ctx, time.Time{}, func(e crm.AuditEntry) error {
			got = append(got, e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 9 {
			t.Fatalf("%d entries, want 9 (a request, what was done and its approval, three times)", len(got))
		}
		for i := 1; i < len(got); i++ {
			prev, e := got[i-1], got[i]
			if e.ID <= prev.ID || e.At.Before(prev.At) {
				t.Errorf("entry %d (%s at %s) comes after entry %d (%s at %s)", e.ID, e.Action, e.At.Format(time.RFC3339Nano), prev.ID, prev.Action, prev.At.Format(time.RFC3339Nano))
			}
		}
	})
}
