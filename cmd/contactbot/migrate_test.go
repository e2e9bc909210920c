package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestMigrateStoresTheSuppressionKeyOnce: `contactbot migrate` with
// SUPPRESSION_KEY set stores the key the first time; a later migrate, or a
// start, with the same key writes nothing (the settings row keeps its row
// version); another key, once the suppression list has entries, stops
// migrate with the sentence that says which key to set.
func TestMigrateStoresTheSuppressionKeyOnce(t *testing.T) {
	ctx := context.Background()
	url := crmtest.NewDatabase(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("REDIS_URL", "")
	t.Setenv("SUPPRESSION_KEY", crmtest.SuppressionKey)
	if code, _, errOut := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	store, err := crm.Open(ctx, url, crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	stored := crmtest.SuppressionKeyRowVersion(t, store)
	if code, _, errOut := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("migrate again: exit %d: %s", code, errOut)
	}
	if err := store.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
		t.Fatalf("a start with the key migrate stored: %v", err)
	}
	if v := crmtest.SuppressionKeyRowVersion(t, store); v != stored {
		t.Errorf("the key was written again: xmin %s, was %s", v, stored)
	}

	id := crmtest.InsertFull(t, store, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"}, crmtest.SmallFull)
	if _, err := store.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "unsubscribe", RestoreWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SUPPRESSION_KEY", crm.NewSuppressionKey())
	code, _, errOut := runCLI(t, "migrate")
	if want := "suppression list: SUPPRESSION_KEY is not the key the 1 entry on the suppression list were made with: with another key they would no longer match anyone. Set the key this database was first run with."; code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("migrate with another key: exit %d: %s\nwant %s", code, errOut, want)
	}
	if v := crmtest.SuppressionKeyRowVersion(t, store); v != stored {
		t.Errorf("a refused key was written: xmin %s, was %s", v, stored)
	}
}

// TestMigrateDryRunAndContract: `contactbot migrate --dry-run` prints the
// migrations, the CRM statements marked, and creates nothing; on a CRM
// whose contacts lack a column, `migrate` exits non-zero naming it and what
// to do, and creates nothing either; with CONTACTBOT_SCHEMA and CRM_SCHEMA
// set, migrate puts the bot's tables and the CRM's where they say.
func TestMigrateDryRunAndContract(t *testing.T) {
	for _, d := range crmtest.Dialects {
		t.Run(string(d), func(t *testing.T) { testMigrateDryRunAndContract(t, d) })
	}
}

func testMigrateDryRunAndContract(t *testing.T, d crm.Dialect) {
	ctx := context.Background()
	url := crmtest.NewEmptyDatabase(t, d)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("REDIS_URL", "")
	code, out, errOut := runCLI(t, "migrate", "--dry-run")
	if code != 0 || !strings.Contains(out, "\n-- migration 00002_search_indexes.sql") ||
		!strings.Contains(out, "\n-- [CRM] touches CRM table contacts: adds index contacts_email_lower\nCREATE INDEX IF NOT EXISTS contacts_email_lower") {
		t.Fatalf("migrate --dry-run: exit %d: %s\n%.2000s", code, errOut, out)
	}
	store, err := crm.Open(ctx, url, crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if cur, _, err := store.MigrationStatus(ctx); err != nil || cur != 0 {
		t.Errorf("after the dry run: version %d, %v", cur, err)
	}
	if problems, _, err := store.CheckContract(ctx); err != nil || len(problems) != 0 {
		t.Errorf("the dry run made CRM tables: %v %v", problems, err)
	}

	store.DB().MustExec(`CREATE TABLE contacts (id text PRIMARY KEY, location_id text NOT NULL, first_name text, last_name text,
			email text, phone text, company_name text, dnd boolean, created_at timestamp with time zone, updated_at timestamp with time zone)`)
	code, _, errOut = runCLI(t, "migrate")
	for _, want := range []string{
		"CRM table contacts: column source is missing (want text)",
		"CRM table notes is missing",
		"Point DATABASE_URL and CRM_SCHEMA at the CRM's database and schema, or fix those columns, then run migrate again.",
	} {
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("migrate on a CRM off the contract: exit %d: %s\nwant %s", code, errOut, want)
		}
	}
	if cur, _, err := store.MigrationStatus(ctx); err != nil || cur != 0 {
		t.Errorf("after the refused migrate: version %d, %v", cur, err)
	}

	if d != crm.Postgres {
		return
	}
	store.DB().MustExec(`DROP TABLE contacts`)
	t.Setenv("CONTACTBOT_SCHEMA", "bot_state")
	t.Setenv("CRM_SCHEMA", "crm_data")
	store.DB().MustExec(`CREATE SCHEMA crm_data`)
	if code, _, errOut := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("migrate with schemas: exit %d: %s", code, errOut)
	}
	var where []string
	if err := store.DB().Select(&where, `SELECT table_schema || '.' || table_name FROM information_schema.tables
			WHERE table_name IN ('contacts', 'deletions', 'goose_db_version') ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"bot_state.deletions", "bot_state.goose_db_version", "crm_data.contacts"}; !slices.Equal(where, want) {
		t.Errorf("tables: %v, want %v", where, want)
	}
}

// TestMigrateDryRunWithoutEmbeddedFile: with no DATABASE_URL and no
// embedded file yet, the dry run says what migrate would do, exits 0 and
// creates nothing.
func TestMigrateDryRunWithoutEmbeddedFile(t *testing.T) {
	dir := clearEnv(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--dry-run"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := "-- the embedded database " + filepath.Join(dir, DatabaseFile) + " does not exist yet: migrate would create it and apply every migration\n"
	if out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the dry run created %d files in the data directory", len(entries))
	}
}
