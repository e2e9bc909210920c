package crm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// BenchmarkDeleteBatch200 deletes a batch of 200 contacts with 20 linked
// rows each (safeFull) on each dialect; only DeleteBatch is timed (with its
// fresh preview), not the fixture:
//
//	go test ./crm -run '^$' -bench DeleteBatch200 -benchtime 3x
func BenchmarkDeleteBatch200(b *testing.B) {
	for _, d := range crmtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s := crmtest.NewStoreOf(b, d)
			ctx := context.Background()
			// Others in the location, so the filter is no whole location.
			crmtest.InsertFull(b, s, crmtest.Contact{FirstName: "Real", Email: "real@acme.com"}, safeFull)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := 1; j <= 200; j++ {
					crmtest.InsertFull(b, s, crmtest.Contact{FirstName: "Test", LastName: fmt.Sprint(j), Email: fmt.Sprintf("test+%d-%d@acme.com", i, j)}, safeFull)
				}
				f, _ := crm.ParseBatchFilter(fmt.Sprintf("email:test+%d-*@acme.com", i))
				p, err := s.PreviewBatch(ctx, f, crm.BatchOptions{})
				if err != nil || p.Count() != 200 || p.Totals.Total()-1 != 4000 {
					b.Fatalf("preview: %d contacts, %d linked rows, %v", p.Count(), p.Totals.Total()-1, err)
				}
				b.StartTimer()
				got, err := s.DeleteBatch(ctx, crm.BatchRequest{Filter: f, ExpectCount: 200, ExpectFingerprint: p.Fingerprint, Actor: "U1",
					Reason: "test_contact", RestoreWindow: time.Hour})
				if err != nil || len(got.Deleted) != 200 {
					b.Fatalf("DeleteBatch: %d deleted, %v", len(got.Deleted), err)
				}
			}
		})
	}
}

// BenchmarkPreviewBatchLarge previews batches on a table of 100,000
// contacts (BATCH_BENCH_CONTACTS to change it): a prefix pattern matching
// 200 of them, a domain pattern matching 300, and a source:
//
//	go test ./crm -run '^$' -bench PreviewBatchLarge -benchtime 20x
func BenchmarkPreviewBatchLarge(b *testing.B) {
	const n = 100_000
	for _, d := range crmtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s := crmtest.NewStoreOf(b, d)
			ctx := context.Background()
			created := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
			crmtest.InsertRows(b, s, "contacts", "id, location_id, first_name, last_name, email, source, created_at, updated_at", n, func(g int) []any {
				email, source := fmt.Sprintf("contact%d@example%d.com", g, g%97), "web"
				switch {
				case g%500 == 0: // 200
					email, source = fmt.Sprintf("test+%d@acme.com", g), "import-2026-11-28"
				case g%333 == 0: // 300
					email = fmt.Sprintf("qa%d@qa.example.com", g)
				}
				return []any{fmt.Sprintf("c%07d", g), fmt.Sprintf("loc_%d", g%7), "Name", fmt.Sprint(g), email, source, created.Add(time.Duration(g) * time.Minute), created}
			})
			if _, err := s.DB().Exec("ANALYZE"); err != nil {
				b.Fatal(err)
			}
			for _, c := range []struct {
				filter string
				want   int
			}{{"email:test+*@acme.com", 200}, {"email:*@qa.example.com", 300}, {"source:import-2026-11-28", 200}} {
				f, _ := crm.ParseBatchFilter(c.filter)
				b.Run(c.filter, func(b *testing.B) {
					for b.Loop() {
						p, err := s.PreviewBatch(ctx, f, crm.BatchOptions{})
						if err != nil || p.Matched != c.want {
							b.Fatalf("%s: matched %d, %v", c.filter, p.Matched, err)
						}
					}
				})
			}
		})
	}
}
