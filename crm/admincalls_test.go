package crm_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// TestAdminCallOnceAnHour: a due reminder wants the admins called; of
// several replicas claiming at once, one calls, listing every waiting
// request; nobody calls again within the hour, however many reminders are
// due meanwhile, and the call wanted then is made once the hour is over.
func TestAdminCallOnceAnHour(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		s := crmtest.NewStoreOf(t, d)
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		_, a := newRequest(t, s, 4*time.Hour)
		clock.Advance(30 * time.Minute)
		_, b := newRequest(t, s, 4*time.Hour)
		claimAll := func() (calls int32, listed []crm.Approval) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for range 5 {
				wg.Go(func() {
					got, err := s.ClaimAdminCall(ctx, func(crm.AdminCall) ([]outbox.Note, error) {
						atomic.AddInt32(&calls, 1)
						return []outbox.Note{{Channel: "CAPPROVALS", Payload: []byte(`{"text":"call"}`)}}, nil
					})
					if err != nil {
						t.Error(err)
					}
					if !got.Empty() {
						mu.Lock()
						listed = got.Requests
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			return calls, listed
		}
		if calls, _ := claimAll(); calls != 0 {
			t.Fatalf("%d calls with nothing due", calls)
		}
		clock.Advance(90*time.Minute + time.Second)
		if r, err := s.ClaimReminders(ctx, nil); err != nil || len(r) != 1 {
			t.Fatalf("reminders %v, %v", r, err)
		}
		calls, listed := claimAll()
		if calls != 1 || len(listed) != 2 || listed[0].ID != a.ID || listed[1].ID != b.ID {
			t.Fatalf("%d calls listing %v, want one listing %s and %s", calls, listed, a.ID, b.ID)
		}
		clock.Advance(30 * time.Minute)
		if r, err := s.ClaimReminders(ctx, nil); err != nil || len(r) != 1 {
			t.Fatalf("reminders %v, %v", r, err)
		}
		if calls, _ := claimAll(); calls != 0 {
			t.Fatalf("%d calls within the hour", calls)
		}
		if due, err := s.ApprovalJobsDue(ctx); err != nil || due {
			t.Errorf("jobs due within the hour: %v, %v", due, err)
		}
		clock.Advance(30 * time.Minute)
		if due, err := s.ApprovalJobsDue(ctx); err != nil || !due {
			t.Errorf("jobs due after the hour: %v, %v", due, err)
		}
		if calls, listed := claimAll(); calls != 1 || len(listed) != 2 {
			t.Errorf("%d calls after the hour listing %d", calls, len(listed))
		}
		if calls, _ := claimAll(); calls != 0 {
			t.Errorf("%d calls with nothing wanted", calls)
		}
	})
}

// TestAdminCallWithNothingWaiting: a reminder wants a call, but the request
// is decided before the call is made: nobody is called, and the hour is not
// used up, so a reminder soon after calls at once.
func TestAdminCallWithNothingWaiting(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		s := crmtest.NewStoreOf(t, d)
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		calls := 0
		call := func() crm.AdminCall {
			got, err := s.ClaimAdminCall(ctx, func(crm.AdminCall) ([]outbox.Note, error) {
				calls++
				return []outbox.Note{{Channel: "CAPPROVALS", Payload: []byte(`{"text":"call"}`)}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		_, a := newRequest(t, s, 4*time.Hour)
		clock.Advance(2*time.Hour + time.Second)
		if r, err := s.ClaimReminders(ctx, nil); err != nil || len(r) != 1 {
			t.Fatalf("reminders %v, %v", r, err)
		}
		if _, _, err := s.Reject(ctx, a.ID, "UADMIN", "", nil); err != nil {
			t.Fatal(err)
		}
		if got := call(); !got.Empty() || calls != 0 {
			t.Fatalf("%d calls listing %+v with nothing waiting", calls, got)
		}
		_, b := newRequest(t, s, time.Hour)
		clock.Advance(30*time.Minute + time.Second)
		if r, err := s.ClaimReminders(ctx, nil); err != nil || len(r) != 1 {
			t.Fatalf("reminders %v, %v", r, err)
		}
		if got := call(); calls != 1 || len(got.Requests) != 1 || got.Requests[0].ID != b.ID {
			t.Fatalf("%d calls listing %+v, want one listing %s", calls, got, b.ID)
		}
	})
}
