// Package demo fills an empty CRM with a small, realistic Leadgains account,
// so that `contactbot shell` shows something worth deleting on a fresh
// machine: a few dozen contacts with duplicates (Sam Lee's with
// conversations on both sides, to merge), test contacts, contacts that
// opted out (DND), a customer with open opportunities and upcoming
// appointments, and linked rows of every kind.
//
// Ids are fixed, so the transcripts in the README and docs/ stay true on every machine.
// Times in the past are fixed too; upcoming appointments are placed relative
// to when the data was seeded, so that they are upcoming when first seen.
package demo

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/crm"
)

// LocationID is the Leadgains location (sub-account) of every demo contact.
const LocationID = "LocDemoAcmeDental001"

// ID returns the fixed contact id of the demo contact key, e.g. ID("jane").
// Ids look like Leadgains ids: 20 letters and digits.
func ID(key string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	sum := sha256.Sum256([]byte("contactbot-demo/" + key))
	b := make([]byte, 20)
	for i := range b {
		b[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(b)
}

// contact is one demo contact and what hangs off it.
type contact struct {
	key                               string
	first, last, email, phone, source string
	company                           string
	dnd                               bool
	created                           string // date, 2025-…
	dndSettings                       map[string]string
	conversations                     []conversation
	notes                             []string
	opportunities                     []opportunity
	tasks                             []task
	appointments                      []appointment
	workflows                         map[string]string // name -> status
}

type conversation struct {
	channel  string
	messages []string // alternating inbound, outbound
}

type opportunity struct {
	name, status, value string
}

type task struct {
	title     string
	dueInDays int // 0: no due date
	completed bool
}

type appointment struct {
	title  string
	inDays int // negative: in the past
	status string
}

// contacts is the demo account.
var contacts = []contact{
	{key: "jane", first: "Jane", last: "Doe", email: "jane.doe@example.com", phone: "+1 (555) 010-2233", source: "website form", company: "Doe Family Dental", created: "2025-01-14",
		conversations: []conversation{
			{"sms", []string{"Hi, can I move my cleaning to next week?", "Of course Jane, Tuesday 10am works?", "Perfect, thanks!"}},
			{"email", []string{"Invoice question", "Here is the corrected invoice."}},
		},
		notes:         []string{"Prefers SMS over calls.", "Insurance: Delta Dental, renewed in March."},
		opportunities: []opportunity{{"Whitening package", "won", "450.00"}},
		tasks:         []task{{"Send post-visit survey", 0, true}, {"Confirm insurance details", -3, false}},
		appointments:  []appointment{{"Cleaning", -40, "showed"}},
		workflows:     map[string]string{"New patient welcome": "finished"},
	},
	{key: "jane-import", first: "Jane", last: "Doe", phone: "555.010.2233", source: "csv import", created: "2025-06-02",
		notes: []string{"Imported from the spring fair sign-up sheet."},
	},
	{key: "marco", first: "Marco", last: "Rossi", email: "marco@rossi-builders.example", phone: "+1 (555) 013-7788", source: "referral", company: "Rossi Builders", created: "2025-02-03",
		conversations: []conversation{
			{"email", []string{"Looking for a quote for the whole team.", "Quote attached, valid 30 days.", "Thanks, reviewing with my partner."}},
			{"call", []string{"Missed call", "Left a voicemail about the quote."}},
		},
		notes:         []string{"Decision maker; partner is Giulia.", "Wants invoices per employee."},
		opportunities: []opportunity{{"Team dental plan (12 people)", "open", "8400.00"}, {"Orthodontics for two kids", "open", "5200.00"}, {"Single check-up", "won", "120.00"}},
		tasks:         []task{{"Follow up on the team quote", 2, false}, {"Prepare kids' treatment plan", 9, false}},
		appointments:  []appointment{{"Team plan walkthrough", 5, "confirmed"}, {"Kids' orthodontic consult", 12, "confirmed"}, {"First visit", -90, "showed"}},
		workflows:     map[string]string{"Quote follow-up": "active", "New patient welcome": "finished"},
	},
	{key: "priya", first: "Priya", last: "Patel", email: "priya.patel@example.com", phone: "+1 (555) 014-4410", source: "facebook ad", created: "2025-03-20", dnd: true,
		dndSettings:   map[string]string{"sms": "permanent", "email": "active", "call": "active", "whatsapp": "active"},
		conversations: []conversation{{"sms", []string{"Book your free consult today!", "STOP"}}},
		notes:         []string{"Replied STOP on 2025-04-02. Do not contact."},
		workflows:     map[string]string{"Free consult campaign": "stopped"},
	},
	{key: "tom", first: "Tom", last: "Becker", email: "tom.becker@example.com", phone: "+49 30 901820", source: "website form", created: "2025-04-11",
		dndSettings:   map[string]string{"email": "active", "sms": "inactive"},
		conversations: []conversation{{"email", []string{"Please stop the newsletters.", "Done, you will not get newsletters any more."}}},
		workflows:     map[string]string{"Monthly newsletter": "stopped"},
	},
	{key: "test1", first: "Test", last: "Test", email: "test@test.com", phone: "555 000 0000", source: "website form", created: "2025-05-05",
		notes: []string{"asdf"},
	},
	{key: "test2", first: "Testy", last: "McTestface", email: "testy@example.com", source: "api", created: "2025-05-06",
		conversations: []conversation{{"sms", []string{"test message", "auto-reply: thanks for reaching out!"}}},
		notes:         []string{"Created while testing the Zapier integration."},
		tasks:         []task{{"Call back", 0, false}},
		workflows:     map[string]string{"New lead nurture": "active"},
	},
	{key: "asdf", first: "asdf", last: "asdf", email: "asdf@asdf.asdf", source: "website form", created: "2025-07-19"},
	{key: "sam", first: "Sam", last: "Lee", email: "sam.lee@example.com", phone: "+1 (555) 016-2020", source: "google ads", created: "2025-02-27",
		conversations: []conversation{{"sms", []string{"Do you take walk-ins?", "Yes, until 4pm on weekdays."}}},
		appointments:  []appointment{{"Check-up", -20, "noshow"}},
	},
	// Sam Lee filled the form again: a duplicate with a conversation and a
	// task of its own, which a merge keeps and a delete would lose.
	{key: "samuel", first: "Samuel", last: "Lee", email: "SAM.LEE@example.com", phone: "+1 (555) 016-2020", source: "website form", created: "2025-08-30",
		conversations: []conversation{{"email", []string{"I missed my check-up, can I book a new one?", "Of course Sam: Thursday 3pm?", "Thursday works."}}},
		notes:         []string{"Filled the form again after missing his appointment."},
		tasks:         []task{{"Confirm Thursday's check-up", 1, false}},
	},
	{key: "zoe", first: "Zoë", last: "Ångström", email: "zoe.angstrom@example.se", phone: "+46 8 123 456 78", source: "referral", created: "2025-03-03",
		conversations: []conversation{{"whatsapp", []string{"Hej! Is parking available?", "Yes, two spots behind the building."}}},
		appointments:  []appointment{{"Cleaning", 20, "confirmed"}},
	},
	{key: "jose", first: "José", last: "Núñez", email: "jose.nunez@example.mx", phone: "+52 55 1234 5678", source: "facebook ad", created: "2025-04-28",
		opportunities: []opportunity{{"Implant consultation", "lost", "3200.00"}},
		notes:         []string{"Chose a clinic closer to work."},
	},
	{key: "liam", first: "Liam", last: "O'Brien", email: "liam.obrien@example.ie", phone: "+353 1 555 0199", source: "walk-in", created: "2025-01-30",
		tasks:     []task{{"Send x-ray results", 0, true}},
		workflows: map[string]string{"Review request": "finished"},
	},
	{key: "emma", first: "Emma", last: "Schmidt", email: "emma.schmidt@example.de", phone: "+49 89 2019 3344", source: "google ads", created: "2025-02-14"},
	{key: "noah", first: "Noah", last: "Müller", email: "noah.mueller@example.de", source: "website form", created: "2025-02-16",
		appointments: []appointment{{"Consultation", -10, "cancelled"}},
	},
	{key: "olivia", first: "Olivia", last: "Martin", email: "olivia.martin@example.com", phone: "+1 (555) 018-3030", source: "referral", created: "2025-03-08",
		opportunities: []opportunity{{"Invisalign", "open", "3900.00"}},
		appointments:  []appointment{{"Invisalign scan", 3, "confirmed"}},
		workflows:     map[string]string{"Invisalign nurture": "active"},
	},
	{key: "lucas", first: "Lucas", last: "Bernard", email: "lucas.bernard@example.fr", source: "facebook ad", created: "2025-03-12"},
	{key: "amelia", first: "Amelia", last: "Clark", email: "amelia.clark@example.com", phone: "+1 (555) 019-1111", source: "website form", created: "2025-03-15",
		conversations: []conversation{{"email", []string{"What are your opening hours?", "Mon-Fri 8-6, Sat 9-1."}}},
	},
	{key: "ethan", first: "Ethan", last: "Walker", email: "ethan.walker@example.com", source: "google ads", created: "2025-03-18",
		tasks: []task{{"Send financing options", 4, false}},
	},
	{key: "sofia", first: "Sofia", last: "García", email: "sofia.garcia@example.es", phone: "+34 91 555 0101", source: "instagram", created: "2025-03-22"},
	{key: "mateo", first: "Mateo", last: "García", email: "mateo.garcia@example.es", phone: "+34 91 555 0101", source: "instagram", created: "2025-03-22",
		notes: []string{"Sofia's son; shares the family phone."},
	},
	{key: "chloe", first: "Chloé", last: "Dubois", email: "chloe.dubois@example.fr", source: "referral", created: "2025-04-01"},
	{key: "oliver", first: "Oliver", last: "Smith", email: "oliver.smith@example.co.uk", phone: "+44 20 7946 0018", source: "walk-in", created: "2025-04-03",
		appointments: []appointment{{"Emergency visit", -2, "showed"}},
		tasks:        []task{{"Check healing", 5, false}},
	},
	{key: "ava", first: "Ava", last: "Johnson", email: "ava.johnson@example.com", phone: "+1 (555) 020-4545", source: "website form", created: "2025-04-07"},
	{key: "mia", first: "Mia", last: "Nguyen", email: "mia.nguyen@example.com", source: "tiktok", created: "2025-04-09",
		conversations: []conversation{{"fb", []string{"Do you do teeth whitening?", "Yes! $450 for the full package."}}},
	},
	{key: "leo", first: "Leo", last: "Kowalski", email: "leo.kowalski@example.pl", phone: "+48 22 555 0144", source: "referral", created: "2025-04-15"},
	{key: "isla", first: "Isla", last: "MacDonald", email: "isla.macdonald@example.co.uk", source: "google ads", created: "2025-04-19",
		dndSettings: map[string]string{"call": "active"},
	},
	{key: "hugo", first: "Hugo", last: "Lefèvre", email: "hugo.lefevre@example.fr", source: "website form", created: "2025-04-22"},
	{key: "grace", first: "Grace", last: "Kim", email: "grace.kim@example.com", phone: "+1 (555) 021-7878", source: "yelp", created: "2025-05-01",
		opportunities: []opportunity{{"Crown replacement", "won", "1150.00"}},
		workflows:     map[string]string{"Review request": "active"},
	},
	{key: "henry", first: "Henry", last: "Brown", email: "henry.brown@example.com", source: "website form", created: "2025-05-10"},
	{key: "lily", first: "Lily", last: "Evans", email: "lily.evans@example.com", phone: "+1 (555) 022-9090", source: "referral", created: "2025-05-14",
		appointments: []appointment{{"Cleaning", 30, "confirmed"}},
	},
	{key: "jack", first: "Jack", last: "Wilson", email: "jack.wilson@example.com", source: "google ads", created: "2025-05-20"},
	{key: "nora", first: "Nora", last: "Andersen", email: "nora.andersen@example.no", phone: "+47 22 55 01 33", source: "website form", created: "2025-06-03"},
	{key: "ben", first: "Ben", last: "Carter", email: "ben.carter@example.com", source: "facebook ad", created: "2025-06-11",
		opportunities: []opportunity{{"Veneers (6)", "abandoned", "6000.00"}},
	},
	{key: "ella", first: "Ella", last: "Rossi", email: "ella.rossi@example.it", source: "referral", created: "2025-06-18",
		notes: []string{"Marco Rossi's sister, not on the team plan."},
	},
}

// Count is how many contacts Seed writes.
var Count = len(contacts)

// Seed writes the demo account into an empty CRM, once: it does nothing
// (and returns false) when the database was seeded before or holds any
// contact, so it can never mix demo rows into real data. now places the
// upcoming appointments.
func Seed(ctx context.Context, s *crm.Store, now time.Time) (bool, error) {
	tx, err := s.DB().BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("seed demo: begin: %w", err)
	}
	defer tx.Rollback()
	q := func(sql string) string { return tx.Rebind(sql) }
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS contactbot_demo (seeded_at TIMESTAMP NOT NULL)`); err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	var seeded, existing int
	if err := tx.GetContext(ctx, &seeded, `SELECT count(*) FROM contactbot_demo`); err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	if err := tx.GetContext(ctx, &existing, `SELECT count(*) FROM (SELECT 1 FROM contacts LIMIT 1) c`); err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	if seeded > 0 || existing > 0 {
		return false, nil
	}
	now = now.UTC().Truncate(time.Hour)
	for _, c := range contacts {
		if err := insert(ctx, tx, c, now); err != nil {
			return false, fmt.Errorf("seed demo contact %s: %w", c.key, err)
		}
	}
	if _, err := tx.ExecContext(ctx, q(`INSERT INTO contactbot_demo (seeded_at) VALUES (?)`), now); err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("seed demo: commit: %w", err)
	}
	return true, nil
}

func insert(ctx context.Context, tx *sqlx.Tx, c contact, now time.Time) error {
	id := ID(c.key)
	created, err := time.Parse("2006-01-02", c.created)
	if err != nil {
		return err
	}
	created = created.Add(9*time.Hour + time.Duration(len(c.key))*7*time.Minute)
	exec := func(sql string, args ...any) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(sql), args...)
		return err
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	if err := exec(`INSERT INTO contacts (id, location_id, first_name, last_name, email, phone, company_name, source, dnd, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, LocationID, c.first, c.last, null(c.email), null(c.phone), null(c.company), null(c.source), c.dnd, created, created.Add(36*time.Hour)); err != nil {
		return err
	}
	for _, ch := range crm.DNDChannels { // a stable order
		if st, ok := c.dndSettings[ch]; ok {
			if err := exec(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES (?, ?, ?)`, id, ch, st); err != nil {
				return err
			}
		}
	}
	for i, cv := range c.conversations {
		cvID := fmt.Sprintf("%s_cv%d", id[:12], i+1)
		at := created.Add(time.Duration(i+1) * 24 * time.Hour)
		if err := exec(`INSERT INTO conversations (id, contact_id, channel, created_at) VALUES (?, ?, ?, ?)`, cvID, id, cv.channel, at); err != nil {
			return err
		}
		for j, body := range cv.messages {
			dir := "inbound"
			if j%2 == 1 {
				dir = "outbound"
			}
			if err := exec(`INSERT INTO messages (id, conversation_id, direction, body, sent_at) VALUES (?, ?, ?, ?, ?)`,
				fmt.Sprintf("%s_m%d", cvID, j+1), cvID, dir, body, at.Add(time.Duration(j*17)*time.Minute)); err != nil {
				return err
			}
		}
	}
	for i, n := range c.notes {
		if err := exec(`INSERT INTO notes (id, contact_id, body, created_at) VALUES (?, ?, ?, ?)`,
			fmt.Sprintf("%s_n%d", id[:12], i+1), id, n, created.Add(time.Duration(i+2)*24*time.Hour)); err != nil {
			return err
		}
	}
	for i, o := range c.opportunities {
		if err := exec(`INSERT INTO opportunities (id, contact_id, name, status, monetary_value, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			fmt.Sprintf("%s_o%d", id[:12], i+1), id, o.name, o.status, o.value, created.Add(time.Duration(i+3)*24*time.Hour)); err != nil {
			return err
		}
	}
	for i, t := range c.tasks {
		var due any
		if t.dueInDays != 0 {
			due = now.AddDate(0, 0, t.dueInDays)
		}
		if err := exec(`INSERT INTO tasks (id, contact_id, title, due_at, completed) VALUES (?, ?, ?, ?, ?)`,
			fmt.Sprintf("%s_t%d", id[:12], i+1), id, t.title, due, t.completed); err != nil {
			return err
		}
	}
	today := now.Truncate(24 * time.Hour) // appointments at 10:00 UTC, n days from the seeding day
	for i, a := range c.appointments {
		if err := exec(`INSERT INTO appointments (id, contact_id, title, starts_at, status) VALUES (?, ?, ?, ?, ?)`,
			fmt.Sprintf("%s_a%d", id[:12], i+1), id, a.title, today.AddDate(0, 0, a.inDays).Add(10*time.Hour), a.status); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(c.workflows))
	for n := range c.workflows {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, n := range names {
		if err := exec(`INSERT INTO workflow_enrollments (id, contact_id, workflow_name, status, enrolled_at) VALUES (?, ?, ?, ?, ?)`,
			fmt.Sprintf("%s_w%d", id[:12], i+1), id, n, c.workflows[n], created.Add(time.Hour)); err != nil {
			return err
		}
	}
	return nil
}
