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
