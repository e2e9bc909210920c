package bot_test

// Every text as Slack renders it: people as mentions, labels not codes, the
// reason that switches the window at once, duplicates and currency in the
// delete window, what was wrong with a deletion, withdrawing a request, ids
// in any case.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// date is slackDate's mrkdwn for t.
func date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// blockTexts lists the mrkdwn and plain texts of blocks, one entry per text
// object (a context block's elements each), in order.
func blockTexts(blocks []map[string]any) []string {
	var out []string
	for _, b := range blocks {
		if t, ok := b["text"].(map[string]any); ok {
			out = append(out, t["text"].(string))
		}
		if els, ok := b["elements"].([]any); ok && b["type"] == "context" {
			for _, e := range els {
				out = append(out, e.(map[string]any)["text"].(string))
			}
		}
	}
	return out
}

// answerBlocks decodes the blocks of a command's JSON answer.
func answerBlocks(t *testing.T, r bottest.Response) []map[string]any {
	t.Helper()
	var m struct {
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, r.Body)
	}
	return m.Blocks
}

func wantText(t *testing.T, what string, texts []string, want string) {
	t.Helper()
	if !slices.Contains(texts, want) {
		t.Errorf("%s has no text\n%q\namong:\n%q", what, want, strings.Join(texts, "\n---\n"))
	}
}

// TestHelpRendersInSlack: the help has no <…> placeholders, which Slack would
// read as links and swallow.
func TestHelpRendersInSlack(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	texts := blockTexts(answerBlocks(t, e.Command(bottest.Support, "help")))
	if len(texts) != 1 {
		t.Fatalf("help = %q", texts)
	}
	help := texts[0]
	if strings.ContainsAny(help, "<>") {
		t.Errorf("help contains < or >, which Slack reads as markup:\n%s", help)
	}
	for _, line := range []string{
		"• `/contact` _name, email, phone or id_: find a contact and see what a delete would take\n",
		"• `/contact report` _deletion id, email or phone_: report a wrong deletion so an admin can restore it\n",
		"• `/contact restore` _deletion id_ (admins): put a deleted contact back whole\n",
		"• `/contact deletions`: approval requests waiting for you, and your own (`/contact deletions mine`: only your own); withdraw one of yours there\n",
	} {
		if !strings.Contains(help, line) {
			t.Errorf("help lacks %q:\n%s", line, help)
		}
	}
	for _, verb := range bot.Verbs[1:] {
		if verb != "find" && !strings.Contains(help, "`/contact "+verb) {
			t.Errorf("help does not mention %s", verb)
		}
	}
}

// TestReasonSwitchesWindowAtOnce: picking "Unsubscribe / STOP / DND" in the
// delete window (a select with dispatch_action) replaces the window with Set
// DND straight away, with views.update of that view; other reasons leave it.
func TestReasonSwitchesWindowAtOnce(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	view, open := openModal(t, e, bottest.Admin, id)
	dispatches := false
	for _, b := range open.Blocks() {
		dispatches = dispatches || b["block_id"] == "reason" && b["dispatch_action"] == true
	}
	if !dispatches {
		t.Errorf("the reason input does not dispatch its action:\n%s", open.Params["view"])
	}
	pick := func(reason string) {
		t.Helper()
		v := view
		cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Admin}, Team: slack.Team{ID: bottest.Team},
			View: v, ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{
				ActionID: "reason", BlockID: "reason", Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: reason}}}}}
		if r := e.Interact(cb); r.Status != http.StatusOK || r.Body != "" {
			t.Fatalf("pick %s: %d %q", reason, r.Status, r.Body)
		}
		e.Bot.Wait()
	}
	pick("duplicate")
	if n := len(e.Slack.Calls("views.update")); n != 0 {
		t.Fatalf("an ordinary reason changed the window (%d views.update)", n)
	}
	pick("unsubscribe")
	updates := e.Slack.Calls("views.update")
	if len(updates) != 1 || updates[0].Params["view_id"] != view.ID {
		t.Fatalf("views.update calls: %v", updates)
	}
	v := updates[0].View()
	if v["callback_id"] != bot.CallbackDNDModal {
		t.Errorf("the window became %v, want Set DND", v["callback_id"])
	}
	wantText(t, "Set DND window", blockTexts(updates[0].Blocks()),
		"*Nothing was deleted.* Deleting a contact is not the same as stopping follow-up. Do not use Delete to process an unsubscribe, STOP or DND: for a real unsubscribe, leave the contact in place and respect DND/opt-out. Use *Set DND* on the contact instead.")
	if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 1 {
		t.Error("picking a reason deleted")
	}
	if n := auditPostsSaying(e, "> was stopped from deleting contact `"+id+"` — reason: Unsubscribe / STOP / DND request — not deleted: Set DND offered"); n != 1 {
		t.Errorf("%d audit posts for the switch, want 1", n)
	}
}

// TestDeleteWindowDuplicatesAndCurrency: the delete window warns of a
// possible duplicate as the search result does, and opportunity values carry
// their location's currency (CRM_CURRENCY, LOCATION_CURRENCIES).
func TestDeleteWindowDuplicatesAndCurrency(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"CRM_CURRENCY": "EUR", "LOCATION_CURRENCIES": "loc_other=GBP"}})
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	twin := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "<Twin>", Email: "JANE@example.com"})

	find := answerBlocks(t, e.Command(bottest.Admin, "jane@example.com"))
	dup := "⚠️ Possible duplicate of Jane &lt;Twin&gt; (`" + twin + "`): same email jane@example.com."
	wantText(t, "search result", blockTexts(find), dup)
	money := "💼 1 open / 1 closed opportunities, €1,234.56 open: Deal 1 (€1,234.56)"
	if !strings.Contains(strings.Join(blockTexts(find), "\n"), money) {
		t.Errorf("search result lacks %q:\n%s", money, strings.Join(blockTexts(find), "\n"))
	}

	_, open := openModal(t, e, bottest.Admin, id)
	texts := blockTexts(open.Blocks())
	wantText(t, "delete window", texts, dup+" Check that you are deleting the right one.")
	if !strings.Contains(strings.Join(texts, "\n"), "\n"+money+"\n") {
		t.Errorf("delete window lacks %q:\n%s", money, strings.Join(texts, "\n"))
	}

	// Another location's currency.
	if _, err := e.Store.DB().Exec(`UPDATE contacts SET location_id = 'loc_other' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	_, open = openModal(t, e, bottest.Admin, id)
	if want := "£1,234.56 open: Deal 1 (£1,234.56)"; !strings.Contains(strings.Join(blockTexts(open.Blocks()), "\n"), want) {
		t.Errorf("delete window for loc_other lacks %q", want)
	}
}

// TestReportAsksWhatWasWrong: Report wrong deletion opens a small window;
// what the reporter writes there (escaped) is in the incident.
func TestReportAsksWhatWasWrong(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	del := deleteByModal(t, e, bottest.Deleter, id)

	e.Click(bottest.Support, bot.ActionReport, strings.ToLower(del)) // ids in any case
	open, _ := e.Slack.Last("views.open")
	v := e.LastView()
	if v.CallbackID != bot.CallbackReportModal || len(posts(e, bottest.Incident)) != 0 {
		t.Fatalf("Report did not ask first: window %q, %d incidents", v.CallbackID, len(posts(e, bottest.Incident)))
	}
	d, err := e.Store.Deletion(t.Context(), del)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, "report window", blockTexts(open.Blocks()), fmt.Sprintf(
		"Report the deletion of *Jane Doe* (deletion `%s`, deleted by <@%s> %s) as wrong? It is posted in <#%s>, where an admin can restore every row until %s.",
		del, bottest.Deleter, date(d.DeletedAt), bottest.Incident, date(d.RestoreUntil)))
	if !strings.Contains(open.Params["view"], `"label":{"type":"plain_text","text":"What was wrong?"`) || !strings.Contains(open.Params["view"], `"optional":true`) {
		t.Errorf("the note is not an optional input:\n%s", open.Params["view"])
	}

	if r := e.Submit(bottest.Support, v, map[string]string{"report_note": "she <is> a customer & not a dup"}); r.Status != http.StatusOK || r.Body != "" {
		t.Fatalf("submit: %d %q", r.Status, r.Body)
	}
	e.Bot.Wait()
	incidents := posts(e, bottest.Incident)
	if len(incidents) != 1 {
		t.Fatalf("%d incidents", len(incidents))
	}
	inc, _, err := e.Store.Incident(t.Context(), del)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, "incident", blockTexts(incidents[0].Blocks()), fmt.Sprintf(
		"<@%s> reported this deletion as wrong %s.\n*What was wrong:* she &lt;is&gt; a customer &amp; not a dup", bottest.Support, date(inc.ReportedAt)))
	wantAll(t, "answer", lastAnswer(t, e), "Reported in <#"+bottest.Incident+">")

	// The restored incident keeps it. (Restored by command, the id in lower case.)
	wantAll(t, "restore", readable(t, e.Command(bottest.Admin, "restore "+strings.ToLower(del))).Body, "Restored *Jane Doe*")
	e.Bot.Wait()
	update, _ := e.Slack.Last("chat.update")
	wantAll(t, "restored incident", update.Text(), "Reported by <@"+bottest.Support+"> "+date(inc.ReportedAt)+". *What was wrong:* she &lt;is&gt; a customer &amp; not a dup")
}

// TestWithdrawRequest: the requester withdraws a pending request from the
// DM's button; the approvals message then says so without buttons, admins
// can no longer approve it, and it is audited. From /contact deletions and
// by command (an id in lower case) too.
func TestWithdrawRequest(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	a := requestDelete(t, e, bottest.Support, id)

	// The DM that confirms the request carries the Withdraw button.
	dms := posts(e, bottest.Support)
	dm := dms[len(dms)-1]
	if !strings.Contains(dm.Params["blocks"], `{"type":"button","text":{"type":"plain_text","text":"Withdraw request","emoji":true},"action_id":"`+bot.ActionWithdraw+`","value":"`+a.ID+`"}`) {
		t.Fatalf("the requester's DM has no Withdraw button: %s", dm.Params["blocks"])
	}

	// Someone else cannot withdraw it.
	clickAndWait(t, e, bottest.Admin, bot.ActionWithdraw, a.ID)
	if got := lastAnswer(t, e); got != "Only <@"+bottest.Support+">, who asked for this delete, can withdraw it; an admin can reject it instead. Nothing was changed.\nOnly <@"+bottest.Support+">, who asked for this delete, can withdraw it; an admin can reject it instead. Nothing was changed." {
		t.Errorf("someone else's withdraw answered %q", got)
	}
	if state(t, e, a.ID).State != crm.ApprovalPending {
		t.Fatal("someone else withdrew the request")
	}

	clickAndWait(t, e, bottest.Support, bot.ActionWithdraw, a.ID)
	got := state(t, e, a.ID)
	if got.State != crm.ApprovalWithdrawn || got.DecidedBy != bottest.Support {
		t.Fatalf("request after withdraw: %+v", got)
	}
	answer := newestResponse(t, e)
	if answer.Params["replace_original"] == "true" {
		t.Errorf("the withdraw answer replaced the DM instead of being answered beside it: %v", answer.Params)
	}
	want := fmt.Sprintf("↩️ You withdrew your request `%s` to delete *Jane Doe* (`%s`). Nothing was deleted, and admins can no longer approve it.", a.ID, id)
	wantText(t, "withdraw answer", blockTexts(answer.Blocks()), want)

	// The DM itself, updated in place: what became of it, no Withdraw.
	var dmTS string
	if err := e.Store.DB().Get(&dmTS, `SELECT ts FROM outbox_refs WHERE ref = $1`, outbox.RequestDMRef(a.ID)); err != nil {
		t.Fatalf("where the request's DM was posted: %v", err)
	}
	dmUpdates := updatesOf(e, dmTS)
	if len(dmUpdates) != 1 {
		t.Fatalf("the request's DM was updated %d times, want once", len(dmUpdates))
	}
	wantText(t, "the request's DM", blockTexts(dmUpdates[0].Blocks()), fmt.Sprintf("📨 Your request `%s` to delete *Jane Doe* (`%s`) was withdrawn %s. Nothing was deleted.", a.ID, id, date(*got.DecidedAt)))
	if strings.Contains(dmUpdates[0].Params["blocks"], bot.ActionWithdraw) {
		t.Error("the withdrawn request's DM still has Withdraw")
	}

	// The approvals message, updated in place: the outcome, no buttons.
	ups := updatesOf(e, state(t, e, a.ID).MessageTS)
	if len(ups) != 1 || ups[0].Params["channel"] != bottest.Approval {
		t.Fatalf("approvals message not updated in place: %v", ups)
	}
	update := ups[0]
	outcome := fmt.Sprintf("↩️ *Withdrawn* by <@%s> %s, who asked for it. Nothing was deleted.", bottest.Support, date(*got.DecidedAt))
	wantText(t, "approvals message", blockTexts(update.Blocks()), outcome)
	if update.Params["text"] != "Delete request "+a.ID+" for Jane Doe: withdrawn by the requester" {
		t.Errorf("notification text %q", update.Params["text"])
	}
	if strings.Contains(update.Params["blocks"], bot.ActionApprove) || strings.Contains(update.Params["blocks"], bot.ActionReject) {
		t.Error("the withdrawn request still has Approve or Reject")
	}

	// An admin's Approve from the old message: refused, nothing deleted.
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	if got := lastAnswer(t, e); got != fmt.Sprintf("<@%s> withdrew this request %s. Nothing was deleted and nothing more was done.", bottest.Support, date(*state(t, e, a.ID).DecidedAt))+"\n"+fmt.Sprintf("<@%s> withdrew this request %s. Nothing was deleted and nothing more was done.", bottest.Support, date(*state(t, e, a.ID).DecidedAt)) {
		t.Errorf("approve after withdraw answered %q", got)
	}
	if !contactExists(t, e, id) {
		t.Fatal("a withdrawn request was approved")
	}
	// Withdrawing twice says it was done.
	clickAndWait(t, e, bottest.Support, bot.ActionWithdraw, a.ID)
	wantAll(t, "second withdraw", lastAnswer(t, e), "<@"+bottest.Support+"> withdrew this request")

	if n := auditPostsSaying(e, fmt.Sprintf("<@%s> withdrew the request to delete contact `%s` request `%s` — reason: Duplicate created by mistake — withdrawn", bottest.Support, id, a.ID)); n != 1 {
		t.Errorf("%d audit posts for the withdraw, want 1", n)
	}
	if n := crmtest.CountRows(t, e.Store, "audit_log", "action = 'withdrawn' AND request_id = $1", a.ID); n != 1 {
		t.Errorf("%d withdrawn audit rows, want 1", n)
	}

	// From /contact deletions: the pending request has the button.
	b := requestDelete(t, e, bottest.Support, id)
	list := e.Command(bottest.Support, "deletions")
	if !strings.Contains(list.Body, `"action_id":"`+bot.ActionWithdraw+`"`) || !strings.Contains(list.Body, `"value":"`+b.ID+`"`) {
		t.Errorf("/contact deletions has no Withdraw button for %s: %s", b.ID, list.Body)
	}
	// Its button on that listing (an ephemeral message): the outcome
	// replaces the listing.
	e.Interact(slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Support}, Team: slack.Team{ID: bottest.Team},
		Container: slack.Container{Type: "message", IsEphemeral: true}, ResponseURL: e.Slack.NewResponseURL(),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionWithdraw, BlockID: "withdraw:" + b.ID, Value: b.ID}}}})
	e.Bot.Wait()
	if answer := newestResponse(t, e); answer.Params["replace_original"] != "true" || !strings.Contains(answer.Text(), "You withdrew your request `"+b.ID+"`") {
		t.Errorf("the listing was not replaced by the outcome: %v", answer.Params)
	}

	// By command, the id in lower case.
	b = requestDelete(t, e, bottest.Support, id)
	r := e.Command(bottest.Support, "withdraw "+strings.ToLower(b.ID))
	wantText(t, "withdraw command", blockTexts(answerBlocks(t, r)), fmt.Sprintf("↩️ You withdrew your request `%s` to delete *Jane Doe* (`%s`). Nothing was deleted, and admins can no longer approve it.", b.ID, id))
	if state(t, e, b.ID).State != crm.ApprovalWithdrawn {
		t.Error("withdraw by command did not withdraw")
	}
}

// TestWithdrawRacesApprove: a withdraw and approves of one request sent at
// once over HTTP: exactly one takes effect.
func TestWithdrawRacesApprove(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	a := requestDelete(t, e, bottest.Support, id)
	clicks := []struct{ user, action string }{
		{bottest.Support, bot.ActionWithdraw}, {bottest.Admin, bot.ActionApprove}, {bottest.Admin2, bot.ActionApprove}, {bottest.Support, bot.ActionWithdraw},
	}
	var wg sync.WaitGroup
	for _, c := range clicks {
		cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: c.user}, Team: slack.Team{ID: bottest.Team},
			ResponseURL: e.Slack.NewResponseURL(), ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: c.action, Value: a.ID}}}}
		payload, _ := json.Marshal(cb)
		body := url.Values{"payload": {string(payload)}}.Encode()
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/slack/interactions", strings.NewReader(body))
			req.Header = bottest.Sign(bottest.Secret, body, time.Now())
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	e.Bot.Wait()
	final := state(t, e, a.ID)
	deletions := crmtest.CountRows(t, e.Store, "deletions", "request_id = $1", a.ID)
	switch final.State {
	case crm.ApprovalWithdrawn:
		if deletions != 0 || !contactExists(t, e, id) {
			t.Errorf("withdrawn, but %d deletions", deletions)
		}
	case crm.ApprovalApproved:
		if deletions != 1 {
			t.Errorf("approved, with %d deletions", deletions)
		}
	default:
		t.Errorf("final state %s", final.State)
	}
	decisions := crmtest.CountRows(t, e.Store, "audit_log", "request_id = $1 AND action IN ('withdrawn', 'approved')", a.ID)
	if decisions != 1 {
		t.Errorf("%d withdraw/approve audit rows, want exactly 1", decisions)
	}
}

// TestDNDWindowUnderContactWideDND: with the contact's DND on for all
// channels, no channel reads "now not set" in the Set DND window.
func TestDNDWindowUnderContactWideDND(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Priya", LastName: "Patel", Email: "priya@example.com", DND: true})
	if _, err := e.Store.DB().Exec(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES ($1, 'sms', 'permanent'), ($1, 'email', 'active')`, id); err != nil {
		t.Fatal(err)
	}
	e.Click(bottest.Support, bot.ActionSetDND, id)
	open, _ := e.Slack.Last("views.open")
	var descs []string
	for _, b := range open.View()["blocks"].([]any) {
		el, _ := b.(map[string]any)["element"].(map[string]any)
		opts, _ := el["options"].([]any)
		for _, o := range opts {
			o := o.(map[string]any)
			descs = append(descs, o["text"].(map[string]any)["text"].(string)+": "+o["description"].(map[string]any)["text"].(string))
		}
	}
	want := []string{
		"SMS: now on (STOP reply, permanent): stays on whatever you choose",
		"Email: now on",
		"Calls: now on: the contact has DND on for all channels",
		"WhatsApp: now on: the contact has DND on for all channels",
		"Google Business: now on: the contact has DND on for all channels",
		"Facebook: now on: the contact has DND on for all channels",
	}
	if !slices.Equal(descs, want) {
		t.Errorf("channel descriptions:\n%q\nwant:\n%q", descs, want)
	}
	wantText(t, "Set DND window", blockTexts(open.Blocks()), "*Priya Patel* · priya@example.com · `"+id+"`\nDND: *on for all channels*")
}

// TestAuditLinesReadAsSentences: an approved delete's audit line names the
// requester as a mention, not "requested by USUPPORT", and its deleted line
// the admin who approved and so carried it out; reasons are labels; "1 row",
// not "1 rows".
func TestAuditLinesReadAsSentences(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Solo", LastName: "Row", Email: "solo@example.com"})
	a := requestDelete(t, e, bottest.Support, id)
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	got := state(t, e, a.ID)
	trail, err := e.Store.AuditTrail(t.Context(), id, "", 20)
	if err != nil {
		t.Fatal(err)
	}
	var approved, deleted crm.AuditEntry
	for _, x := range trail {
		switch x.Action {
		case crm.AuditApproved:
			approved = x
		case crm.AuditDeleted:
			deleted = x
		}
	}
	var feed []string
	for _, c := range e.AuditPosts() {
		feed = append(feed, c.Params["text"])
	}
	for _, want := range []string{
		fmt.Sprintf("%s <@%s> approved the delete of contact `%s` deletion `%s` request `%s` — reason: Duplicate created by mistake — deleted (requested by <@%s>)",
			date(approved.At), bottest.Admin, id, got.DeletionID, a.ID, bottest.Support),
		fmt.Sprintf("%s <@%s> deleted contact `%s` deletion `%s` request `%s` — reason: Duplicate created by mistake — ok (1 row archived)",
			date(deleted.At), bottest.Admin, id, got.DeletionID, a.ID),
	} {
		if !slices.Contains(feed, want) {
			t.Errorf("audit feed lacks\n%q\nin:\n%s", want, strings.Join(feed, "\n"))
		}
	}
	dms := posts(e, bottest.Support)
	wantAll(t, "deletion summary", dms[len(dms)-1].Text(), "*Removed:* 1 contact (1 row)")
	// History shows the same lines to admins.
	wantAll(t, "history", readable(t, e.Command(bottest.Admin, "history "+strings.ToLower(got.DeletionID))).Body, "(requested by <@"+bottest.Support+">)")
}

// TestTextFallbackEscaped: the notification text beside the blocks escapes
// user data too (a query, a contact's name).
func TestTextFallbackEscaped(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Ann", LastName: "<!channel>", Email: "ann&co@example.com"})
	var m struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal([]byte(e.Command(bottest.Admin, "ann&co@example.com").Body), &m); err != nil {
		t.Fatal(err)
	}
	if m.Text != "1 contact for “ann&amp;co@example.com”" {
		t.Errorf("find text = %q", m.Text)
	}
	id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Bo", LastName: "<@UEVIL>", Email: "bo@example.com"})
	del := deleteByModal(t, e, bottest.Admin, id)
	dms := posts(e, bottest.Admin)
	if got, want := dms[len(dms)-1].Params["text"], "Deleted Bo &lt;@UEVIL&gt; (deletion "+del+")"; got != want {
		t.Errorf("summary text = %q, want %q", got, want)
	}
}

// TestTypedTextInErrorsEscaped: a sentence that quotes what was typed never
// lets Slack read it as a mention (<!channel> would notify everyone).
func TestTypedTextInErrorsEscaped(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	for _, c := range []struct{ command, want string }{
		{"restore <!channel>", "There is no deletion with id &lt;!channel&gt;. Check the id in the delete summary."},
		{"report <!here>", "&lt;!here&gt;"},
	} {
		texts := blockTexts(answerBlocks(t, e.Command(bottest.Admin, c.command)))
		joined := strings.Join(texts, "\n")
		if strings.Contains(joined, "<!") || !strings.Contains(joined, c.want) {
			t.Errorf("%s answered %q, want %q escaped", c.command, joined, c.want)
		}
	}
}

// TestFollowUpWindowDates: the enrolment date in the Remove follow-up
// window is a Slack date too (date only: an option's description holds 75
// characters), as mrkdwn.
func TestFollowUpWindowDates(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	var w struct {
		ID         string    `db:"id"`
		EnrolledAt time.Time `db:"enrolled_at"`
	}
	if err := e.Store.DB().Get(&w, `SELECT id, enrolled_at FROM workflow_enrollments WHERE contact_id = $1 AND status = 'active' ORDER BY enrolled_at, id LIMIT 1`, id); err != nil {
		t.Fatal(err)
	}
	e.Click(bottest.Support, bot.ActionRemoveFollowUp, id)
	open, _ := e.Slack.Last("views.open")
	want := fmt.Sprintf(`"value":"%s","description":{"type":"mrkdwn","text":"enrolled \u003c!date^%d^{date_short_pretty}|%s\u003e"}`, w.ID, w.EnrolledAt.Unix(), w.EnrolledAt.UTC().Format("2006-01-02"))
	if !strings.Contains(open.Params["view"], want) {
		t.Errorf("view lacks %s:\n%s", want, open.Params["view"])
	}
}
