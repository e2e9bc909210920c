package shell_test

import (
	"strings"
	"testing"

	"contactbot/bot/shell"
	"contactbot/crm/crmtest"
	"contactbot/crm/demo"
)

// TestShellHomeShortcutReviewDigest: the shell shows the Home tab (home),
// whose Find a contact opens the search window with pressable results; the
// message shortcut (/shortcut TEXT); the review an admin's direct delete
// posts, acknowledged by another admin from their Home tab; and the digest.
func TestShellHomeShortcutReviewDigest(t *testing.T) {
	s := newSession(t, shell.Admin)
	jane := demo.ID("jane")
	out := s.run(
		"home",
		"1", // Find a contact
		"jane.doe@example.com",
		"2",               // Delete… in the results window
		"1", "", "DELETE", // Test contact: Duplicate would switch to Merge duplicate
		"/shortcut can someone delete the test lead testy@example.com?",
		"/as admin2",
		"home",
		"2", // Acknowledge, on the Home tab
		"/digest",
		"quit",
	)
	mustContain(t, out,
		"admin> home\n",
		"[Home of @admin] ── contactbot ──",
		"[Home of @admin] ── Requests waiting for an admin (0) ──",
		"[Home of @admin]   [1] Find a contact",
		"(@admin presses [1] Find a contact)",
		"┌─ Find a contact ─────",
		"Name, email, phone or contact id > jane.doe@example.com",
		"│   [1] New search",
		"│   [2] Delete…   [3] Set DND   [4] Remove follow-up",
		"(@admin presses [2] Delete…)",
		"┌─ Delete contact ─────",
		"[DM to @admin] ── Deleted Jane Doe ──",
		"[#approvals] ── Needs review: delete of Jane Doe ──",
		"[Home of @admin refreshed: type home as @admin to see it]",
		"(@admin uses “Find contacts in this message” on a message in #support: can someone delete the test lead testy@example.com?)",
		"── 1 contact in this message ──",
		"  Looked up `testy@example.com`. Only you see this.",
		"[Home of @admin2] ── Done by an admin alone, to review (1) ──",
		"[Home of @admin2]   [2] Acknowledge",
		"(@admin2 presses [2] Acknowledge)",
		"[#approvals, updated] ── Reviewed: delete of Jane Doe ──",
		"[#approvals, updated] ✅ *Acknowledged* by @admin2 ",
		"[DM to @admin2] ✅ Acknowledged: @admin deleted *Jane Doe* (`"+jane+"`) without a second person ",
		"[#approvals] ── contactbot weekly digest ──",
		"[#approvals] • Test contact: 1",
		"[#approvals] • @admin: 1",
	)
	if n := crmtest.CountRows(t, s.store, "contacts", "id = $1", jane); n != 0 {
		t.Error("Jane is still there")
	}
	if n := crmtest.CountRows(t, s.store, "reviews", "acknowledged_by = $1", shell.Admin2.ID); n != 1 {
		t.Errorf("%d reviews acknowledged by admin2", n)
	}
	if strings.Contains(out, "<!date") || strings.Contains(out, "<@") {
		t.Errorf("Slack markup leaked into the text:\n%s", out)
	}
}

// TestShellWindowsAreRecordedAsOpened: the shell's windows go through the
// bot's one way of opening windows, so they are recorded for whoever
// opened them as Slack's are, and switching them in place works as in
// Slack: New search in the results window, and a reason that switches the
// delete window to Set DND at once.
func TestShellWindowsAreRecordedAsOpened(t *testing.T) {
	s := newSession(t, shell.Support)
	out := s.run("home", "1", "jane.doe@example.com", "1", "jane.doe@example.com", "2", "unsubscribe", "/cancel", "quit")
	mustContain(t, out,
		"(@support presses [1] New search)\n┌─ Find a contact ─────\n│ Name, email, phone or contact id\n",
		"Why delete this contact? (1-6) > unsubscribe\n┌─ Set DND ─────\n│ *Nothing was deleted.* ",
	)
	if strings.Contains(out, "That window is not one contactbot opened for you") {
		t.Errorf("a shell window was refused as someone else's:\n%s", out)
	}
	// The search window, and the delete window pushed on top of it.
	if n := crmtest.CountRows(t, s.store, "opened_views", "user_id = $1", shell.Support.ID); n != 2 {
		t.Errorf("%d windows recorded as opened for @support, want 2", n)
	}
}
