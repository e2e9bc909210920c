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

// requestErasureOf files USUP's erasure request of a new contact, which
// two admins must approve.
func requestErasureOf(t *testing.T, s *crm.Store, name string) (string, crm.Approval) {
	t.Helper()
	ctx := context.Background()
	id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: name, Email: name + "@example.com"}, crmtest.SmallLowRisk)
	_, l, _ := s.Linked(ctx, id)
	a, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "USUP", Reason: "erasure", Kind: crm.KindErasure, Fingerprint: l.Fingerprint, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return id, a
}

// TestErasureNeedsTwoAdmins: a non-admin's erasure takes a first approval,
// recorded with its audit line, and is erased only by a different admin's
// confirmed approval; the requester, the first approver again, an
// unconfirmed approval and a confirmed one with no first approval change
// nothing. Of two admins pressing at once one is first. Withdraw and
// expiry still end a request with one approval.
func TestErasureNeedsTwoAdmins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		id, a := requestErasureOf(t, s, "jane")
		if a.ApprovalsNeeded != 2 {
			t.Fatalf("a non-admin's erasure needs %d approvals, want 2", a.ApprovalsNeeded)
		}
		approve := func(admin string, confirmed bool) error {
			_, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: admin, RestoreWindow: time.Hour, Confirmed: confirmed})
			return err
		}
		if err := approve("UADMIN1", true); !errors.Is(err, crm.ErrErasureNeedsFirst) {
			t.Errorf("a confirmed approval with no first: %v", err)
		}
		if _, err := s.RecordErasureApproval(ctx, a.ID, "USUP", nil); !errors.Is(err, crm.ErrOwnRequest) {
			t.Errorf("the requester's approval: %v", err)
		}
		first, err := s.RecordErasureApproval(ctx, a.ID, "UADMIN1", nil)
		if err != nil || first.Completes || first.Approval.FirstApprovedBy != "UADMIN1" || first.Approval.FirstApprovedAt == nil || first.Approval.State != crm.ApprovalPending {
			t.Fatalf("first approval: %+v, %v", first, err)
		}
		if e := first.Audit; e.Action != crm.AuditFirstApproval || e.Actor != "UADMIN1" || e.RequestID != a.ID || e.Outcome != "waiting for a second admin" || e.Detail != "requested by USUP" {
			t.Errorf("first approval's audit line: %+v", e)
		}
		lines := crmtest.CountRows(t, s, "audit_log", "")
		if _, err := s.RecordErasureApproval(ctx, a.ID, "UADMIN1", nil); !errors.Is(err, crm.ErrAlreadyApproved) {
			t.Errorf("the first approver again: %v", err)
		}
		if err := approve("UADMIN1", true); !errors.Is(err, crm.ErrAlreadyApproved) {
			t.Errorf("the first approver's confirmed approval: %v", err)
		}
		second, err := s.RecordErasureApproval(ctx, a.ID, "UADMIN2", nil)
		if err != nil || !second.Completes || second.Approval.FirstApprovedBy != "UADMIN1" {
			t.Fatalf("second admin's click: %+v, %v", second, err)
		}
		if err := approve("UADMIN2", false); !errors.Is(err, crm.ErrErasureUnconfirmed) {
			t.Errorf("an unconfirmed second approval: %v", err)
		}
		if n := crmtest.CountRows(t, s, "audit_log", ""); n != lines {
			t.Errorf("refusals and the completing click wrote %d audit lines", n-lines)
		}
		if crmtest.CountRows(t, s, "contacts", "id = $1", id) != 1 {
			t.Fatal("erased before the confirmed second approval")
		}
		res, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "UADMIN2", RestoreWindow: time.Hour, Confirmed: true})
		if err != nil || res.Deleted == nil || res.Approval.DecidedBy != "UADMIN2" {
			t.Fatalf("confirmed second approval: %+v, %v", res.Approval, err)
		}
		if crmtest.CountRows(t, s, "contacts", "id = $1", id) != 0 {
			t.Error("not erased")
		}
		if d := res.Audit[len(res.Audit)-1].Detail; d != "requested by USUP; first approved by UADMIN1" {
			t.Errorf("approval's audit detail %q", d)
		}

		// Two admins at once: one is first, the other completes.
		_, b := requestErasureOf(t, s, "tom")
		var wg sync.WaitGroup
		results := make([]crm.ErasureApproval, 2)
		errs := make([]error, 2)
		for i, admin := range []string{"UADMIN1", "UADMIN2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = s.RecordErasureApproval(ctx, b.ID, admin, nil)
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || results[0].Completes == results[1].Completes {
			t.Fatalf("two at once: %v %v, completes %v %v", errs[0], errs[1], results[0].Completes, results[1].Completes)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "action = $1 AND request_id = $2", crm.AuditFirstApproval, b.ID); n != 1 {
			t.Errorf("%d first approvals recorded, want 1", n)
		}

		// Withdraw and expiry after one approval.
		if w, _, err := s.Withdraw(ctx, b.ID, "USUP", nil); err != nil || w.State != crm.ApprovalWithdrawn {
			t.Errorf("withdraw after one approval: %s, %v", w.State, err)
		}
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		_, c := requestErasureOf(t, s, "ann")
		if _, err := s.RecordErasureApproval(ctx, c.ID, "UADMIN1", nil); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour)
		expired, _, err := s.ExpireDue(ctx, nil)
		if err != nil || len(expired) != 1 || expired[0].ID != c.ID {
			t.Errorf("expiry after one approval: %+v, %v", expired, err)
		}
	})
}

// TestErasedSuppressionEntryRemoval: Remove on an erasure's entry files a
// request and keeps the entry; only an admin other than the one who asked
// approves it, once, and that removes it with an audit line.
func TestErasedSuppressionEntryRemoval(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		_, a := requestErasureOf(t, s, "jane")
		firstApproval(t, s, a.ID)
		if _, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "UADMIN1", RestoreWindow: time.Hour, Confirmed: true}); err != nil {
			t.Fatal(err)
		}
		var entry string
		if err := s.DB().Get(&entry, `SELECT id FROM suppressions WHERE source = 'erased'`); err != nil {
			t.Fatal(err)
		}
		res, err := s.RemoveSuppression(ctx, entry, "UADMIN1", nil)
		if err != nil || res.Removed || res.Request == nil || res.Request.Requester != "UADMIN1" || res.Request.State != crm.RemovalPending || res.Review != nil {
			t.Fatalf("Remove of an erasure's entry: %+v, %v", res, err)
		}
		if res.Audit.Action != crm.AuditSuppressionRemovalRequested || res.Audit.Outcome != "waiting for a second admin" {
			t.Errorf("request's audit line: %+v", res.Audit)
		}
		reqID := res.Request.ID
		if again, err := s.RemoveSuppression(ctx, entry, "UADMIN2", nil); !errors.Is(err, crm.ErrSuppressionRemovalAsked) || again.Request == nil || again.Request.ID != reqID {
			t.Errorf("a second Remove: %+v, %v", again.Request, err)
		}
		if _, err := s.ApproveSuppressionRemoval(ctx, reqID, "UADMIN1", nil); !errors.Is(err, crm.ErrOwnSuppressionRemoval) {
			t.Errorf("the requester's approval: %v", err)
		}
		if _, err := s.ApproveSuppressionRemoval(ctx, "Q2222222222", "UADMIN2", nil); !errors.Is(err, crm.ErrNoSuppressionRemoval) {
			t.Errorf("an unknown request: %v", err)
		}
		if crmtest.CountRows(t, s, "suppressions", "id = $1", entry) != 1 {
			t.Fatal("the entry went before a second admin approved")
		}
		done, err := s.ApproveSuppressionRemoval(ctx, reqID, "UADMIN2", nil)
		if err != nil || !done.Removed || done.Request.State != crm.RemovalApproved || done.Request.DecidedBy != "UADMIN2" {
			t.Fatalf("second admin's approval: %+v, %v", done, err)
		}
		if e := done.Audit; e.Action != crm.AuditSuppressionRemoved || e.Actor != "UADMIN2" || e.Detail[len(e.Detail)-len("; requested by UADMIN1"):] != "; requested by UADMIN1" {
			t.Errorf("removal's audit line: %+v", e)
		}
		if crmtest.CountRows(t, s, "suppressions", "id = $1", entry) != 0 {
			t.Error("the approved removal left the entry")
		}
		if _, err := s.ApproveSuppressionRemoval(ctx, reqID, "UADMIN3", nil); !errors.Is(err, crm.ErrSuppressionRemovalDone) {
			t.Errorf("approving twice: %v", err)
		}
	})
}
