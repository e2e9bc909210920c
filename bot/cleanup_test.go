package bot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// cleanupFilter matches the fixture's 25 test contacts, not its real one.
const cleanupFilter = "email:*@qa.example.com"

// safeTest is a test contact with nothing that keeps it out of a batch: a
// conversation of two messages (the inbound one long ago), a note, a task
// and DND settings that are all inactive.
var safeTest = crmtest.Full{Conversations: 1, MessagesPer: 2, Notes: 1, Tasks: 1, LowRisk: true}

// cleanupFixture writes 22 safe test contacts (qa01…qa22), 3 risky ones
// (qr1: an active workflow; qr2: opted out; qr3: an open opportunity and
// DND) and one real contact the filter does not match.
func cleanupFixture(t *testing.T, e *bottest.Env) (safe []string) {
	t.Helper()
	for i := 1; i <= 22; i++ {
		id := fmt.Sprintf("qa%02d", i)
		crmtest.InsertFull(t, e.Store, crmtest.Contact{ID: id, FirstName: "QA", LastName: fmt.Sprintf("Tester %02d", i), Email: id + "@qa.example.com"}, safeTest)
		safe = append(safe, id)
	}
	crmtest.InsertFull(t, e.Store, crmtest.Contact{ID: "qr1", FirstName: "QA", LastName: "Risky 1", Email: "qr1@qa.example.com"}, crmtest.Full{Workflows: 1, LowRisk: true})
	crmtest.InsertFull(t, e.Store, crmtest.Contact{ID: "qr2", FirstName: "QA", LastName: "Risky 2", Email: "qr2@qa.example.com", DND: true}, crmtest.Full{LowRisk: true})
	crmtest.InsertFull(t, e.Store, crmtest.Contact{ID: "qr3", FirstName: "QA", LastName: "Risky 3", Email: "qr3@qa.example.com"}, crmtest.Full{Opportunities: 1})
	crmtest.InsertFull(t, e.Store, crmtest.Contact{ID: "real1", FirstName: "Rita", LastName: "Real", Email: "rita@example.com"}, crmtest.SmallFull)
	return safe
}

// wantCleanupWindow is the clean-up window of the fixture, line by line
// (viewLines), for an admin (admin: the box that takes the kept contacts
// in) or for someone whose submit asks an admin (why says why).
func wantCleanupWindow(admin bool, why string) []string {
	var list []string
	for i := 1; i <= 20; i++ {
		list = append(list, fmt.Sprintf("• *QA Tester %02d* · qa%02d@qa.example.com · `qa%02d` · 1 conversation, 2 messages, 1 note, 1 task", i, i, i))
	}
	lines := []string{
		"section: *Filter:* `email:*@qa.example.com`\n*25 contacts match*; this batch deletes 22 and keeps 3 out, to check one by one.",
		"section: *Deleting these 22 contacts removes:*\n💬 22 conversations (44 messages)\n📝 22 notes\n💼 0 opportunities\n✅ 22 tasks\n📅 0 appointments\n⚙️ 0 workflow enrollments\n198 rows in all, the contacts included",
		"section: *The first 20 of 22 contacts:*\n" + strings.Join(list[:10], "\n"),
		"section: " + strings.Join(list[10:], "\n"),
		"section: …and 2 more",
		"section: *Kept: check these one by one* (3 contacts, not in this batch)\n" +
			"• *QA Risky 1* · qr1@qa.example.com · `qr1`: active workflow\n" +
			"• *QA Risky 2* · qr2@qa.example.com · `qr2`: opted out (DND)\n" +
			"• *QA Risky 3* · qr3@qa.example.com · `qr3`: open opportunity, opted out (DND)",
	}
	if admin {
		lines = append(lines, "input: Kept contacts", "context: ✅ You are an admin: the contacts are deleted when you confirm.")
	} else {
		lines = append(lines, "section: 🔒 *Submitting asks an admin; nothing is deleted until one approves.* "+why)
	}
	return append(lines, "input: Why delete these contacts?", "input: Note", "input: Type 22 to delete 22 contacts")
}

// openCleanup runs `/contact cleanup filter` as user and returns the
// window it opened.
func openCleanup(t *testing.T, e *bottest.Env, user, filter string) slack.View {
	t.Helper()
	opened := len(e.Slack.Calls("views.open"))
	r := e.Command(user, "cleanup "+filter)
	if r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "" {
		t.Fatalf("cleanup command: want an empty 200 (the window opens), got %d %s", r.Status, r.Body)
	}
	if len(e.Slack.Calls("views.open")) != opened+1 {
		t.Fatal("the clean-up window did not open")
	}
	v := e.LastView()
	if v.CallbackID != bot.CallbackCleanupModal {
		t.Fatalf("opened %q, not the clean-up window", v.CallbackID)
	}
	return v
}

// submitCleanup submits a clean-up window with a reason, a typed count and,
// when tick, the kept contacts ticked in.
func submitCleanup(e *bottest.Env, user string, v slack.View, count string, tick bool) bottest.Response {
	e.TB.Helper()
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"reason":  {"reason": {ActionID: "reason", Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: bot.ReasonTestContact}}},
		"note":    {"note": {ActionID: "note", Value: "QA funnel test run"}},
		"confirm": {"confirm": {ActionID: "confirm", Value: count}},
	}}
	if tick {
		state.Values["include_risky"] = map[string]slack.BlockAction{"include_risky": {ActionID: "include_risky", Type: "checkboxes",
			SelectedOptions: []slack.OptionBlockObject{{Value: "include"}}}}
	}
	v.State = state
	if v.ID == "" {
		v.ID = "V" + crm.NewID("", 8)
	}
	v.Hash = crm.NewID("", 12)
	return e.Interact(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team}, View: v})
}

// inlineErrors reads a response_action errors answer.
func inlineErrors(t *testing.T, r bottest.Response) map[string]string {
	t.Helper()
	var sub struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.Body), &sub); err != nil || sub.Action != "errors" {
		t.Fatalf("want response_action errors, got %d %s", r.Status, r.Body)
	}
	return sub.Errors
}

// TestCleanupDeletesTheSafeAndRestoresAll walks a clean-up by an admin
// through the HTTP routes: the window previews 25 matches, deleting 22 and
// keeping the 3 risky out; a wrong count deletes nothing; the right count
// deletes exactly the 22 and sends the summary; reported as wrong, the
// incident's Restore all puts every row of the 22 back.
func TestCleanupDeletesTheSafeAndRestoresAll(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	safe := cleanupFixture(t, e)
	before := crmtest.Dump(t, e.Store)

	v := openCleanup(t, e, bottest.Admin, cleanupFilter)
	sameLines(t, "clean-up window", viewLines(v.Blocks.BlockSet), wantCleanupWindow(true, ""))
	if v.Title.Text != "Clean up contacts" || v.Submit.Text != "Delete" {
		t.Errorf("title %q, submit %q", v.Title.Text, v.Submit.Text)
	}

	// A wrong count: an inline error, nothing deleted.
	for _, typed := range []string{"21", "25", "twenty-two", ""} {
		errs := inlineErrors(t, submitCleanup(e, bottest.Admin, v, typed, false))
		if want := "This batch deletes exactly 22 contacts: type 22. Nothing was deleted."; errs["confirm"] != want {
			t.Errorf("count %q: error %q, want %q", typed, errs["confirm"], want)
		}
	}
	e.Bot.Wait()
	sameDump(t, "after wrong counts", before, crmtest.Dump(t, e.Store))

	// The right count: the window closes, exactly the 22 go.
	if r := submitCleanup(e, bottest.Admin, v, " 22 ", false); r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "" {
		t.Fatalf("submit with the count: want an empty 200, got %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	for _, id := range safe {
		if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 0 {
			t.Errorf("%s was not deleted", id)
		}
	}
	for _, id := range []string{"qr1", "qr2", "qr3", "real1"} {
		if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 1 {
			t.Errorf("%s was deleted, but it is kept out (or not matched)", id)
		}
	}
	if n := crmtest.CountRows(t, e.Store, "archived_rows", ""); n != 22*9 {
		t.Errorf("archive holds %d rows, want %d (22 contacts of 9 rows)", n, 22*9)
	}

	// The summary, by DM (in place of the progress DM when there was one).
	sum := batchSummaryOf(t, e, bottest.Admin)
	batchID := sum.button
	var deletedAt, until string
	if err := e.Store.DB().Get(&deletedAt, e.Store.DB().Rebind(`SELECT id FROM deletions WHERE id = ?`), batchID); err != nil {
		t.Fatalf("the summary's button names %q, no deletion record: %v", batchID, err)
	}
	bt, items, err := e.Store.Batch(t.Context(), batchID)
	if err != nil || bt.Deleted != 22 || len(items) != 22 {
		t.Fatalf("batch %s: %+v, %d items, %v", batchID, bt, len(items), err)
	}
	until = date(bt.RestoreUntil)
	wantSummary := []string{
		"header: Deleted 22 contacts",
		"section: *Filter:* `email:*@qa.example.com`\nReason: Test contact — QA funnel test run\n*Removed:* 22 contacts, 22 conversations, 44 messages, 22 notes, 22 tasks, 66 DND settings (198 rows)\nBatch id `" + batchID + "` · restorable until " + until,
		"context: Deleted the wrong contacts? Report it now: an admin can restore the whole batch, or one contact of it, until the deadline.",
		"buttons: Report wrong deletion [deletion.report=" + batchID + "]",
	}
	sameLines(t, "summary DM", sum.lines, wantSummary)

	// Reported as wrong: one incident for the batch, with Restore all.
	e.Report(bottest.Admin, batchID, "the filter took real leads")
	var incident []string
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == bottest.Incident {
			incident = viewLines(decodeBlocks(t, c.Params["blocks"]))
		}
	}
	if len(incident) == 0 || incident[0] != "header: Wrong batch reported: 22 contacts" {
		t.Fatalf("incident: %q; answers %v", incident, e.Slack.Responses())
	}
	if got := incident[3]; got != "buttons: Restore all 22 [deletion.restore="+batchID+"]" {
		t.Errorf("incident buttons: %q", got)
	}

	// Restore all: every row of all 22 back, as before.
	if r := e.Click(bottest.Admin2, bot.ActionRestore, batchID); r.Status != http.StatusOK {
		t.Fatalf("Restore all: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	sameDump(t, "after Restore all", before, crmtest.Dump(t, e.Store))
}

// batchSummary is the summary DM of a batch, as lines, and its Report
// button's value.
type batchSummary struct {
	lines  []string
	button string
}

// batchSummaryOf finds the last message to user's DM that is a batch
// summary, posted or put in place of the progress DM.
func batchSummaryOf(t *testing.T, e *bottest.Env, user string) batchSummary {
	t.Helper()
	// The summary is an outbox note: delivered after the batch commits.
	deadline := time.Now().Add(3 * wait)
	for {
		if found, ok := findBatchSummary(t, e, user); ok || time.Now().After(deadline) {
			if !ok {
				t.Fatalf("no batch summary in %s's DM: %v", user, e.Slack.Calls(""))
			}
			return found
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func findBatchSummary(t *testing.T, e *bottest.Env, user string) (batchSummary, bool) {
	var found batchSummary
	for _, method := range []string{"chat.postMessage", "chat.update"} {
		for _, c := range e.Slack.Calls(method) {
			if (c.Params["channel"] != user && c.Params["channel"] != slackfake.DMChannel(user)) || !strings.HasPrefix(c.Params["text"], "Deleted ") || !strings.Contains(c.Params["text"], "(batch ") {
				continue
			}
			found.lines = viewLines(decodeBlocks(t, c.Params["blocks"]))
			for _, b := range decodeBlocks(t, c.Params["blocks"]) {
				if ab, ok := b.(*slack.ActionBlock); ok {
					found.button = ab.Elements.ElementSet[0].(*slack.ButtonBlockElement).Value
				}
			}
		}
	}
	return found, found.button != ""
}

// TestCleanupRefusals: a filter with no term, one over BULK_LIMIT, and a
// forged tick of the kept contacts by someone who is not an admin; none
// deletes or files anything.
func TestCleanupRefusals(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"BULK_LIMIT": "20"}})
	cleanupFixture(t, e)
	before := crmtest.Dump(t, e.Store)

	t.Run("NoTerm", func(t *testing.T) {
		r := e.Command(bottest.Admin, "cleanup")
		if want := "Say which contacts to clean up, e.g. `/contact cleanup email:*@qa.example.com created:2026-11-01..2026-11-28`."; !strings.Contains(body(t, r), want) {
			t.Errorf("no term: %s", r.Body)
		}
	})
	t.Run("OverBulkLimit", func(t *testing.T) {
		opened := len(e.Slack.Calls("views.open"))
		r := e.Command(bottest.Admin, "cleanup "+cleanupFilter)
		got := body(t, r)
		if !strings.Contains(got, "More than 20 contacts match") || !strings.Contains(got, "narrow the filter") {
			t.Errorf("25 matches over a limit of 20: %s", got)
		}
		if len(e.Slack.Calls("views.open")) != opened {
			t.Error("a window opened for a match over BULK_LIMIT")
		}
	})
	t.Run("ForgedIncludeTick", func(t *testing.T) {
		// Within the limit (qa10…qa19), as support, whose window has no
		// box; the payload ticks it anyway.
		v := openCleanup(t, e, bottest.Support, "email:qa1*@qa.example.com")
		for _, line := range viewLines(v.Blocks.BlockSet) {
			if line == "input: Kept contacts" {
				t.Error("support's window offers the kept contacts' box")
			}
		}
		r := submitCleanup(e, bottest.Support, v, "10", true)
		if !strings.Contains(r.Body, "Only admins can include the kept contacts in a batch, and you are not one. Nothing was deleted.") {
			t.Errorf("forged tick: %s", r.Body)
		}
		e.Bot.Wait()
		if n := crmtest.CountRows(t, e.Store, "approval_requests", ""); n != 0 {
			t.Errorf("a forged tick filed %d requests", n)
		}
		if n := crmtest.CountRows(t, e.Store, "audit_log", "actor = $1 AND outcome = $2", bottest.Support, "not deleted: only admins may include the kept contacts"); n != 1 {
			t.Errorf("%d audit lines for the refused tick, want 1", n)
		}
	})
	sameDump(t, "after refusals", before, crmtest.Dump(t, e.Store))
}

// TestCleanupRequestApprovedWithCount: support's clean-up becomes one
// request in the approvals channel; support cannot approve it; an admin's
// Approve… opens a window that asks for the count (a wrong one deletes
// nothing), and the right one deletes the 22, once.
func TestCleanupRequestApprovedWithCount(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	safe := cleanupFixture(t, e)
	before := crmtest.Dump(t, e.Store)

	v := openCleanup(t, e, bottest.Support, cleanupFilter)
	why := "Deleting contacts needs an admin's approval: you are not an admin or a deleter. Your request goes to <#" + bottest.Approval + "> and you will hear the outcome."
	sameLines(t, "support's clean-up window", viewLines(v.Blocks.BlockSet), wantCleanupWindow(false, why))
	if v.Title.Text != "Request a clean-up" || v.Submit.Text != "Request approval" {
		t.Errorf("title %q, submit %q", v.Title.Text, v.Submit.Text)
	}
	r := submitCleanup(e, bottest.Support, v, "22", false)
	if !strings.Contains(r.Body, "Request sent") || !strings.Contains(r.Body, "*Nothing is deleted yet.*") {
		t.Fatalf("request: %s", r.Body)
	}
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "approval_requests", ""); n != 1 {
		t.Fatalf("%d requests, want one for the batch", n)
	}
	var requestID string
	if err := e.Store.DB().Get(&requestID, `SELECT id FROM approval_requests`); err != nil {
		t.Fatal(err)
	}
	post := posts(e, bottest.Approval)
	if len(post) != 1 {
		t.Fatalf("%d posts in the approvals channel, want 1", len(post))
	}
	lines := viewLines(decodeBlocks(t, post[0].Params["blocks"]))
	wantHead := []string{
		"header: Clean-up request: 22 contacts",
		"section: <@" + bottest.Support + "> asks to delete *22 contacts* matching `email:*@qa.example.com`\n*Reason:* Test contact — QA funnel test run\n*Requested* ",
		"section: *Deleting removes:*\n💬 22 conversations (44 messages)\n📝 22 notes\n💼 0 opportunities\n✅ 22 tasks\n📅 0 appointments\n⚙️ 0 workflow enrollments\n198 rows in all, the contacts included",
		"section: *The first 20 of 22 contacts:*\n• *QA Tester 01* `qa01` · 1 conversation, 2 messages, 1 note, 1 task\n",
	}
	for i, w := range wantHead {
		if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
			t.Errorf("approvals post line %d:\n got %q\nwant %q…", i, lines[min(i, len(lines)-1)], w)
		}
	}
	if !strings.Contains(strings.Join(lines, "\n"), "buttons: Approve… [approval.approve="+requestID+"] Reject [approval.reject="+requestID+"]") {
		t.Errorf("approvals post has no Approve/Reject: %q", lines)
	}

	// The requester cannot approve their own request.
	e.Click(bottest.Support, bot.ActionApprove, requestID)
	if got := lastAnswer(t, e); !strings.Contains(got, "You asked for this clean-up, so you cannot decide on it") {
		t.Errorf("own approve: %q", got)
	}
	opened := len(e.Slack.Calls("views.open"))

	// An admin's Approve… opens the window with the count to type.
	e.Click(bottest.Admin, bot.ActionApprove, requestID)
	if len(e.Slack.Calls("views.open")) != opened+1 {
		t.Fatalf("Approve… opened no window: %v", e.Slack.Responses())
	}
	av := e.LastView()
	if av.CallbackID != bot.CallbackBatchApproveModal {
		t.Fatalf("Approve… opened %q", av.CallbackID)
	}
	al := viewLines(av.Blocks.BlockSet)
	if al[len(al)-1] != "input: Type 22 to delete 22 contacts" {
		t.Errorf("approval window ends with %q", al[len(al)-1])
	}
	errs := inlineErrors(t, e.Submit(bottest.Admin, av, map[string]string{"confirm": "25"}))
	if errs["confirm"] != "This batch deletes exactly 22 contacts: type 22. Nothing was deleted." {
		t.Errorf("wrong count: %q", errs["confirm"])
	}
	e.Bot.Wait()
	sameDump(t, "after a wrong count", before, crmtest.Dump(t, e.Store))

	// The requester forging the approval window is refused too.
	if r := e.Submit(bottest.Support, av, map[string]string{"confirm": "22"}); !strings.Contains(r.Body, "you cannot decide on it") {
		t.Errorf("requester submitting the approval window: %s", r.Body)
	}
	// The right count: the batch goes, once, even submitted twice.
	if r := e.Submit(bottest.Admin, av, map[string]string{"confirm": "22"}); strings.TrimSpace(r.Body) != "" {
		t.Fatalf("approve with the count: %s", r.Body)
	}
	e.Bot.Wait()
	e.Submit(bottest.Admin2, av, map[string]string{"confirm": "22"})
	e.Bot.Wait()
	for _, id := range safe {
		if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 0 {
			t.Errorf("%s was not deleted", id)
		}
	}
	if n := crmtest.CountRows(t, e.Store, "contacts", ""); n != 4 {
		t.Errorf("%d contacts left, want the 3 kept and the real one", n)
	}
	if n := crmtest.CountRows(t, e.Store, "deletions", "batch_id = id"); n != 1 {
		t.Errorf("%d batches, want 1", n)
	}
	sum := batchSummaryOf(t, e, bottest.Support)
	if !strings.Contains(strings.Join(sum.lines, "\n"), "Approved by <@"+bottest.Admin+">") {
		t.Errorf("requester's summary: %q", sum.lines)
	}
	batchSummaryOf(t, e, bottest.Admin) // the approver's progress DM ends with it
	var state string
	if err := e.Store.DB().Get(&state, e.Store.DB().Rebind(`SELECT state FROM approval_requests WHERE id = ?`), requestID); err != nil || state != string(crm.ApprovalApproved) {
		t.Errorf("request state %q, %v", state, err)
	}
}

// TestCleanupChangedSincePreview: a contact that starts to match after the
// window opened makes the submit show the new preview, deleting nothing;
// the new count then deletes the new batch.
func TestCleanupChangedSincePreview(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	cleanupFixture(t, e)
	v := openCleanup(t, e, bottest.Admin, cleanupFilter)
	crmtest.InsertFull(t, e.Store, crmtest.Contact{ID: "qa23", FirstName: "QA", LastName: "Tester 23", Email: "qa23@qa.example.com"}, safeTest)
	before := crmtest.Dump(t, e.Store)

	r := submitCleanup(e, bottest.Admin, v, "22", false)
	var upd struct {
		Action string     `json:"response_action"`
		View   slack.View `json:"view"`
	}
	if err := json.Unmarshal([]byte(r.Body), &upd); err != nil || upd.Action != "update" {
		t.Fatalf("stale submit: want the window updated, got %s", r.Body)
	}
	lines := viewLines(upd.View.Blocks.BlockSet)
	if want := "section: ⚠️ *These contacts changed since you opened this window* (22 to delete then, 23 now). Nothing was deleted. Check the list again and type the new count."; lines[0] != want {
		t.Errorf("banner %q, want %q", lines[0], want)
	}
	if lines[len(lines)-1] != "input: Type 23 to delete 23 contacts" {
		t.Errorf("the updated window asks %q", lines[len(lines)-1])
	}
	e.Bot.Wait()
	sameDump(t, "after a stale submit", before, crmtest.Dump(t, e.Store))

	upd.View.ID = v.ID
	if r := submitCleanup(e, bottest.Admin, upd.View, "23", false); strings.TrimSpace(r.Body) != "" {
		t.Fatalf("submit of the new preview: %s", r.Body)
	}
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "contacts", ""); n != 4 {
		t.Errorf("%d contacts left, want 4", n)
	}
}

// TestCleanupByDeleter: a deleter deletes a low-risk batch directly, each
// contact counted against DELETE_RATE_LIMIT; a batch past what is left of
// the hour's limit asks an admin.
func TestCleanupByDeleter(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	cleanupFixture(t, e)

	v := openCleanup(t, e, bottest.Deleter, "email:qa1*@qa.example.com") // qa10…qa19
	lines := viewLines(v.Blocks.BlockSet)
	if want := "context: ✅ You are a deleter and these contacts are low-risk: they are deleted when you confirm, each counting toward your hourly limit."; !slices.Contains(lines, want) {
		t.Errorf("deleter's window lacks %q:\n%s", want, strings.Join(lines, "\n"))
	}
	if r := submitCleanup(e, bottest.Deleter, v, "10", false); strings.TrimSpace(r.Body) != "" {
		t.Fatalf("deleter's submit: %s", r.Body)
	}
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "contacts", "id LIKE 'qa1%'"); n != 0 {
		t.Errorf("%d of qa10…qa19 left", n)
	}

	v = openCleanup(t, e, bottest.Deleter, "email:qa2*@qa.example.com") // qa20…qa22
	want := "section: 🔒 *Submitting asks an admin; nothing is deleted until one approves.* This batch counts as 3 deletes toward your hourly limit of 10, and you made about 10 in the last hour, so it needs an admin's approval. Your request goes to <#" + bottest.Approval + "> and you will hear the outcome."
	if lines := viewLines(v.Blocks.BlockSet); !slices.Contains(lines, want) {
		t.Errorf("deleter past the limit: window lacks %q:\n%s", want, strings.Join(lines, "\n"))
	}
}

// TestCleanupShownAsBatch: after a batch, its history lists each contact
// with what became of it; one contact restored alone comes back alone; the
// audit trail has one line for the batch and one per contact, each naming
// it; the Home tab and the digest count it as one batch.
func TestCleanupShownAsBatch(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	cleanupFixture(t, e)
	v := openCleanup(t, e, bottest.Admin, "email:qa1*@qa.example.com") // qa10…qa19
	if r := submitCleanup(e, bottest.Admin, v, "10", false); strings.TrimSpace(r.Body) != "" {
		t.Fatalf("submit: %s", r.Body)
	}
	e.Bot.Wait()
	batchID := batchSummaryOf(t, e, bottest.Admin).button
	var qa10 string
	if err := e.Store.DB().Get(&qa10, e.Store.DB().Rebind(`SELECT id FROM deletions WHERE contact_id = ?`), "qa10"); err != nil {
		t.Fatal(err)
	}

	// The audit trail: the batch's line and one per contact, all naming it.
	if n := crmtest.CountRows(t, e.Store, "audit_log", "batch_id = $1", batchID); n != 11 {
		t.Errorf("%d audit lines name the batch, want 11 (the batch and its 10 contacts)", n)
	}
	feed := strings.Join(func() []string {
		var out []string
		for _, c := range e.AuditPosts() {
			out = append(out, c.Params["text"])
		}
		return out
	}(), "\n")
	for _, want := range []string{"<@" + bottest.Admin + "> deleted clean-up batch `" + batchID + "` — reason: Test contact — ok",
		"<@" + bottest.Admin + "> deleted contact `qa10` deletion `" + qa10 + "` of batch `" + batchID + "` — reason: Test contact"} {
		if !strings.Contains(feed, want) {
			t.Errorf("audit feed lacks %q:\n%s", want, feed)
		}
	}

	// One contact restored alone.
	if r := e.Command(bottest.Admin, "restore "+qa10); !strings.Contains(body(t, r), "Restored *QA Tester 10*") {
		t.Errorf("restore one of the batch: %s", r.Body)
	}
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "contacts", "id = 'qa10'"); n != 1 {
		t.Error("qa10 not restored")
	}
	if n := crmtest.CountRows(t, e.Store, "contacts", "id LIKE 'qa1%'"); n != 1 {
		t.Errorf("%d of the batch are back, want qa10 alone", n)
	}

	// Its history: the batch and each contact.
	hist := body(t, e.Command(bottest.Admin, "history "+batchID))
	for _, want := range []string{"History of batch " + batchID, "*Batch:* 10 contacts matching `email:qa1*@qa.example.com`",
		"↩️ *QA Tester 10* `qa10`: restored (deletion `" + qa10 + "`)", "🗑️ *QA Tester 11* `qa11`: deleted (deletion `",
		"✅ Done: 10 of 10 deleted; 1 restored since."} {
		if !strings.Contains(hist, want) {
			t.Errorf("batch history lacks %q:\n%s", want, hist)
		}
	}

	// The Home tab lists the batch once.
	home := strings.Join(viewLines(e.OpenHome(bottest.Admin).Blocks.BlockSet), "\n")
	_, own, _ := strings.Cut(home, "header: Your deletions, last 30 days (1)")
	if n := strings.Count(own, "clean-up batch `"+batchID+"`"); n != 1 {
		t.Errorf("Home's own deletions show the batch %d times:\n%s", n, home)
	}
	if strings.Contains(own, "deletion `"+qa10+"`") {
		t.Errorf("Home lists the contacts of the batch one by one:\n%s", own)
	}
	if want := "section: <@" + bottest.Admin + "> deleted *10 contacts* without a second person "; !strings.Contains(home, want) {
		t.Errorf("Home's review of the batch lacks %q:\n%s", want, home)
	}

	// The audit export names the batch in its last column.
	var csv bytes.Buffer
	if _, err := bot.WriteAudit(t.Context(), e.Store, &csv, e.Clock.Now().Add(-time.Hour), bot.FormatCSV); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(csv.String(), ","+batchID+"\n"); n != 12 {
		t.Errorf("%d export rows end with the batch id, want 12 (the batch, its 10 contacts, qa10's restore):\n%s", n, csv.String())
	}

	// The rest of the batch, by its id.
	answer := body(t, e.Command(bottest.Admin, "restore "+strings.ToLower(batchID)))
	if want := "✅ Restored all 9 contacts of batch `" + batchID + "`: 81 rows put back with the same ids and values. (1 contact had been restored one by one before: left as it is.)"; !strings.Contains(answer, want) {
		t.Errorf("restore of the batch id: %s\nwant %s", answer, want)
	}
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "contacts", "id LIKE 'qa1%'"); n != 10 {
		t.Errorf("%d of the batch are back, want all 10", n)
	}

	// The digest counts it as a batch.
	m, err := bot.DigestMessage(t.Context(), e.Store, e.Clock.Now().Add(-time.Hour), e.Clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(viewLines(m.Blocks), "\n"); !strings.Contains(got, "Of them in clean-up batches: 10 contacts in 1 batch") {
		t.Errorf("digest:\n%s", got)
	}
}

// TestCleanupAdminIncludesKept: an admin ticks the kept contacts in; the
// window is redrawn with them and the new count, and the batch then takes
// all 25, the opted-out ones going to the suppression list.
func TestCleanupAdminIncludesKept(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	cleanupFixture(t, e)
	v := openCleanup(t, e, bottest.Admin, cleanupFilter)

	v.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{"include_risky": {"include_risky": {ActionID: "include_risky", Type: "checkboxes",
		SelectedOptions: []slack.OptionBlockObject{{Value: "include"}}}}}}
	if r := e.ClickInView(bottest.Admin, v, "include_risky", "include_risky", ""); r.Status != http.StatusOK {
		t.Fatalf("tick: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	nv := e.LastViewOf("views.update")
	lines := viewLines(nv.Blocks.BlockSet)
	if lines[0] != "section: *Filter:* `email:*@qa.example.com`\n*25 contacts match*; this batch deletes all of them." || lines[len(lines)-1] != "input: Type 25 to delete 25 contacts" {
		t.Errorf("redrawn window:\n%s", strings.Join(lines, "\n"))
	}
	if r := submitCleanup(e, bottest.Admin, nv, "25", true); strings.TrimSpace(r.Body) != "" {
		t.Fatalf("submit with the kept contacts: %s", r.Body)
	}
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "contacts", ""); n != 1 {
		t.Errorf("%d contacts left, want the real one alone", n)
	}
	if n := crmtest.CountRows(t, e.Store, "suppressions", ""); n != 2 {
		t.Errorf("%d suppression entries, want 2 (qr2 and qr3 opted out)", n)
	}
}

// TestCleanupSkipsAContactChangedMidBatch: a contact that gets a note while
// the batch runs (a trigger adds one to qa22 when qa01 goes, in the first
// transaction) is skipped, left whole, and named in the summary.
func TestCleanupSkipsAContactChangedMidBatch(t *testing.T) {
	t.Parallel()
	crmtest.RequirePostgres(t)
	e := bottest.New(t)
	cleanupFixture(t, e)
	e.Store.DB().MustExec(`CREATE FUNCTION late_note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
		IF OLD.contact_id = 'qa01' THEN INSERT INTO notes (id, contact_id, body, created_at) VALUES ('qa22_late', 'qa22', 'Called back', now()); END IF;
		RETURN OLD; END $$`)
	e.Store.DB().MustExec(`CREATE TRIGGER late_note BEFORE DELETE ON notes FOR EACH ROW EXECUTE FUNCTION late_note()`)

	v := openCleanup(t, e, bottest.Admin, cleanupFilter)
	if r := submitCleanup(e, bottest.Admin, v, "22", false); strings.TrimSpace(r.Body) != "" {
		t.Fatalf("submit: %s", r.Body)
	}
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "notes", "contact_id = 'qa22'"); n != 2 {
		t.Errorf("qa22 has %d notes, want its own and the late one (skipped, untouched)", n)
	}
	if n := crmtest.CountRows(t, e.Store, "contacts", "id LIKE 'qa%'"); n != 1 {
		t.Errorf("%d of the test contacts left, want qa22 alone", n)
	}
	sum := batchSummaryOf(t, e, bottest.Admin)
	got := strings.Join(sum.lines, "\n")
	for _, want := range []string{"header: Deleted 21 contacts", "*Skipped, not deleted (1): they changed since the preview.* Check them one by one.\n• *QA Tester 22* `qa22`: it changed since the preview"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}
