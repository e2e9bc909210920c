package bot_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// eraseApproveWindow is the window an Approve on an erasure opens, as a
// forged client could send it for any request id.
func eraseApproveWindow(requestID string) slack.View {
	return slack.View{CallbackID: "approval.erase.modal", PrivateMetadata: `{"r":"` + requestID + `"}`}
}

// approveErasure has each admin press Approve on the erasure request and
// the last one type ERASE in the window that opens.
func approveErasure(t *testing.T, e *bottest.Env, requestID string, admins ...string) {
	t.Helper()
	for _, admin := range admins {
		clickAndWait(t, e, admin, bot.ActionApprove, requestID)
	}
	v := e.LastView()
	if v.CallbackID != "approval.erase.modal" {
		t.Fatalf("the last Approve opened %q, not the window that confirms the erasure", v.CallbackID)
	}
	if r := e.Submit(admins[len(admins)-1], v, map[string]string{"confirm": "ERASE"}); r.Status != http.StatusOK || strings.Contains(r.Body, "Not erased") {
		t.Fatalf("ERASE: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
}

// TestErasureBySupportNeedsTwoAdmins: a deleter asks for an erasure; one
// admin's Approve is recorded as 1 of 2 and erases nothing, the message
// keeps its buttons; the same admin again, the requester and a forged
// window are refused; a second admin's Approve opens a window asking for
// ERASE, a wrong word there erases nothing, and ERASE erases once.
func TestErasureBySupportNeedsTwoAdmins(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	a := requestErasure(t, e, bottest.Deleter, id)
	post := approvalPost(t, e, a.ID)
	wantAll(t, "request", post.Text(), "Request `"+a.ID+"` · two different admins other than <@"+bottest.Deleter+"> must approve, the second by typing ERASE; one admin is enough to reject.")

	// The first admin's Approve: recorded, nothing erased, buttons kept.
	viewsBefore := len(e.Slack.Calls("views.open"))
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	if !contactExists(t, e, id) {
		t.Fatal("one admin's Approve erased the contact")
	}
	if n := len(e.Slack.Calls("views.open")); n != viewsBefore {
		t.Errorf("the first approval opened a window")
	}
	wantAll(t, "first approver's answer", lastResponse(t, e),
		"✅ Your approval is recorded: 1 of 2 admins approved (<@"+bottest.Admin+">). Nothing is erased until a second, different admin approves it and types ERASE.")
	got := state(t, e, a.ID)
	if got.State != crm.ApprovalPending || got.FirstApprovedBy != bottest.Admin || got.ApprovalsNeeded != 2 {
		t.Fatalf("request after one approval: %s, first %q, needs %d", got.State, got.FirstApprovedBy, got.ApprovalsNeeded)
	}
	updates := updatesOf(e, got.MessageTS)
	if len(updates) != 1 {
		t.Fatalf("%d updates of the approvals message, want 1", len(updates))
	}
	up := updates[0].Text()
	wantAll(t, "approvals message after one approval", up, "✅ 1 of 2 admins approved (<@"+bottest.Admin+">). A second, different admin approves to erase it.",
		"*Erasing removes, with no archive:*")
	wantAll(t, "buttons kept", updates[0].Params["blocks"], `"action_id":"`+bot.ActionApprove+`"`, `"action_id":"`+bot.ActionReject+`"`)
	const firstLine = "<@" + bottest.Admin + "> gave the first of two approvals to the erasure of contact `"
	if auditRows(t, e, crm.AuditFirstApproval) != 1 || auditPostsSaying(e, firstLine+id+"` request `"+a.ID+"` — reason: Privacy erasure request — waiting for a second admin (requested by <@"+bottest.Deleter+">)") != 1 {
		t.Errorf("the first approval is not in the audit trail: %v", e.AuditPosts())
	}
	wantAll(t, "history", body(t, e.Command(bottest.Admin2, "history "+id)), firstLine+id+"` request `"+a.ID+"`")

	// The same admin again, and the requester: refused, nothing opened.
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	wantAll(t, "same admin again", lastResponse(t, e), "You already approved this erasure: a second, different admin must approve it. Nothing was changed.")
	clickAndWait(t, e, bottest.Deleter, bot.ActionApprove, a.ID)
	wantAll(t, "requester", lastResponse(t, e), "You asked for this erasure, so you cannot decide on it: another admin must approve or reject it. Nothing was changed.")
	if n := len(e.Slack.Calls("views.open")); n != viewsBefore {
		t.Errorf("a refused Approve opened a window")
	}
	// A forged confirming window from the first approver, with ERASE.
	r := e.Submit(bottest.Admin, eraseApproveWindow(a.ID), map[string]string{"confirm": "ERASE"})
	e.Bot.Wait()
	wantAll(t, "forged window of the first approver", readable(t, r).Body, "You already approved this erasure: a second, different admin must approve it. Nothing was changed.")
	if !contactExists(t, e, id) || state(t, e, a.ID).State != crm.ApprovalPending {
		t.Fatal("the first approver erased alone through a forged window")
	}

	// The second admin: the window asks for ERASE.
	clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, a.ID)
	if !contactExists(t, e, id) {
		t.Fatal("the second Approve erased before ERASE was typed")
	}
	v := e.LastView()
	if v.CallbackID != bot.CallbackEraseApproveModal || v.Title.Text != "Approve erasure" || v.Submit.Text != "Erase" {
		t.Fatalf("the second Approve opened %q %q %+v", v.CallbackID, v.Title.Text, v.Submit)
	}
	wantAll(t, "confirming window", viewText(t, v),
		"<@"+bottest.Deleter+"> asks to *erase* *Jane Doe* · jane@example.com · `"+id+"` (privacy erasure). *This cannot be restored.*",
		"<@"+bottest.Admin+"> approved it first: yours is the second approval, and it erases the contact.",
		"Type ERASE to confirm", "In capital letters. DELETE does not confirm an erasure.")
	for typed, want := range map[string]string{
		"":       "Type ERASE in capital letters to confirm. Nothing was erased.",
		"erase":  "Type ERASE in capital letters to confirm. Nothing was erased.",
		"DELETE": "DELETE does not confirm a privacy erasure: type ERASE in capital letters. Nothing was erased.",
	} {
		r := e.Submit(bottest.Admin2, v, map[string]string{"confirm": typed})
		e.Bot.Wait()
		if errs := submitErrors(t, r); errs["confirm"] != want {
			t.Errorf("%q typed: %s", typed, r.Body)
		}
	}
	if !contactExists(t, e, id) {
		t.Fatal("a wrong word erased")
	}
	r = e.Submit(bottest.Admin2, v, map[string]string{"confirm": "ERASE"})
	e.Bot.Wait()
	if r.Status != http.StatusOK || strings.Contains(r.Body, "Not erased") {
		t.Fatalf("ERASE: %s", r.Body)
	}
	if contactExists(t, e, id) {
		t.Fatal("ERASE by the second admin did not erase")
	}
	got = state(t, e, a.ID)
	if got.State != crm.ApprovalApproved || got.DecidedBy != bottest.Admin2 {
		t.Fatalf("request after ERASE: %s by %s", got.State, got.DecidedBy)
	}
	wantAll(t, "approvals message after", updatesOf(e, got.MessageTS)[len(updatesOf(e, got.MessageTS))-1].Text(),
		"✅ *Approved* by <@"+bottest.Admin+"> and <@"+bottest.Admin2+"> ")
	// Submitting the window again erases nothing more.
	r = e.Submit(bottest.Admin2, v, map[string]string{"confirm": "ERASE"})
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "deletions", "contact_id = $1", id); n != 1 {
		t.Errorf("%d erasures, want 1", n)
	}
	wantAll(t, "second submit", readable(t, r).Body, "Not erased")
}

// TestErasureByAdminConfirmedWithErase: an admin's erasure needs one other
// admin, whose Approve opens the window asking for ERASE: the click alone
// erases nothing.
func TestErasureByAdminConfirmedWithErase(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	a := requestErasure(t, e, bottest.Admin, id)
	if a.ApprovalsNeeded != 1 {
		t.Fatalf("an admin's erasure needs %d approvals, want 1", a.ApprovalsNeeded)
	}
	clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, a.ID)
	if !contactExists(t, e, id) {
		t.Fatal("an Approve click erased without ERASE typed")
	}
	v := e.LastView()
	if v.CallbackID != bot.CallbackEraseApproveModal {
		t.Fatalf("Approve opened %q", v.CallbackID)
	}
	if strings.Contains(viewText(t, v), "approved it first") {
		t.Error("the window speaks of a first approval nobody gave")
	}
	r := e.Submit(bottest.Admin2, v, map[string]string{"confirm": "ERASE"})
	e.Bot.Wait()
	if r.Status != http.StatusOK || contactExists(t, e, id) {
		t.Fatalf("ERASE did not erase: %s", r.Body)
	}
	if got := state(t, e, a.ID); got.State != crm.ApprovalApproved || got.DecidedBy != bottest.Admin2 || got.FirstApprovedBy != "" {
		t.Errorf("request after ERASE: %+v", got)
	}
}

// TestErasureApprovalForgedValues: a confirming window or an "approve
// anyway" button naming another request (a delete, an erasure nobody
// approved yet) erases and deletes nothing.
func TestErasureApprovalForgedValues(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	erasee := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	deletee := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Tom", LastName: "Roe", Email: "tom@example.com"}, crmtest.SmallLowRisk)
	er := requestErasure(t, e, bottest.Deleter, erasee)
	del := requestDelete(t, e, bottest.Support, deletee)

	// A window naming an erasure with no first approval, by an admin.
	r := e.Submit(bottest.Admin2, eraseApproveWindow(er.ID), map[string]string{"confirm": "ERASE"})
	e.Bot.Wait()
	wantAll(t, "no first approval", readable(t, r).Body, "This erasure needs two admins' approvals and has none yet: press Approve on the request first. Nothing was erased.")
	// A window naming a delete request.
	r = e.Submit(bottest.Admin2, eraseApproveWindow(del.ID), map[string]string{"confirm": "ERASE"})
	e.Bot.Wait()
	wantAll(t, "a delete's id", readable(t, r).Body, "This window confirms privacy erasures only, and that request is not one. Nothing was done.")
	// Windows naming no request, or a malformed one.
	for _, meta := range []string{`{"r":"RNOTAREQUEST"}`, `{"r":"R2222222222"}`, `not json`} {
		r = e.Submit(bottest.Admin2, slack.View{CallbackID: bot.CallbackEraseApproveModal, PrivateMetadata: meta}, map[string]string{"confirm": "ERASE"})
		if !strings.Contains(r.Body, "Not erased") {
			t.Errorf("window with %s: %s", meta, r.Body)
		}
	}
	// "Approve as it is now" with the erasure's id: the first approval, not an erasure.
	clickAndWait(t, e, bottest.Admin, bot.ActionApproveAnyway, er.ID+":whatever")
	e.Bot.Wait()
	if !contactExists(t, e, erasee) || !contactExists(t, e, deletee) {
		t.Fatal("a forged value erased or deleted")
	}
	if got := state(t, e, er.ID); got.State != crm.ApprovalPending || got.FirstApprovedBy != bottest.Admin {
		t.Errorf("erasure after an \"anyway\" click: %s, first %q", got.State, got.FirstApprovedBy)
	}
	if got := state(t, e, del.ID); got.State != crm.ApprovalPending {
		t.Errorf("the delete request was decided: %s", got.State)
	}
	// The completing window with a key the server never writes, or a state
	// of no shape: unreadable, nothing erased.
	for _, meta := range []string{`{"r":"` + er.ID + `","admin":true}`, `{"r":"` + er.ID + `","f":"forged"}`} {
		r = e.Submit(bottest.Admin2, slack.View{CallbackID: bot.CallbackEraseApproveModal, PrivateMetadata: meta}, map[string]string{"confirm": "ERASE"})
		e.Bot.Wait()
		wantAll(t, "window with "+meta, readable(t, r).Body, "This window could not be read, so nothing was erased. Close it and press *Approve* on the request again.")
		if !contactExists(t, e, erasee) {
			t.Fatalf("the window with %s erased the contact", meta)
		}
	}
	// Reject still works after one approval.
	e.Click(bottest.Admin2, bot.ActionReject, er.ID)
	e.Submit(bottest.Admin2, e.LastView(), map[string]string{"reject_reason": "no written request"})
	e.Bot.Wait()
	if got := state(t, e, er.ID); got.State != crm.ApprovalRejected || !contactExists(t, e, erasee) {
		t.Errorf("reject after one approval: %s", got.State)
	}
}

// viewText is a window's blocks as Slack received them, JSON escapes undone.
func viewText(t *testing.T, v slack.View) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return text(bottest.Response{Body: string(b)})
}

// TestErasureRequestSentNamesItsApprovers: the window that answers an
// erasure request says whose approval it waits for: two different admins'
// when someone other than an admin asked, another admin's when an admin
// did, and an admin's for a delete.
func TestErasureRequestSentNamesItsApprovers(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	sent := func(user, reason, confirm, id string) (string, crm.Approval) {
		t.Helper()
		e.Click(user, bot.ActionDelete, id)
		r := e.Submit(user, e.LastView(), map[string]string{"reason": reason, "note": "ticket 4711", "confirm": confirm})
		if reason == "erasure" {
			r = e.Submit(user, updatedView(t, r), map[string]string{"confirm": "ERASE"})
		}
		e.Bot.Wait()
		lines := viewLines(updatedView(t, r).Blocks.BlockSet)
		var a crm.Approval
		if err := e.Store.DB().Get(&a.ID, `SELECT id FROM approval_requests WHERE contact_id = $1`, id); err != nil {
			t.Fatalf("no request for %s: %v (%q)", id, err, lines)
		}
		a = state(t, e, a.ID)
		if len(lines) != 1 {
			t.Fatalf("window %q, want one section", lines)
		}
		return lines[0], a
	}
	jane := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	got, a := sent(bottest.Deleter, "erasure", "", jane)
	want := "section: *Nothing is erased yet.* A privacy erasure cannot be restored, so it needs the approvals of two different admins, the second confirmed by typing ERASE.\n\n" +
		"Your request to erase *Jane Doe* · jane@example.com · `" + jane + "` (privacy erasure) is in <#" + bottest.Approval + "> for two different admins' approval (request `" + a.ID + "`). " +
		"You will get a DM with the outcome; if nobody decides, it expires " + date(a.ExpiresAt) + ". Changed your mind? Withdraw it from the DM or from `/contact deletions`."
	if got != want {
		t.Errorf("a deleter's erasure request:\n got %q\nwant %q", got, want)
	}

	john := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "John", LastName: "Roe", Email: "john@example.com"}, crmtest.SmallLowRisk)
	got, a = sent(bottest.Admin, "erasure", "", john)
	want = "section: *Nothing is erased yet.* A privacy erasure cannot be restored, so even an admin's needs another admin's approval, confirmed by typing ERASE.\n\n" +
		"Your request to erase *John Roe* · john@example.com · `" + john + "` (privacy erasure) is in <#" + bottest.Approval + "> for another admin's approval (request `" + a.ID + "`). " +
		"You will get a DM with the outcome; if nobody decides, it expires " + date(a.ExpiresAt) + ". Changed your mind? Withdraw it from the DM or from `/contact deletions`."
	if got != want {
		t.Errorf("an admin's erasure request:\n got %q\nwant %q", got, want)
	}

	ann := lowRisk(t, e, "Ann")
	got, a = sent(bottest.Support, "duplicate", "DELETE", ann)
	if !strings.Contains(got, "is in <#"+bottest.Approval+"> for an admin's approval (request `"+a.ID+"`). ") {
		t.Errorf("a delete request: %q", got)
	}
}

// TestErasureWaitsForWhoItNeeds: while an erasure a deleter asked for
// waits, the requester's DM, the Home tab and a second request for the
// same contact say it waits for two admins, and for a second admin once
// one approved; an admin's erasure waits for another admin.
func TestErasureWaitsForWhoItNeeds(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	a := requestErasure(t, e, bottest.Deleter, id)
	dms := dmsTo(e, bottest.Deleter)
	wantAll(t, "the requester's DM", dms[len(dms)-1],
		"📨 Your request to erase contact `"+id+"` (privacy erasure) is waiting for two admins in <#"+bottest.Approval+"> (request `"+a.ID+"`).")
	askAgain := func() string {
		t.Helper()
		e.Click(bottest.Support, bot.ActionDelete, id)
		v := updatedView(t, e.Submit(bottest.Support, e.LastView(), map[string]string{"reason": "erasure"}))
		return readable(t, e.Submit(bottest.Support, v, map[string]string{"confirm": "ERASE"})).Body
	}
	wantAll(t, "asked again", askAgain(), "(request `"+a.ID+"`). It waits for two admins in <#"+bottest.Approval+">, until ")
	wantAll(t, "the requester's Home tab", viewText(t, e.OpenHome(bottest.Deleter)), "waiting for two admins in <#"+bottest.Approval+">")

	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	wantAll(t, "asked again after one approval", askAgain(), "(request `"+a.ID+"`). It waits for a second admin in <#"+bottest.Approval+">, until ")
	wantAll(t, "the Home tab after one approval", viewText(t, e.OpenHome(bottest.Deleter)), "waiting for a second admin in <#"+bottest.Approval+">")

	other := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Joe", LastName: "Doe", Email: "joe@example.com"}, crmtest.SmallLowRisk)
	b := requestErasure(t, e, bottest.Admin, other)
	dms = dmsTo(e, bottest.Admin)
	wantAll(t, "an admin's DM", dms[len(dms)-1], "is waiting for another admin in <#"+bottest.Approval+"> (request `"+b.ID+"`).")
}
