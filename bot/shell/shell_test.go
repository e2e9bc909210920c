package shell_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/kv"
	"contactbot/bot/shell"
	"contactbot/config"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/crm/demo"
)

// session runs script through a shell on a fresh SQLite demo CRM and
// returns everything it printed.
type session struct {
	t     *testing.T
	store *crm.Store
	out   *syncBuffer
	sh    *shell.Shell
	bot   *bot.Bot
}

func newSession(t *testing.T, as shell.User) *session {
	t.Helper()
	cfg, err := config.Load(shell.DemoEnv())
	if err != nil {
		t.Fatal(err)
	}
	store := crmtest.NewSQLiteStore(t, bot.StoreHooks(cfg))
	if _, err := demo.Seed(context.Background(), store, time.Now()); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	sh := shell.New(shell.Options{Out: out, As: as, Echo: true})
	b := bot.New(bot.Deps{Store: store, Slack: sh, KV: kv.NewMemory(), Config: cfg, ResponseOrigins: []string{shell.ResponseOrigin}})
	return &session{t: t, store: store, out: out, sh: sh, bot: b}
}

func (s *session) run(script ...string) string {
	s.t.Helper()
	if err := s.sh.Run(context.Background(), s.bot, strings.NewReader(strings.Join(script, "\n")+"\n")); err != nil {
		s.t.Fatalf("Run: %v", err)
	}
	return s.out.String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestFindShowsNumberedButtons(t *testing.T) {
	s := newSession(t, shell.Support)
	out := s.run("jane doe", "quit")
	mustContain(t, out,
		"support> jane doe\n",
		"── 2 contacts for “jane doe” ──",
		"*Jane Doe* · jane.doe@example.com · +1 (555) 010-2233 · `"+demo.ID("jane")+"`",
		"created 2025-01-14 09:28 UTC", // a Slack date shows its fallback
		"⚠️ Possible duplicate of Jane Doe (`"+demo.ID("jane-import")+"`)",
		"  [1] Delete…   [2] Set DND   [3] Remove follow-up   [4] Merge…",
		"  [5] Delete…   [6] Set DND   [7] Remove follow-up   [8] Merge…",
	)
	if strings.Contains(out, "<!date") || strings.Contains(out, "&lt;") {
		t.Errorf("Slack markup leaked into the text:\n%s", out)
	}
}

func TestDeleteAsDeleter(t *testing.T) {
	s := newSession(t, shell.Deleter)
	id := demo.ID("jane-import")
	before := crmtest.CountRows(t, s.store, "contacts", "")
	out := s.run(
		"jane doe",
		"5",      // Delete… on the second Jane Doe
		"9", "1", // a wrong option number is asked again; 1: test contact
		"imported twice", // note
		"delete",         // lower case: the bot's inline error
		"DELETE",
		"quit",
	)
	mustContain(t, out,
		"(@deleter presses [5] Delete…)",
		"┌─ Delete contact ─────",
		"│    2) Duplicate created by mistake",
		"Type a number from 1 to 6.",
		"(@deleter submits the window)",
		"  ✗ Type DELETE to confirm: Type DELETE in capital letters to confirm. Nothing was deleted.",
		"(the window closes)",
		"[#audit] ", "@deleter deleted contact `"+id+"`",
		"[DM to @deleter] ── Deleted Jane Doe ──",
		"[DM to @deleter] Reason: Test contact — imported twice",
		"[DM to @deleter]   [1] Report wrong deletion",
	)
	// Only the confirm field is asked again after the error.
	after := out[strings.Index(out, "✗ Type DELETE"):]
	if strings.Contains(after, "Why delete this contact? (1-6) >") {
		t.Errorf("the reason was asked again after an error on the confirm field:\n%s", after)
	}
	if n := crmtest.CountRows(t, s.store, "contacts", "id = $1", id); n != 0 {
		t.Error("the contact is still there")
	}
	if n := crmtest.CountRows(t, s.store, "contacts", ""); n != before-1 {
		t.Errorf("%d contacts left, want %d", n, before-1)
	}
	if n := crmtest.CountRows(t, s.store, "archived_rows", "row_id = $1", id); n != 1 {
		t.Errorf("contact archived %d times", n)
	}
	if n := crmtest.CountRows(t, s.store, "audit_log", "actor = $1 AND action = 'deleted' AND contact_id = $2", shell.Deleter.ID, id); n != 1 {
		t.Errorf("%d audit rows for the delete", n)
	}
}

// TestSupportNeedsApprovalAndSwitchUser requests a delete as support, which
// posts an approval request with buttons to #approvals; those buttons are
// pressable in the shell. The requester's own Approve is refused; an admin's
// deletes.
func TestSupportNeedsApprovalAndSwitchUser(t *testing.T) {
	s := newSession(t, shell.Support)
	id := demo.ID("test1")
	out := s.run(
		"test@test.com",
		"1", "1", "", "DELETE", // test contact, no note
		"1", // [1] Approve of the request, pressed by its requester
		"/as nobody",
		"/as admin",
		"1", // [1] Approve again, by an admin
		"quit",
	)
	mustContain(t, out,
		"You are @support",
		"┌─ Request sent ─────",
		"│ *Nothing is deleted yet.* Deleting contacts needs an admin's approval",
		"[#approvals] ── Delete request: Test Test ──",
		"[#approvals]   [1] Approve   [2] Reject",
		"(@support presses [1] Approve)",
		"You asked for this delete, so you cannot decide on it",
		`No user "nobody"`,
		"You are now @admin",
		"(@admin presses [1] Approve)",
		"[#approvals, updated] ✅ *Approved* by @admin",
		"[DM to @support] ── Deleted Test Test ──",
	)
	refused := out[strings.Index(out, "(@support presses [1] Approve)"):strings.Index(out, "You are now @admin")]
	if strings.Contains(refused, "Deleted Test Test") || strings.Contains(refused, "Approved") {
		t.Errorf("the requester's own approve did something:\n%s", refused)
	}
	if n := crmtest.CountRows(t, s.store, "contacts", "id = $1", id); n != 0 {
		t.Error("the admin's approve did not delete")
	}
	if n := crmtest.CountRows(t, s.store, "deletions", "contact_id = $1 AND deleted_by = $2 AND approved_by = $3", id, shell.Support.ID, shell.Admin.ID); n != 1 {
		t.Errorf("%d deletions requested by support and approved by admin, want 1", n)
	}
	if n := crmtest.CountRows(t, s.store, "audit_log", "action = 'decision_refused' AND actor = $1", shell.Support.ID); n != 1 {
		t.Errorf("%d refused decisions audited, want 1", n)
	}
}

// TestSetDNDWithCheckboxes fills a checkbox group by numbers, then undoes
// the change with the Undo button of the confirmation.
func TestSetDNDWithCheckboxes(t *testing.T) {
	s := newSession(t, shell.Deleter)
	id := demo.ID("jane")
	before := crmtest.Dump(t, s.store)
	out := s.run(
		"jane.doe@example.com",
		"2",   // [2] Set DND
		"7",   // no such channel: asked again
		"1 4", // SMS and WhatsApp
		"1",   // [1] Undo
		"quit",
	)
	mustContain(t, out,
		"(@deleter presses [2] Set DND)",
		"│    1) [x] SMS (now not set)",
		"│    4) [x] WhatsApp (now not set)",
		"Type numbers from 1 to 6",
		"SMS: not set → *on*",
		"WhatsApp: not set → *on*",
		"(@deleter presses [1] Undo)",
	)
	if strings.Contains(out, "Calls: not set → *on*") {
		t.Errorf("an unticked channel was set:\n%s", out)
	}
	if n := crmtest.CountRows(t, s.store, "undo_actions", "contact_id = $1 AND undone_by = $2", id, shell.Deleter.ID); n != 1 {
		t.Errorf("%d undone changes, want 1", n)
	}
	if after := crmtest.Dump(t, s.store); !cmp.Equal(before, after) {
		t.Errorf("the CRM after Set DND and Undo differs:\n%s", cmp.Diff(before, after))
	}
}

func TestCancelAndNotADelete(t *testing.T) {
	s := newSession(t, shell.Admin)
	before := crmtest.Dump(t, s.store)
	out := s.run(
		"/contact delete priya.patel@example.com", // one match: the window opens at once
		"/cancel",
		"/contact delete priya.patel@example.com",
		"3",       // "Unsubscribe / STOP / DND request" is never a delete: Set DND replaces the window at once
		"/cancel", // closes Set DND
		"/cancel", // nothing left to cancel
		"5",       // a button number that is not there
		"/x",      // not a command
		"quit",
	)
	mustContain(t, out,
		"│ DND: *on for all channels*",
		"(the window closes; nothing was submitted)",
		"┌─ Set DND ─────\n│ *Nothing was deleted.*",
		"Use *Set DND* on the contact instead.",
		// DND on for all channels: no channel reads "not set".
		"│    5) [x] Google Business (now on: the contact has DND on for all channels)",
		"There is no open window to cancel.",
		"There are no buttons to press yet",
		"/x is not a shell command",
	)
	// The window switched right after the reason: no other field was asked
	// (the audit line may come before or after the window, as in Slack).
	picked := strings.Index(out, "Why delete this contact? (1-6) > 3\n")
	switched := strings.Index(out, "┌─ Set DND ─────")
	if picked < 0 || switched < picked || strings.Contains(out[picked+len("Why delete this contact? (1-6) > 3\n"):switched], "> ") {
		t.Errorf("Set DND did not follow the reason at once:\n%s", out)
	}
	if strings.Contains(out, "Type DELETE to confirm >") || strings.Contains(out, "now not set") {
		t.Errorf("the window asked for DELETE after the reason, or listed a channel as not set:\n%s", out)
	}
	if after := crmtest.Dump(t, s.store); len(after["contacts"]) != len(before["contacts"]) {
		t.Error("something was deleted")
	}
}

// TestMessengerLabels checks what the shell prints for each way the bot
// talks, with mentions and channels by name.
func TestMessengerLabels(t *testing.T) {
	out := &syncBuffer{}
	sh := shell.New(shell.Options{Out: out})
	ctx := context.Background()
	msg := bot.Message{Text: "fallback", Blocks: []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "<@UDEMOSUPPORT> asks to delete *A &amp; B* &lt;x&gt; in <#CDEMOINCIDENTS>, see <https://example.com|the docs> <!here>", false, false), nil, nil),
		slack.NewActionBlock("req", slack.NewButtonBlockElement("request.approve", "R1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)),
			slack.NewButtonBlockElement("request.reject", "R1", slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false))),
	}}
	if _, err := sh.Post(ctx, shell.ApprovalsChannel, msg); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.Post(ctx, shell.Deleter.ID, bot.Message{Text: "plain <@UDEMOADMIN>"}); err != nil {
		t.Fatal(err)
	}
	sh.Update(ctx, shell.IncidentChannel, "1.2", bot.Message{Text: "restored", ThreadTS: "1.2"})
	sh.PostEphemeral(ctx, shell.SupportChannel, shell.Support.ID, bot.Message{Text: "only you"})
	sh.Respond(ctx, "shell://response/1", bot.Message{Text: "late answer"}, true)
	want := "[#approvals] @support asks to delete *A & B* <x> in #incidents, see the docs (https://example.com) @here\n" +
		"[#approvals]   [1] Approve   [2] Reject\n" +
		"[DM to @deleter] plain @admin\n" +
		"[#incidents, updated] restored\n" +
		"[only @support sees, in #support] only you\n" +
		"(replaces the answer above)\n" +
		"late answer\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestRejectAsksForTheReasonOnce: the reject window's reason is optional,
// and its prompt says so once, in the shell's words.
func TestRejectAsksForTheReasonOnce(t *testing.T) {
	s := newSession(t, shell.Support)
	out := s.run(
		"test@test.com",
		"1", "1", "", "DELETE", // a delete request: test contact, no note
		"/as admin",
		"2", // [2] Reject
		"it has an open deal",
		"quit",
	)
	mustContain(t, out,
		"(@admin presses [2] Reject)",
		"│ Reason, sent to the requester (optional)\n",
		"Reason, sent to the requester (optional, Enter to skip) > it has an open deal\n",
		"[#approvals, updated] ❌ *Rejected* by @admin",
	)
	if strings.Contains(out, "(optional, sent") {
		t.Errorf("the reason's prompt says optional twice:\n%s", out)
	}
}

// TestUsersInColumns: /users lines up names, ids and rights.
func TestUsersInColumns(t *testing.T) {
	s := newSession(t, shell.Support)
	out := s.run("/users", "quit")
	mustContain(t, out, "support> /users\n"+
		"  @admin    UDEMOADMIN    admin: deletes directly, approves others' requests, restores\n"+
		"  @admin2   UDEMOADMIN2   a second admin, to approve the first one's requests\n"+
		"  @deleter  UDEMODELETER  deleter: deletes low-risk contacts directly\n"+
		"  @support  UDEMOSUPPORT  support staff: finds contacts; deletes need an admin's approval\n"+
		"support> quit\n")
}

// TestAuditFeedShowsActionsNotWindows: the shell shows the audit feed's
// line for what was done, not the one for each window opened, which the
// audit trail keeps.
func TestAuditFeedShowsActionsNotWindows(t *testing.T) {
	s := newSession(t, shell.Deleter)
	id := demo.ID("jane")
	out := s.run(
		"jane.doe@example.com",
		"2",   // [2] Set DND
		"1 4", // SMS and WhatsApp
		"quit",
	)
	mustContain(t, out, "[#audit] ", "@deleter set DND on contact `"+id+"`")
	if strings.Contains(out, "window opened") {
		t.Errorf("the shell shows the window opened:\n%s", out)
	}
	if n := crmtest.CountRows(t, s.store, "audit_log", "action = 'find' AND contact_id = $1 AND outcome = 'Set DND window opened'", id); n != 1 {
		t.Errorf("%d audit rows for the window opened, want 1", n)
	}
}

// TestUnknownVerbSaysSo: a first word that is no command is named above
// the search of the whole text, typed bare or after /contact.
func TestUnknownVerbSaysSo(t *testing.T) {
	s := newSession(t, shell.Support)
	out := s.run("/contact frobnicate jane", "delte jane.doe@example.com", "quit")
	mustContain(t, out,
		"support> /contact frobnicate jane\n"+
			"`frobnicate` is not a `/contact` command (`/contact help` lists them); searched for the whole text:\n"+
			"No contact matches *frobnicate jane*. Try the email address, the phone number with or without its country code, the start of a name (“jane do”), or the contact id from Leadgains.\n",
		"support> delte jane.doe@example.com\n"+
			"`delte` is not a `/contact` command; did you mean `/contact delete`? Searched for the whole text:\n"+
			"No contact matches *delte jane.doe@example.com*.",
	)
}
