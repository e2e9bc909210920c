package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// runCLI runs contactbot with args and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// noStoreEnv points every store a subcommand could open into dir, so that
// the test sees whether anything was created.
func noStoreEnv(t *testing.T, dir string) {
	t.Setenv("DATABASE_URL", "sqlite://"+filepath.Join(dir, "configured.db"))
	t.Setenv("CONTACTBOT_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("REDIS_URL", "")
}

// TestHelpDoesNothing asks every subcommand for help in every way a person
// would: usage on stdout, exit 0, and no database opened, created or
// changed (migrate --help does not migrate, purge --help does not purge).
func TestHelpDoesNothing(t *testing.T) {
	dir := t.TempDir()
	noStoreEnv(t, dir)
	for _, sc := range subcommands() {
		for _, args := range [][]string{{sc.name, "--help"}, {sc.name, "-h"}, {sc.name, "-help"}, {sc.name, "help"}, {"help", sc.name}} {
			code, out, errOut := runCLI(t, args...)
			if code != 0 || errOut != "" {
				t.Errorf("%q: exit %d, stderr %q; want 0 and nothing", args, code, errOut)
			}
			if !strings.HasPrefix(out, "Usage: contactbot "+sc.name) {
				t.Errorf("%q printed %q, want its usage", args, out)
			}
		}
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "Usage: contactbot <command>") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
		for _, sc := range subcommands() {
			if !strings.Contains(out, "\n  "+sc.name+" ") {
				t.Errorf("%q does not list %s:\n%s", args, sc.name, out)
			}
		}
	}
	// serve checks for expired archives every few seconds (purgeJob).
	if _, out, _ := runCLI(t, "help"); !strings.Contains(out, "\n  purge     delete archives whose restore window has passed (serve does it too, within seconds)\n") {
		t.Errorf("help does not say how soon serve purges:\n%s", out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("asking for help created %v in the test directory", entries)
	}
}

// TestHelpLeavesPostgresAlone runs migrate --help and purge --help against
// a PostgreSQL database that either would change: an unmigrated database,
// and one with a deletion whose restore window has passed.
func TestHelpLeavesPostgresAlone(t *testing.T) {
	ctx := context.Background()
	t.Setenv("REDIS_URL", "")

	fresh := crmtest.NewDatabase(t)
	t.Setenv("DATABASE_URL", fresh)
	if code, _, errOut := runCLI(t, "migrate", "--help"); code != 0 {
		t.Fatalf("migrate --help: exit %d: %s", code, errOut)
	}
	db, err := sql.Open("postgres", fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("migrate --help created %d tables", tables)
	}

	url := crmtest.NewDatabase(t)
	store := crmtest.NewStoreAt(t, url)
	id := crmtest.InsertFull(t, store, crmtest.Contact{FirstName: "Old"}, crmtest.SmallFull)
	if _, err := store.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Nanosecond}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", url)
	for _, args := range [][]string{{"purge", "--help"}, {"purge", "-h"}, {"purge", "help"}, {"help", "purge"}} {
		if code, _, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errOut)
		}
	}
	if n := crmtest.CountRows(t, store, "deletions", "purged_at IS NULL"); n != 1 {
		t.Errorf("purge --help purged: %d unpurged deletions left, want 1", n)
	}
	// And the real command does purge it, so the check above can fail.
	if code, out, errOut := runCLI(t, "purge"); code != 0 || !strings.Contains(out, "purged 1 deletion") {
		t.Fatalf("purge: exit %d, %q, %s", code, out, errOut)
	}
}

// TestCommandLineErrors: what cannot be run gets the usage on stderr and
// exit code 2, and runs nothing.
func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	noStoreEnv(t, dir)
	for _, c := range []struct {
		args []string
		want string // on stderr
	}{
		{nil, "Usage: contactbot <command>"},
		{[]string{"--bogus"}, `unknown flag "--bogus"`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `no command "frobnicate"`},
		{[]string{"migrate", "now"}, `takes no arguments, got "now"`},
		{[]string{"migrate", "--force"}, "flag provided but not defined: -force"},
		{[]string{"purge", "--all"}, "flag provided but not defined: -all"},
		{[]string{"purge", "everything"}, `takes no arguments, got "everything"`},
		{[]string{"serve", "--port", "80"}, "flag provided but not defined: -port"},
		{[]string{"serve", "extra"}, `takes no arguments, got "extra"`},
		{[]string{"shell", "--as"}, "flag needs an argument: -as"},
		{[]string{"shell", "jane"}, `takes no arguments, got "jane"`},
		{[]string{"shell", "--as", "mallory"}, "--as mallory: no such user"},
		{[]string{"seed", "--contacts", "many"}, `invalid value "many" for flag -contacts`},
		{[]string{"seed", "--contacts", "0"}, "--contacts must be at least 1"},
		{[]string{"manifest", "https://x.example"}, "the URL goes after --url"},
		{[]string{"manifest", "--url", "not a url"}, "must be an absolute https:// URL"},
		{[]string{"digest", "--since", "a week"}, `invalid value "a week" for flag -since`},
		{[]string{"digest", "--since", "-1h"}, `invalid value "-1h" for flag -since: a period must be more than zero, got "-1h"`},
		{[]string{"digest", "--since", "7x"}, `invalid value "7x" for flag -since: use a period such as 7d, 2w, 36h or 1d12h (w weeks, d days, h hours, m minutes)`},
		{[]string{"digest", "now"}, `takes no arguments, got "now"`},
		{[]string{"audit", "--format", "xml"}, `--format is csv or jsonl, got "xml"`},
		{[]string{"audit", "--since", "0s"}, `invalid value "0s" for flag -since: a period must be more than zero, got "0s"`},
		{[]string{"audit", "--month"}, "flag provided but not defined: -month"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2; stderr %q", c.args, code, errOut)
		}
		if out != "" {
			t.Errorf("%q printed on stdout: %q", c.args, out)
		}
		if !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "Usage: contactbot") {
			t.Errorf("%q: stderr %q, want %q and the usage", c.args, errOut, c.want)
		}
	}
	// No subcommand takes positional arguments: run refuses them for all.
	for _, sc := range subcommands() {
		code, _, errOut := runCLI(t, sc.name, "stray")
		if want := `contactbot ` + sc.name + `: takes no arguments, got "stray"`; code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("%s stray: exit %d, stderr %q; want 2 and %q", sc.name, code, errOut, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused command line created %v", entries)
	}
}
