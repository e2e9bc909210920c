package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"contactbot/bot/shell"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/crm/demo"
)

// TestDigestAndAuditCommands: `contactbot digest` prints the weekly
// digest's text; `contactbot audit` writes the audit trail of a period as
// CSV (with a header row) or JSONL, times in UTC ISO-8601, on both
// databases.
func TestDigestAndAuditCommands(t *testing.T) {
	t.Run("postgres", func(t *testing.T) { testReportCommands(t, crmtest.NewDatabase(t)) })
	t.Run("sqlite", func(t *testing.T) { testReportCommands(t, "sqlite://"+filepath.Join(t.TempDir(), DatabaseFile)) })
}

func testReportCommands(t *testing.T, url string) {
	ctx := context.Background()
	store, err := crm.Open(ctx, url, crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	clock := crmtest.NewClock(time.Now().Add(-40 * 24 * time.Hour))
	store.SetClock(clock.Now)
	old := crmtest.InsertContact(t, store, crmtest.Contact{FirstName: "Old", LastName: "One"})
	if _, err := store.Delete(ctx, crm.DeleteRequest{ContactID: old, Actor: "UOLD", Reason: "duplicate", RestoreWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(39 * 24 * time.Hour)
	id := crmtest.InsertContact(t, store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	if _, err := store.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "test_contact", Note: "from the <script> import", RestoreWindow: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", url)
	t.Setenv("REDIS_URL", "")
	cli := func(args ...string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(ctx, args, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errb.String())
		}
		return out.String(), errb.String()
	}

	out, _ := cli("digest")
	for _, want := range []string{
		"── contactbot weekly digest ──\n",
		"*Deletions:* 1\n_By reason_\n• Test contact: 1\n_By person_\n• @U1: 1\n",
		"*Restores:* 0 · *Wrong deletions reported:* 0\n",
		"*Archives expiring in the next 7 days:* 1 (after that they can no longer be restored)\n• *Jane Doe* · deletion `",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("digest lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<!date") || strings.Contains(out, "<@") {
		t.Errorf("Slack markup in the digest:\n%s", out)
	}
	if out, _ := cli("digest", "--since", "1000h"); !strings.Contains(out, "*Deletions:* 2\n") {
		t.Errorf("--since 1000h:\n%s", out)
	}

	out, errOut := cli("audit", "--since", "720h", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != "id,at,actor,action,contact_id,deletion_id,request_id,reason,reason_label,outcome,detail,batch_id" {
		t.Fatalf("rows %q", rows)
	}
	if r := rows[1]; r[2] != "U1" || r[3] != "deleted" || r[4] != id || r[7] != "test_contact" || r[8] != "Test contact" || r[10] != "1 row archived" {
		t.Errorf("row %q", r)
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", rows[1][1]); err != nil {
		t.Errorf("time %q: %v", rows[1][1], err)
	}
	if !strings.HasPrefix(errOut, "1 audit entry since ") {
		t.Errorf("stderr %q", errOut)
	}
	out, _ = cli("audit", "--since", "2000h", "--format", "jsonl")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("jsonl lines %q", lines)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["actor"] != "UOLD" || first["contact_id"] != old || first["reason_label"] != "Duplicate created by mistake" {
		t.Errorf("first line %v", first)
	}
	if at, _ := first["at"].(string); !strings.HasSuffix(at, "Z") || len(at) != len("2026-11-28T10:49:00Z") {
		t.Errorf("at %q", first["at"])
	}
	for _, leak := range []string{"jane@example.com", "<script>"} {
		if strings.Contains(out, leak) {
			t.Errorf("the export contains %q", leak)
		}
	}
}

// TestReportsReadTheShellsDemoDatabase: digest and audit never create a
// database. Without DATABASE_URL and an embedded database they say so and
// fail; after a shell session, --demo reads the shell's demo database (its
// deletion shows in the digest and the export), and without --demo they
// point at it, whether the embedded database is missing or empty.
func TestReportsReadTheShellsDemoDatabase(t *testing.T) {
	for _, k := range []string{"DATABASE_URL", "REDIS_URL", "SLACK_BOT_TOKEN", "CONTACTBOT_DATA_DIR"} {
		t.Setenv(k, "")
	}
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("CONTACTBOT_DATA_DIR", dir)
	embedded, demoDB := filepath.Join(dir, DatabaseFile), filepath.Join(dir, DemoDatabaseFile)
	cli := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(ctx, args, strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	noEmbedded := func(t *testing.T, what string) {
		t.Helper()
		if _, err := os.Stat(embedded); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s created %s (%v)", what, embedded, err)
		}
	}

	code, out, errOut := cli("", "digest")
	want := "contactbot digest: DATABASE_URL is not set and there is no embedded database at " + embedded +
		", so there is nothing to read (and none is created). Set DATABASE_URL to the CRM's database.\n"
	if code != 1 || out != "" || errOut != want {
		t.Errorf("digest with no database: exit %d, stdout %q, stderr\n%q\nwant\n%q", code, out, errOut, want)
	}
	code, _, errOut = cli("", "audit", "--demo")
	if want := "contactbot audit: there is no demo database at " + demoDB + ": `contactbot shell` creates it (give --data-dir if the shell used another directory)\n"; code != 1 || errOut != want {
		t.Errorf("audit --demo with no demo database: exit %d, stderr\n%q\nwant\n%q", code, errOut, want)
	}
	noEmbedded(t, "digest and audit")

	// An admin deletes Jane Doe in the shell, on its demo database.
	if code, out, errOut := cli(strings.Join([]string{"jane.doe@example.com", "1", "1", "same person twice", "DELETE", "quit"}, "\n")+"\n", "shell", "--as", "admin"); code != 0 || !strings.Contains(out, "── Deleted Jane Doe ──") {
		t.Fatalf("shell: exit %d: %s\n%s", code, errOut, out)
	}

	code, out, errOut = cli("", "digest", "--demo", "--since", "168h")
	if code != 0 {
		t.Fatalf("digest --demo: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"*Deletions:* 1\n_By reason_\n• Test contact: 1\n_By person_\n• @" + shell.Admin.ID + ": 1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("digest --demo lacks %q:\n%s", want, out)
		}
	}
	if code, week, _ := cli("", "digest", "--demo", "--since", "1w"); code != 0 || week != out {
		t.Errorf("--since 1w reads otherwise than --since 168h:\n%s", week)
	}
	code, out, errOut = cli("", "audit", "--demo", "--format", "csv", "--since", "2d")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil {
		t.Fatalf("audit --demo: exit %d, %v: %s", code, err, errOut)
	}
	deleted := 0
	for _, r := range rows[1:] {
		if r[2] == shell.Admin.ID && r[3] == crm.AuditDeleted && r[4] == demo.ID("jane") {
			deleted++
		}
	}
	if len(rows) < 2 || deleted != 1 {
		t.Errorf("audit --demo: %d rows, %d of the deletion:\n%s", len(rows), deleted, out)
	}

	// Without --demo: the embedded database is missing, then empty.
	code, _, errOut = cli("", "digest")
	want = "contactbot digest: DATABASE_URL is not set and there is no embedded database at " + embedded +
		", so there is nothing to read (and none is created). Set DATABASE_URL to the CRM's database, or add --demo to read the shell's demo database (" + demoDB + ").\n"
	if code != 1 || errOut != want {
		t.Errorf("digest beside a demo database: exit %d, stderr\n%q\nwant\n%q", code, errOut, want)
	}
	noEmbedded(t, "digest beside a demo database")
	if code, _, errOut := cli("", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	code, out, errOut = cli("", "audit")
	hint := "The embedded database at " + embedded + " is empty: nothing was ever audited in it. Add --demo to read the shell's demo database (" + demoDB + ").\n"
	if code != 0 || out != strings.Join(auditHeader, ",")+"\n" || !strings.Contains(errOut, hint) {
		t.Errorf("audit of the empty embedded database: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
}

var auditHeader = []string{"id", "at", "actor", "action", "contact_id", "deletion_id", "request_id", "reason", "reason_label", "outcome", "detail", "batch_id"}
