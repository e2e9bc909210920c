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

// BenchmarkSearchBareSQL runs the same indexed statements without the crm
// layer (no duplicate lookups, no struct scanning): the floor Search is
// compared to.
func BenchmarkSearchBareSQL(b *testing.B) {
	s, n := benchStore(b)
	ctx := context.Background()
	where := map[string]string{
		"id":    `c.id = $1`,
		"email": `c.email IS NOT NULL AND lower(c.email) = lower($1)`,
		"phone": `c.phone IS NOT NULL AND contactbot_phone_key(c.phone) LIKE $1`,
		"name":  `contactbot_name_doc(c.first_name, c.last_name) @@ to_tsquery('simple', contactbot_fold($1))`,
	}
	arg := map[string]func(string) string{
		"id": func(q string) string { return q }, "email": func(q string) string { return q },
		"phone": crm.PhoneKeyPattern,
		"name": func(q string) string {
			out := ""
			for i, w := range splitWords(q) {
				if i > 0 {
					out += " & "
				}
				out += w + ":*"
			}
			return out
		},
	}
	for _, kind := range []string{"id", "email", "phone", "name"} {
		q := searchQueries(n)[kind]
		b.Run(kind, func(b *testing.B) {
			d := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				rows, err := s.DB().QueryContext(ctx, `SELECT c.id, c.first_name, c.last_name, c.email, c.phone FROM contacts c WHERE `+where[kind]+
					` ORDER BY c.last_name, c.first_name, c.id LIMIT 11`, arg[kind](q(i)))
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
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

func splitWords(q string) []string {
	var out []string
	word := ""
	for _, r := range q {
		if r == ' ' || r == '\'' {
			if word != "" {
				out = append(out, word)
			}
			word = ""
			continue
		}
		word += string(r)
	}
	if word != "" {
		out = append(out, word)
	}
	return out
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
