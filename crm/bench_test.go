package crm_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
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
		s, err := crm.Open(ctx, u, crm.Hooks{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx, nil); err != nil {
			b.Fatal(err)
		}
		if s.Dialect() == crm.SQLite {
			return s, fillSQLite(b, s)
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

// fillSQLite gives an SQLite benchmark database the contacts Seed writes
// on PostgreSQL (names, emails, phones; no linked rows), once:
// BENCH_SQLITE_CONTACTS of them (100,000 by default). It returns how many.
func fillSQLite(b *testing.B, s *crm.Store) int {
	b.Helper()
	var n int
	if err := s.DB().Get(&n, `SELECT count(*) FROM contacts WHERE id LIKE 's%'`); err != nil {
		b.Fatal(err)
	}
	if n > 0 {
		return n
	}
	want := 100000
	if v := os.Getenv("BENCH_SQLITE_CONTACTS"); v != "" {
		fmt.Sscan(v, &want)
	}
	start := time.Now()
	crmtest.InsertRows(b, s, "contacts", "id, location_id, first_name, last_name, email, phone, created_at, updated_at", want, func(g int) []any {
		first, last := crm.SeedName(g)
		d := g - boolInt(g%50 == 0) // every 50th shares the previous one's email and phone
		var email, phone any
		if g%11 != 0 {
			email = fmt.Sprintf("contact%d@example%d.com", d, d%97)
		}
		if g%13 != 0 {
			phone = fmt.Sprintf("+1 (%d) %03d-%04d", 200+d/10000000%800, d/10000%1000, d%10000)
		}
		return []any{seededID(g), "loc_" + fmt.Sprint(g%7), first, last, email, phone, crmtest.ContactCreatedAt, crmtest.ContactUpdatedAt}
	})
	s.DB().MustExec(`ANALYZE`)
	b.Logf("filled the SQLite database with %d contacts in %s", want, time.Since(start).Round(time.Millisecond))
	return want
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
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

// searchQueries are realistic queries of each kind over n seeded contacts
// (crm.SeedName tells their names): a common full name matches about 2,600
// of a million contacts and each of its words about 50,000 (seed's two most
// common first and last names, in turns); a common word is one of the ten
// most common first or last names alone; a rare name is a full name from
// the ends of both lists (about a dozen matches).
func searchQueries(n int) map[string]func(i int) string {
	pick := func(i int) int { return 1 + (i*7919)%n }
	first, last := crm.SeedFirstNames, crm.SeedLastNames
	fold := func(s string) string { return strings.Join(crm.QueryWords(s), " ") }
	return map[string]func(int) string{
		"id":    func(i int) string { return seededID(pick(i)) },
		"email": func(i int) string { k := pick(i); return fmt.Sprintf("contact%d@example%d.com", k, k%97) },
		"phone": func(i int) string {
			k := pick(i)
			return fmt.Sprintf("%03d%03d%04d", 200+k/10000000%800, k/10000%1000, k%10000)
		},
		"common-name": func(i int) string { return fold(first[i%2] + " " + last[(i/2)%2]) },
		"common-word": func(i int) string {
			if i%2 == 0 {
				return fold(first[(i/2)%10])
			}
			return fold(last[(i/2)%10])
		},
		"rare-name": func(i int) string { return fold(first[len(first)-1-i%5] + " " + last[len(last)-1-(i/5)%5]) },
	}
}

// searchKinds are the query kinds benchmarked, in report order.
var searchKinds = []string{"id", "email", "phone", "common-name", "common-word", "rare-name"}

// BenchmarkSearch times Store.SearchLinked, the bot's crm call for a page
// of results (the matches, their count, duplicates, opt-outs and what a
// delete of each would take), per query kind, and beside them the floor: a
// bare primary-key lookup of one contact.
func BenchmarkSearch(b *testing.B) {
	s, n := benchStore(b)
	ctx := context.Background()
	b.Run("pk-floor", func(b *testing.B) {
		st, err := s.DB().PreparexContext(ctx, `SELECT id, first_name, last_name, email, phone FROM contacts WHERE id = $1`)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		d := make([]time.Duration, 0, b.N)
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			var c struct {
				ID, First, Last string
				Email, Phone    *string
			}
			if err := st.QueryRowContext(ctx, seededID(1+(i*7919)%n)).Scan(&c.ID, &c.First, &c.Last, &c.Email, &c.Phone); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(start))
		}
		percentiles(b, d)
	})
	for _, kind := range searchKinds {
		q := searchQueries(n)[kind]
		b.Run(kind, func(b *testing.B) {
			d := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				r, err := s.SearchLinked(ctx, q(i))
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Matches) == 0 && strings.HasPrefix(kind, "common") {
					b.Fatalf("%s search %q found nothing", kind, q(i))
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
