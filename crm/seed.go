package crm

import (
	"context"
	"fmt"
	"strings"
)

// seedFirstNames and seedLastNames make realistic, searchable names; a few
// carry accents and apostrophes so search folding is exercised.
var (
	seedFirstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
		"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Zoë", "José",
		"Chloé", "Anaïs", "Björn", "Siobhán", "Mateo", "Aisha", "Wei", "Priya", "Olivia", "Liam", "Emma", "Noah", "Ava"}
	seedLastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "O'Brien",
		"Müller", "Ångström", "Nguyen", "Kim", "Patel", "Singh", "Chen", "Dubois", "Rossi", "Novak", "Kowalski", "Ivanova"}
)

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
	firsts := "ARRAY['" + strings.Join(escapeAll(seedFirstNames), "','") + "']"
	lasts := "ARRAY['" + strings.Join(escapeAll(seedLastNames), "','") + "']"
	// g is the contact number; b is g, or g-1 for a duplicate (g % 50 = 0),
	// which reuses the previous contact's email and phone.
	stmts := []string{
		`INSERT INTO contacts (id, location_id, first_name, last_name, email, phone, company_name, source, dnd, created_at, updated_at)
		SELECT ` + id("g") + `, 'loc_' || (g % 7),
			(` + firsts + `)[1 + (g * 7) % ` + fmt.Sprint(len(seedFirstNames)) + `],
			(` + lasts + `)[1 + (g * 13) % ` + fmt.Sprint(len(seedLastNames)) + `],
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
	if _, err := s.db.ExecContext(ctx, `ANALYZE`); err != nil {
		return out, fmt.Errorf("analyze after seed: %w", err)
	}
	return out, nil
}

func escapeAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ReplaceAll(n, "'", "''")
	}
	return out
}
