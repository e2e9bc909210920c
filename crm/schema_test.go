package crm_test

import (
	"bytes"
	"context"
	"errors"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// openUnmigrated opens a store on url without migrating it, closed after
// the test.
func openUnmigrated(t *testing.T, url string, schemas ...crm.Schemas) *crm.Store {
	t.Helper()
	sc := crm.DefaultSchemas
	if len(schemas) > 0 {
		sc = schemas[0]
	}
	s, err := crm.OpenIn(context.Background(), url, crm.Hooks{}, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// botTables are the bot's tables at 00570 but goose's, whose rows 00600
// adds to.
func botTables() []string {
	return slices.DeleteFunc(slices.Clone(crm.OldLayoutTables), func(t string) bool { return t == "goose_db_version" })
}

// schemaOf returns the schema each named table is in (PostgreSQL), "" for
// a table in none.
func schemaOf(t *testing.T, s *crm.Store, tables ...string) map[string]string {
	t.Helper()
	var rows []struct{ Nspname, Relname string }
	if err := s.DB().Select(&rows, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'v') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range tables {
		out[name] = ""
	}
	for _, r := range rows {
		if _, ok := out[r.Relname]; ok {
			if out[r.Relname] != "" {
				t.Errorf("table %s is in two schemas: %s and %s", r.Relname, out[r.Relname], r.Nspname)
			}
			out[r.Relname] = r.Nspname
		}
	}
	return out
}

// wantSchemas checks that every bot table is in bot's schema and every CRM
// table in crm's.
func wantSchemas(t *testing.T, s *crm.Store, bot, crmSchema string) {
	t.Helper()
	if s.Dialect() != crm.Postgres {
		return
	}
	for table, got := range schemaOf(t, s, crm.OldLayoutTables...) {
		if got != bot {
			t.Errorf("bot table %s is in schema %q, want %q", table, got, bot)
		}
	}
	for table, got := range schemaOf(t, s, crm.CRMTables()...) {
		if got != crmSchema {
			t.Errorf("CRM table %s is in schema %q, want %q", table, got, crmSchema)
		}
	}
	var funcs []string
	if err := s.DB().Select(&funcs, `SELECT n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE p.proname LIKE 'contactbot%' AND n.nspname <> $1`, bot); err != nil {
		t.Fatal(err)
	}
	if len(funcs) > 0 {
		t.Errorf("the bot's functions outside schema %s: %v", bot, funcs)
	}
}

// fillEveryBotTable puts rows in every table of the bot through its flows:
// deletes, a restore, an incident, approvals, an erasure and its
// suppression removal, a merge, a DND change, the Home tab, views,
// message origins, seen keys, operations, delivered and pending notes,
// jobs. The few tables a flow only ever empties again in its own
// transaction get a row written directly.
func fillEveryBotTable(t *testing.T, s *crm.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	notes := func(text string) []outbox.Note {
		return []outbox.Note{{Channel: "CAUDIT", Payload: []byte(`{"text":"` + text + `"}`)}}
	}
	must(s.SetSuppressionKey(ctx, crmtest.SuppressionKey))

	// A delete an admin made alone, with DND: archive, audit, suppression
	// list, review, notes.
	jane := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+1 555 010 2233"}, crmtest.SmallFull)
	del, err := s.Delete(ctx, crm.DeleteRequest{ContactID: jane, Actor: "UADMIN", Reason: "unsubscribe", RestoreWindow: time.Hour, Review: true,
		Notify: func(crm.Deleted) ([]outbox.Note, error) { return notes("deleted"), nil }})
	must(err)
	// The CRM creates her again: the trigger re-applies her opt-out.
	s.DB().MustExec(s.DB().Rebind(`INSERT INTO contacts (id, location_id, first_name, last_name, email, created_at, updated_at) VALUES ('jane_again_000000001', 'loc_main', 'Jane', 'Again', 'jane@example.com', ?, ?)`),
		crmtest.ContactCreatedAt, crmtest.ContactUpdatedAt)
	_, err = s.ReportDeletion(ctx, del.Deletion.ID, "UREP", "wrong contact", nil)
	must(err)

	// A delete restored.
	ann := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com"}, crmtest.SmallLowRisk)
	annDel, err := s.Delete(ctx, crm.DeleteRequest{ContactID: ann, Actor: "UDEL", Reason: "test contact", RestoreWindow: time.Hour})
	must(err)
	_, err = s.Restore(ctx, annDel.Deletion.ID, "UADMIN")
	must(err)

	// A request waiting for an admin.
	bob := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Bob", LastName: "Ray", Email: "bob@example.com"}, crmtest.SmallFull)
	_, l, err := s.Linked(ctx, bob)
	must(err)
	_, _, err = s.RequestApproval(ctx, crm.NewApproval{ContactID: bob, Requester: "UDEL", Reason: "test contact", Fingerprint: l.Fingerprint, TTL: time.Hour})
	must(err)

	// An erasure by two admins, then a request to take its entry off the list.
	eve := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Eve", LastName: "Stone", Email: "eve@example.com"}, crmtest.SmallFull)
	_, l, err = s.Linked(ctx, eve)
	must(err)
	er, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: eve, Requester: "USUP", Reason: "erasure", Kind: crm.KindErasure, Fingerprint: l.Fingerprint, TTL: time.Hour})
	must(err)
	_, err = s.RecordErasureApproval(ctx, er.ID, "UADMIN2", nil)
	must(err)
	res, err := s.Approve(ctx, crm.Decision{RequestID: er.ID, Admin: "UADMIN", RestoreWindow: time.Hour, Confirmed: true})
	must(err)
	if res.Deleted == nil || len(res.Deleted.Suppressed) == 0 {
		t.Fatalf("the erasure deleted nothing onto the list: %+v", res)
	}
	_, err = s.RemoveSuppression(ctx, res.Deleted.Suppressed[0].ID, "UADMIN", nil)
	if err != nil && !errors.Is(err, crm.ErrSuppressionRemovalAsked) {
		t.Fatal(err)
	}

	// A merge.
	dup := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Max", LastName: "Bell", Email: "max@example.com", Phone: "+1 555 010 4444"}, crmtest.SmallLowRisk)
	orig := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Max", LastName: "Bell", Email: "max.bell@example.com", Phone: "+1 555 010 4444"}, crmtest.SmallLowRisk)
	_, err = s.Merge(ctx, crm.MergeRequest{DuplicateID: dup, OriginalID: orig, Actor: "UADMIN", Reason: "duplicate", RestoreWindow: time.Hour})
	must(err)

	// DND set (its undo), the Home tab, a view, a message origin, a seen
	// key, an operation, notes delivered (a ref) and pending, a job.
	_, err = s.SetDND(ctx, crm.DNDRequest{ContactID: orig, Channels: []string{"sms"}, Actor: "UDEL", Reason: "asked"})
	must(err)
	must(s.HomeOpened(ctx, "UADMIN"))
	must(s.RecordView(ctx, "V0001", "UDEL", "delete_modal", time.Hour))
	_, err = s.RecordMessageOrigin(ctx, "UDEL", "C0001", "1700000000.000100")
	must(err)
	_, err = s.MarkSeen(ctx, "trigger-1", time.Hour)
	must(err)
	op, err := s.StartOperation(ctx, crm.OperationDelete, "UDEL", orig, "Max Bell")
	must(err)
	must(s.Enqueue(ctx, outbox.Note{Channel: "UDEL", Payload: []byte(`{"text":"working"}`), Ref: outbox.OperationRef(op.ID)}))
	drain(t, s, (&recorder{}).send)
	must(s.Enqueue(ctx, notes("pending")...))
	_, err = s.ClaimJob(ctx, outbox.Job{Name: "schema-test", Every: time.Hour, Run: func(context.Context) error { return nil }})
	must(err)

	// Only ever filled and emptied within one transaction of a flow.
	s.DB().MustExec(`INSERT INTO suppression_skip (contact_id) VALUES ('jane_again_000000001')`)
	if crmtest.CountRows(t, s, "suppression_feed", "") == 0 {
		var audit int64
		must(s.DB().Get(&audit, `SELECT max(id) FROM audit_log`))
		s.DB().MustExec(s.DB().Rebind(`INSERT INTO suppression_feed (audit_id) VALUES (?)`), audit)
	}

	for _, table := range botTables() {
		if crmtest.CountRows(t, s, table, "") == 0 {
			t.Errorf("bot table %s has no rows", table)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// fillOldLayout makes url a database of the layout before 00600 (every
// migration up to 00570, all in the CRM's schema) with a row in every one of
// the bot's tables. The rows are written by today's flows on a store of
// today's layout and copied over, each into the columns the old table has:
// the flows may write columns later migrations add, the old layout stays old.
func fillOldLayout(t *testing.T, d crm.Dialect, dst *crm.Store) {
	t.Helper()
	if err := dst.MigrateAsBefore600(context.Background()); err != nil {
		t.Fatal(err)
	}
	src := crmtest.NewStoreOf(t, d)
	fillEveryBotTable(t, src)
	copyRows(t, src, dst, everyTable()...)
	for _, table := range botTables() {
		if crmtest.CountRows(t, dst, table, "") == 0 {
			t.Errorf("bot table %s of the old layout has no rows", table)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// columnsOf lists table's columns in order.
func columnsOf(t *testing.T, s *crm.Store, table string) []string {
	t.Helper()
	q := `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`
	if s.Dialect() == crm.SQLite {
		q = `SELECT name FROM pragma_table_info(?) ORDER BY cid`
	}
	var cols []string
	if err := s.DB().Select(&cols, q, table); err != nil || len(cols) == 0 {
		t.Fatalf("columns of %s: %v %v", table, cols, err)
	}
	return cols
}

// copyRows replaces the rows of tables in dst with src's, in the columns
// dst's tables have. Each value travels as an SQL literal of its text, so it
// arrives as it was; triggers (PostgreSQL) and foreign keys wait while it
// runs, as the rows are consistent only once all are in.
func copyRows(t *testing.T, src, dst *crm.Store, tables ...string) {
	t.Helper()
	tx := dst.DB().MustBegin()
	defer tx.Rollback()
	if dst.Dialect() == crm.Postgres {
		tx.MustExec(`SET LOCAL session_replication_role = replica`)
	} else {
		tx.MustExec(`PRAGMA defer_foreign_keys = ON`)
	}
	for _, table := range tables {
		cols := columnsOf(t, dst, table)
		literals := make([]string, len(cols))
		for i, c := range cols {
			literals[i] = "quote(" + c + ")"
			if src.Dialect() == crm.Postgres {
				literals[i] = "quote_nullable(" + c + "::text)"
			}
		}
		var rows []string
		if err := src.DB().Select(&rows, "SELECT "+strings.Join(literals, " || ',' || ")+" FROM "+table); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		tx.MustExec("DELETE FROM " + table)
		for _, r := range rows {
			if _, err := tx.Exec("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + r + ")"); err != nil {
				t.Fatalf("copy a row of %s: %v", table, err)
			}
		}
		if dst.Dialect() == crm.Postgres {
			// Ids were copied, not drawn: the sequences go on after them,
			// as a deployment's do.
			for _, c := range cols {
				var seq *string
				if err := tx.Get(&seq, `SELECT pg_get_serial_sequence($1, $2)`, table, c); err != nil {
					t.Fatalf("sequence of %s.%s: %v", table, c, err)
				}
				if seq != nil {
					tx.MustExec(`SELECT setval($1, (SELECT coalesce(max(`+c+`), 0) + 1 FROM `+table+`), false)`, *seq)
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("copy rows: %v", err)
	}
}

// dumpAs dumps tables in the columns they had in cols (a later migration's
// columns left out), for comparing rows across an upgrade.
func dumpAs(t *testing.T, s *crm.Store, cols map[string][]string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for table, cs := range cols {
		q := "SELECT row(" + strings.Join(cs, ", ") + ")::text AS r FROM " + table + " ORDER BY r"
		if s.Dialect() == crm.SQLite {
			q = "SELECT json_array(" + strings.Join(cs, ", ") + ") AS r FROM " + table + " ORDER BY r"
		}
		var rows []string
		if err := s.DB().Select(&rows, q); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		out[table] = rows
	}
	return out
}

// columnsOfAll maps each table to its columns now.
func columnsOfAll(t *testing.T, s *crm.Store, tables ...string) map[string][]string {
	out := map[string][]string{}
	for _, table := range tables {
		out[table] = columnsOf(t, s, table)
	}
	return out
}

// everyTable is every bot table and CRM table, for dumps.
func everyTable() []string { return append(botTables(), crm.CRMTables()...) }

// TestMigrateMovesTheSharedLayout: a database migrated by the bot before
// its tables had a schema of their own (every migration up to 00570, all
// in the CRM's schema), with rows in every one of the bot's tables, is
// migrated: every row of every table is still there, unchanged; the bot's
// tables, views, functions and goose's version table are in the bot's
// schema, the CRM's tables where they were. The bot then works on it, and
// the CRM, writing with a search_path of its own schema only, still fires
// the bot's triggers.
func TestMigrateMovesTheSharedLayout(t *testing.T) {
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		url := crmtest.NewEmptyDatabase(t, d)
		s := openUnmigrated(t, url)
		fillOldLayout(t, d, s)
		if d == crm.Postgres {
			wantSchemas(t, s, "public", "public") // the old layout, as built
		}
		oldColumns := columnsOfAll(t, s, everyTable()...)
		before := dumpAs(t, s, oldColumns)
		versions := crmtest.DumpTables(t, s, "goose_db_version")["goose_db_version"]

		if err := s.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, dumpAs(t, s, oldColumns)); diff != "" {
			t.Errorf("rows changed by the move (-before +after):\n%s", diff)
		}
		after := crmtest.DumpTables(t, s, "goose_db_version")["goose_db_version"]
		lost := slices.DeleteFunc(slices.Clone(versions), func(v string) bool { return slices.Contains(after, v) })
		if len(after) <= len(versions) || len(lost) != 0 {
			t.Errorf("goose versions: %d rows, were %d (more wanted, the old ones kept)", len(after), len(versions))
		}
		wantSchemas(t, s, "contactbot", "public")
		if cur, latest, err := s.MigrationStatus(ctx); err != nil || cur != latest {
			t.Errorf("MigrationStatus: %d, %d, %v", cur, latest, err)
		}

		// The bot works on the moved tables: a sequence (audit ids) moved
		// along, search reads the moved name words.
		if _, err := s.Audit(ctx, crm.AuditEntry{Actor: "UADMIN", Action: "note", Outcome: "ok"}); err != nil {
			t.Errorf("audit after the move: %v", err)
		}
		if r, err := s.Search(ctx, "Max Bell"); err != nil || len(r.Matches) != 1 {
			t.Errorf("search after the move: %+v, %v", r, err)
		}
		if d == crm.Postgres {
			crmWritesFireTheBotsTriggers(t, url)
		}
		// A second migrate has nothing to do.
		if err := s.Migrate(ctx, nil); err != nil {
			t.Errorf("migrate again: %v", err)
		}
	})
}

// crmWritesFireTheBotsTriggers: the CRM's own sessions, as a role with
// rights on the CRM's tables only and a search_path of the CRM's schema,
// create a contact with an opted-out email, rename and delete it: the
// suppression trigger re-applies the DND and the name words are indexed
// and dropped, though the functions and the tables they write are in the
// bot's schema, which that role cannot read.
func crmWritesFireTheBotsTriggers(t *testing.T, url string) {
	t.Helper()
	db, err := sqlx.Open("postgres", newCRMRole(t, url)+"&search_path=public")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO contacts (id, location_id, first_name, last_name, email) VALUES ('crm_writes_000000001', 'loc_main', 'Jane', 'Thirdtime', 'JANE@example.com')`); err != nil {
		t.Fatalf("the CRM's insert of a contact: %v", err)
	}
	if _, err := db.Exec(`UPDATE contacts SET last_name = 'Fourthtime' WHERE id = 'crm_writes_000000001'`); err != nil {
		t.Fatalf("the CRM's update of a contact: %v", err)
	}
	var dnd []string
	if err := db.Select(&dnd, `SELECT channel || ':' || status FROM dnd_settings WHERE contact_id = 'crm_writes_000000001' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if len(dnd) == 0 {
		t.Error("the suppression trigger did not re-apply DND for the CRM's insert")
	}
	owner, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	var words []string
	if err := owner.Select(&words, `SELECT word FROM contactbot.contacts_name_words WHERE contact_id = 'crm_writes_000000001' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"fourthtime", "jane"}; !cmp.Equal(words, want) {
		t.Errorf("name words of the CRM's contact: %v, want %v", words, want)
	}
	if _, err := db.Exec(`DELETE FROM dnd_settings WHERE contact_id = 'crm_writes_000000001'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM contacts WHERE id = 'crm_writes_000000001'`); err != nil {
		t.Fatalf("the CRM's delete of a contact: %v", err)
	}
	if _, err := db.Exec(`SELECT 1 FROM contactbot.contacts_name_words LIMIT 1`); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("the CRM's role reads the bot's schema: %v", err)
	}
}

// newCRMRole creates a login role like the CRM's own: rights on the CRM's
// tables and nothing on the bot's schema; it returns url for that role.
// The role is dropped after the test.
func newCRMRole(t *testing.T, url string) string {
	t.Helper()
	role := strings.ToLower(crm.NewID("crm_writer_", 10))
	owner, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	owner.MustExec(`CREATE ROLE ` + role + ` LOGIN`)
	t.Cleanup(func() {
		owner.Exec(`DROP OWNED BY ` + role)
		owner.Exec(`DROP ROLE ` + role)
	})
	owner.MustExec(`GRANT USAGE ON SCHEMA public TO ` + role)
	owner.MustExec(`GRANT SELECT, INSERT, UPDATE, DELETE ON ` + strings.Join(crm.CRMTables(), ", ") + ` TO ` + role)
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.User(role)
	return u.String()
}

// crmDDL is "the CRM": its tables as the CRM made them, before the bot ever
// ran, with a column and a table the bot knows nothing of. notesBody and
// contactsSource replace those columns' definitions ("" leaves the column
// out), for CRMs that do not meet the contract.
func crmDDL(d crm.Dialect, schema, notesBody, contactsSource string) []string {
	ts, boolean, money := "timestamptz", "boolean", "numeric(12,2)"
	if d == crm.SQLite {
		ts, boolean, money = "TIMESTAMP", "BOOLEAN", "NUMERIC(12,2)"
	}
	q := func(t string) string {
		if d == crm.Postgres {
			return schema + "." + t
		}
		return t
	}
	col := func(def string) string {
		if def == "" {
			return ""
		}
		return def + ",\n"
	}
	return []string{
		`CREATE TABLE ` + q("crm_users") + ` (id text PRIMARY KEY, name text NOT NULL)`,
		`CREATE TABLE ` + q("contacts") + ` (id text PRIMARY KEY, location_id text NOT NULL, first_name text NOT NULL DEFAULT '', last_name text NOT NULL DEFAULT '',
			email text, phone text, company_name text, ` + col(contactsSource) + ` dnd ` + boolean + ` NOT NULL DEFAULT false,
			created_at ` + ts + ` NOT NULL, updated_at ` + ts + ` NOT NULL, owner_id text)`,
		`CREATE TABLE ` + q("dnd_settings") + ` (contact_id text NOT NULL REFERENCES ` + q("contacts") + `(id), channel text NOT NULL, status text NOT NULL, PRIMARY KEY (contact_id, channel))`,
		`CREATE TABLE ` + q("conversations") + ` (id text PRIMARY KEY, contact_id text NOT NULL REFERENCES ` + q("contacts") + `(id), channel text NOT NULL, created_at ` + ts + ` NOT NULL)`,
		`CREATE TABLE ` + q("messages") + ` (id text PRIMARY KEY, conversation_id text NOT NULL REFERENCES ` + q("conversations") + `(id), direction text NOT NULL, body text NOT NULL DEFAULT '', sent_at ` + ts + ` NOT NULL)`,
		`CREATE TABLE ` + q("notes") + ` (id text PRIMARY KEY, contact_id text NOT NULL REFERENCES ` + q("contacts") + `(id), ` + col(notesBody) + ` created_at ` + ts + ` NOT NULL)`,
		`CREATE TABLE ` + q("opportunities") + ` (id text PRIMARY KEY, contact_id text NOT NULL REFERENCES ` + q("contacts") + `(id), name text NOT NULL DEFAULT '', status text NOT NULL, monetary_value ` + money + ` NOT NULL DEFAULT 0, created_at ` + ts + ` NOT NULL)`,
		`CREATE TABLE ` + q("tasks") + ` (id text PRIMARY KEY, contact_id text NOT NULL REFERENCES ` + q("contacts") + `(id), title text NOT NULL DEFAULT '', due_at ` + ts + `, completed ` + boolean + ` NOT NULL DEFAULT false)`,
		`CREATE TABLE ` + q("appointments") + ` (id text PRIMARY KEY, contact_id text NOT NULL REFERENCES ` + q("contacts") + `(id), title text NOT NULL DEFAULT '', starts_at ` + ts + ` NOT NULL, status text NOT NULL)`,
		`CREATE TABLE ` + q("workflow_enrollments") + ` (id text PRIMARY KEY, contact_id text NOT NULL REFERENCES ` + q("contacts") + `(id), workflow_name text NOT NULL, status text NOT NULL, enrolled_at ` + ts + ` NOT NULL)`,
	}
}

// crmRows are a few rows of the CRM's, written before the bot ever ran.
func crmRows(d crm.Dialect, schema string) []string {
	q := func(t string) string {
		if d == crm.Postgres {
			return schema + "." + t
		}
		return t
	}
	at := `'2025-01-02 03:04:05.123+00:00'`
	return []string{
		`INSERT INTO ` + q("crm_users") + ` VALUES ('usr1', 'Owner')`,
		`INSERT INTO ` + q("contacts") + ` (id, location_id, first_name, last_name, email, phone, source, created_at, updated_at, owner_id) VALUES
			('crm_c1', 'loc_main', 'Zoë', 'Crm', 'zoe@example.com', '+1 555 010 9999', 'import', ` + at + `, ` + at + `, 'usr1'),
			('crm_c2', 'loc_main', 'Yann', 'Crm', NULL, NULL, NULL, ` + at + `, ` + at + `, NULL)`,
		`INSERT INTO ` + q("dnd_settings") + ` VALUES ('crm_c1', 'sms', 'active')`,
		`INSERT INTO ` + q("conversations") + ` VALUES ('crm_v1', 'crm_c1', 'sms', ` + at + `)`,
		`INSERT INTO ` + q("messages") + ` VALUES ('crm_m1', 'crm_v1', 'inbound', 'hello', ` + at + `)`,
		`INSERT INTO ` + q("notes") + ` VALUES ('crm_n1', 'crm_c1', 'called', ` + at + `)`,
		`INSERT INTO ` + q("opportunities") + ` VALUES ('crm_o1', 'crm_c1', 'Deal', 'open', 1200.50, ` + at + `)`,
		`INSERT INTO ` + q("tasks") + ` VALUES ('crm_t1', 'crm_c1', 'Call back', NULL, false)`,
		`INSERT INTO ` + q("appointments") + ` VALUES ('crm_a1', 'crm_c1', 'Visit', ` + at + `, 'confirmed')`,
		`INSERT INTO ` + q("workflow_enrollments") + ` VALUES ('crm_w1', 'crm_c1', 'Nurture', 'active', ` + at + `)`,
	}
}

// newCRM creates the CRM's tables and rows in a new database of the
// dialect, in schema (PostgreSQL), as the CRM would, and returns its URL.
func newCRM(t *testing.T, d crm.Dialect, schema string, ddl []string) string {
	t.Helper()
	url := crmtest.NewEmptyDatabase(t, d)
	s := openUnmigrated(t, url)
	if d == crm.Postgres && schema != "public" {
		s.DB().MustExec(`CREATE SCHEMA ` + schema)
	}
	for _, q := range append(ddl, crmRows(d, schema)...) {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatalf("the CRM's %s: %v", q, err)
		}
	}
	return url
}

// catalog is what a database holds besides rows: its tables, views,
// indexes, sequences, functions, triggers and schemas, one line each.
func catalog(t *testing.T, s *crm.Store) []string {
	t.Helper()
	var out []string
	q := `SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY 1`
	if s.Dialect() == crm.Postgres {
		q = `SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
			UNION ALL SELECT c.relkind::text || ' ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
			UNION ALL SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
				WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
			UNION ALL SELECT 'trigger ' || tgname || ' on ' || tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal
			UNION ALL SELECT 'extension ' || extname FROM pg_extension
			ORDER BY 1`
	}
	if err := s.DB().Select(&out, q); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrateBesideACRMWithData: the CRM made its tables and wrote rows
// before the bot ever ran, with a column and a table of its own. Migrate
// leaves every CRM row and the CRM's own column and table as they were,
// creates none of the CRM's tables, and puts every table of the bot's in
// the bot's schema. On PostgreSQL also with both schemas named otherwise
// (CRM_SCHEMA=crm, CONTACTBOT_SCHEMA=bot_state).
func TestMigrateBesideACRMWithData(t *testing.T) {
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		schemas := []crm.Schemas{crm.DefaultSchemas}
		if d == crm.Postgres {
			schemas = append(schemas, crm.Schemas{Bot: "bot_state", CRM: "crm"})
		}
		for _, sc := range schemas {
			t.Run(sc.Bot+"_"+sc.CRM, func(t *testing.T) {
				ctx := context.Background()
				url := newCRM(t, d, sc.CRM, crmDDL(d, sc.CRM, "body text NOT NULL DEFAULT ''", "source text"))
				s := openUnmigrated(t, url, sc)
				before := crmtest.DumpTables(t, s, append(crm.CRMTables(), "crm_users")...)
				var out bytes.Buffer
				if err := s.MigrateDryRun(ctx, &out); err != nil {
					t.Fatal(err)
				}
				if want := crm.CRMMarker + " creates CRM table contacts: it exists, so this is skipped"; !strings.Contains(out.String(), want) {
					t.Errorf("the dry run does not say %q:\n%.3000s", want, out.String())
				}
				if err := s.Migrate(ctx, nil); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(before, crmtest.DumpTables(t, s, append(crm.CRMTables(), "crm_users")...)); diff != "" {
					t.Errorf("CRM rows changed (-before +after):\n%s", diff)
				}
				if d == crm.Postgres {
					wantSchemas(t, s, sc.Bot, sc.CRM)
					if got := schemaOf(t, s, "crm_users")["crm_users"]; got != sc.CRM {
						t.Errorf("the CRM's own table crm_users is in %q", got)
					}
				}
				// The bot works on the CRM's rows.
				r, err := s.Search(ctx, "zoe")
				if err != nil || len(r.Matches) != 1 || r.Matches[0].ID != "crm_c1" {
					t.Fatalf("search of the CRM's contact: %+v, %v", r, err)
				}
				if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: "crm_c2", Actor: "UDEL", Reason: "test contact", RestoreWindow: time.Hour}); err != nil {
					t.Errorf("delete of the CRM's contact: %v", err)
				}
			})
		}
	})
}

// TestMigrateFresh: on an empty database migrate creates the CRM's tables
// where the CRM's go and the bot's in its own schema, and is at the latest
// version.
func TestMigrateFresh(t *testing.T) {
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		s := openUnmigrated(t, crmtest.NewEmptyDatabase(t, d))
		if cur, _, err := s.MigrationStatus(ctx); err != nil || cur != 0 {
			t.Errorf("MigrationStatus before: %d, %v", cur, err)
		}
		if err := s.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		wantSchemas(t, s, "contactbot", "public")
		cur, latest, err := s.MigrationStatus(ctx)
		if err != nil || cur != latest || latest < 600 {
			t.Errorf("MigrationStatus: %d, %d, %v", cur, latest, err)
		}
		if d == crm.Postgres {
			present, missing, err := s.Extensions(ctx)
			if err != nil || len(missing) != 0 || !cmp.Equal(present, []string{"pgcrypto", "unaccent"}) {
				t.Errorf("Extensions: %v, %v, %v", present, missing, err)
			}
		}
	})
}

// TestMigrateDryRunChangesNothing: a dry run on an empty database, and on
// one at the shared layout with rows, writes every pending migration's
// statements (the CRM ones marked) and leaves the database as it was:
// catalogue, rows and goose's version.
func TestMigrateDryRunChangesNothing(t *testing.T) {
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		s := openUnmigrated(t, crmtest.NewEmptyDatabase(t, d))
		empty := catalog(t, s)
		var out bytes.Buffer
		if err := s.MigrateDryRun(ctx, &out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"\n-- migration 00001_crm_schema.sql",
			"\n" + crm.CRMMarker + " creates CRM table contacts (it does not exist yet)\nCREATE TABLE IF NOT EXISTS contacts (",
			"\n-- migration 00570_opened_views.sql",
			"\n-- migration 00600 (Go)",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("the dry run of an empty database lacks %q", want)
			}
		}
		if d == crm.Postgres && !strings.Contains(out.String(), "\nALTER TABLE public.deletions SET SCHEMA contactbot;\n") {
			t.Error("the dry run of an empty database does not show the move")
		}
		if diff := cmp.Diff(empty, catalog(t, s)); diff != "" {
			t.Errorf("the dry run changed an empty database (-before +after):\n%s", diff)
		}

		fillOldLayout(t, d, s)
		cat, rows := catalog(t, s), crmtest.DumpTables(t, s, append(everyTable(), "goose_db_version")...)
		out.Reset()
		if err := s.MigrateDryRun(ctx, &out); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "00570") || !strings.Contains(out.String(), "\n-- migration 00600 (Go)") {
			t.Errorf("the dry run at 00570 shows more than what comes after, or not 00600:\n%s", out.String())
		}
		if diff := cmp.Diff(cat, catalog(t, s)); diff != "" {
			t.Errorf("the dry run changed the catalogue (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(rows, crmtest.DumpTables(t, s, append(everyTable(), "goose_db_version")...)); diff != "" {
			t.Errorf("the dry run changed rows (-before +after):\n%s", diff)
		}
		if cur, _, err := s.MigrationStatus(ctx); err != nil || cur != 570 {
			t.Errorf("goose version after the dry run: %d, %v", cur, err)
		}
	})
}

// TestMigrateRefusesACRMOffContract: a CRM whose contacts lack source and
// whose notes.body is an integer stops migrate before it changes anything,
// naming both columns; the dry run says the same.
func TestMigrateRefusesACRMOffContract(t *testing.T) {
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		url := newCRMOffContract(t, d)
		s := openUnmigrated(t, url)
		cat := catalog(t, s)
		want := []string{
			"CRM table contacts: column source is missing (want text)",
			"CRM table notes: column body is integer, want text",
		}
		problems, _, err := s.CheckContract(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range problems {
			got = append(got, p.Error())
		}
		if !cmp.Equal(got, want) {
			t.Errorf("CheckContract: %q, want %q", got, want)
		}

		err = s.Migrate(ctx, nil)
		var ce *crm.ContractError
		if !errors.As(err, &ce) {
			t.Fatalf("migrate: %v, want a *crm.ContractError", err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), "\n  "+w+"\n") {
				t.Errorf("migrate's error does not name %q:\n%s", w, err)
			}
		}
		var out bytes.Buffer
		if err := s.MigrateDryRun(ctx, &out); !errors.As(err, &ce) || !strings.Contains(out.String(), want[1]) {
			t.Errorf("dry run: %v\n%s", err, out.String())
		}
		if diff := cmp.Diff(cat, catalog(t, s)); diff != "" {
			t.Errorf("a refused migrate changed the database (-before +after):\n%s", diff)
		}
	})
}

// newCRMOffContract is a CRM with data whose contacts lack source and whose
// notes.body is an integer.
func newCRMOffContract(t *testing.T, d crm.Dialect) string {
	t.Helper()
	ddl := crmDDL(d, "public", "body integer NOT NULL DEFAULT 0", "")
	url := crmtest.NewEmptyDatabase(t, d)
	s := openUnmigrated(t, url)
	for _, q := range ddl {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatalf("the CRM's %s: %v", q, err)
		}
	}
	if _, err := s.DB().Exec(`INSERT INTO contacts (id, location_id, created_at, updated_at) VALUES ('crm_c1', 'loc_main', '2025-01-02 03:04:05+00:00', '2025-01-02 03:04:05+00:00')`); err != nil {
		t.Fatal(err)
	}
	return url
}

// The schema names the bot takes.
func TestCheckSchemaName(t *testing.T) {
	for name, ok := range map[string]bool{"contactbot": true, "crm_2": true, "_x": true, "Public": false, "a-b": false, "": false,
		"pg_bot": false, "1abc": false, "a;drop": false, strings.Repeat("a", 64): false} {
		if err := crm.CheckSchemaName(name); (err == nil) != ok {
			t.Errorf("CheckSchemaName(%q): %v", name, err)
		}
	}
	if _, err := crm.OpenIn(context.Background(), "postgres://localhost/x", crm.Hooks{}, crm.Schemas{Bot: "same", CRM: "same"}); err == nil {
		t.Error("OpenIn took the same schema for the bot and the CRM")
	}
}

// TestMigrateConcurrently: three replicas migrating one fresh database at
// once take turns on the lock: all succeed, and the database ends in the
// bot's schema at the latest version, each migration applied once.
func TestMigrateConcurrently(t *testing.T) {
	crmtest.RequirePostgres(t)
	ctx := context.Background()
	url := crmtest.NewDatabase(t)
	errs := make(chan error, 3)
	for range 3 {
		s := openUnmigrated(t, url)
		go func() { errs <- s.Migrate(ctx, nil) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("a replica's migrate: %v", err)
		}
	}
	s := openUnmigrated(t, url)
	wantSchemas(t, s, "contactbot", "public")
	var dup int
	if err := s.DB().Get(&dup, `SELECT count(*) FROM (SELECT version_id FROM goose_db_version GROUP BY 1 HAVING count(*) > 1) d`); err != nil || dup != 0 {
		t.Errorf("migrations applied twice: %d, %v", dup, err)
	}
	if cur, latest, err := s.MigrationStatus(ctx); err != nil || cur != latest {
		t.Errorf("MigrationStatus: %d, %d, %v", cur, latest, err)
	}
}
