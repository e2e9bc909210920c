package crm_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

func TestAudit(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, testAudit)
}

func testAudit(t *testing.T, s *crm.Store) {
	ctx := context.Background()
	id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
	res, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Audit.ID == 0 || res.Audit.Action != crm.AuditDeleted || res.Audit.DeletionID != res.Deletion.ID {
		t.Errorf("delete audit = %+v", res.Audit)
	}
	trail, err := s.AuditTrail(ctx, id, "", 10)
	if err != nil || len(trail) != 1 || trail[0].Actor != "U1" || trail[0].Reason != "duplicate" {
		t.Fatalf("trail = %+v, %v", trail, err)
	}
	t.Run("AppendOnly", func(t *testing.T) {
		for _, q := range []string{`UPDATE audit_log SET actor = 'UEVIL'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
			if _, err := s.DB().Exec(q); err == nil {
				t.Errorf("%s was allowed", q)
			}
		}
		if n := crmtest.CountRows(t, s, "audit_log", "actor = 'U1'"); n != 1 {
			t.Errorf("audit rows after tampering: %d", n)
		}
	})
	t.Run("NeedsActorAndAction", func(t *testing.T) {
		if _, err := s.Audit(ctx, crm.AuditEntry{Action: crm.AuditFind}); !errors.Is(err, crm.ErrPrecondition) || crm.ErrorCode(err) != crm.EINTERNAL {
			t.Errorf("no actor: %v", err)
		}
	})
}

// TestAuditRequestKind: the entries about a request carry its kind, as
// written and as the trail's readers read them back, on every dialect.
func TestAuditRequestKind(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Eve", Email: "eve@example.com"})
		_, l, err := s.Linked(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		a, asked, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "USUP", Reason: "erasure", Kind: crm.KindErasure, Fingerprint: l.Fingerprint, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		_, rejected, err := s.Reject(ctx, a.ID, "UADMIN", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if asked.RequestKind != crm.KindErasure || rejected.RequestKind != crm.KindErasure {
			t.Errorf("written: %q, %q; want %q", asked.RequestKind, rejected.RequestKind, crm.KindErasure)
		}
		if _, err := s.Audit(ctx, crm.AuditEntry{Actor: "U1", Action: crm.AuditFind, ContactID: id}); err != nil {
			t.Fatal(err)
		}
		trail, err := s.AuditTrail(ctx, id, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		hist, _, err := s.ContactHistory(ctx, id, 10)
		if err != nil {
			t.Fatal(err)
		}
		for what, got := range map[string][]crm.AuditEntry{"trail": trail, "history": hist} {
			var kinds []string
			for _, e := range got {
				kinds = append(kinds, e.Action+":"+string(e.RequestKind))
			}
			if want := []string{"delete_requested:erasure", "rejected:erasure", "find:"}; !slices.Equal(kinds, want) {
				t.Errorf("%s reads %v, want %v", what, kinds, want)
			}
		}
	})
}
