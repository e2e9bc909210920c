package crm

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// SeedFirstNames and SeedLastNames are the names seeded contacts get, most
// common first. Names are drawn with Zipf–Mandelbrot weights (seedWeight): a
// few very common names, a long tail, every entry used. At a million
// contacts the most common first and last names each belong to about 50,000
// contacts and the most common full name ("Anna Jansen") to about 2,500; the
// rarest full names to a handful. Some carry accents, transliterations and
// apostrophes (Müller, Søndergaard, O'Brien), so search folding is exercised
// at scale.
var (
	SeedFirstNames = []string{"Anna", "James", "Maria", "John", "Mohammed", "Sarah", "David", "Laura", "Michael", "Emma",
		"Thomas", "Sofia", "Daniel", "Julia", "Peter", "Lisa", "Robert", "Hannah", "Jan", "Olivia",
		"Paul", "Chloé", "Lucas", "Sophie", "Mark", "Zoë", "José", "Ana", "Jennifer", "William",
		"Linda", "Richard", "Susan", "Joseph", "Jessica", "Charles", "Karen", "Mary", "Patricia", "Elizabeth",
		"Barbara", "Anaïs", "Björn", "Siobhán", "Mateo", "Aisha", "Wei", "Priya", "Liam", "Noah",
		"Ava", "Jürgen", "Søren", "Åsa", "Zoltán", "Łukasz", "Ingrid", "Lars", "Niamh", "Fatima",
		"Yusuf", "Hiroshi", "Yuki", "Carlos", "Lucía", "Andrés", "François", "Hélène", "Jörg", "Käthe",
		"Ömer", "Çağla", "Dmitri", "Olga", "Sven", "Astrid", "Pål", "Maja", "Eva", "Tomás",
		"Inês", "Rui", "Giulia", "Marco", "Ahmed", "Leila", "Omar", "Ravi", "Anjali", "Kwame",
		"Amara", "Nkosi", "Mei", "Jun", "Thanh", "Minh", "Emily", "Jack", "Grace", "Ethan"}
	SeedLastNames = []string{"Jansen", "Smith", "Müller", "García", "Nguyen", "Johnson", "Schmidt", "Brown", "Williams", "Jones",
		"Rossi", "Martin", "Patel", "Kim", "Dubois", "Novak", "Kowalski", "Andersson", "Hansen", "Silva",
		"Schneider", "Fischer", "Meyer", "Weber", "Wagner", "Becker", "Schäfer", "Koch", "Bauer", "Richter",
		"O'Brien", "Murphy", "Kelly", "O'Connor", "Walsh", "Byrne", "Ryan", "Taylor", "Davies", "Evans",
		"Thomas", "Roberts", "Wilson", "Anderson", "Jackson", "Moore", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Pérez", "Sánchez", "Ramírez", "Torres", "Flores", "Chen", "Wang",
		"Li", "Zhang", "Liu", "Singh", "Kumar", "Sharma", "Khan", "Ali", "Ahmed", "Ivanova",
		"Petrov", "Søndergaard", "Ångström", "Nørgaard", "Jørgensen", "Åberg", "Lindqvist", "Bergström", "Öztürk", "Yılmaz",
		"Şahin", "Dvořák", "Wójcik", "Nowak", "Lefèvre", "Mercier", "D'Angelo", "Esposito", "Bianchi", "Romano",
		"Ferrari", "De Vries", "Van Dijk", "Bakker", "Visser", "Smit", "Mulder", "Hoffmann", "Krüger", "Weiß"}
)

// seedNameOffset is q in the Zipf–Mandelbrot weight 1/(rank+q): with 100
// names it gives the most common about 5% of contacts, the rarest about 0.35%.
const seedNameOffset = 6

// seedThresholds are the cumulative shares of n names, from 0: name i (from
// 0) is drawn when a uniform u in [0, 1) falls in [t[i], t[i+1]).
func seedThresholds(n int) []float64 {
	t := make([]float64, n)
	sum := 0.0
	for r := 1; r <= n; r++ {
		sum += 1 / float64(r+seedNameOffset)
	}
	acc := 0.0
	for r := 1; r < n; r++ {
		acc += 1 / float64(r+seedNameOffset) / sum
		t[r] = acc
	}
	return t
}

// Weyl sequences draw the first and last names of contact g: u = frac(g·α),
// equidistributed for an irrational α and the same in PostgreSQL's float8
// arithmetic as in Go's float64, so SeedName tells what Seed wrote.
const (
	seedFirstAlpha = 0.6180339887498949 // golden ratio − 1
	seedLastAlpha  = 0.4142135623730951 // √2 − 1
)

var seedFirstThresholds, seedLastThresholds = seedThresholds(len(SeedFirstNames)), seedThresholds(len(SeedLastNames))

// SeedName is the first and last name Seed gives contact number g.
func SeedName(g int) (first, last string) {
	pick := func(names []string, t []float64, alpha float64) string {
		x := float64(g) * alpha
		u := x - math.Floor(x)
		// As PostgreSQL's width_bucket: the number of thresholds ≤ u.
		return names[sort.Search(len(t), func(i int) bool { return t[i] > u })-1]
	}
	return pick(SeedFirstNames, seedFirstThresholds, seedFirstAlpha), pick(SeedLastNames, seedLastThresholds, seedLastAlpha)
}

// SeedOptions size a seeded CRM.
type SeedOptions struct {
	Contacts int
	// Prefix starts every seeded id (default "s"), so seeds can be told apart and repeated.
	Prefix string
}

// SeedCounts is what Seed wrote.
type SeedCounts struct {
	Contacts, Linked int
}

// Seed fills the CRM tables with realistic contacts and linked rows using
// set-based SQL on PostgreSQL (generate_series): no rows pass through Go, so a
// million contacts take a minute or two. Ids are 20 characters: the prefix,
// then zero-padded numbers. Every contact gets about three linked rows on
// average, spread over every kind; every 50th shares its email and phone with
// the one before (duplicates), every 20th has DND.
func (s *Store) Seed(ctx context.Context, o SeedOptions) (SeedCounts, error) {
	var out SeedCounts
	if o.Contacts <= 0 {
		return out, Errorf(EINVALID, "Seed needs a positive number of contacts.")
	}
	if s.dialect == SQLite {
		return out, Errorf(EINVALID, "seed fills PostgreSQL (set DATABASE_URL); the embedded database already holds the demo CRM.")
	}
	if o.Prefix == "" {
		o.Prefix = "s"
	}
	if len(o.Prefix) > 8 || strings.ContainsAny(o.Prefix, "'\\%_") {
		return out, Errorf(EINVALID, "The seed prefix must be at most 8 plain characters.")
	}
	pad := 20 - len(o.Prefix)
	id := func(expr string) string { return fmt.Sprintf("'%s' || lpad((%s)::text, %d, '0')", o.Prefix, expr, pad) }
	firsts := "ARRAY['" + strings.Join(escapeAll(SeedFirstNames), "','") + "']"
	lasts := "ARRAY['" + strings.Join(escapeAll(SeedLastNames), "','") + "']"
	// SeedName's draw in SQL: width_bucket counts the thresholds ≤ u.
	draw := func(names string, t []float64, alpha float64) string {
		a := strconv.FormatFloat(alpha, 'g', -1, 64)
		return "(" + names + ")[width_bucket(g * " + a + "::float8 - floor(g * " + a + "::float8), " + floatArray(t) + ")]"
	}
	// g is the contact number; b is g, or g-1 for a duplicate (g % 50 = 0),
	// which reuses the previous contact's email and phone.
	stmts := []string{
		`INSERT INTO contacts (id, location_id, first_name, last_name, email, phone, company_name, source, dnd, created_at, updated_at)
		SELECT ` + id("g") + `, 'loc_' || (g % 7),
			` + draw(firsts, seedFirstThresholds, seedFirstAlpha) + `,
			` + draw(lasts, seedLastThresholds, seedLastAlpha) + `,
			CASE WHEN g % 11 = 0 THEN NULL ELSE 'contact' || b || '@example' || (b % 97) || '.com' END,
			CASE WHEN g % 13 = 0 THEN NULL ELSE '+1 (' || (200 + b / 10000000 % 800) || ') ' ||
				lpad((b / 10000 % 1000)::text, 3, '0') || '-' || lpad((b % 10000)::text, 4, '0') END,
			CASE WHEN g % 3 = 0 THEN 'Company ' || (g % 1000) END, 'seed', g % 20 = 0,
			timestamptz '2020-01-01' + (g % 2000) * interval '1 day', timestamptz '2024-01-01' + (g % 700) * interval '1 day'
		FROM (SELECT g, g - (g % 50 = 0)::int AS b FROM generate_series(1, $1::int) g) x`,
		`INSERT INTO dnd_settings (contact_id, channel, status)
		SELECT ` + id("g") + `, c, CASE WHEN c = 'sms' AND g % 40 = 0 THEN 'permanent' ELSE 'active' END
		FROM generate_series(20, $1::int, 20) g, unnest(ARRAY['sms','email','call','whatsapp','gmb','fb']) c`,
		`INSERT INTO conversations (id, contact_id, channel, created_at)
		SELECT ` + id("g") + `, ` + id("g") + `, CASE WHEN g % 4 = 0 THEN 'email' ELSE 'sms' END, timestamptz '2024-01-01' + (g % 600) * interval '1 day'
		FROM generate_series(2, $1::int, 2) g`,
		`INSERT INTO messages (id, conversation_id, direction, body, sent_at)
		SELECT ` + id("g * 4 + m") + `, ` + id("g") + `, CASE WHEN m = 1 THEN 'outbound' ELSE 'inbound' END,
			CASE WHEN m = 1 THEN 'Hi! Thanks for your interest, when suits you for a call?' ELSE 'Tomorrow at 10 works.' END,
			timestamptz '2024-01-01' + (g % 600) * interval '1 day' + m * interval '1 hour'
		FROM generate_series(2, $1::int, 2) g, generate_series(1, 2) m`,
		`INSERT INTO notes (id, contact_id, body, created_at)
		SELECT ` + id("g") + `, ` + id("g") + `, 'Called, left a voicemail.', timestamptz '2024-02-01' + (g % 500) * interval '1 day'
		FROM generate_series(3, $1::int, 3) g`,
		`INSERT INTO opportunities (id, contact_id, name, status, monetary_value, created_at)
		SELECT ` + id("g") + `, ` + id("g") + `, 'Deal ' || g, (ARRAY['open','won','lost','abandoned'])[1 + g % 4], (g % 5000) + 0.99, timestamptz '2024-03-01'
		FROM generate_series(5, $1::int, 5) g`,
		`INSERT INTO tasks (id, contact_id, title, due_at, completed)
		SELECT ` + id("g") + `, ` + id("g") + `, 'Follow up', CASE WHEN g % 2 = 0 THEN timestamptz '2026-01-01' + (g % 900) * interval '1 day' END, g % 3 = 0
		FROM generate_series(5, $1::int, 5) g`,
		`INSERT INTO appointments (id, contact_id, title, starts_at, status)
		SELECT ` + id("g") + `, ` + id("g") + `, 'Discovery call', timestamptz '2026-06-01' + (g % 900) * interval '1 day', (ARRAY['confirmed','cancelled','showed','noshow'])[1 + g % 4]
		FROM generate_series(10, $1::int, 10) g`,
		`INSERT INTO workflow_enrollments (id, contact_id, workflow_name, status, enrolled_at)
		SELECT ` + id("g") + `, ` + id("g") + `, (ARRAY['New lead nurture','Appointment reminders','Win-back'])[1 + g % 3], (ARRAY['active','finished','stopped'])[1 + g % 3], timestamptz '2024-04-01'
		FROM generate_series(4, $1::int, 4) g`,
	}
	for i, q := range stmts {
		res, err := s.db.ExecContext(ctx, q, o.Contacts)
		if err != nil {
			return out, fmt.Errorf("seed step %d: %w", i+1, err)
		}
		n, _ := res.RowsAffected()
		if i == 0 {
			out.Contacts = int(n)
		} else {
			out.Linked += int(n)
		}
	}
	// VACUUM as well: it marks the new pages all-visible, so that the
	// name index's postings are read from the index alone from the first
	// search on (before, the first searches visited the table for every
	// posting, until autovacuum came by).
	if _, err := s.db.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
		return out, fmt.Errorf("vacuum and analyze after seed: %w", err)
	}
	return out, nil
}

// floatArray is t as a float8[] literal, each value exactly (shortest
// round-trip form).
func floatArray(t []float64) string {
	parts := make([]string, len(t))
	for i, f := range t {
		parts[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return "ARRAY[" + strings.Join(parts, ",") + "]::float8[]"
}

func escapeAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ReplaceAll(n, "'", "''")
	}
	return out
}
