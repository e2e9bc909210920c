package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/crm/demo"
)

// TestShellSession runs `contactbot shell` as a newcomer would, with a
// script on stdin and nothing but a data directory: no Slack, PostgreSQL or
// Redis. It finds a demo contact, tries to delete it as support (an approval
// is needed), mistypes the confirmation, deletes it as the deleter, and
// checks the printed text and the database.
func TestShellSession(t *testing.T) {
	for _, k := range []string{"DATABASE_URL", "REDIS_URL", "SLACK_BOT_TOKEN", "CONTACTBOT_DATA_DIR"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	script := strings.Join([]string{
		"test@test.com",
		"1",      // [1] Delete…
		"1",      // reason: test contact
		"",       // no note
		"delete", // wrong: lower case
		"DELETE", // as support: needs approval
		"/as deleter",
		"1", "1", "", "DELETE",
		"test@test.com",
		"quit",
	}, "\n") + "\n"
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"shell", "--data-dir", dir}, strings.NewReader(script), &out, &errb); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, errb.String(), out.String())
	}
	text := out.String()
	for _, want := range []string{
		"on a demo CRM, just created (35 contacts) in " + filepath.Join(dir, DatabaseFile),
		"You are @support",
		"support> test@test.com",
		"*Test Test* · test@test.com · 555 000 0000 · `" + demo.ID("test1") + "`",
		"  ✗ Type DELETE to confirm: Type DELETE in capital letters to confirm. Nothing was deleted.",
		"┌─ Needs approval ─────",
		"You are now @deleter",
		"(@deleter presses [1] Delete…)",
		"[DM to @deleter] ── Deleted Test Test ──",
		"[DM to @deleter] *Removed:* 1 contact, 1 note (2 rows)",
		"[#audit] ",
		"No contact matches *test@test.com*",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if errb.Len() != 0 {
		t.Errorf("stderr is not quiet:\n%s", errb.String())
	}

	store, err := crm.Open(context.Background(), "sqlite:"+filepath.Join(dir, DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if n := crmtest.CountRows(t, store, "contacts", "id = $1", demo.ID("test1")); n != 0 {
		t.Error("the contact is still in the database")
	}
	if n := crmtest.CountRows(t, store, "deletions", "contact_id = $1 AND deleted_by = 'UDEMODELETER' AND reason = 'test_contact'", demo.ID("test1")); n != 1 {
		t.Errorf("%d deletion records, want 1 by the deleter", n)
	}
	if n := crmtest.CountRows(t, store, "archived_rows", ""); n != 2 {
		t.Errorf("%d archived rows, want 2 (the contact and its note)", n)
	}

	// A second start uses the same database: not seeded again, the delete stays.
	out.Reset()
	if code := run(context.Background(), []string{"shell", "--data-dir", dir, "--as", "admin"}, strings.NewReader("test@test.com\n"), &out, &errb); code != 0 {
		t.Fatalf("second start: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "on a demo CRM (34 contacts)") || !strings.Contains(out.String(), "You are @admin") || !strings.Contains(out.String(), "No contact matches") {
		t.Errorf("second start:\n%s", out.String())
	}
}

func TestShellRefusesUnknownUser(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"shell", "--data-dir", t.TempDir(), "--as", "mallory"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("exit %d, want 2; stderr: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "--as mallory: no such user") {
		t.Errorf("stderr: %s", errb.String())
	}
}
