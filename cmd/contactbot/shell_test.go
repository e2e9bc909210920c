package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"contactbot/bot/shell"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/crm/demo"
)

// TestShellSession runs `contactbot shell` as a newcomer would, with a
// script on stdin and nothing but a data directory: no Slack, PostgreSQL or
// Redis. The first start creates the demo CRM. The second goes through the
// whole safety net: support finds a contact, mistypes the confirmation, asks
// for the delete (an approval request in #approvals), cannot approve its own
// request, an admin approves it with the button of the #approvals message,
// support reports the deletion as wrong from its DM, cannot restore it, and
// an admin restores it from the #incidents message. The CRM is then exactly
// as before, and the database holds the request, the deletion, the incident
// and the audit trail.
func TestShellSession(t *testing.T) {
	for _, k := range []string{"DATABASE_URL", "REDIS_URL", "SLACK_BOT_TOKEN", "CONTACTBOT_DATA_DIR"} {
		t.Setenv(k, "")
	}
	ctx := context.Background()
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, DemoDatabaseFile)
	shellRun := func(t *testing.T, script []string, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		in := strings.NewReader(strings.Join(script, "\n") + "\n")
		if code := run(ctx, append([]string{"shell", "--data-dir", dir}, args...), in, &out, &errb); code != 0 {
			t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, errb.String(), out.String())
		}
		if errb.Len() != 0 {
			t.Errorf("stderr is not quiet:\n%s", errb.String())
		}
		return out.String()
	}
	dump := func(t *testing.T) map[string][]string {
		t.Helper()
		store, err := crm.Open(ctx, dbURL, crm.Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		return crmtest.Dump(t, store)
	}

	first := shellRun(t, []string{"quit"})
	if want := "on a demo CRM, just created (35 contacts) in " + filepath.Join(dir, DemoDatabaseFile); !strings.Contains(first, want) {
		t.Errorf("first start lacks %q:\n%s", want, first)
	}
	before := dump(t)

	id := demo.ID("jane")
	text := shellRun(t, []string{
		"jane.doe@example.com",
		"1",                 // [1] Delete…
		"1",                 // reason: test contact (a duplicate would be merged)
		"same person twice", // note
		"delete",            // wrong: lower case
		"DELETE",            // as support: an approval request
		"1",                 // [1] Approve in #approvals, by the requester: refused
		"/as admin",
		"1", // [1] Approve, by an admin: deleted
		"1", // [1] Report wrong deletion, in support's DM: not the admin's to press
		"/as support",
		"1",                        // [1] Report wrong deletion, in support's DM
		"she is a paying customer", // what was wrong
		"1",                        // [1] Restore in #incidents, by support: refused
		"/as admin",
		"1", // [1] Restore, by an admin
		"jane.doe@example.com",
		"quit",
	})
	wants := []string{
		"on a demo CRM (35 contacts)",
		"You are @support",
		"support> jane.doe@example.com",
		"*Jane Doe* · jane.doe@example.com · +1 (555) 010-2233 · `" + id + "`",
		"(@support presses [1] Delete…)",
		"┌─ Request a delete ─────",
		"  ✗ Type DELETE to confirm: Type DELETE in capital letters to confirm. Nothing was deleted.",
		"┌─ Request sent ─────",
		"[#approvals] ── Delete request: Jane Doe ──",
		"[#approvals] *Reason:* Test contact — same person twice",
		"[#approvals]   [1] Approve   [2] Reject",
		"(@support presses [1] Approve)",
		"You asked for this delete, so you cannot decide on it: another admin must approve or reject it. Nothing was changed.",
		"You are now @admin",
		"(@admin presses [1] Approve)",
		"[#approvals, updated] ✅ *Approved* by @admin",
		"[DM to @support] ── Deleted Jane Doe ──",
		"[DM to @support] Approved by @admin",
		"[DM to @support] *Removed:* 1 contact, 2 conversations, 5 messages, 2 notes, 1 opportunity, 2 tasks, 1 appointment, 1 workflow enrollment (15 rows)",
		"[DM to @support]   [1] Report wrong deletion",
		"[1] Report wrong deletion is in @support's DM, so @admin cannot press it. Type /as support to act as them.",
		"(@support presses [1] Report wrong deletion)",
		"┌─ Report wrong deletion ─────",
		"What was wrong? (optional, Enter to skip) > she is a paying customer",
		"[#incidents] ── Wrong deletion reported: Jane Doe ──",
		"[#incidents] *What was wrong:* she is a paying customer",
		"[#incidents]   [1] Restore",
		"(@support presses [1] Restore)",
		"Only admins can restore a deletion, so nothing was restored.",
		"(@admin presses [1] Restore)",
		"[#incidents, updated] ── Restored: Jane Doe ──",
		"✅ Restored *Jane Doe*: 15 rows put back with the same ids and values.",
		"[#audit] ",
	}
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// In this order: what happens must follow what was typed.
	at := 0
	for _, want := range []string{"┌─ Request sent", "(@support presses [1] Approve)", "(@admin presses [1] Approve)", "── Deleted Jane Doe ──",
		"Report wrong deletion)", "── Wrong deletion reported", "(@admin presses [1] Restore)", "── Restored: Jane Doe ──", "admin> jane.doe@example.com", "1 contact for"} {
		i := strings.Index(text[at:], want)
		if i < 0 {
			t.Fatalf("%q does not come after what precedes it:\n%s", want, text)
		}
		at += i
	}
	refused := text[strings.Index(text, "(@support presses [1] Approve)"):strings.Index(text, "(@admin presses [1] Approve)")]
	if strings.Contains(refused, "Deleted Jane Doe") || strings.Contains(refused, "✅") {
		t.Errorf("support's own approve did something:\n%s", refused)
	}

	if diff := cmp.Diff(before, dump(t)); diff != "" {
		t.Errorf("the CRM after delete and restore differs from before (-before +after):\n%s", diff)
	}
	store, err := crm.Open(ctx, dbURL, crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, c := range []struct {
		table, where string
		args         []any
		want         int
	}{
		{"approval_requests", "contact_id = $1 AND requester = $2 AND state = 'approved' AND decided_by = $3 AND note = 'same person twice'", []any{id, shell.Support.ID, shell.Admin.ID}, 1},
		{"deletions", "contact_id = $1 AND deleted_by = $2 AND approved_by = $3 AND reason = 'test_contact' AND restored_by = $3 AND request_id IS NOT NULL", []any{id, shell.Support.ID, shell.Admin.ID}, 1},
		{"incidents", "reported_by = $1 AND message_ts <> '' AND note = 'she is a paying customer'", []any{shell.Support.ID}, 1},
		{"archived_rows", "", nil, 0},
		{"audit_log", "actor = $1 AND action = 'decision_refused' AND contact_id = $2", []any{shell.Support.ID, id}, 1},
		{"audit_log", "action IN ('delete_requested', 'deleted', 'approved', 'reported', 'restored') AND contact_id = $1", []any{id}, 5},
	} {
		if n := crmtest.CountRows(t, store, c.table, c.where, c.args...); n != c.want {
			t.Errorf("%d rows in %s where %s, want %d", n, c.table, c.where, c.want)
		}
	}

	// A third start uses the same database: not seeded again.
	again := shellRun(t, []string{"jane doe"}, "--as", "admin")
	if !strings.Contains(again, "on a demo CRM (35 contacts)") || !strings.Contains(again, "You are @admin") || !strings.Contains(again, "2 contacts for “jane doe”") {
		t.Errorf("third start:\n%s", again)
	}
}

// TestShellLogsToItsFile: what the bot logs goes to shell.log in the data
// directory, not among what the person reads (stdout) nor to stderr, which
// a terminal shows there too; -v shows it on stderr.
func TestShellLogsToItsFile(t *testing.T) {
	for _, k := range []string{"DATABASE_URL", "REDIS_URL", "SLACK_BOT_TOKEN", "CONTACTBOT_DATA_DIR"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	// A NUL in a command is refused with a warning in the log.
	script := "jane\x00doe\nquit\n"
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"shell", "--data-dir", dir}, strings.NewReader(script), &out, &errb); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}
	if strings.Contains(out.String(), "level=") || errb.Len() != 0 {
		t.Errorf("log lines shown; stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "support> jane␀doe\n") {
		t.Errorf("the refused line is not in the transcript:\n%s", out.String())
	}
	logged, err := os.ReadFile(filepath.Join(dir, ShellLogFile))
	if err != nil || !strings.Contains(string(logged), `level=WARN msg="command refused: unusable values"`) {
		t.Errorf("shell.log: %v\n%s", err, logged)
	}
	if st, err := os.Stat(filepath.Join(dir, ShellLogFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("shell.log's mode: %v, %v", st.Mode(), err)
	}

	out.Reset()
	if code := run(context.Background(), []string{"shell", "--data-dir", dir, "-v"}, strings.NewReader(script), &out, &errb); code != 0 {
		t.Fatalf("-v: exit %d; stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), `level=WARN msg="command refused: unusable values"`) || strings.Contains(out.String(), "level=") {
		t.Errorf("-v: stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
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

// TestShellMergeSuppressionErasure runs the merge, suppression and erasure
// flows in `contactbot shell` on its demo CRM: Sam Lee's duplicate merged by
// an admin (a wrong MERGE first); Priya Patel, who replied STOP, deleted and
// then imported again, getting her DND back at once; Tom Becker erased on a
// privacy request (DELETE refused, ERASE, the requester's own approve
// refused, a second admin's approve confirmed with ERASE), his phone then
// suppressed with every channel permanent. Its shell keeps its own
// suppression key in the data directory.
func TestShellMergeSuppressionErasure(t *testing.T) {
	for _, k := range []string{"DATABASE_URL", "REDIS_URL", "SLACK_BOT_TOKEN", "CONTACTBOT_DATA_DIR", "SUPPRESSION_KEY"} {
		t.Setenv(k, "")
	}
	ctx := context.Background()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	script := []string{
		"sam lee",
		"8", "2", "same person, filled the form twice", "merge", "MERGE", // [8] Merge… on Samuel Lee; [2] keeps Sam
		"/contact delete priya.patel@example.com", "1", "", "DELETE",
		"/import Priya Patel priya.patel@example.com",
		"priya patel",
		"/contact delete tom.becker@example.com", "6", // the erasure reason: its own window, at once
		"ticket 4711", "DELETE", "ERASE",
		"1", // [1] Approve, by the requester: refused
		"/as admin2",
		"1",     // [1] Approve, by a second admin: a window asks for ERASE
		"ERASE", // typed there, it erases
		"suppression 030 901820",
		"quit",
	}
	if code := run(ctx, []string{"shell", "--data-dir", dir, "--as", "admin"}, strings.NewReader(strings.Join(script, "\n")+"\n"), &out, &errb); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, errb.String(), out.String())
	}
	text := out.String()
	sam, samuel, tom := demo.ID("sam"), demo.ID("samuel"), demo.ID("tom")
	for _, want := range []string{
		"  [5] Delete…   [6] Set DND   [7] Remove follow-up   [8] Merge…",
		"┌─ Merge duplicate ─────",
		"│ *This contact goes:* *Samuel Lee* · SAM.LEE@example.com · +1 (555) 016-2020 · `" + samuel + "`",
		"│ *It merges into the contact that stays:* *Sam Lee* · sam.lee@example.com · +1 (555) 016-2020 · `" + sam + "`",
		"  ✗ Type MERGE to confirm: Type MERGE in capital letters to confirm. Nothing was merged.",
		"[DM to @admin] ── Merged Samuel Lee into Sam Lee ──",
		"[DM to @admin] *Moved:* 1 conversation (3 messages), 1 note, 1 task",
		"[DM to @admin]   [1] Report wrong merge",
		"opt-out kept on the suppression list: email S",
		"  ⛔ opted out before (deleted " + time.Now().UTC().Format("2006-01-02") + "): DND re-applied",
		"┌─ Privacy erasure ─────",
		"│ *This cannot be restored.*",
		"  ✗ Type ERASE to confirm: DELETE does not confirm a privacy erasure: type ERASE in capital letters. Nothing was erased.",
		"[#approvals] ── Erasure request: Tom Becker ──",
		"You asked for this erasure, so you cannot decide on it: another admin must approve or reject it. Nothing was changed.",
		"(@admin2 presses [1] Approve)",
		"┌─ Approve erasure ─────",
		"[#approvals, updated] ── Erasure request: [erased] ──",
		"[DM to @admin] Contact `" + tom + "` is erased: 1 contact, 1 conversation, 2 messages, 1 workflow enrollment, 2 DND settings (7 rows) deleted with no archive. *This cannot be restored.*",
		"*Phone entry* `S",
		"privacy erasure " + time.Now().UTC().Format("2006-01-02") + " by @admin",
		"Re-applies: SMS on (permanent), Email on (permanent), Calls on (permanent), WhatsApp on (permanent), Google Business on (permanent), Facebook on (permanent), contact DND on for all channels",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	store, err := crm.Open(ctx, "sqlite:"+filepath.Join(dir, DemoDatabaseFile), crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if n := crmtest.CountRows(t, store, "conversations", "contact_id = $1", sam); n != 2 {
		t.Errorf("Sam Lee has %d conversations after the merge, want his and Samuel's", n)
	}
	if found := crmtest.FindText(t, store, "Becker", "tom.becker@example.com", "901820"); len(found) > 0 {
		t.Errorf("Tom Becker is still in the database:\n%s", strings.Join(found, "\n"))
	}
	key, err := os.ReadFile(filepath.Join(dir, shellKeyFile))
	if err != nil || len(strings.TrimSpace(string(key))) != 64 {
		t.Fatalf("the shell's suppression key: %q, %v", key, err)
	}
	if st, err := os.Stat(filepath.Join(dir, shellKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the key file's mode: %v, %v", st.Mode(), err)
	}
	// A second start keeps the key: the list made with it still matches.
	out.Reset()
	if code := run(ctx, []string{"shell", "--data-dir", dir, "--as", "admin"}, strings.NewReader("/import Tom B +49 30 901820\ntom b\nquit\n"), &out, &errb); code != 0 {
		t.Fatalf("second start: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "DND: *on for all channels*") || !strings.Contains(out.String(), "⛔ opted out before") {
		t.Errorf("the contact imported after the erasure did not get DND:\n%s", out.String())
	}
}
