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
	"contactbot/outbox"
)

// TestReviews: a delete or restore an admin did alone opens a review in its
// transaction; another admin acknowledges it once (audited), the same admin
// never; reminders come once, a day later; an approved delete opens none.
func TestReviews(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, crmtest.SmallFull)
		del, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UADMIN1", Reason: "test_contact", RestoreWindow: 30 * 24 * time.Hour, Review: true,
			Via: "message shortcut on a message"})
		if err != nil {
			t.Fatal(err)
		}
		if del.Review == nil || del.Review.Kind != crm.ReviewDelete || del.Review.Actor != "UADMIN1" || del.Review.ContactLabel != "Jane Doe" || !del.Review.Open() {
			t.Fatalf("review = %+v", del.Review)
		}
		if !strings.HasSuffix(del.Audit.Detail, "; via message shortcut on a message") {
			t.Errorf("delete audit detail = %q, want the shortcut mentioned", del.Audit.Detail)
		}
		rv := *del.Review

		t.Run("OwnRefused", func(t *testing.T) {
			got, err := s.AcknowledgeReview(ctx, rv.ID, "UADMIN1", nil)
			if !errors.Is(err, crm.ErrOwnReview) || !got.Open() {
				t.Errorf("own acknowledgement: %v, %+v", err, got)
			}
		})
		t.Run("UnknownRefused", func(t *testing.T) {
			if _, err := s.AcknowledgeReview(ctx, "VNOSUCHREVIEW", "UADMIN2", nil); !errors.Is(err, crm.ErrNoReview) {
				t.Errorf("unknown review: %v", err)
			}
		})
		t.Run("RemindedOnceAfterADay", func(t *testing.T) {
			if due, _ := s.ReviewJobsDue(ctx); due {
				t.Error("a reminder is due at once")
			}
			clock.Advance(crm.ReviewRemindAfter + time.Second)
			if due, err := s.ReviewJobsDue(ctx); !due || err != nil {
				t.Errorf("ReviewJobsDue after a day = %v, %v", due, err)
			}
			var rendered []string
			got, err := s.ClaimReviewReminders(ctx, func(r crm.Review) ([]outbox.Note, error) {
				rendered = append(rendered, r.ID)
				return []outbox.Note{{Channel: "CAPPROVALS", Payload: []byte("remind " + r.ID)}}, nil
			})
			if err != nil || len(got) != 1 || got[0].ID != rv.ID || len(rendered) != 1 {
				t.Fatalf("ClaimReviewReminders = %+v, %v", got, err)
			}
			if again, err := s.ClaimReviewReminders(ctx, nil); err != nil || len(again) != 0 {
				t.Errorf("second claim = %+v, %v", again, err)
			}
			if due, _ := s.ReviewJobsDue(ctx); due {
				t.Error("still due after the reminder")
			}
			// The reminder wants the admins called, about the review.
			if due, _ := s.ApprovalJobsDue(ctx); !due {
				t.Error("the review's reminder wants no call to the admins")
			}
			called, err := s.ClaimAdminCall(ctx, nil)
			if err != nil || len(called.Requests) != 0 || len(called.Reviews) != 1 || called.Reviews[0].ID != rv.ID {
				t.Errorf("admin call listed %+v, %v; want the review alone", called, err)
			}
		})
		t.Run("ConcurrentAcknowledgementsOnce", func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make([]error, 6)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = s.AcknowledgeReview(ctx, rv.ID, "UADMIN"+string(rune('A'+i)), func(r crm.Review) ([]outbox.Note, error) {
						return []outbox.Note{{Channel: "CAPPROVALS", Payload: []byte("ack")}}, nil
					})
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, crm.ErrAlreadyAcknowledge):
					t.Errorf("acknowledge: %v", err)
				}
			}
			if won != 1 {
				t.Fatalf("%d acknowledgements won, want 1", won)
			}
			got, err := s.Review(ctx, rv.ID)
			if err != nil || got.Open() || !strings.HasPrefix(got.AcknowledgedBy, "UADMIN") || got.AcknowledgedBy == "UADMIN1" {
				t.Errorf("review after = %+v, %v", got, err)
			}
			trail, err := s.AuditTrail(ctx, "", del.Deletion.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			acks := 0
			for _, e := range trail {
				if e.Action == crm.AuditReviewAcknowledged {
					acks++
					if e.Actor != got.AcknowledgedBy || e.Detail != "direct delete by UADMIN1" || e.Outcome != "acknowledged" {
						t.Errorf("audit = %+v", e)
					}
				}
			}
			if acks != 1 {
				t.Errorf("%d acknowledgement lines in the audit trail, want 1", acks)
			}
			if open, total, err := s.OpenReviews(ctx, 10); err != nil || len(open) != 0 || total != 0 {
				t.Errorf("open reviews after = %d/%d, %v", len(open), total, err)
			}
		})
		t.Run("RestoreOpensOne", func(t *testing.T) {
			res, err := s.RestoreWith(ctx, crm.RestoreRequest{DeletionID: del.Deletion.ID, Actor: "UADMIN2", Review: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Review == nil || res.Review.Kind != crm.ReviewRestore || res.Review.Actor != "UADMIN2" {
				t.Fatalf("restore review = %+v", res.Review)
			}
			open, total, err := s.OpenReviews(ctx, 10)
			if err != nil || total != 1 || open[0].ID != res.Review.ID {
				t.Errorf("open reviews = %+v (%d), %v", open, total, err)
			}
			if got, found, err := s.ReviewOf(ctx, crm.ReviewRestore, del.Deletion.ID); !found || err != nil || got.ID != res.Review.ID {
				t.Errorf("ReviewOf = %+v %v %v", got, found, err)
			}
		})
		t.Run("ApprovedDeleteOpensNone", func(t *testing.T) {
			_, a := newRequest(t, s, time.Hour)
			if _, err := s.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: "UADMIN1", RestoreWindow: time.Hour}); err != nil {
				t.Fatal(err)
			}
			if n := crmtest.CountRows(t, s, "reviews", ""); n != 2 {
				t.Errorf("%d reviews, want the delete's and the restore's only", n)
			}
		})
	})
}

// TestEscalations: a request is escalated once at three quarters of its
// time while still open; one decided before is settled without a word; the
// due check finds work exactly when there is some.
func TestEscalations(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		_, open := newRequest(t, s, 4*time.Hour)
		_, closed := newRequest(t, s, 4*time.Hour)
		if _, _, err := s.Reject(ctx, closed.ID, "UADMIN1", "", nil); err != nil {
			t.Fatal(err)
		}
		if want := open.CreatedAt.Add(3 * time.Hour); !crm.EscalateAt(open.CreatedAt, open.ExpiresAt).Equal(want) {
			t.Errorf("EscalateAt = %v, want %v", crm.EscalateAt(open.CreatedAt, open.ExpiresAt), want)
		}
		claim := func() []crm.Approval {
			t.Helper()
			got, err := s.ClaimEscalations(ctx, func(a crm.Approval) ([]outbox.Note, error) {
				return []outbox.Note{{Channel: "CAPPROVALS", Payload: []byte("escalate " + a.ID)}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		clock.Advance(2*time.Hour + 59*time.Minute)
		if got := claim(); len(got) != 0 {
			t.Errorf("escalated before 75%%: %+v", got)
		}
		// Half-way: the reminder is due, so the approval job has work.
		if due, err := s.ApprovalJobsDue(ctx); !due || err != nil {
			t.Errorf("ApprovalJobsDue with a reminder due = %v, %v", due, err)
		}
		if _, err := s.ClaimReminders(ctx, nil); err != nil {
			t.Fatal(err)
		}
		// The reminder wants the admins called: that is work too, once.
		if due, _ := s.ApprovalJobsDue(ctx); !due {
			t.Error("no work due for the admins' call after the reminder")
		}
		if called, err := s.ClaimAdminCall(ctx, nil); err != nil || len(called.Requests) != 1 {
			t.Fatalf("admin call listed %v, %v", called, err)
		}
		if due, _ := s.ApprovalJobsDue(ctx); due {
			t.Error("work due after the reminder and before escalation")
		}
		clock.Advance(time.Minute)
		if due, _ := s.ApprovalJobsDue(ctx); !due {
			t.Error("no work due at 75%")
		}
		got := claim()
		if len(got) != 1 || got[0].ID != open.ID {
			t.Fatalf("escalated %+v, want only the open request", got)
		}
		if again := claim(); len(again) != 0 {
			t.Errorf("escalated twice: %+v", again)
		}
		for _, c := range []struct {
			id   string
			want bool
		}{{open.ID, true}, {closed.ID, false}} {
			if esc, err := s.Escalated(ctx, c.id); esc != c.want || err != nil {
				t.Errorf("Escalated(%s) = %v, %v; want %v", c.id, esc, err, c.want)
			}
		}
		// The escalation wants another call, but the last was a minute ago.
		if due, _ := s.ApprovalJobsDue(ctx); due {
			t.Error("work due after escalation and before expiry")
		}
		clock.Advance(time.Hour)
		if due, _ := s.ApprovalJobsDue(ctx); !due {
			t.Error("no work due at expiry")
		}
	})
}

// TestScheduledJob: a job on a schedule is first due at its next time (not
// at once), runs once there across replicas, and is then due a period later.
func TestScheduledJob(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // a Monday
		clock := crmtest.NewClock(start)
		s.SetClock(clock.Now)
		weekly := func(now time.Time) time.Time {
			at := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, time.UTC)
			for !at.After(now) || at.Weekday() != time.Monday {
				at = at.AddDate(0, 0, 1)
			}
			return at
		}
		job := outbox.Job{Name: "digest Mon 09:00", Next: weekly}
		runs := 0
		tick := func() {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for range 3 { // three replicas ask at once
				wg.Go(func() {
					ok, err := s.ClaimJob(ctx, job)
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						runs++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
		}
		tick()
		if next, err := s.NextRun(ctx, job.Name); err != nil || !next.Equal(start.Add(time.Hour)) {
			t.Errorf("registered for %v (%v), want Monday 09:00", next, err)
		}
		if runs != 0 {
			t.Fatalf("ran %d times at registration, want 0", runs)
		}
		clock.Advance(59 * time.Minute)
		tick()
		clock.Advance(time.Minute)
		tick()
		tick()
		if runs != 1 {
			t.Fatalf("ran %d times by 09:00, want 1", runs)
		}
		if next, _ := s.NextRun(ctx, job.Name); !next.Equal(start.Add(7*24*time.Hour + time.Hour)) {
			t.Errorf("next run %v, want a week later", next)
		}
	})
}
