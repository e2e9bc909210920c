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

// newRequest inserts a full contact and a pending request to delete it by U1.
func newRequest(t *testing.T, s *crm.Store, ttl time.Duration) (string, crm.Approval) {
	t.Helper()
	ctx := context.Background()
	id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, crmtest.SmallFull)
	_, l, err := s.Linked(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	a, audit, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "U1", Reason: "duplicate", Note: "twice", Fingerprint: l.Fingerprint, TTL: ttl})
	if err != nil {
		t.Fatalf("RequestApproval: %v", err)
	}
	if a.State != crm.ApprovalPending || a.Counts != l.Counts || audit.Action != crm.AuditDeleteRequested || audit.RequestID != a.ID {
		t.Fatalf("request = %+v, audit = %+v", a, audit)
	}
	return id, a
}

func TestApprovals(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testApprovals)
}

func testApprovals(t *testing.T, dialect crm.Dialect) {
	ctx := context.Background()

	t.Run("ConcurrentApprovesDeleteOnce", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id, a := newRequest(t, s, time.Hour)
		// Hold the contact so that all ten are in flight at once before any
		// can delete (PostgreSQL). On SQLite they queue for the write lock.
		release := func() {}
		if dialect == crm.Postgres {
			release = crmtest.HoldContact(t, s, id)
		}
		var wg sync.WaitGroup
		results := make([]crm.ApproveResult, 10)
		errs := make([]error, 10)
		for i := range 10 {
			wg.Go(func() {
				admin := "UADMIN" + string(rune('A'+i))
				results[i], errs[i] = s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: admin, RestoreWindow: time.Hour})
			})
		}
		if dialect == crm.Postgres {
			crmtest.WaitLockWaiters(t, s, 10, 10*time.Second)
		}
		release()
		wg.Wait()
		deleted, decided := 0, 0
		var winner string
		for i := range 10 {
			switch {
			case errs[i] == nil && results[i].Deleted != nil:
				deleted++
				winner = results[i].Approval.DecidedBy
			case errors.Is(errs[i], crm.ErrAlreadyDecided):
				decided++
				if results[i].Approval.State != crm.ApprovalApproved {
					t.Errorf("loser sees state %q", results[i].Approval.State)
				}
			default:
				t.Errorf("approve %d: state %s, deleted %v, err %v", i, results[i].Approval.State, results[i].Deleted != nil, errs[i])
			}
		}
		if deleted != 1 || decided != 9 {
			t.Fatalf("%d deletes, %d already decided; want 1 and 9", deleted, decided)
		}
		for i := range 10 {
			if errs[i] != nil && results[i].Approval.DecidedBy != winner {
				t.Errorf("loser sees decided_by %q, want %q", results[i].Approval.DecidedBy, winner)
			}
		}
		if n := crmtest.CountRows(t, s, "deletions", "contact_id = $1 AND approved_by = $2 AND request_id = $3 AND deleted_by = 'U1'", id, winner, a.ID); n != 1 {
			t.Errorf("%d deletions recorded with approver and request, want 1", n)
		}
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 0 {
			t.Error("contact still there")
		}
		if n := crmtest.CountRows(t, s, "audit_log", "action = 'approved' AND request_id = $1", a.ID); n != 1 {
			t.Errorf("%d approved audit lines, want 1", n)
		}
		got, err := s.Approval(ctx, a.ID)
		if err != nil || got.State != crm.ApprovalApproved || got.DeletionID == "" || got.DecidedAt == nil {
			t.Errorf("stored request = %+v, %v", got, err)
		}
	})

	t.Run("SecondApproveAndRejectAreRefused", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id, a := newRequest(t, s, time.Hour)
		first, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "U2", RestoreWindow: time.Hour})
		if err != nil || first.Deleted == nil || first.Approval.State != crm.ApprovalApproved || first.Approval.DeletionID != first.Deleted.Deletion.ID {
			t.Fatalf("first approve = %+v, %v", first, err)
		}
		if len(first.Audit) != 2 || first.Audit[0].Action != crm.AuditDeleted || first.Audit[1].Action != crm.AuditApproved {
			t.Errorf("audit of the approve = %+v", first.Audit)
		}
		again, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "U3", RestoreWindow: time.Hour})
		if !errors.Is(err, crm.ErrAlreadyDecided) || again.Deleted != nil || again.Approval.DecidedBy != "U2" {
			t.Errorf("second approve = %+v, %v", again.Approval, err)
		}
		if _, _, err := s.Reject(ctx, a.ID, "U3", "too late", nil); !errors.Is(err, crm.ErrAlreadyDecided) {
			t.Errorf("reject after approve: %v", err)
		}
		if n := crmtest.CountRows(t, s, "deletions", "contact_id = $1 AND approved_by = 'U2' AND request_id = $2 AND deleted_by = 'U1'", id, a.ID); n != 1 {
			t.Errorf("%d deletions, want 1", n)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "request_id = $1 AND action IN ('approved', 'rejected')", a.ID); n != 1 {
			t.Errorf("%d decision audit lines, want 1", n)
		}
		got, err := s.Approval(ctx, a.ID)
		if err != nil || got.State != crm.ApprovalApproved || got.DecidedAt == nil || got.Counts != a.Counts || got.Summary.OpenOpportunities != 1 {
			t.Errorf("stored request = %+v, %v", got, err)
		}
		// The request's JSON is text on both dialects, readable by SQL.
		if dialect == crm.SQLite {
			if n := crmtest.CountRows(t, s, "approval_requests", "typeof(counts) = 'text' AND json_extract(summary, '$.open_opportunities') = 1"); n != 1 {
				t.Error("approval_requests JSON is not stored as text")
			}
		}
	})

	t.Run("OwnRequestAndExpiryChangeNothing", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		now := time.Now()
		s.SetClock(func() time.Time { return now })
		id, a := newRequest(t, s, time.Hour)
		if _, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "U1", RestoreWindow: time.Hour}); !errors.Is(err, crm.ErrOwnRequest) {
			t.Errorf("own approve: %v", err)
		}
		if _, _, err := s.Reject(ctx, a.ID, "U1", "", nil); !errors.Is(err, crm.ErrOwnRequest) {
			t.Errorf("own reject: %v", err)
		}
		now = now.Add(time.Hour)
		if _, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "U2", RestoreWindow: time.Hour}); !errors.Is(err, crm.ErrApprovalExpired) {
			t.Errorf("approve after expiry: %v", err)
		}
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 1 {
			t.Error("contact deleted")
		}
		if _, err := s.Approve(ctx, crm.Decision{RequestID: "RNOSUCHONE", Admin: "U2", RestoreWindow: time.Hour}); !errors.Is(err, crm.ErrNoApproval) {
			t.Errorf("unknown request: %v", err)
		}
	})

	t.Run("RejectKeepsContact", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id, a := newRequest(t, s, time.Hour)
		got, audit, err := s.Reject(ctx, a.ID, "U2", "not a duplicate", nil)
		if err != nil || got.State != crm.ApprovalRejected || got.RejectReason != "not a duplicate" || got.DecidedBy != "U2" || audit.Action != crm.AuditRejected {
			t.Fatalf("Reject = %+v, %+v, %v", got, audit, err)
		}
		res, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "U3", RestoreWindow: time.Hour})
		if !errors.Is(err, crm.ErrAlreadyDecided) || res.Approval.State != crm.ApprovalRejected {
			t.Errorf("approve after reject: %+v %v", res.Approval, err)
		}
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 1 {
			t.Error("rejected contact deleted")
		}
	})

	t.Run("ChangedContactIsShownNotDeleted", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id, a := newRequest(t, s, time.Hour)
		s.DB().MustExec(`INSERT INTO opportunities (id, contact_id, name, status, monetary_value, created_at) VALUES ('late_opp', $1, 'Big deal', 'open', 5000, $2)`, id, time.Now())
		res, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "U2", RestoreWindow: time.Hour})
		if err != nil || !res.Changed || res.Deleted != nil {
			t.Fatalf("approve of changed contact = %+v, %v", res, err)
		}
		wantChanges := []crm.Change{
			{Kind: crm.ChangeCount, Item: "opportunities", Before: "2", After: "3"},
			{Kind: crm.ChangeCount, Item: "open_opportunities", Before: "1", After: "2"},
			{Kind: crm.ChangeOpenValue, Before: "1234.56", After: "6234.56"},
		}
		if !cmp.Equal(res.Changes, wantChanges) {
			t.Errorf("changes:\n%s", cmp.Diff(wantChanges, res.Changes))
		}
		if got, _ := s.Approval(ctx, a.ID); got.State != crm.ApprovalPending {
			t.Errorf("state after held approve = %s", got.State)
		}
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 1 {
			t.Fatal("changed contact deleted")
		}
		// Confirming the new state deletes.
		res, err = s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "U2", ExpectFingerprint: res.Linked.Fingerprint, RestoreWindow: time.Hour})
		if err != nil || res.Deleted == nil || res.Deleted.Deletion.Counts.Opportunities != 3 {
			t.Fatalf("confirmed approve = %+v, %v", res, err)
		}
	})

	t.Run("GoneContactFails", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id, a := newRequest(t, s, time.Hour)
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U9", Reason: "duplicate", RestoreWindow: time.Hour}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "U2", RestoreWindow: time.Hour})
		if err != nil || res.Approval.State != crm.ApprovalFailed || !strings.Contains(res.Approval.FailReason, "no longer exists") || res.Deleted != nil {
			t.Fatalf("approve of gone contact = %+v, %v", res.Approval, err)
		}
	})

	t.Run("OnePendingRequestPerContact", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id, a := newRequest(t, s, time.Hour)
		_, l, _ := s.Linked(ctx, id)
		got, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "U5", Reason: "test_contact", Fingerprint: l.Fingerprint, TTL: time.Hour})
		if !errors.Is(err, crm.ErrAlreadyRequested) || got.ID != a.ID || got.Requester != "U1" {
			t.Errorf("second request = %+v, %v", got, err)
		}
		if _, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "U5", Reason: "test_contact", Fingerprint: "stale", TTL: time.Hour}); !errors.Is(err, crm.ErrContactChanged) {
			t.Errorf("request on stale fingerprint: %v", err)
		}
	})

	t.Run("ExpiryAndRemindersOncePerRequest", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		now := time.Now()
		var mu sync.Mutex
		s.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
		_, a := newRequest(t, s, time.Hour)
		_, b := newRequest(t, s, 3*time.Hour)
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

		if r, err := s.ClaimReminders(ctx, nil); err != nil || len(r) != 0 {
			t.Fatalf("reminders before half time: %v %v", r, err)
		}
		advance(31 * time.Minute)
		claimed := make(chan string, 20)
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				r, err := s.ClaimReminders(ctx, nil)
				if err != nil {
					t.Error(err)
				}
				for _, x := range r {
					claimed <- x.ID
				}
			})
		}
		wg.Wait()
		close(claimed)
		var ids []string
		for id := range claimed {
			ids = append(ids, id)
		}
		if len(ids) != 1 || ids[0] != a.ID {
			t.Errorf("reminders claimed %v, want only %s once", ids, a.ID)
		}

		advance(30 * time.Minute)
		expired := make(chan string, 20)
		for range 5 {
			wg.Go(func() {
				r, _, err := s.ExpireDue(ctx, nil)
				if err != nil {
					t.Error(err)
				}
				for _, x := range r {
					expired <- x.ID
				}
			})
		}
		wg.Wait()
		close(expired)
		ids = nil
		for id := range expired {
			ids = append(ids, id)
		}
		if len(ids) != 1 || ids[0] != a.ID {
			t.Errorf("expired %v, want only %s once", ids, a.ID)
		}
		if got, _ := s.Approval(ctx, b.ID); got.State != crm.ApprovalPending {
			t.Errorf("longer request is %s", got.State)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "action = 'expired'"); n != 1 {
			t.Errorf("%d expiry audit lines", n)
		}
		res, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "U2", RestoreWindow: time.Hour})
		if !errors.Is(err, crm.ErrAlreadyDecided) || res.Approval.State != crm.ApprovalExpired {
			t.Errorf("approve of expired = %s, %v", res.Approval.State, err)
		}
	})
}
