package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestSuppressionThroughSlack: an opted-out contact is deleted; re-created
// by a plain INSERT it gets its DND back and the search says so on a line of
// its own; admins look the entry up by email or phone and remove it, audited.
func TestSuppressionThroughSlack(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
	deleteByModal(t, e, bottest.Admin, id)
	var d crm.Deletion
	if err := e.Store.DB().Get(&d, `SELECT * FROM deletions WHERE contact_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	day := fmt.Sprintf("<!date^%d^{date_short_pretty}|%s>", d.DeletedAt.Unix(), d.DeletedAt.UTC().Format("2006-01-02"))

	// Re-created by an import: DND back, and the search result says so.
	e.Store.DB().MustExec(`INSERT INTO contacts (id, location_id, first_name, last_name, email) VALUES ('reimported000000001', 'loc_main', 'Jane', 'Doe', 'jane@example.com')`)
	if got := dndOf(t, e, "reimported000000001"); got["sms"] != crm.DNDActive || got["email"] != crm.DNDPermanent {
		t.Fatalf("DND of the re-imported contact = %v", got)
	}
	// The trigger's audit line reaches the audit channel with the feed job.
	if n, err := e.Store.FeedReapplied(t.Context()); err != nil || n != 1 {
		t.Fatalf("FeedReapplied = %d, %v", n, err)
	}
	e.Bot.Wait()
	if auditPostsSaying(e, "contactbot re-applied a deleted contact's DND to contact `reimported000000001` deletion `"+d.ID+"` — ok (opted out before (deleted "+d.DeletedAt.UTC().Format("2006-01-02")+"): DND re-applied: SMS on, Email on (permanent); suppression ") != 1 {
		t.Errorf("no audit post of the re-apply: %v", e.AuditPosts())
	}
	found := body(t, e.Command(bottest.Support, "jane@example.com"))
	wantAll(t, "search result", found, `{"elements":[{"text":"⛔ opted out before (deleted `+day+`): DND re-applied","type":"mrkdwn"}],"type":"context"}`,
		"⚠️ This contact has opted out (DND). To stop messages, use *Set DND*, never Delete.")

	// Only admins look entries up.
	wantAll(t, "support's lookup", body(t, e.Command(bottest.Support, "suppression jane@example.com")),
		"Only admins can look at the suppression list. Ask an admin if a contact keeps getting its DND back.")
	var entries []crm.Suppression
	if err := e.Store.DB().Select(&entries, `SELECT id, kind, hash, dnd, contact_dnd, source, deletion_id, contact_id, created_by, deleted_at FROM suppressions ORDER BY kind`); err != nil || len(entries) != 2 {
		t.Fatalf("suppression entries: %+v, %v", entries, err)
	}
	email, phone := entries[0], entries[1]
	list := body(t, e.Command(bottest.Admin, "suppression JANE@example.com"))
	wantAll(t, "lookup by email", list, "1 suppression entry for “JANE@example.com”",
		"A contact created with this email gets this DND back at once, whatever creates it. The list keeps only keyed hashes, never the email itself.",
		"*Email entry* `"+email.ID+"` · deleted with DND "+day+" by <@"+bottest.Admin+"> (deletion `"+d.ID+"`)\\nRe-applies: SMS on, Email on (permanent)",
		`"action_id":"`+bot.ActionSuppressionRemove+`"`, `"value":"`+email.ID+`"`)
	wantAll(t, "lookup by phone", body(t, e.Command(bottest.Admin, "suppression 555-010-2233")),
		"*Phone entry* `"+phone.ID+"` · deleted with DND "+day)
	wantAll(t, "not an address", body(t, e.Command(bottest.Admin, "suppression jane doe")), `\"jane doe\" is not an email address or a phone number.`)

	// Removing: refused to support, done for an admin, audited.
	clickAndWait(t, e, bottest.Support, bot.ActionSuppressionRemove, email.ID)
	wantAll(t, "support's removal", lastResponse(t, e), "Only admins can remove suppression entries, so nothing was removed.")
	clickAndWait(t, e, bottest.Admin, bot.ActionSuppressionRemove, email.ID)
	wantAll(t, "removal", lastResponse(t, e), "🗑️ Suppression entry `"+email.ID+"` removed by <@"+bottest.Admin+">: a contact created later with this email no longer gets its DND back. Contacts that already got it keep it.")
	if auditRows(t, e, crm.AuditSuppressionRemoved) != 1 || auditPostsSaying(e, "<@"+bottest.Admin+"> removed a suppression entry of contact `"+id+"` deletion `"+d.ID+"` — ok (email entry "+email.ID+" (deleted; SMS on, Email on (permanent), deleted "+d.DeletedAt.UTC().Format("2006-01-02")+") removed)") != 1 {
		t.Errorf("the removal is not in the audit trail and feed: %v", e.AuditPosts())
	}
	wantAll(t, "lookup after", body(t, e.Command(bottest.Admin, "suppression jane@example.com")),
		"No suppression entry matches *jane@example.com*: a contact created with this email does not get DND re-applied.")
	clickAndWait(t, e, bottest.Admin, bot.ActionSuppressionRemove, email.ID)
	wantAll(t, "removing twice", lastResponse(t, e), "There is no suppression entry "+email.ID+": it was removed already.")
	if !strings.Contains(body(t, e.Command(bottest.Admin, "help")), "suppression` _email or phone_ (admins): the opt-outs of deleted contacts kept for it, and remove one") {
		t.Error("help does not list the suppression command")
	}
}
