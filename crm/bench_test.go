package crm_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// benchStore is the database benchmarks search: BENCH_DATABASE_URL (seed it
// with `contactbot seed --contacts 1000000`), or a fresh one with 20,000
// seeded contacts.
func benchStore(b *testing.B) (*crm.Store, int) {
	b.Helper()
	ctx := context.Background()
	if u := os.Getenv("BENCH_DATABASE_URL"); u != "" {
		s, err := crm.Open(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx, nil); err != nil {
			b.Fatal(err)
		}
		var n int
		if err := s.DB().Get(&n, `SELECT count(*) FROM contacts WHERE id LIKE 's%'`); err != nil {
			b.Fatal(err)
		}
		return s, n
	}
	s := crmtest.NewStore(b)
	if _, err := s.Seed(ctx, crm.SeedOptions{Contacts: 20000}); err != nil {
		b.Fatal(err)
	}
	return s, 20000
}

// seededID is the id of seeded contact n.
func seededID(n int) string { return fmt.Sprintf("s%019d", n) }

// percentiles reports the median and 99th percentile of durations as metrics.
func percentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
}

// searchQueries are realistic queries of each kind over seeded contacts.
func searchQueries(n int) map[string]func(i int) string {
	pick := func(i int) int { return 1 + (i*7919)%n }
	return map[string]func(int) string{
		"id":    func(i int) string { return seededID(pick(i)) },
		"email": func(i int) string { k := pick(i); return fmt.Sprintf("contact%d@example%d.com", k, k%97) },
		"phone": func(i int) string {
			k := pick(i)
			return fmt.Sprintf("%03d%03d%04d", 200+k/10000000%800, k/10000%1000, k%10000)
		},
		"name": func(i int) string {
			names := []string{"jose kowal", "zoe ang", "mary smith", "chloe dubois", "siobhan o'brien", "wei chen", "priya"}
			return names[i%len(names)]
		},
	}
}

// BenchmarkSearch times Store.Search, the bot's crm call, per query kind.
func BenchmarkSearch(b *testing.B) {
	s, n := benchStore(b)
	ctx := context.Background()
	for _, kind := range []string{"id", "email", "phone", "name"} {
		q := searchQueries(n)[kind]
		b.Run(kind, func(b *testing.B) {
			d := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				if _, err := s.Search(ctx, q(i)); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(start))
			}
			percentiles(b, d)
		})
	}
}

// BenchmarkSearchBareSQL runs the same statements Search runs (its probes,
// its count when a probe fills up, one duplicate lookup per contact shown)
// straight through database/sql, without the crm layer: the floor Search is
// compared to.
func BenchmarkSearchBareSQL(b *testing.B) {
	s, n := benchStore(b)
	ctx := context.Background()
	for _, kind := range []string{"id", "email", "phone", "name"} {
		q := searchQueries(n)[kind]
		b.Run(kind, func(b *testing.B) {
			d := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				probes, count, countArgs := s.SearchProbes(q(i))
				start := time.Now()
				var shown []crm.Contact
				full := false
				for j, p := range probes {
					rows, err := s.DB().QueryContext(ctx, s.DB().Rebind(`SELECT c.id, c.email, c.phone FROM contacts c WHERE `+p.Where+` LIMIT 11`), p.Args...)
					if err != nil {
						b.Fatal(err)
					}
					k := 0
					for rows.Next() {
						var c crm.Contact
						var email, phone *string
						rows.Scan(&c.ID, &email, &phone)
						if email != nil {
							c.Email = *email
						}
						if phone != nil {
							c.Phone = *phone
						}
						shown = append(shown, c)
						k++
					}
					rows.Close()
					full = full || k == 11
					if kind == "id" && j == 0 && k > 0 {
						break
					}
				}
				if full {
					var total int
					if err := s.DB().GetContext(ctx, &total, s.DB().Rebind(count), countArgs...); err != nil {
						b.Fatal(err)
					}
				}
				for j, c := range shown {
					if j == 10 {
						break
					}
					if dup, args := s.DuplicatesQuery(c); dup != "" {
						rows, err := s.DB().QueryContext(ctx, s.DB().Rebind(dup), args...)
						if err != nil {
							b.Fatal(err)
						}
						for rows.Next() {
						}
						rows.Close()
					}
				}
				d = append(d, time.Since(start))
			}
			percentiles(b, d)
		})
	}
}

// BenchmarkSearchUnindexed is what search would cost without the indexes: a
// substring scan of every contact.
func BenchmarkSearchUnindexed(b *testing.B) {
	s, n := benchStore(b)
	ctx := context.Background()
	q := searchQueries(n)["email"]
	d := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		rows, err := s.DB().QueryContext(ctx, `SELECT id FROM contacts WHERE email ILIKE '%' || $1 || '%' LIMIT 11`, q(i))
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		d = append(d, time.Since(start))
	}
	percentiles(b, d)
}

// BenchmarkDeleteLarge archives and deletes a contact with 10,000 messages in
// 50 conversations, 1,000 notes and 100 of every other linked kind.
func BenchmarkDeleteLarge(b *testing.B) {
	s := crmtest.NewStore(b)
	ctx := context.Background()
	size := crmtest.Full{Conversations: 50, MessagesPer: 200, Notes: 1000, Opportunities: 100, Tasks: 100, Appointments: 100, Workflows: 100}
	for b.Loop() {
		b.StopTimer()
		id := crmtest.InsertFull(b, s, crmtest.Contact{FirstName: "Large"}, size)
		b.StartTimer()
		res, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		if res.Deletion.Counts.Messages != 10000 {
			b.Fatalf("deleted %d messages", res.Deletion.Counts.Messages)
		}
	}
}
