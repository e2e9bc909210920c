package bot_test

// What crm writes into audit lines, and the changes an approver is shown,
// read with labels (channels, statuses, workflow states) and money in its
// currency, never the codes the database keeps.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestAuditDetailsInWords: the audit lines of Set DND, its undo, Remove
// follow-up and its undo, exactly as the audit channel gets them.
func TestAuditDetailsInWords(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	// sms active, email permanent, call inactive; whatsapp, gmb, fb not set;
	// Nurture 1 running (_w1), Nurture 2 finished (_w2).
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	// A workflow whose name reads like contactbot's own "by U…": it stays
	// text in the undo's line, never a mention.
	e.Store.DB().MustExec(`INSERT INTO workflow_enrollments (id, contact_id, workflow_name, status, enrolled_at)
		VALUES ($1 || '_w3', $1, 'Handover by UEVIL42', 'active', '2025-07-01T00:00:00Z')`, id)

	e.Click(bottest.Support, bot.ActionSetDND, id)
	e.SubmitChecked(bottest.Support, e.LastView(), map[string][]string{"channels": crm.DNDChannels})
	e.Bot.Wait()
	rs := e.Slack.WaitResponses(1, wait)
	dndUndo := buttonValue(t, rs[len(rs)-1], bot.ActionUndo)
	clickAndWait(t, e, bottest.Support, bot.ActionUndo, dndUndo)

	e.Click(bottest.Support, bot.ActionRemoveFollowUp, id)
	e.SubmitChecked(bottest.Support, e.LastView(), map[string][]string{"enrollments": {id + "_w1", id + "_w3"}})
	e.Bot.Wait()
	rs = e.Slack.WaitResponses(len(rs)+2, wait)
	followUpUndo := buttonValue(t, rs[len(rs)-1], bot.ActionUndo)
	clickAndWait(t, e, bottest.Admin, bot.ActionUndo, followUpUndo)

	trail, err := e.Store.AuditTrail(t.Context(), id, "", 20)
	if err != nil {
		t.Fatal(err)
	}
	at := map[string][]crm.AuditEntry{}
	for _, x := range trail {
		at[x.Action] = append(at[x.Action], x)
	}
	if len(at[crm.AuditDNDSet]) != 1 || len(at[crm.AuditFollowUpRemoved]) != 1 || len(at[crm.AuditUndone]) != 2 {
		t.Fatalf("audit trail: %+v", trail)
	}
	s, a := bottest.Support, bottest.Admin
	wants := []string{
		fmt.Sprintf("%s <@%s> set DND on contact `%s` — reason: Unsubscribe / STOP / DND request — ok ("+
			"Calls: off → on, WhatsApp: not set → on, Google Business: not set → on, Facebook: not set → on, "+
			"SMS: already on, Email: already on (STOP reply, permanent); contact DND: off → on for all channels"+
			"; via button on a search result; undo %s)",
			date(at[crm.AuditDNDSet][0].At), s, id, dndUndo),
		fmt.Sprintf("%s <@%s> undid a change to contact `%s` — undid: Set DND — ok (undid Set DND %s by <@%s>: "+
			"Calls: on → off, WhatsApp: on → not set, Google Business: on → not set, Facebook: on → not set, "+
			"contact DND: on for all channels → off)",
			date(at[crm.AuditUndone][0].At), s, id, dndUndo, s),
		fmt.Sprintf("%s <@%s> removed follow-up from contact `%s` — reason: Only stop follow-up — ok ("+
			"stopped 2 workflows: Nurture 1 (%s_w1), Handover by UEVIL42 (%s_w3); via button on a search result; undo %s)",
			date(at[crm.AuditFollowUpRemoved][0].At), s, id, id, id, followUpUndo),
		fmt.Sprintf("%s <@%s> undid a change to contact `%s` — undid: Remove follow-up — ok (undid Remove follow-up %s by <@%s>: "+
			"Nurture 1 (%s_w1): stopped → running, Handover by UEVIL42 (%s_w3): stopped → running)",
			date(at[crm.AuditUndone][1].At), a, id, followUpUndo, s, id, id),
	}
	var feed []string
	for _, c := range e.AuditPosts() {
		feed = append(feed, c.Params["text"])
	}
	for _, want := range wants {
		if !slices.Contains(feed, want) {
			t.Errorf("audit feed lacks\n%q\nin:\n%s", want, strings.Join(feed, "\n"))
		}
	}
	// /contact history shows the same lines.
	history := readable(t, e.Command(bottest.Admin, "history jane@example.com")).Body
	for _, want := range wants {
		if !strings.Contains(history, want) {
			t.Errorf("history lacks\n%q\nin:\n%s", want, history)
		}
	}
}

// TestChangedSinceRequestInWords: an approver shown what changed since the
// request reads the open value in the contact's currency and DND channels
// by their labels, exactly.
func TestChangedSinceRequestInWords(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"CRM_CURRENCY": "EUR"}})
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	a := requestDelete(t, e, bottest.Support, id)
	e.Store.DB().MustExec(`INSERT INTO opportunities (id, contact_id, name, status, monetary_value, created_at) VALUES ('late_opp', $1, 'Big deal', 'open', 5000, $2)`, id, time.Now())
	e.Store.DB().MustExec(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES ($1, 'whatsapp', 'active'), ($1, 'gmb', 'inactive')`, id)

	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	rs := e.Slack.Responses()
	want := "⚠️ *Nothing was deleted: *Jane Doe* · jane@example.com · `" + id + "` changed since <@" + bottest.Support + "> asked.*\n" +
		"• opportunities 2 → 3\n" +
		"• DND settings 3 → 5\n" +
		"• open opportunities 1 → 2\n" +
		"• open opportunity value €1,234.56 → €6,234.56\n" +
		"• DND on for Email, SMS → on for Email, SMS, WhatsApp"
	wantText(t, "changed message", blockTexts(rs[len(rs)-1].Blocks()), want)
	if !contactExists(t, e, id) {
		t.Fatal("a changed contact was deleted")
	}

	// The contact-wide flag reads as all channels.
	e.Store.DB().MustExec(`UPDATE contacts SET dnd = true WHERE id = $1`, id)
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	rs = e.Slack.Responses()
	if text := rs[len(rs)-1].Text(); !strings.Contains(text, "• DND on for Email, SMS → on for all channels, Email, SMS, WhatsApp") {
		t.Errorf("changed message with the contact-wide flag:\n%s", text)
	}
}
