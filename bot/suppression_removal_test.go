package bot_test

import (
	"strings"
	"testing"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// suppressionEntries are the suppression list's entries, email first.
func suppressionEntries(t *testing.T, e *bottest.Env) []crm.Suppression {
	t.Helper()
	var list []crm.Suppression
	if err := e.Store.DB().Select(&list, `SELECT id, kind, hash, dnd, contact_dnd, source, deletion_id, contact_id, created_by, deleted_at FROM suppressions ORDER BY kind`); err != nil {
		t.Fatal(err)
	}
	return list
}

// TestErasedSuppressionEntryNeedsSecondAdmin: Remove on an entry a privacy
// erasure wrote files a removal request in the approvals channel and
// leaves the entry; the admin who asked cannot approve it, nor can
// support, nor does a forged id; a second admin's approval removes it,
// audited.
func TestErasedSuppressionEntryNeedsSecondAdmin(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	a := requestErasure(t, e, bottest.Admin2, id)
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	if r := e.Submit(bottest.Admin, e.LastView(), map[string]string{"confirm": "ERASE"}); r.Status != 200 {
		t.Fatalf("ERASE: %s", r.Body)
	}
	e.Bot.Wait()
	entries := suppressionEntries(t, e)
	if len(entries) != 1 || entries[0].Source != crm.SuppressionErased {
		t.Fatalf("suppression entries after the erasure: %+v", entries)
	}
	entry := entries[0]
	wantAll(t, "lookup", body(t, e.Command(bottest.Admin, "suppression jane@example.com")), "· privacy erasure ")

	clickAndWait(t, e, bottest.Admin, bot.ActionSuppressionRemove, entry.ID)
	if n := crmtest.CountRows(t, e.Store, "suppressions", "id = $1", entry.ID); n != 1 {
		t.Fatal("one admin's Remove took an erasure's entry off the list")
	}
	var reqID string
	if err := e.Store.DB().Get(&reqID, `SELECT id FROM suppression_removals WHERE suppression_id = $1`, entry.ID); err != nil {
		t.Fatal(err)
	}
	wantAll(t, "requester's answer", lastResponse(t, e),
		"📨 Suppression entry `"+entry.ID+"` came from a privacy erasure, so a second admin must approve its removal: your request `"+reqID+"` is in <#"+bottest.Approval+">. Nothing was removed yet.")
	post := approvalPost(t, e, reqID)
	wantAll(t, "removal request", post.Text(), "Suppression removal request",
		"<@"+bottest.Admin+"> asks to remove the email suppression entry `"+entry.ID+"` that a privacy erasure wrote (contact `"+id+"`, deletion `"+entry.DeletionID+"`). Once removed, a contact created later with this email can be messaged again: the erasure's promise ends for it.",
		"Removal request `"+reqID+"` · only an admin other than <@"+bottest.Admin+"> can approve it. Nothing is removed until then.")
	wantAll(t, "removal request's button", post.Params["blocks"], `"action_id":"`+bot.ActionSuppressionRemovalApprove+`"`, `"value":"`+reqID+`"`)
	if auditPostsSaying(e, "<@"+bottest.Admin+"> asked to remove a suppression entry of contact `"+id+"` deletion `"+entry.DeletionID+"` — waiting for a second admin") != 1 {
		t.Errorf("the removal request is not in the audit feed: %v", e.AuditPosts())
	}
	clickAndWait(t, e, bottest.Admin, bot.ActionSuppressionRemove, entry.ID)
	wantAll(t, "asking twice", lastResponse(t, e), "A removal of suppression entry `"+entry.ID+"` is already waiting for a second admin in <#"+bottest.Approval+"> (asked by <@"+bottest.Admin+">, request `"+reqID+"`). Nothing more to do.")

	// Refused: the admin who asked, support, forged ids.
	for _, c := range []struct{ user, value, want string }{
		{bottest.Admin, reqID, "You asked for this removal, so another admin must approve it. Nothing was removed."},
		{bottest.Support, reqID, "Only admins can approve removing a suppression entry, and you are not one. Nothing was removed."},
		{bottest.Admin2, entry.ID, "That button does not name a suppression removal request contactbot knows, so nothing was removed."},
		{bottest.Admin2, a.ID, "That button does not name a suppression removal request contactbot knows, so nothing was removed."},
		{bottest.Admin2, "Q2222222222", "There is no such suppression removal request."},
	} {
		clickAndWait(t, e, c.user, bot.ActionSuppressionRemovalApprove, c.value)
		wantAll(t, c.user+" approving "+c.value, lastResponse(t, e), c.want)
	}
	if n := crmtest.CountRows(t, e.Store, "suppressions", "id = $1", entry.ID); n != 1 {
		t.Fatal("a refused approval removed the entry")
	}

	// A second admin approves: removed, audited, the message says so.
	clickAndWait(t, e, bottest.Admin2, bot.ActionSuppressionRemovalApprove, reqID)
	wantAll(t, "approver's answer", lastResponse(t, e),
		"🗑️ Suppression entry `"+entry.ID+"` removed by <@"+bottest.Admin2+">, as <@"+bottest.Admin+"> asked: a contact created later with this email no longer gets its DND back.")
	if n := crmtest.CountRows(t, e.Store, "suppressions", "id = $1", entry.ID); n != 0 {
		t.Fatal("the approved removal left the entry")
	}
	if auditPostsSaying(e, "<@"+bottest.Admin2+"> removed a suppression entry of contact `"+id+"`", "removed; requested by <@"+bottest.Admin+">") != 1 {
		t.Errorf("the removal is not in the audit feed: %v", e.AuditPosts())
	}
	var updated []string
	for _, c := range e.Slack.Calls("chat.update") {
		if strings.Contains(c.Text(), reqID) {
			updated = append(updated, c.Text())
		}
	}
	if len(updated) != 1 || !strings.Contains(updated[0], "✅ *Approved* by <@"+bottest.Admin2+"> ") || strings.Contains(updated[0], "Approve removal") {
		t.Errorf("the removal request's message after approval: %q", updated)
	}
	clickAndWait(t, e, bottest.Admin2, bot.ActionSuppressionRemovalApprove, reqID)
	wantAll(t, "approving twice", lastResponse(t, e), "This removal request has already been decided. Nothing more to do.")
}

// TestSuppressionRemovalOpensReview: one admin may remove an entry no
// erasure wrote, and a review of it waits for another admin.
func TestSuppressionRemovalOpensReview(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	deleteByModal(t, e, bottest.Admin, id)
	entry := suppressionEntries(t, e)[0]
	clickAndWait(t, e, bottest.Admin2, bot.ActionSuppressionRemove, entry.ID)
	wantAll(t, "removal", lastResponse(t, e), "🗑️ Suppression entry `"+entry.ID+"` removed by <@"+bottest.Admin2+">: a contact created later with this email no longer gets its DND back. Contacts that already got it keep it. Another admin reviews this removal in <#"+bottest.Approval+">.")
	if n := crmtest.CountRows(t, e.Store, "suppressions", "id = $1", entry.ID); n != 0 {
		t.Fatal("the entry is still there")
	}
	var reviewID string
	if err := e.Store.DB().Get(&reviewID, `SELECT id FROM reviews WHERE kind = 'suppression_removal' AND entry_id = $1`, entry.ID); err != nil {
		t.Fatalf("no review of the removal: %v", err)
	}
	var post, blocks string
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == bottest.Approval && strings.Contains(c.Text(), reviewID) {
			post, blocks = c.Text(), c.Params["blocks"]
		}
	}
	wantAll(t, "review", post, "Needs review: suppression entry removal of Jane Doe",
		"<@"+bottest.Admin2+"> removed the email suppression entry `"+entry.ID+"` of *Jane Doe* (`"+id+"`) without a second person <!date^")
	wantAll(t, "review's button", blocks, `"action_id":"`+bot.ActionAcknowledge+`"`)
	clickAndWait(t, e, bottest.Admin2, bot.ActionAcknowledge, reviewID)
	wantAll(t, "own review", lastResponse(t, e), "You did this yourself, so another admin must acknowledge it. Nothing was changed.")
	clickAndWait(t, e, bottest.Admin, bot.ActionAcknowledge, reviewID)
	wantAll(t, "acknowledged", lastResponse(t, e), "✅ Acknowledged: <@"+bottest.Admin2+"> removed the email suppression entry `"+entry.ID+"`")
}
