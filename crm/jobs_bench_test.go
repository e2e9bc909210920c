package crm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// BenchmarkIdleScheduledChecks is what serve pays every few seconds when
// nothing is due, with 1,000 requests waiting (none due) and 1,000 reviews
// open (none due), on each database: the scheduler's read of its jobs
// (every second), the approval job's and the review job's "due" reads
// (every 3 s); and, for comparison, a claim of a job that is not due,
// which the scheduler made for every job on every tick before.
//
//	go test ./crm -run '^$' -bench IdleScheduledChecks -benchtime 2000x
func BenchmarkIdleScheduledChecks(b *testing.B) {
	for _, d := range crmtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			s := crmtest.NewStoreOf(b, d)
			for i := range 1000 {
				id := crmtest.InsertContact(b, s, crmtest.Contact{FirstName: fmt.Sprint("Req", i), LastName: "Bench"})
				_, l, err := s.Linked(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "U1", Reason: "duplicate", Fingerprint: l.Fingerprint, TTL: 24 * time.Hour}); err != nil {
					b.Fatal(err)
				}
				id = crmtest.InsertContact(b, s, crmtest.Contact{FirstName: fmt.Sprint("Del", i), LastName: "Bench"})
				if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UADMIN", Reason: "duplicate", RestoreWindow: time.Hour, Review: true}); err != nil {
					b.Fatal(err)
				}
			}
			for _, j := range []string{"approvals", "reviews", "purge", "recover", "prune-outbox", "digest Mon 09:00"} {
				if _, err := s.ClaimJob(ctx, outbox.Job{Name: j, Every: time.Hour}); err != nil {
					b.Fatal(err)
				}
			}
			for _, c := range []struct {
				name string
				fn   func() error
			}{
				{"scheduler-tick", func() error { _, err := s.DueJobs(ctx); return err }},
				// What each tick cost per job before (a write transaction
				// that moves nothing when the job is not due).
				{"claim-not-due", func() error { _, err := s.ClaimJob(ctx, outbox.Job{Name: "approvals", Every: time.Hour}); return err }},
				{"approvals-due", func() error {
					due, err := s.ApprovalJobsDue(ctx)
					if due {
						b.Fatal("work due in an idle store")
					}
					return err
				}},
				{"reviews-due", func() error {
					due, err := s.ReviewJobsDue(ctx)
					if due {
						b.Fatal("work due in an idle store")
					}
					return err
				}},
			} {
				b.Run(c.name, func(b *testing.B) {
					d := make([]time.Duration, 0, b.N)
					for b.Loop() {
						start := time.Now()
						if err := c.fn(); err != nil {
							b.Fatal(err)
						}
						d = append(d, time.Since(start))
					}
					percentiles(b, d)
				})
			}
		})
	}
}
