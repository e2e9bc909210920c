package crm_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

func TestWithdraw(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testWithdraw)
}

func testWithdraw(t *testing.T, dialect crm.Dialect) {
	ctx := context.Background()

	t.Run("ByRequesterOnceThenNobodyDecides", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id, a := newRequest(t, s, time.Hour)
		if _, _, err := s.Withdraw(ctx, a.ID, "U2", nil); !errors.Is(err, crm.ErrNotYourRequest) {
			t.Errorf("someone else's withdraw: %v, want ErrNotYourRequest", err)
		}
		got, audit, err := s.Withdraw(ctx, a.ID, "U1", nil)
		if err != nil {
			t.Fatalf("Withdraw: %v", err)
		}
		if got.State != crm.ApprovalWithdrawn || got.DecidedBy != "U1" || got.DecidedAt == nil {
			t.Errorf("withdrawn request = %+v", got)
		}
		if audit.Action != crm.AuditWithdrawn || audit.Actor != "U1" || audit.RequestID != a.ID || audit.ContactID != id || audit.ID == 0 {
			t.Errorf("audit = %+v", audit)
		}
		if again, _, err := s.Withdraw(ctx, a.ID, "U1", nil); !errors.Is(err, crm.ErrAlreadyDecided) || again.State != crm.ApprovalWithdrawn {
			t.Errorf("second withdraw: %v, state %s; want ErrAlreadyDecided, withdrawn", err, again.State)
		}
		if res, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "UADMIN", RestoreWindow: time.Hour}); !errors.Is(err, crm.ErrAlreadyDecided) || res.Deleted != nil {
			t.Errorf("approve after withdraw: %v, deleted %v", err, res.Deleted != nil)
		}
		if _, _, err := s.Reject(ctx, a.ID, "UADMIN", "", nil); !errors.Is(err, crm.ErrAlreadyDecided) {
			t.Errorf("reject after withdraw: %v", err)
		}
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 1 {
			t.Error("the contact of a withdrawn request was deleted")
		}
		if n := crmtest.CountRows(t, s, "audit_log", "action = 'withdrawn' AND request_id = $1", a.ID); n != 1 {
			t.Errorf("%d withdrawn audit rows, want 1", n)
		}
		if list, _ := s.PendingApprovals(ctx, 10); len(list) != 0 {
			t.Errorf("a withdrawn request is still pending: %+v", list)
		}
		// The contact may be asked for again.
		_, l, _ := s.Linked(ctx, id)
		if _, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "U1", Reason: "duplicate", Fingerprint: l.Fingerprint, TTL: time.Hour}); err != nil {
			t.Errorf("a new request after the withdraw: %v", err)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		_, a := newRequest(t, s, time.Hour)
		clock.Advance(2 * time.Hour)
		if got, _, err := s.Withdraw(ctx, a.ID, "U1", nil); !errors.Is(err, crm.ErrApprovalExpired) || got.State != crm.ApprovalPending {
			t.Errorf("withdraw of an expired request: %v, state %s", err, got.State)
		}
		if _, _, err := s.Withdraw(ctx, "RNOSUCHREQ2", "U1", nil); !errors.Is(err, crm.ErrNoApproval) {
			t.Errorf("withdraw of an unknown request: %v", err)
		}
	})

	// A withdraw racing approves: exactly one of them takes effect.
	t.Run("RacesApprovesOnce", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, dialect)
		id, a := newRequest(t, s, time.Hour)
		// Hold the request's row so that every call is in flight before any
		// decides (PostgreSQL); on SQLite they queue for the write lock.
		release := func() {}
		if dialect == crm.Postgres {
			tx, err := s.DB().Beginx()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(`SELECT 1 FROM approval_requests WHERE id = $1 FOR UPDATE`, a.ID); err != nil {
				t.Fatal(err)
			}
			release = func() { tx.Commit() }
		}
		var wg sync.WaitGroup
		var withdrawErr error
		approveErrs := make([]error, 4)
		approved := make([]bool, 4)
		wg.Go(func() { _, _, withdrawErr = s.Withdraw(ctx, a.ID, "U1", nil) })
		for i := range 4 {
			wg.Go(func() {
				res, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "UADMIN" + strings.Repeat("X", i), RestoreWindow: time.Hour})
				approveErrs[i], approved[i] = err, res.Deleted != nil
			})
		}
		if dialect == crm.Postgres {
			crmtest.WaitLockWaiters(t, s, 5, 10*time.Second)
		}
		release()
		wg.Wait()
		wins := 0
		if withdrawErr == nil {
			wins++
		} else if !errors.Is(withdrawErr, crm.ErrAlreadyDecided) {
			t.Errorf("withdraw: %v", withdrawErr)
		}
		for i := range 4 {
			if approved[i] {
				wins++
			} else if !errors.Is(approveErrs[i], crm.ErrAlreadyDecided) {
				t.Errorf("approve %d: %v", i, approveErrs[i])
			}
		}
		if wins != 1 {
			t.Errorf("%d of the withdraw and four approves took effect, want exactly 1", wins)
		}
		final, err := s.Approval(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		gone := crmtest.CountRows(t, s, "contacts", "id = $1", id) == 0
		if (final.State == crm.ApprovalWithdrawn) == gone {
			t.Errorf("final state %s but contact deleted = %v", final.State, gone)
		}
	})
}

func TestReportNote(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, func(t *testing.T, dialect crm.Dialect) {
		ctx := context.Background()
		s := crmtest.NewStoreOf(t, dialect)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane"}, crmtest.SmallFull)
		res, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		d := res.Deletion
		if _, err := s.ReportDeletion(ctx, d.ID, "UREP", strings.Repeat("x", crm.MaxReportNote+1), nil); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("an over-long note: %v, want EINVALID", err)
		}
		rep, err := s.ReportDeletion(ctx, d.ID, "UREP", "She is a paying customer, not a duplicate", nil)
		if err != nil || !rep.New || rep.Incident.Note != "She is a paying customer, not a duplicate" {
			t.Fatalf("report = %+v, %v", rep.Incident, err)
		}
		inc, found, err := s.Incident(ctx, d.ID)
		if err != nil || !found || inc.Note != "She is a paying customer, not a duplicate" {
			t.Errorf("stored incident = %+v, %v, %v", inc, found, err)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "action = 'reported' AND detail LIKE '%customer%'"); n != 0 {
			t.Error("the reporter's note went into the audit trail")
		}
	})
}
