package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// mergePair writes an original (no phone, no company, low risk) and a
// duplicate sharing its email, with a phone, a company, DND (sms active,
// email permanent) and rows in every linked table. They have as many linked
// items; the original is a day older, so the window offers to keep it.
func mergePair(t *testing.T, e *bottest.Env) (orig, dup string) {
	t.Helper()
	orig = crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	e.Store.DB().MustExec(`UPDATE contacts SET company_name = NULL, created_at = $2 WHERE id = $1`, orig, crmtest.ContactCreatedAt.Add(-24*time.Hour))
	dup = crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "JANE@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
	e.Store.DB().MustExec(`UPDATE contacts SET company_name = 'Doe & Sons' WHERE id = $1`, dup)
	return orig, dup
}

// submitErrors decodes a response_action "errors" answer; nil for any other.
func submitErrors(t *testing.T, r bottest.Response) map[string]string {
	t.Helper()
	var resp struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if json.Unmarshal([]byte(r.Body), &resp) != nil || resp.Action != "errors" {
		return nil
	}
	return resp.Errors
}

// TestMergeFlow goes through the HTTP routes as an admin: the Merge… button
// on a search result, the Merge duplicate window, a wrong confirmation, the
// merge, its summary, a report of it as wrong, and the restore that puts
// both contacts back row for row.
func TestMergeFlow(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	orig, dup := mergePair(t, e)
	before := crmtest.Dump(t, e.Store)

	// Both results carry Merge…: each is the duplicate when its button is pressed.
	found := body(t, e.Command(bottest.Admin, "jane@example.com"))
	if n := strings.Count(found, `"action_id":"`+bot.ActionMerge+`"`); n != 2 {
		t.Errorf("%d Merge… buttons on the two duplicates, want 2:\n%s", n, found)
	}

	if r := e.Click(bottest.Admin, bot.ActionMerge, dup); r.Status != http.StatusOK {
		t.Fatalf("click Merge…: %d %s", r.Status, r.Body)
	}
	open, _ := e.Slack.Last("views.open")
	view := e.LastView()
	if view.CallbackID != bot.CallbackMergeModal || view.Title.Text != "Merge duplicate" || view.Submit.Text != "Merge" {
		t.Fatalf("window = %s %q %+v", view.CallbackID, view.Title.Text, view.Submit)
	}
	wantAll(t, "merge window", open.Text(),
		"*This contact goes:* *Jane Doe* · JANE@example.com · +1 (555) 010-2233 · `"+dup+"`\nDND: *on for Email (STOP, permanent), SMS*",
		"*It merges into the contact that stays:* *Jane Doe* · jane@example.com · `"+orig+"`\nDND: off",
		"*Fills in:* phone +1 (555) 010-2233, company Doe &amp; Sons\n*DND it takes from this contact:* SMS on, Email on (STOP reply, permanent)",
		"*Moves to the contact that stays:*\n💬 2 conversations (6 messages)\n📝 2 notes\n💼 2 opportunities (1 open)\n✅ 3 tasks (2 open)\n📅 2 appointments (1 upcoming)\n⚙️ 2 workflow enrollments (1 active)",
		"✅ You are an admin: the contact is merged when you confirm.",
		"Type MERGE to confirm",
	)

	// "merge" in lower case: an inline error on that field, nothing changed.
	r := e.Submit(bottest.Admin, view, map[string]string{"note": "imported twice", "confirm": "merge"})
	if errs := submitErrors(t, r); errs["confirm"] != "Type MERGE in capital letters to confirm. Nothing was merged." || len(errs) != 1 {
		t.Fatalf("lower-case merge: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	sameDump(t, "after a wrong confirmation", before, crmtest.Dump(t, e.Store))

	r = e.Submit(bottest.Admin, view, map[string]string{"note": "imported twice", "confirm": " MERGE "})
	if r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "" {
		t.Fatalf("MERGE submit: want an empty 200 that closes the window, got %d %q", r.Status, r.Body)
	}
	e.Bot.Wait()
	var d crm.Deletion
	if err := e.Store.DB().Get(&d, `SELECT * FROM deletions WHERE contact_id = $1`, dup); err != nil || d.Kind != crm.KindMerge {
		t.Fatalf("merge record: %+v, %v", d, err)
	}
	if contactExists(t, e, dup) || crmtest.CountRows(t, e.Store, "notes", "contact_id = $1", orig) != 4 || crmtest.CountRows(t, e.Store, "conversations", "contact_id = $1", orig) != 4 {
		t.Error("the duplicate's rows did not all move onto the original")
	}
	summary := dmsTo(e, bottest.Admin)
	if len(summary) != 1 {
		t.Fatalf("%d DMs to the admin, want the summary", len(summary))
	}
	wantAll(t, "merge summary", summary[0],
		"Merged Jane Doe into Jane Doe",
		"*Gone:* *Jane Doe* · JANE@example.com · +1 (555) 010-2233 · `"+dup+"`\n"+
			"*Stays:* *Jane Doe* · jane@example.com · +1 (555) 010-2233 · `"+orig+"`\n"+
			"*Moved:* 2 conversations (6 messages), 2 notes, 2 opportunities, 3 tasks, 2 appointments, 2 workflow enrollments\n"+
			"*Filled in:* phone, company\n"+
			"*DND taken from the duplicate:* SMS on, Email on (STOP reply, permanent)\n"+
			"Reason: Duplicate created by mistake — imported twice\n"+
			fmt.Sprintf("Deletion id `%s` · restorable until <!date^%d^{date_short_pretty} {time}|%s>", d.ID, d.RestoreUntil.Unix(), d.RestoreUntil.UTC().Format("2006-01-02 15:04 UTC")),
		"Merged the wrong contacts? Report it now: an admin can put both back, row for row, until the deadline.",
		"Report wrong merge",
	)
	if auditPostsSaying(e, "merged contact `"+dup+"`", "merged into "+orig+": moved 2 conversations, 6 messages") != 1 {
		t.Errorf("no audit post of the merge: %v", e.AuditPosts())
	}

	// Reported as wrong: the incident says it was a merge, and into what.
	e.Report(bottest.Support, d.ID, "they are two people")
	incidents := posts(e, bottest.Incident)
	if len(incidents) != 1 {
		t.Fatalf("%d incident messages, want 1", len(incidents))
	}
	wantAll(t, "incident", incidents[0].Text(), "Wrong merge reported: Jane Doe",
		"*Contact:* *Jane Doe* · JANE@example.com · +1 (555) 010-2233 · `"+dup+"`\n*Merged into* *Jane Doe* (`"+orig+"`)\n*Merged by* <@"+bottest.Admin+">",
		"Restore puts the duplicate back and moves every row the merge moved back to it")

	// Restored by an admin: both contacts as they were, row for row.
	clickAndWait(t, e, bottest.Admin, bot.ActionRestore, d.ID)
	wantAll(t, "restore answer", lastAnswer(t, e),
		"✅ Merge undone: *Jane Doe* (`"+dup+"`) is back with its 23 rows, moved back from *Jane Doe* (`"+orig+"`), whose fields and DND are as before the merge.\n"+
			"*Back with the duplicate:* 1 contact, 2 conversations, 6 messages, 2 notes, 2 opportunities, 3 tasks, 2 appointments, 2 workflow enrollments, 3 DND settings (23 rows)")
	// The incident, updated in place, still says what the reporter said was wrong.
	inc, _, err := e.Store.Incident(context.Background(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	update, _ := e.Slack.Last("chat.update")
	wantAll(t, "restored incident", update.Text(), "✅ *Merge undone* by <@"+bottest.Admin+">",
		"\nReported by <@"+bottest.Support+"> "+date(inc.ReportedAt)+". *What was wrong:* they are two people")
	sameDump(t, "after merge and restore", before, crmtest.Dump(t, e.Store))
}

// TestMergeNeedsApproval: support staff's merge becomes a request that
// another admin approves; the requester hears the outcome.
func TestMergeNeedsApproval(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	orig, dup := mergePair(t, e)
	e.Click(bottest.Support, bot.ActionMerge, dup)
	view := e.LastView()
	open, _ := e.Slack.Last("views.open")
	if view.Submit.Text != "Request approval" {
		t.Fatalf("support's merge window submits %q", view.Submit.Text)
	}
	wantAll(t, "merge window", open.Text(), "🔒 *Submitting asks an admin; nothing is merged until one approves.* Deleting contacts needs an admin's approval: you are not an admin or a deleter.")
	r := e.Submit(bottest.Support, view, map[string]string{"confirm": "MERGE"})
	e.Bot.Wait()
	var a crm.Approval
	list, _ := e.Store.ApprovalsBy(context.Background(), bottest.Support, 10)
	if len(list) != 1 || list[0].Kind() != crm.KindMerge || list[0].Summary.MergeInto != orig {
		t.Fatalf("requests = %+v", list)
	}
	a = list[0]
	wantAll(t, "request sent", readable(t, r).Body, "*Nothing is merged yet.* Deleting contacts needs an admin's approval",
		"Your request to merge *Jane Doe* · JANE@example.com · +1 (555) 010-2233 · `"+dup+"` into *Jane Doe* · jane@example.com · `"+orig+"` is in <#"+bottest.Approval+">")
	post := approvalPost(t, e, a.ID)
	wantAll(t, "approval message", post.Text(), "Merge request: Jane Doe",
		"<@"+bottest.Support+"> asks to merge the duplicate *Jane Doe* · JANE@example.com · +1 (555) 010-2233 · `"+dup+"` into *Jane Doe* · jane@example.com · `"+orig+"`, the contact that stays\n*Reason:* Duplicate created by mistake",
		"*Moves to the contact that stays:*\n💬 2 conversations (6 messages)")
	if !contactExists(t, e, dup) {
		t.Fatal("a request merged before any approval")
	}
	// Half-way to expiry the admins are reminded, in its thread, of a merge.
	e.Clock.Advance(a.ExpiresAt.Sub(a.CreatedAt)/2 + time.Second)
	if err := e.Bot.RunApprovalJobs(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.Bot.Wait()
	_, replies := postsIn(e, bottest.Approval)
	reminder := fmt.Sprintf("⏰ Admins: <@%s>'s request to merge *Jane Doe* (`%s`) into `%s` is still waiting and expires %s. Approve or reject it above.",
		bottest.Support, dup, orig, date(a.ExpiresAt))
	if len(replies) != 1 || replies[0] != reminder {
		t.Errorf("reminders %q, want %q", replies, reminder)
	}
	// The requester cannot approve it.
	clickAndWait(t, e, bottest.Support, bot.ActionApprove, a.ID)
	wantAll(t, "own approve", lastResponse(t, e), "You asked for this merge, so you cannot decide on it: another admin must approve or reject it. Nothing was changed.")
	clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, a.ID)
	if contactExists(t, e, dup) || state(t, e, a.ID).State != crm.ApprovalApproved {
		t.Fatal("the approved merge did not happen")
	}
	got := state(t, e, a.ID)
	updates := updatesOf(e, got.MessageTS)
	if len(updates) != 1 {
		t.Fatalf("%d updates of the approval message, want 1", len(updates))
	}
	wantAll(t, "approval message after", updates[0].Text(), fmt.Sprintf("✅ *Approved* by <@%s> <!date^%d^{date_short_pretty} {time}|%s>: merged (deletion `%s`).",
		bottest.Admin2, got.DecidedAt.Unix(), got.DecidedAt.UTC().Format("2006-01-02 15:04 UTC"), got.DeletionID))
	dms := dmsTo(e, bottest.Support)
	wantAll(t, "requester's DM", dms[len(dms)-1], "Merged Jane Doe into Jane Doe", "Approved by <@"+bottest.Admin2+">")
}

// TestDeleteWindowDuplicateReasonMerges: "Duplicate created by mistake" in
// the delete window of a contact that has a duplicate turns the window into
// the Merge duplicate window; nothing is deleted.
func TestDeleteWindowDuplicateReasonMerges(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	orig, dup := mergePair(t, e)
	before := crmtest.Dump(t, e.Store)
	e.Click(bottest.Admin, bot.ActionDelete, dup)
	r := e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "duplicate", "confirm": "DELETE"})
	v := updatedView(t, r)
	if v.CallbackID != bot.CallbackMergeModal {
		t.Fatalf("the window became %q, want the merge window", v.CallbackID)
	}
	wantAll(t, "switched window", readable(t, r).Body,
		"*Nothing was deleted.* A duplicate is merged rather than deleted: its conversations, notes and deals move to the contact that stays, and a merge can be restored like a delete.",
		"*It merges into the contact that stays:* *Jane Doe* · jane@example.com · `"+orig+"`")
	e.Bot.Wait()
	sameDump(t, "after the switch", before, crmtest.Dump(t, e.Store))

	// Several contacts to merge with: each way round with each is offered,
	// named with both contacts.
	third := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Janie", LastName: "Doe", Phone: "555 010 2233"})
	e.Click(bottest.Admin, bot.ActionMerge, dup)
	open, _ := e.Slack.Last("views.open")
	wantAll(t, "window with a choice", open.Text(), "Which contact stays?",
		"Keep Jane Doe ("+dup+"), merge Janie D… ("+third+")", "Keep Janie D… ("+third+"), merge Jane Doe ("+dup+")",
		"Keep Jane Doe ("+orig+"), merge Jane Doe ("+dup+")", "Keep Jane Doe ("+dup+"), merge Jane Doe ("+orig+")")
	// A choice the window does not show yet (its redraw was lost) is shown
	// first: nothing is merged until it is submitted as shown.
	r = e.Submit(bottest.Admin, e.LastView(), map[string]string{"original": bot.MergeChoice(third, dup), "confirm": "MERGE"})
	redrawn := updatedView(t, r)
	wantAll(t, "redrawn for the choice", readable(t, r).Body,
		"⚠️ *This window had not caught up with your choice.* Nothing was merged. Check which contact goes and which stays below, and submit again.",
		"*This contact goes:* *Jane Doe* · JANE@example.com · +1 (555) 010-2233 · `"+dup+"`",
		"*It merges into the contact that stays:* *Janie Doe* · 555 010 2233 · `"+third+"`")
	e.Bot.Wait()
	if !contactExists(t, e, dup) {
		t.Fatal("merged before the window showed the choice")
	}
	r = e.Submit(bottest.Admin, redrawn, map[string]string{"original": bot.MergeChoice(third, dup), "confirm": "MERGE"})
	e.Bot.Wait()
	if r.Status != http.StatusOK || contactExists(t, e, dup) || crmtest.CountRows(t, e.Store, "notes", "contact_id = $1", third) != 2 {
		t.Errorf("merge into the chosen contact: %d %s", r.Status, r.Body)
	}
}

// TestReasonSwitchesToMergeOrErasureAtOnce: in the delete window of a
// contact that has a duplicate, picking "Duplicate created by mistake"
// replaces the window with Merge duplicate straight away, and "Privacy
// erasure request" with the erasure window; nothing is deleted.
func TestReasonSwitchesToMergeOrErasureAtOnce(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	orig, dup := mergePair(t, e)
	before := crmtest.Dump(t, e.Store)
	// Each reason in a delete window of its own: the first switch makes its
	// window the merge window.
	pick := func(reason string) slack.View {
		t.Helper()
		v, _ := openModal(t, e, bottest.Admin, dup)
		cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Admin}, Team: slack.Team{ID: bottest.Team},
			View: v, ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{
				ActionID: "reason", BlockID: "reason", Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: reason}}}}}
		if r := e.Interact(cb); r.Status != http.StatusOK || r.Body != "" {
			t.Fatalf("pick %s: %d %q", reason, r.Status, r.Body)
		}
		e.Bot.Wait()
		call, ok := e.Slack.Last("views.update")
		if !ok || call.Params["view_id"] != v.ID {
			t.Fatalf("picking %s did not update its window: %v", reason, e.Slack.Calls("views.update"))
		}
		var got slack.View
		if err := json.Unmarshal([]byte(call.Params["view"]), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if v := pick("duplicate"); v.CallbackID != bot.CallbackMergeModal {
		t.Errorf("duplicate: the window became %q, want the merge window", v.CallbackID)
	}
	last, _ := e.Slack.Last("views.update")
	wantText(t, "merge window", blockTexts(last.Blocks()),
		"*Nothing was deleted.* A duplicate is merged rather than deleted: its conversations, notes and deals move to the contact that stays, and a merge can be restored like a delete.")
	wantText(t, "merge window", blockTexts(last.Blocks()), "*It merges into the contact that stays:* *Jane Doe* · jane@example.com · `"+orig+"`\nDND: off")
	if v := pick("erasure"); v.CallbackID != bot.CallbackEraseModal {
		t.Errorf("erasure: the window became %q, want the erasure window", v.CallbackID)
	}
	last, _ = e.Slack.Last("views.update")
	wantText(t, "erasure window", blockTexts(last.Blocks()),
		"*Nothing was deleted.* A privacy erasure is not a delete: it keeps no archive, so it has its own window, confirmed with ERASE.")
	e.Bot.Wait()
	sameDump(t, "after picking reasons", before, crmtest.Dump(t, e.Store))
}
