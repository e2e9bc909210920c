// Package crmtest gives tests a real, migrated, throw-away PostgreSQL database
// and CRM fixtures written straight into the CRM tables, as other tools do.
package crmtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"contactbot/crm"

	_ "github.com/lib/pq"
)

// AdminURL is the server tests create their databases on: TEST_DATABASE_URL,
// or the local trust-auth server.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates an empty database for one test and drops it afterwards.
// It returns the database's URL.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	admin, err := sql.Open("postgres", AdminURL())
	if err != nil {
		tb.Fatalf("open admin database: %v", err)
	}
	tb.Cleanup(func() { admin.Close() })
	name := strings.ToLower(crm.NewID("contactbot_test_", 12))
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		tb.Fatalf("create test database (is PostgreSQL running? run bash .ci/run): %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			tb.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		tb.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewStore opens a migrated store on a fresh database.
func NewStore(tb testing.TB) *crm.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := crm.Open(ctx, NewDatabase(tb))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx, nil); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s
}

// Contact describes a contact to insert; zero fields get defaults.
type Contact struct {
	ID, FirstName, LastName, Email, Phone string
	DND                                   bool
}

// InsertContact writes one contact row and returns its id.
func InsertContact(tb testing.TB, s *crm.Store, c Contact) string {
	tb.Helper()
	if c.ID == "" {
		c.ID = crm.NewID("", 20)
	}
	_, err := s.DB().Exec(`INSERT INTO contacts (id, location_id, first_name, last_name, email, phone, company_name, source, dnd, created_at, updated_at)
		VALUES ($1, 'loc_main', $2, $3, NULLIF($4, ''), NULLIF($5, ''), 'Acme Ltd', 'import', $6, '2025-01-02T03:04:05.123456Z', '2025-02-03T04:05:06.654321Z')`,
		c.ID, c.FirstName, c.LastName, c.Email, c.Phone, c.DND)
	if err != nil {
		tb.Fatalf("insert contact: %v", err)
	}
	return c.ID
}

// Full sizes the linked rows InsertFull writes.
type Full struct {
	Conversations, MessagesPer, Notes, Opportunities, Tasks, Appointments, Workflows int
	// LowRisk keeps rows in every table but nothing that makes a delete risky:
	// DND inactive, no open opportunity, no upcoming appointment. A deleter may
	// delete such a contact directly.
	LowRisk bool
}

// InsertFull writes a contact with rows in every linked table: DND on sms
// (active) and email (permanent), conversations with messages, notes, an open
// and closed opportunities, tasks, past and upcoming appointments, active and
// finished workflow enrollments. It returns the contact id.
func InsertFull(tb testing.TB, s *crm.Store, c Contact, f Full) string {
	tb.Helper()
	id := InsertContact(tb, s, c)
	db := s.DB()
	exec := func(q string, args ...any) {
		tb.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			tb.Fatalf("insert fixture: %v\n%s", err, q)
		}
	}
	if f.LowRisk {
		exec(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES ($1, 'sms', 'inactive'), ($1, 'email', 'inactive'), ($1, 'call', 'inactive')`, id)
	} else {
		exec(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES ($1, 'sms', 'active'), ($1, 'email', 'permanent'), ($1, 'call', 'inactive')`, id)
	}
	exec(`INSERT INTO conversations (id, contact_id, channel, created_at)
		SELECT $1 || '_cv' || g, $1, 'sms', '2025-03-01T10:00:00Z'::timestamptz + g * interval '1 hour' FROM generate_series(1, $2::int) g`, id, f.Conversations)
	exec(`INSERT INTO messages (id, conversation_id, direction, body, sent_at)
		SELECT $1 || '_cv' || c || '_m' || m, $1 || '_cv' || c, CASE WHEN m % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
		       'Message ' || m || ' with ünïcödé, ''quotes'' and a newline' || chr(10) || 'here', '2025-03-01T10:00:00.000001Z'::timestamptz + m * interval '1 minute'
		FROM generate_series(1, $2::int) c, generate_series(1, $3::int) m`, id, f.Conversations, f.MessagesPer)
	exec(`INSERT INTO notes (id, contact_id, body, created_at)
		SELECT $1 || '_n' || g, $1, 'Note ' || g, '2025-04-01T00:00:00Z' FROM generate_series(1, $2::int) g`, id, f.Notes)
	exec(`INSERT INTO opportunities (id, contact_id, name, status, monetary_value, created_at)
		SELECT $1 || '_o' || g, $1, 'Deal ' || g, CASE WHEN g = 1 AND NOT $3 THEN 'open' ELSE 'won' END, 1234.56 * g, '2025-05-01T00:00:00Z' FROM generate_series(1, $2::int) g`, id, f.Opportunities, f.LowRisk)
	exec(`INSERT INTO tasks (id, contact_id, title, due_at, completed)
		SELECT $1 || '_t' || g, $1, 'Task ' || g, CASE WHEN g % 2 = 0 THEN NULL ELSE '2030-01-01T00:00:00Z'::timestamptz END, g % 3 = 0 FROM generate_series(1, $2::int) g`, id, f.Tasks)
	exec(`INSERT INTO appointments (id, contact_id, title, starts_at, status)
		SELECT $1 || '_a' || g, $1, 'Call ' || g, CASE WHEN g = 1 AND NOT $3 THEN now() + interval '3 days' ELSE '2024-01-01T00:00:00Z'::timestamptz END,
		       CASE WHEN g = 1 AND NOT $3 THEN 'confirmed' ELSE 'showed' END FROM generate_series(1, $2::int) g`, id, f.Appointments, f.LowRisk)
	exec(`INSERT INTO workflow_enrollments (id, contact_id, workflow_name, status, enrolled_at)
		SELECT $1 || '_w' || g, $1, 'Nurture ' || g, CASE WHEN g = 1 THEN 'active' ELSE 'finished' END, '2025-06-01T00:00:00Z' FROM generate_series(1, $2::int) g`, id, f.Workflows)
	return id
}

// SmallFull is a contact with a few rows of every kind.
var SmallFull = Full{Conversations: 2, MessagesPer: 3, Notes: 2, Opportunities: 2, Tasks: 3, Appointments: 2, Workflows: 2}

// SmallLowRisk is SmallFull that a deleter may delete without approval.
var SmallLowRisk = Full{Conversations: 2, MessagesPer: 3, Notes: 2, Opportunities: 2, Tasks: 3, Appointments: 2, Workflows: 2, LowRisk: true}

// CRMTables are the CRM tables in DESIGN.md, for whole-database comparisons.
var CRMTables = []string{"contacts", "dnd_settings", "conversations", "messages", "notes", "opportunities", "tasks", "appointments", "workflow_enrollments"}

// Dump returns every row of every CRM table as text (one line a row, sorted),
// for comparing a database before and after an operation column by column.
func Dump(tb testing.TB, s *crm.Store) map[string][]string {
	tb.Helper()
	out := map[string][]string{}
	for _, t := range CRMTables {
		var rows []string
		if err := s.DB().Select(&rows, fmt.Sprintf(`SELECT t::text FROM %s t ORDER BY t::text`, t)); err != nil {
			tb.Fatalf("dump %s: %v", t, err)
		}
		out[t] = rows
	}
	return out
}

// CountRows counts the rows of table matching where (e.g. "contact_id = $1").
func CountRows(tb testing.TB, s *crm.Store, table, where string, args ...any) int {
	tb.Helper()
	var n int
	q := "SELECT count(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if err := s.DB().Get(&n, q, args...); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}
