// Package crmtest gives tests a real, migrated, throw-away database
// (PostgreSQL, or an SQLite file) and CRM fixtures written straight into the
// CRM tables, as other tools do. Fixture SQL is portable (? placeholders and
// Rebind, times passed from Go), so it runs on both dialects.
package crmtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"contactbot/crm"

	_ "github.com/lib/pq"
)

// AdminURL is the PostgreSQL server tests create their databases on:
// TEST_DATABASE_URL, or "" when it is unset (PostgreSQL tests are then
// skipped and the rest run on SQLite).
func AdminURL() string { return os.Getenv("TEST_DATABASE_URL") }

// RequirePostgres skips the test when TEST_DATABASE_URL is unset.
func RequirePostgres(tb testing.TB) {
	tb.Helper()
	if AdminURL() == "" {
		tb.Skip("PostgreSQL only: set TEST_DATABASE_URL (bash .ci/run sets it) to run it")
	}
}

// NewDatabase creates an empty database for one test and drops it afterwards.
// It returns the database's URL. Without TEST_DATABASE_URL the test is
// skipped.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return newDatabase(tb, "")
}

// newDatabase creates a database for one test, a copy of template when one
// is named, and drops it when the test ends.
func newDatabase(tb testing.TB, template string) string {
	tb.Helper()
	RequirePostgres(tb)
	admin := adminDB(tb)
	name := strings.ToLower(crm.NewID("contactbot_test_", 12))
	create := `CREATE DATABASE ` + name
	if template != "" {
		create += ` TEMPLATE ` + template
	}
	if _, err := admin.Exec(create); err != nil {
		tb.Fatalf("create test database (is PostgreSQL running? run bash .ci/run): %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			tb.Logf("drop test database %s: %v", name, err)
		}
	})
	return databaseURL(tb, name)
}

// admin is the connection pool to AdminURL that creates and drops the
// test databases of this process.
var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

func adminDB(tb testing.TB) *sql.DB {
	tb.Helper()
	admin.once.Do(func() { admin.db, admin.err = sql.Open("postgres", AdminURL()) })
	if admin.err != nil {
		tb.Fatalf("open admin database: %v", admin.err)
	}
	return admin.db
}

// databaseURL is AdminURL with the database name replaced.
func databaseURL(tb testing.TB, name string) string {
	tb.Helper()
	u, err := url.Parse(AdminURL())
	if err != nil {
		tb.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// templates are the migrated databases of this process (with the test
// suppression key) that NewStore and NewSQLiteStore copy: migrating once
// and copying is much faster than migrating every test's database.
var templates struct {
	mu       sync.Mutex
	postgres string // database name
	sqlite   string // file
}

// migratedTemplate returns the name of this process's migrated PostgreSQL
// template, creating it on first use.
func migratedTemplate(tb testing.TB) string {
	tb.Helper()
	return template(tb, &templates.postgres, func() (string, error) {
		sweepTemplates(tb)
		name := fmt.Sprintf("%s%d_%s", templatePrefix, time.Now().Unix(), strings.ToLower(crm.NewID("", 8)))
		if _, err := adminDB(tb).Exec(`CREATE DATABASE ` + name); err != nil {
			return "", fmt.Errorf("create template database (is PostgreSQL running? run bash .ci/run): %w", err)
		}
		// Closed at once: a database being copied may have no other session.
		if err := closeMigrated(openMigrated(databaseURL(tb, name))); err != nil {
			adminDB(tb).Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
			return "", fmt.Errorf("template database: %w", err)
		}
		return name, nil
	})
}

// sqliteTemplate returns this process's migrated SQLite file, creating it
// on first use.
func sqliteTemplate(tb testing.TB) string {
	tb.Helper()
	return template(tb, &templates.sqlite, func() (string, error) {
		sweepTemplates(tb)
		dir, err := os.MkdirTemp("", templatePrefix+"*")
		if err != nil {
			return "", fmt.Errorf("template directory: %w", err)
		}
		file := filepath.Join(dir, "contactbot.db")
		// Closing checkpoints the write-ahead log into the file: the file
		// alone is then the whole database.
		if err := closeMigrated(openMigrated("sqlite://" + file)); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("SQLite template: %w", err)
		}
		return file, nil
	})
}

// templatePrefix begins the names of templates, PostgreSQL databases and
// SQLite directories, followed on databases by when they were made.
const templatePrefix = "contactbot_test_template_"

// sweepTemplates removes templates that a process which ended without
// Main's clean-up left behind (a fuzzing worker, a test binary killed at
// its timeout): any more than an hour old, longer than a test run lasts.
func sweepTemplates(tb testing.TB) {
	tb.Helper()
	old := time.Now().Add(-time.Hour)
	if AdminURL() != "" {
		var names []string
		rows, err := adminDB(tb).Query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, templatePrefix+"%")
		if err == nil {
			for rows.Next() {
				var n string
				if rows.Scan(&n) == nil {
					names = append(names, n)
				}
			}
			rows.Close()
		}
		for _, n := range names {
			var made int64
			if _, err := fmt.Sscanf(strings.TrimPrefix(n, templatePrefix), "%d_", &made); err == nil && time.Unix(made, 0).Before(old) {
				adminDB(tb).Exec(`DROP DATABASE IF EXISTS ` + n + ` WITH (FORCE)`)
			}
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), templatePrefix+"*"))
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.ModTime().Before(old) {
			os.RemoveAll(d)
		}
	}
}

// template returns *made, made by making on first use.
func template(tb testing.TB, made *string, making func() (string, error)) string {
	tb.Helper()
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if *made == "" {
		m, err := making()
		if err != nil {
			tb.Fatal(err)
		}
		*made = m
	}
	return *made
}

func closeMigrated(s *crm.Store, err error) error {
	if err != nil {
		return err
	}
	return s.Close()
}

// dropTemplates removes this process's templates (Main calls it).
func dropTemplates() {
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if templates.postgres != "" && admin.db != nil {
		admin.db.Exec(`DROP DATABASE IF EXISTS ` + templates.postgres + ` WITH (FORCE)`)
		templates.postgres = ""
	}
	if templates.sqlite != "" {
		os.RemoveAll(filepath.Dir(templates.sqlite))
		templates.sqlite = ""
	}
}

// NewStore opens a migrated store on a fresh PostgreSQL database; without
// TEST_DATABASE_URL the test is skipped. Here and below, hooks, when given,
// are what the store calls (bottest gives the bot's); without, crm.Hooks'
// zero value.
func NewStore(tb testing.TB, hooks ...crm.Hooks) *crm.Store {
	tb.Helper()
	RequirePostgres(tb)
	return NewStoreAt(tb, newDatabase(tb, migratedTemplate(tb)), hooks...)
}

// NewStoreAt opens a store on the database at url, migrated and with the
// test suppression key, closed after the test: for a test that also hands
// url to something else (the command line).
func NewStoreAt(tb testing.TB, url string, hooks ...crm.Hooks) *crm.Store {
	tb.Helper()
	s, err := openMigrated(url, hooks...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openMigrated opens the store at url, migrates it and sets the test
// suppression key (on a copy of a template both find nothing to do).
func openMigrated(url string, hooks ...crm.Hooks) (*crm.Store, error) {
	ctx := context.Background()
	var h crm.Hooks
	if len(hooks) > 0 {
		h = hooks[0]
	}
	s, err := crm.Open(ctx, url, h)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.Migrate(ctx, nil); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := s.SetSuppressionKey(ctx, SuppressionKey); err != nil {
		s.Close()
		return nil, fmt.Errorf("set suppression key: %w", err)
	}
	return s, nil
}

// SuppressionKeyRowVersion is the row version (PostgreSQL's xmin) of the
// stored suppression key: it changes whenever the row is written, even
// with the same key.
func SuppressionKeyRowVersion(tb testing.TB, s *crm.Store) string {
	tb.Helper()
	var v string
	if err := s.DB().Get(&v, `SELECT xmin::text FROM contactbot_settings WHERE name = 'suppression_key'`); err != nil {
		tb.Fatalf("the suppression key's row: %v", err)
	}
	return v
}

// SuppressionKey is the SUPPRESSION_KEY of test stores (never a real one).
const SuppressionKey = "7e57c0de7e57c0de7e57c0de7e57c0de7e57c0de7e57c0de7e57c0de7e57c0de"

// NewSQLiteStore opens a migrated store on a fresh SQLite file (a copy of
// a migrated one) in a temporary directory.
func NewSQLiteStore(tb testing.TB, hooks ...crm.Hooks) *crm.Store {
	tb.Helper()
	file := filepath.Join(tb.TempDir(), "contactbot.db")
	migrated, err := os.ReadFile(sqliteTemplate(tb))
	if err == nil {
		err = os.WriteFile(file, migrated, 0o600)
	}
	if err != nil {
		tb.Fatalf("copy the SQLite template: %v", err)
	}
	return NewStoreAt(tb, "sqlite://"+file, hooks...)
}

// NewStoreOf opens a migrated store of the dialect on a fresh database.
func NewStoreOf(tb testing.TB, d crm.Dialect, hooks ...crm.Hooks) *crm.Store {
	tb.Helper()
	if d == crm.SQLite {
		return NewSQLiteStore(tb, hooks...)
	}
	return NewStore(tb, hooks...)
}

// Dialects are the databases the crm package runs on; tests of behaviour run
// on each, so the two stay equivalent.
var Dialects = []crm.Dialect{crm.Postgres, crm.SQLite}

// ForEachDialect runs fn as a subtest per dialect ("postgres", "sqlite"),
// each with a fresh migrated store.
func ForEachDialect(t *testing.T, fn func(t *testing.T, s *crm.Store)) {
	t.Helper()
	EachDialect(t, func(t *testing.T, d crm.Dialect) { fn(t, NewStoreOf(t, d)) })
}

// EachDialect runs fn as a subtest per dialect, for tests that open stores
// of their own (NewStoreOf). The dialects run in parallel: each has its own
// database, and the slowest crm tests are these pairs.
func EachDialect(t *testing.T, fn func(t *testing.T, d crm.Dialect)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// Contact describes a contact to insert; zero fields get defaults.
type Contact struct {
	ID, FirstName, LastName, Email, Phone string
	DND                                   bool
}

// Fixed times of the fixtures, the same on every dialect.
var (
	ContactCreatedAt = time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)
	ContactUpdatedAt = time.Date(2025, 2, 3, 4, 5, 6, 654321000, time.UTC)
)

// InsertContact writes one contact row and returns its id.
func InsertContact(tb testing.TB, s *crm.Store, c Contact) string {
	tb.Helper()
	if c.ID == "" {
		c.ID = crm.NewID("", 20)
	}
	_, err := s.DB().Exec(s.DB().Rebind(`INSERT INTO contacts (id, location_id, first_name, last_name, email, phone, company_name, source, dnd, created_at, updated_at)
		VALUES (?, 'loc_main', ?, ?, NULLIF(?, ''), NULLIF(?, ''), 'Acme Ltd', 'import', ?, ?, ?)`),
		c.ID, c.FirstName, c.LastName, c.Email, c.Phone, c.DND, ContactCreatedAt, ContactUpdatedAt)
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
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	rows := func(table, cols string, n int, row func(g int) []any) {
		tb.Helper()
		InsertRows(tb, s, table, cols, n, row)
	}
	dnd := []string{"active", "permanent", "inactive"}
	if f.LowRisk {
		dnd = []string{"inactive", "inactive", "inactive"}
	}
	rows("dnd_settings", "contact_id, channel, status", 3, func(g int) []any {
		return []any{id, []string{"sms", "email", "call"}[g-1], dnd[g-1]}
	})
	rows("conversations", "id, contact_id, channel, created_at", f.Conversations, func(g int) []any {
		return []any{fmt.Sprintf("%s_cv%d", id, g), id, "sms", at("2025-03-01T10:00:00Z").Add(time.Duration(g) * time.Hour)}
	})
	rows("messages", "id, conversation_id, direction, body, sent_at", f.Conversations*f.MessagesPer, func(i int) []any {
		c, m := (i-1)/f.MessagesPer+1, (i-1)%f.MessagesPer+1
		dir := "outbound"
		if m%2 == 0 {
			dir = "inbound"
		}
		return []any{fmt.Sprintf("%s_cv%d_m%d", id, c, m), fmt.Sprintf("%s_cv%d", id, c), dir,
			fmt.Sprintf("Message %d with ünïcödé, 'quotes' and a newline\nhere", m), at("2025-03-01T10:00:00.000001Z").Add(time.Duration(m) * time.Minute)}
	})
	rows("notes", "id, contact_id, body, created_at", f.Notes, func(g int) []any {
		return []any{fmt.Sprintf("%s_n%d", id, g), id, fmt.Sprintf("Note %d", g), at("2025-04-01T00:00:00Z")}
	})
	rows("opportunities", "id, contact_id, name, status, monetary_value, created_at", f.Opportunities, func(g int) []any {
		status := "won"
		if g == 1 && !f.LowRisk {
			status = "open"
		}
		cents := 123456 * g // 1234.56 × g, exact
		return []any{fmt.Sprintf("%s_o%d", id, g), id, fmt.Sprintf("Deal %d", g), status, fmt.Sprintf("%d.%02d", cents/100, cents%100), at("2025-05-01T00:00:00Z")}
	})
	rows("tasks", "id, contact_id, title, due_at, completed", f.Tasks, func(g int) []any {
		var due any
		if g%2 != 0 {
			due = at("2030-01-01T00:00:00Z")
		}
		return []any{fmt.Sprintf("%s_t%d", id, g), id, fmt.Sprintf("Task %d", g), due, g%3 == 0}
	})
	rows("appointments", "id, contact_id, title, starts_at, status", f.Appointments, func(g int) []any {
		starts, status := at("2024-01-01T00:00:00Z"), "showed"
		if g == 1 && !f.LowRisk {
			starts, status = time.Now().Add(72*time.Hour), "confirmed"
		}
		return []any{fmt.Sprintf("%s_a%d", id, g), id, fmt.Sprintf("Call %d", g), starts, status}
	})
	rows("workflow_enrollments", "id, contact_id, workflow_name, status, enrolled_at", f.Workflows, func(g int) []any {
		status := "finished"
		if g == 1 {
			status = "active"
		}
		return []any{fmt.Sprintf("%s_w%d", id, g), id, fmt.Sprintf("Nurture %d", g), status, at("2025-06-01T00:00:00Z")}
	})
	return id
}

// InsertRows writes n rows into table (row(g) gives the values of row g,
// 1 ≤ g ≤ n, in the order of cols), a few hundred per statement.
func InsertRows(tb testing.TB, s *crm.Store, table, cols string, n int, row func(g int) []any) {
	tb.Helper()
	ncols := len(strings.Split(cols, ","))
	marks := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	const batch = 200
	for start := 1; start <= n; start += batch {
		var values []string
		var args []any
		for g := start; g <= n && g < start+batch; g++ {
			values = append(values, marks)
			args = append(args, row(g)...)
		}
		q := "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.Join(values, ", ")
		if _, err := s.DB().Exec(s.DB().Rebind(q), args...); err != nil {
			tb.Fatalf("insert fixture into %s: %v", table, err)
		}
	}
}

// SmallFull is a contact with a few rows of every kind.
var SmallFull = Full{Conversations: 2, MessagesPer: 3, Notes: 2, Opportunities: 2, Tasks: 3, Appointments: 2, Workflows: 2}

// SmallLowRisk is SmallFull that a deleter may delete without approval.
var SmallLowRisk = Full{Conversations: 2, MessagesPer: 3, Notes: 2, Opportunities: 2, Tasks: 3, Appointments: 2, Workflows: 2, LowRisk: true}

// CRMTables are the CRM tables in DESIGN.md (crm.Contract), for
// whole-database comparisons.
var CRMTables = crm.CRMTables()

// Dump returns every row of every CRM table as text (one line a row, sorted),
// for comparing a database before and after an operation column by column.
// The text differs between dialects; compare dumps of one store.
func Dump(tb testing.TB, s *crm.Store) map[string][]string {
	tb.Helper()
	return DumpTables(tb, s, CRMTables...)
}

// DumpTables is Dump of the named tables.
func DumpTables(tb testing.TB, s *crm.Store, tables ...string) map[string][]string {
	tb.Helper()
	out := map[string][]string{}
	for _, t := range tables {
		q := fmt.Sprintf(`SELECT t::text FROM %s t ORDER BY t::text`, t)
		if s.Dialect() == crm.SQLite {
			var cols []string
			if err := s.DB().Select(&cols, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, t); err != nil {
				tb.Fatalf("columns of %s: %v", t, err)
			}
			q = fmt.Sprintf(`SELECT json_array(%s) AS r FROM %s ORDER BY r`, strings.Join(cols, ", "), t)
		}
		var rows []string
		if err := s.DB().Select(&rows, q); err != nil {
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

// Clock is a settable clock for a store (and a bot). It is safe for
// concurrent use: handlers read it while tests advance it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// FindText returns "table.column: value" for every value in the store's
// database, in every table, that contains one of needles, ignoring case: on
// PostgreSQL every text and JSON column, on SQLite every column (its columns
// hold any type). For checking that personal data is gone.
//
// A needle is also looked for as it reads inside a JSON string, the way
// JSON columns and the outbox's payloads hold it: escaped by Go's
// encoding/json ("Tom \u0026 Jerry", "Robert \"Bob\" Smith") and by
// encoders that leave &, < and > alone (PostgreSQL's jsonb), once and
// twice (JSON kept inside a JSON string). How a writer escapes text before
// it is stored (Slack's mrkdwn, say) is not known here: callers pass those
// forms as needles of their own.
func FindText(tb testing.TB, s *crm.Store, needles ...string) []string {
	tb.Helper()
	var cols []struct {
		Table     string `db:"t"`
		Column    string `db:"c"`
		Qualified string `db:"q"`
	}
	// The bot's schema and the CRM's: the session's search_path.
	q := `SELECT table_name AS t, column_name AS c, quote_ident(table_schema) || '.' || quote_ident(table_name) AS q FROM information_schema.columns
		WHERE table_schema = ANY (current_schemas(false)) AND data_type IN ('text', 'character varying', 'jsonb', 'json') ORDER BY 1, 2`
	if s.Dialect() == crm.SQLite {
		q = `SELECT m.name AS t, p.name AS c, '"' || m.name || '"' AS q FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2`
	}
	if err := s.DB().Select(&cols, q); err != nil {
		tb.Fatalf("list columns: %v", err)
	}
	var patterns []any
	for _, f := range TextForms(needles...) {
		patterns = append(patterns, "%"+likeEscaper.Replace(f)+"%")
	}
	if len(patterns) == 0 {
		return nil
	}
	var found []string
	for _, c := range cols {
		// lower() on both sides: SQLite's lowers ASCII only, so a needle
		// lowered in Go ("émile") would miss the "Émile" it stands for.
		var vals []string
		cond := strings.TrimSuffix(strings.Repeat(fmt.Sprintf(`lower(CAST(%q AS TEXT)) LIKE lower(?) ESCAPE '\' OR `, c.Column), len(patterns)), " OR ")
		q := fmt.Sprintf(`SELECT CAST(%q AS TEXT) FROM %s WHERE %s`, c.Column, c.Qualified, cond)
		if err := s.DB().Select(&vals, s.DB().Rebind(q), patterns...); err != nil {
			tb.Fatalf("search %s.%s: %v", c.Table, c.Column, err)
		}
		for _, v := range vals {
			found = append(found, fmt.Sprintf("%s.%s: %s", c.Table, c.Column, v))
		}
	}
	return found
}

// TextForms returns each needle as FindText looks for it: as it is, and as
// it reads inside a JSON string (see FindText), without repeats.
func TextForms(needles ...string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) bool {
		if f == "" || seen[f] {
			return false
		}
		seen[f] = true
		out = append(out, f)
		return true
	}
	for _, n := range needles {
		add(n)
		for _, once := range jsonForms(n) {
			add(once)
			for _, twice := range jsonForms(once) {
				add(twice)
			}
		}
	}
	return out
}

// jsonForms is s inside a JSON string, quotes cut: with &, < and > escaped
// (encoding/json's default) and without.
func jsonForms(s string) []string {
	var out []string
	for _, escapeHTML := range []bool{true, false} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		if err := enc.Encode(s); err != nil {
			panic(err) // a string always encodes
		}
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(b.String(), "\n"), `"`), `"`))
	}
	return out
}

// likeEscaper escapes LIKE's wildcards and its escape character (ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// NewEmptyDatabase returns the URL of a database of the dialect with no
// tables, dropped (or removed) after the test: for tests of migrate itself.
func NewEmptyDatabase(tb testing.TB, d crm.Dialect) string {
	tb.Helper()
	if d == crm.Postgres {
		return NewDatabase(tb)
	}
	return "sqlite://" + filepath.Join(tb.TempDir(), "empty.db")
}
