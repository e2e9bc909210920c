package crm_test

import (
	"context"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

func TestAudit(t *testing.T) {
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
		if _, err := s.Audit(ctx, crm.AuditEntry{Action: crm.AuditFind}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("no actor: %v", err)
		}
	})
}
