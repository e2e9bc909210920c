package crm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

func TestSQLitePath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url, path string
		sqlite    bool
	}{
		{"sqlite:///var/lib/contactbot.db", "/var/lib/contactbot.db", true},
		{"sqlite://data/contactbot.db", "data/contactbot.db", true},
		{"sqlite:contactbot.db", "contactbot.db", true},
		{"SQLITE:///x.db", "/x.db", true},
		{"/home/me/.local/share/contactbot/contactbot.db", "/home/me/.local/share/contactbot/contactbot.db", true},
		{"./contactbot.db", "./contactbot.db", true},
		{"postgres://u@h/db", "", false},
		{"postgresql://u@h/db?sslmode=disable", "", false},
		{"mysql://u@h/db", "", false},
	} {
		path, ok := crm.SQLitePath(c.url)
		if ok != c.sqlite || path != c.path {
			t.Errorf("SQLitePath(%q) = %q, %t; want %q, %t", c.url, path, ok, c.path, c.sqlite)
		}
	}
	if _, err := crm.Open(context.Background(), "sqlite://"+t.TempDir()+"/x.db?mode=memory", crm.Hooks{}); err == nil {
		t.Error("a path with a query string was accepted")
	}
	if _, err := crm.Open(context.Background(), "sqlite::memory:", crm.Hooks{}); err == nil {
		t.Error("an in-memory database (one per connection) was accepted")
	}
}

// TestSQLiteSearchUsesIndexes checks the plans of the very queries Search
// runs: SQLite reports "SCAN t" for a full table (or index) scan.
func TestSQLiteSearchUsesIndexes(t *testing.T) {
	t.Parallel()
	s := crmtest.NewSQLiteStore(t)
	crmtest.InsertRows(t, s, "contacts", "id, location_id, first_name, last_name, email, phone", 3000, func(g int) []any {
		return []any{fmt.Sprintf("c%019d", g), "loc", fmt.Sprintf("First%d", g%300), fmt.Sprintf("Last%d", g%700), fmt.Sprintf("u%d@example.com", g), fmt.Sprintf("+1 555 %07d", g)}
	})
	s.DB().MustExec(`ANALYZE`)
	plan := func(t *testing.T, q string, args ...any) string { return sqlitePlan(t, s, q, args...) }
	// A scan of a table is what must not happen; scanning a subquery's few
	// rows (a co-routine such as "SCAN d") is fine.
	scans := func(p string) bool {
		for _, l := range strings.Split(p, "\n") {
			if l == "SCAN c" || strings.HasPrefix(l, "SCAN c ") || strings.HasPrefix(l, "SCAN contacts") {
				return true
			}
		}
		return false
	}
	for _, q := range []string{"u12@example.com", "555 000 0012", "+1-555-000-0012", "first1", "first1 last1", "First12 Last5 First1", "c0000000000000000012", "seD4PfOuKoVMLkEZqohJ"} {
		for _, st := range s.SearchStatements(q) {
			if plan := plan(t, st.SQL, st.Args...); scans(plan) {
				t.Errorf("search %q (%s) scans:\n%s", q, st.Name, plan)
			}
		}
	}
	dup, args := s.DuplicatesQuery(crm.Contact{ID: "c0000000000000000012", Email: "u12@example.com", Phone: "+1 555 0000012"})
	if p := plan(t, dup, args...); scans(p) {
		t.Errorf("duplicates query scans:\n%s", p)
	}
}

// sqlitePlan is SQLite's query plan of q, one line a step.
func sqlitePlan(t *testing.T, s *crm.Store, q string, args ...any) string {
	t.Helper()
	var lines []string
	rows, err := s.DB().Queryx(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

// TestSQLiteFindDeletionsUsesIndexes checks that finding a deletion by the
// deleted contact's email or phone reads the archive's expression indexes
// (migration 00020), not every archived row, and finds the right one.
func TestSQLiteFindDeletionsUsesIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := crmtest.NewSQLiteStore(t)
	now := time.Now()
	s.DB().MustExec(`INSERT INTO deletions (id, contact_id, deleted_by, reason, deleted_at, restore_until) VALUES ('DBULK', 'c', 'U1', 'duplicate', ?, ?)`, now, now.Add(time.Hour))
	crmtest.InsertRows(t, s, "archived_rows", "deletion_id, table_name, row_id, data", 3000, func(g int) []any {
		table := "notes"
		if g%3 == 0 {
			table = "contacts"
		}
		return []any{"DBULK", table, fmt.Sprint(g), fmt.Sprintf(`{"id": "%d", "email": "U%d@Example.com", "phone": "+1 555 %07d"}`, g, g, g)}
	})
	s.DB().MustExec(`ANALYZE`)
	for _, c := range []struct{ q, index string }{
		{"u300@example.com", "archived_contacts_email"},
		{"555 000 0300", "archived_contacts_phone_key"},
		{"+1 (555) 000-0300", "archived_contacts_phone_key"},
	} {
		where, args := s.ArchivedContactWhere(c.q)
		q := `SELECT a.deletion_id FROM archived_rows a WHERE a.table_name = 'contacts' AND ` + where
		if p := sqlitePlan(t, s, q, args...); !strings.Contains(p, "SEARCH a USING INDEX "+c.index) {
			t.Errorf("finding %q does not use %s:\n%s", c.q, c.index, p)
		}
		var n int
		if err := s.DB().Get(&n, `SELECT count(*) FROM archived_rows a WHERE a.table_name = 'contacts' AND `+where, args...); err != nil || n != 1 {
			t.Errorf("%q matches %d archived contacts, want 1 (%v)", c.q, n, err)
		}
		if ds, err := s.FindDeletions(ctx, c.q); err != nil || len(ds) != 1 || ds[0].ID != "DBULK" {
			t.Errorf("FindDeletions(%q) = %+v, %v", c.q, ds, err)
		}
	}
}

// TestDialectsAgree runs the same fixture through both dialects and
// compares what the bot reads: contacts, linked items (fingerprint
// included), the deletion and the archived rows, value by value.
func TestDialectsAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type outcome struct {
		Contact  crm.Contact
		Linked   crm.Linked
		Search   []string
		Deletion crm.Deletion
		Archive  []archived
		// CountsText is SQLite's storage class of deletions.counts.
		CountsText string
	}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600)) // a clock not in UTC
	run := func(t *testing.T, d crm.Dialect) outcome {
		s := crmtest.NewStoreOf(t, d)
		s.SetClock(func() time.Time { return start })
		id := crmtest.InsertFull(t, s, crmtest.Contact{ID: "seD4PfOuKoVMLkEZqohJ", FirstName: "Zoë", LastName: "Ångström", Email: "zoe@example.com", Phone: "+1 (555) 010-2233", DND: true}, crmtest.SmallFull)
		// InsertFull books the upcoming appointment from the real clock; pin it.
		s.DB().MustExec(s.DB().Rebind(`UPDATE appointments SET starts_at = ? WHERE id = ?`), start.Add(72*time.Hour+500*time.Microsecond), id+"_a1")
		var o outcome
		var err error
		if o.Contact, o.Linked, err = s.Linked(ctx, id); err != nil {
			t.Fatal(err)
		}
		res, err := s.Search(ctx, "zoe ang")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Matches {
			o.Search = append(o.Search, fmt.Sprintf("%s exact=%t", m.ID, m.Exact))
		}
		del, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", ExpectFingerprint: o.Linked.Fingerprint, RestoreWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if o.Deletion, err = s.Deletion(ctx, del.Deletion.ID); err != nil {
			t.Fatal(err)
		}
		o.Archive = archive(t, s, del.Deletion.ID)
		if d == crm.SQLite {
			s.DB().QueryRow(`SELECT typeof(counts) || '' FROM deletions`).Scan(&o.CountsText)
			if n := crmtest.CountRows(t, s, "deletions", "json_extract(counts, '$.messages') = 6"); n != 1 {
				t.Errorf("deletions.counts is not queryable JSON")
			}
		}
		return o
	}
	pg := run(t, crm.Postgres)
	lite := run(t, crm.SQLite)
	opts := cmp.Options{
		cmpopts.IgnoreFields(crm.Deletion{}, "ID", "CountsJSON"),
		cmpopts.IgnoreFields(outcome{}, "CountsText"),
		cmpopts.EquateApproxTime(0),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(pg, lite, opts); diff != "" {
		t.Errorf("postgres and sqlite disagree (-postgres +sqlite):\n%s", diff)
	}
	if pg.Linked.OpenValue != "1234.56" || pg.Linked.OpenOpportunities[0].MonetaryValue != "1234.56" || pg.Linked.UpcomingCount != 1 {
		t.Errorf("linked summary = %+v", pg.Linked)
	}
	if !pg.Contact.CreatedAt.Equal(crmtest.ContactCreatedAt) || !lite.Contact.UpdatedAt.Equal(crmtest.ContactUpdatedAt) {
		t.Errorf("times did not round-trip: %v, %v", pg.Contact.CreatedAt, lite.Contact.UpdatedAt)
	}
	if lite.CountsText != "text" {
		t.Errorf("sqlite keeps deletions.counts as %s, want text", lite.CountsText)
	}
	if len(lite.Archive) != 23 { // 1 contact + 22 linked rows (SmallFull)
		t.Errorf("archived %d rows, want 23", len(lite.Archive))
	}
}

// archived is one archive row with its JSON decoded and time strings parsed.
type archived struct {
	Table, RowID string
	Data         map[string]any
}

func archive(t *testing.T, s *crm.Store, deletionID string) []archived {
	t.Helper()
	var rows []struct {
		Table string `db:"table_name"`
		RowID string `db:"row_id"`
		Data  string `db:"data"`
	}
	q := `SELECT table_name, row_id, data FROM archived_rows WHERE deletion_id = ? ORDER BY seq`
	if s.Dialect() == crm.Postgres {
		q = `SELECT table_name, row_id, data::text AS data FROM archived_rows WHERE deletion_id = ? ORDER BY seq`
	}
	if err := s.DB().Select(&rows, s.DB().Rebind(q), deletionID); err != nil {
		t.Fatal(err)
	}
	var out []archived
	for _, r := range rows {
		var m map[string]any
		if err := json.Unmarshal([]byte(r.Data), &m); err != nil {
			t.Fatalf("archived %s %s is not JSON: %v\n%s", r.Table, r.RowID, err, r.Data)
		}
		for k, v := range m {
			if str, ok := v.(string); ok && strings.HasSuffix(k, "_at") {
				tm, err := time.Parse(time.RFC3339Nano, str)
				if err != nil {
					t.Errorf("archived %s.%s = %q is not RFC 3339: %v", r.Table, k, str, err)
				}
				m[k] = tm.UTC()
			}
		}
		out = append(out, archived{r.Table, r.RowID, m})
	}
	return out
}

// TestArchiveRestoresExactly puts a deletion's archived rows back with each
// dialect's JSON-to-row function and compares the whole CRM with the state
// before the delete: the archive holds every row, every value.
func TestArchiveRestoresExactly(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Keep"}, crmtest.SmallFull)
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", DND: true}, crmtest.SmallFull)
		before := crmtest.Dump(t, s)
		del, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		tx := s.DB().MustBeginTx(ctx, nil)
		defer tx.Rollback()
		for _, table := range crmtest.CRMTables { // parents first
			q := `INSERT INTO ` + table + ` SELECT (jsonb_populate_record(NULL::` + table + `, data)).* FROM archived_rows WHERE deletion_id = $1 AND table_name = $2 ORDER BY seq`
			if s.Dialect() == crm.SQLite {
				cols, exprs, err := crm.SQLiteRowFromJSON(ctx, tx, table, "data")
				if err != nil {
					t.Fatal(err)
				}
				q = `INSERT INTO ` + table + ` (` + cols + `) SELECT ` + exprs + ` FROM archived_rows WHERE deletion_id = $1 AND table_name = $2 ORDER BY seq`
			}
			if _, err := tx.Exec(q, del.Deletion.ID, table); err != nil {
				t.Fatalf("restore %s: %v", table, err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, s)); diff != "" {
			t.Errorf("restored CRM differs (-before +after):\n%s", diff)
		}
		if r, err := s.Search(ctx, "jane doe"); err != nil || len(r.Matches) != 1 {
			t.Errorf("restored contact not found by name: %+v, %v", r.Matches, err)
		}
	})
}

// TestUniqueViolation checks that both databases' unique-key errors are
// recognised (primary key and unique index), and that other constraint
// errors are not taken for one.
func TestUniqueViolation(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane"})
		_, err := s.DB().Exec(s.DB().Rebind(`INSERT INTO contacts (id, location_id) VALUES (?, 'loc')`), id)
		if !crm.IsUniqueViolation(err) {
			t.Errorf("duplicate primary key: %v not recognised", err)
		}
		now := time.Now()
		insert := s.DB().Rebind(`INSERT INTO approval_requests (id, contact_id, requester, reason, fingerprint, created_at, expires_at, remind_at) VALUES (?, ?, 'U1', 'duplicate', 'f', ?, ?, ?)`)
		if _, err := s.DB().Exec(insert, "R1", id, now, now, now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().Exec(insert, "R2", id, now, now, now); !crm.IsUniqueViolation(err) {
			t.Errorf("second pending request: %v not recognised", err)
		}
		_, err = s.DB().Exec(s.DB().Rebind(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES (?, 'pigeon', 'active')`), id)
		if err == nil || crm.IsUniqueViolation(err) {
			t.Errorf("a CHECK violation (%v) taken for a unique one", err)
		}
		if crm.IsUniqueViolation(nil) {
			t.Error("nil is a unique violation")
		}
	})
}

// TestMigrationsPaired checks that every PostgreSQL migration has its SQLite
// counterpart with the same version number, so that the embedded database
// never lags behind: a new table needs both files.
func TestMigrationsPaired(t *testing.T) {
	t.Parallel()
	versions := func(dir string) map[string]string {
		entries, err := os.ReadDir(filepath.Join("migrations", dir))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, e := range entries {
			if v, _, ok := strings.Cut(e.Name(), "_"); ok && strings.HasSuffix(e.Name(), ".sql") {
				out[v] = e.Name()
			}
		}
		return out
	}
	pg, lite := versions("postgres"), versions("sqlite")
	for v, name := range pg {
		if _, ok := lite[v]; !ok {
			t.Errorf("migrations/postgres/%s has no migrations/sqlite/%s_….sql: port it (see crm/dialect.go for the helpers)", name, v)
		}
	}
	for v, name := range lite {
		if _, ok := pg[v]; !ok {
			t.Errorf("migrations/sqlite/%s has no PostgreSQL counterpart", name)
		}
	}
}
