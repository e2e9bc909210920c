package bot_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// withAudit is a bot whose audit feed goes to bottest.Audit.
var withAudit = bottest.Options{Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit}}

// buttonValue finds the value of the button actionID in a call's blocks.
func buttonValue(t *testing.T, c slackfake.Call, actionID string) string {
	t.Helper()
	for _, b := range c.Blocks() {
		els, _ := b["elements"].([]any)
		for _, el := range els {
			if m, ok := el.(map[string]any); ok && m["action_id"] == actionID {
				return m["value"].(string)
			}
		}
	}
	t.Fatalf("no %s button in %s", actionID, c.Body)
	return ""
}

// updatedView is the view of a response_action "update" answer.
func updatedView(t *testing.T, r bottest.Response) slack.View {
	t.Helper()
	var resp struct {
		Action string          `json:"response_action"`
		View   json.RawMessage `json:"view"`
	}
	if err := json.Unmarshal([]byte(r.Body), &resp); err != nil || resp.Action != "update" {
		t.Fatalf("want response_action update, got %d %s", r.Status, r.Body)
	}
	var v slack.View
	if err := json.Unmarshal(resp.View, &v); err != nil {
		t.Fatalf("decode updated view: %v", err)
	}
	return v
}

// readable returns r with its JSON body's texts gathered as Slack shows
// them, without JSON escapes such as \u003c.
func readable(t *testing.T, r bottest.Response) bottest.Response {
	t.Helper()
	var texts []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "text" {
					texts = append(texts, s)
				} else {
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(r.JSON(t))
	r.Body = strings.Join(texts, "\n")
	return r
}

func auditRows(t *testing.T, e *bottest.Env, action string) int {
	t.Helper()
	return crmtest.CountRows(t, e.Store, "audit_log", "action = $1", action)
}

// auditPostsSaying counts audit channel posts whose text has every want.
func auditPostsSaying(e *bottest.Env, want ...string) int {
	n := 0
	for _, c := range e.AuditPosts() {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(c.Text(), w)
		}
		if ok {
			n++
		}
	}
	return n
}

func dndOf(t *testing.T, e *bottest.Env, id string) map[string]string {
	t.Helper()
	var rows []crm.DNDSetting
	if err := e.Store.DB().Select(&rows, `SELECT channel, status FROM dnd_settings WHERE contact_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Channel] = r.Status
	}
	return out
}

func sameDump(t *testing.T, what string, before, after map[string][]string) {
	t.Helper()
	if d := cmp.Diff(before, after); d != "" {
		t.Errorf("%s: CRM tables differ (-before +after):\n%s", what, d)
	}
}

// TestSetDNDAllChannelsAndUndo: the button on a found contact, the modal with
// every channel's status, submit, the confirmation with Undo, the audit trail
// and feed, and undo by someone else (refused), by the same user, and twice.
func TestSetDNDAllChannelsAndUndo(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	// sms active, email permanent, call inactive; whatsapp, gmb, fb not set.
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	before := crmtest.Dump(t, e.Store)

	find := e.Command(bottest.Support, "jane@example.com")
	for _, want := range []string{`"action_id":"contact.dnd"`, `"action_id":"contact.followup"`, "Set DND", "Remove follow-up"} {
		if !strings.Contains(find.Body, want) {
			t.Errorf("find message lacks %s", want)
		}
	}

	if r := e.Click(bottest.Support, bot.ActionSetDND, id); r.Status != http.StatusOK {
		t.Fatalf("click Set DND: %d %s", r.Status, r.Body)
	}
	open, _ := e.Slack.Last("views.open")
	view := e.LastView()
	if view.CallbackID != bot.CallbackDNDModal {
		t.Fatalf("opened %q, want the DND modal", view.CallbackID)
	}
	for _, want := range []string{"SMS", "Email", "Calls", "WhatsApp", "Google Business", "Facebook", "now on", "now off", "now not set",
		"now on (STOP reply, permanent): stays on", "Jane Doe", "The contact stays"} {
		if !strings.Contains(open.Text(), want) {
			t.Errorf("DND modal lacks %q:\n%s", want, open.Text())
		}
	}
	if n := strings.Count(open.Params["view"], `"value":"`); n != 12 { // six options, six ticked
		t.Errorf("DND modal has %d option values, want 6 options all ticked (12)", n)
	}

	r := e.SubmitChecked(bottest.Support, view, map[string][]string{"channels": crm.DNDChannels})
	if r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "" {
		t.Fatalf("submit: want an empty 200 that closes the modal, got %d %q", r.Status, r.Body)
	}
	e.Bot.Wait()
	want := map[string]string{"sms": "active", "email": "permanent", "call": "active", "whatsapp": "active", "gmb": "active", "fb": "active"}
	if got := dndOf(t, e, id); !cmp.Equal(got, want) {
		t.Errorf("DND = %v, want %v", got, want)
	}
	if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1 AND dnd", id); n != 1 {
		t.Error("contacts.dnd not set with all six channels on")
	}
	conf := e.Slack.WaitResponses(1, wait)
	confirmation := conf[len(conf)-1]
	for _, want := range []string{"DND set for Jane Doe", "Calls: off → *on*", "WhatsApp: not set → *on*", "Email: already on (STOP reply, permanent), unchanged", "Contact DND: off → *on for all channels*", "Undo"} {
		if !strings.Contains(confirmation.Text(), want) {
			t.Errorf("confirmation lacks %q:\n%s", want, confirmation.Text())
		}
	}
	if confirmation.Params["response_type"] != "ephemeral" {
		t.Errorf("confirmation is %q, want ephemeral", confirmation.Params["response_type"])
	}
	undoID := buttonValue(t, confirmation, bot.ActionUndo)

	// One find (the window opened from a search result), one DND change; each posted once.
	if f, d := auditRows(t, e, crm.AuditFind), auditRows(t, e, crm.AuditDNDSet); f != 1 || d != 1 {
		t.Errorf("audit rows: %d find, %d dnd_set; want 1 each", f, d)
	}
	if n := auditPostsSaying(e, "<@"+bottest.Support+">", "set DND on contact `"+id+"`", "Unsubscribe / STOP / DND request", undoID); n != 1 {
		t.Errorf("%d audit posts for the DND change, want 1: %v", n, e.AuditPosts())
	}
	if n := auditPostsSaying(e, "> found contact `"+id+"` — Set DND window opened"); n != 1 {
		t.Errorf("%d audit posts for the find, want 1", n)
	}
	if n := len(e.AuditPosts()); n != 2 {
		t.Errorf("%d audit posts, want 2", n)
	}

	afterSet := crmtest.Dump(t, e.Store)
	t.Run("UndoByAnotherUserRefused", func(t *testing.T) {
		e.Click(bottest.Deleter, bot.ActionUndo, undoID)
		e.Bot.Wait()
		got := e.Slack.Responses()
		if last := got[len(got)-1]; !strings.Contains(last.Text(), "Only <@"+bottest.Support+">") || last.Params["replace_original"] == "true" {
			t.Errorf("another user's undo answered: %s", last.Body)
		}
		sameDump(t, "refused undo", afterSet, crmtest.Dump(t, e.Store))
	})
	t.Run("UndoRestoresExactly", func(t *testing.T) {
		e.Click(bottest.Support, bot.ActionUndo, undoID)
		e.Bot.Wait()
		sameDump(t, "undo", before, crmtest.Dump(t, e.Store))
		got := e.Slack.Responses()
		last := got[len(got)-1]
		if !strings.Contains(last.Text(), "Set DND undone") || !strings.Contains(last.Text(), "WhatsApp not set") || last.Params["replace_original"] != "true" {
			t.Errorf("undo answer: %s", last.Body)
		}
		if strings.Contains(string(last.Body), bot.ActionUndo) {
			t.Error("the undone confirmation still has its Undo button")
		}
		if n := auditRows(t, e, crm.AuditUndone); n != 1 {
			t.Errorf("%d undone audit rows, want 1", n)
		}
		if n := auditPostsSaying(e, "> undid a change to contact `"+id+"` — undid: Set DND — ok (undid Set DND "+undoID+" by <@"+bottest.Support+">:"); n != 1 {
			t.Errorf("%d audit posts for the undo, want 1", n)
		}
	})
	t.Run("UndoTwice", func(t *testing.T) {
		e.Click(bottest.Support, bot.ActionUndo, undoID)
		e.Bot.Wait()
		got := e.Slack.Responses()
		if last := got[len(got)-1]; !strings.Contains(last.Text(), "already undid this change") {
			t.Errorf("second undo: %s", last.Text())
		}
		sameDump(t, "second undo", before, crmtest.Dump(t, e.Store))
		if n := auditRows(t, e, crm.AuditUndone); n != 1 {
			t.Errorf("%d undone audit rows after a second undo, want 1", n)
		}
	})
}

// TestSetDNDChosenChannels goes through /contact dnd and ticks two channels.
func TestSetDNDChosenChannels(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Roe", Email: "roe@example.com"})
	contactsBefore := crmtest.Dump(t, e.Store)["contacts"]

	if r := e.Command(bottest.Support, "dnd jane"); !strings.Contains(r.Body, "Several contacts match: press *Set DND*") {
		t.Errorf("dnd with two matches: %s", r.Body)
	}
	if r := e.Command(bottest.Support, "dnd"); !strings.Contains(r.Body, "Say which contact") {
		t.Errorf("dnd without a query: %s", r.Body)
	}
	if r := e.Command(bottest.Support, "dnd jane@example.com"); r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "" {
		t.Fatalf("dnd with one match: %d %s", r.Status, r.Body)
	}
	view := e.LastView()
	if view.CallbackID != bot.CallbackDNDModal || !strings.Contains(view.PrivateMetadata, id) {
		t.Fatalf("not the DND modal of %s: %+v", id, view)
	}
	if r := e.SubmitChecked(bottest.Support, view, map[string][]string{"channels": {}}); !strings.Contains(r.Body, `"channels":"Tick at least one channel."`) {
		t.Errorf("nothing ticked: %s", r.Body)
	}
	if r := e.SubmitChecked(bottest.Support, view, map[string][]string{"channels": {"sms", "carrier-pigeon"}}); !strings.Contains(r.Body, `"response_action":"errors"`) {
		t.Errorf("forged channel: %s", r.Body)
	}
	if len(dndOf(t, e, id)) != 0 {
		t.Fatal("a refused submit set DND")
	}
	if r := e.SubmitChecked(bottest.Support, view, map[string][]string{"channels": {"sms", "whatsapp"}}); strings.TrimSpace(r.Body) != "" {
		t.Fatalf("submit: %s", r.Body)
	}
	e.Bot.Wait()
	if got := dndOf(t, e, id); !cmp.Equal(got, map[string]string{"sms": "active", "whatsapp": "active"}) {
		t.Errorf("DND = %v", got)
	}
	if got := crmtest.Dump(t, e.Store)["contacts"]; !cmp.Equal(got, contactsBefore) {
		t.Error("contacts changed (dnd or updated_at) with only two channels on")
	}
	conf := e.Slack.WaitResponses(1, wait)
	if last := conf[len(conf)-1]; !strings.Contains(last.Text(), "SMS: not set → *on*") || strings.Contains(last.Text(), "Contact DND") {
		t.Errorf("confirmation: %s", last.Text())
	}
	if n := auditRows(t, e, crm.AuditDNDSet); n != 1 {
		t.Errorf("%d dnd_set audit rows, want 1", n)
	}
	if n := len(e.AuditPosts()); n != 0 {
		t.Errorf("without AUDIT_CHANNEL, %d audit posts", n)
	}
}

// TestSetDNDPermanentNeverLowered: a contact whose channels are all STOP
// replies gets contacts.dnd, and no channel is lowered, even if unticked.
func TestSetDNDPermanentNeverLowered(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"})
	e.Store.DB().MustExec(`INSERT INTO dnd_settings (contact_id, channel, status) VALUES ($1, 'sms', 'permanent'), ($1, 'email', 'inactive')`, id)
	e.Click(bottest.Support, bot.ActionSetDND, id)
	view := e.LastView()
	e.SubmitChecked(bottest.Support, view, map[string][]string{"channels": {"email"}})
	e.Bot.Wait()
	if got := dndOf(t, e, id); !cmp.Equal(got, map[string]string{"sms": "permanent", "email": "active"}) {
		t.Errorf("DND = %v: the permanent channel must stay", got)
	}
	e.SubmitChecked(bottest.Support, view, map[string][]string{"channels": {"sms"}})
	e.Bot.Wait()
	if got := dndOf(t, e, id); got["sms"] != "permanent" {
		t.Errorf("sms = %s after ticking it alone", got["sms"])
	}
	conf := e.Slack.WaitResponses(2, wait)
	if last := conf[len(conf)-1]; !strings.Contains(last.Text(), "DND was already on") || strings.Contains(string(last.Body), bot.ActionUndo) {
		t.Errorf("no-op confirmation: %s", last.Text())
	}
}

// TestRemoveFollowUp: only the contact's active enrollments stop, nothing
// else changes, and an admin may undo another person's change.
func TestRemoveFollowUp(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	// Nurture 1 active, Nurture 2 finished; add Reminders active, Old stopped.
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	other := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Other", Email: "other@example.com"}, crmtest.SmallFull)
	e.Store.DB().MustExec(`INSERT INTO workflow_enrollments (id, contact_id, workflow_name, status, enrolled_at) VALUES
		($1 || '_w3', $1, 'Reminders', 'active', '2025-07-01T00:00:00Z'), ($1 || '_w4', $1, 'Old', 'stopped', '2025-01-01T00:00:00Z')`, id)
	before := crmtest.Dump(t, e.Store)

	e.Click(bottest.Support, bot.ActionRemoveFollowUp, id)
	open, _ := e.Slack.Last("views.open")
	view := e.LastView()
	if view.CallbackID != bot.CallbackFollowUpModal {
		t.Fatalf("opened %q, want the follow-up modal", view.CallbackID)
	}
	if txt := open.Text(); !strings.Contains(txt, "Nurture 1") || !strings.Contains(txt, "Reminders") || strings.Contains(txt, "Nurture 2") || strings.Contains(txt, "Old") {
		t.Errorf("follow-up modal should list the two active workflows only:\n%s", txt)
	}
	if n := strings.Count(open.Params["view"], `"value":"`+id+`_w`); n != 4 {
		t.Errorf("follow-up modal: %d enrollment values, want 2 options all ticked (4)", n)
	}
	// A forged submit adds another contact's active enrollment and a finished one.
	r := e.SubmitChecked(bottest.Support, view, map[string][]string{"enrollments": {id + "_w1", id + "_w3", id + "_w2", other + "_w1"}})
	if strings.TrimSpace(r.Body) != "" {
		t.Fatalf("submit: %s", r.Body)
	}
	e.Bot.Wait()
	after := crmtest.Dump(t, e.Store)
	for _, table := range crmtest.CRMTables {
		if table != "workflow_enrollments" && !cmp.Equal(before[table], after[table]) {
			t.Errorf("%s changed", table)
		}
	}
	var stopped []string
	if err := e.Store.DB().Select(&stopped, `SELECT id FROM workflow_enrollments WHERE status = 'stopped' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if want := []string{id + "_w1", id + "_w3", id + "_w4"}; !cmp.Equal(stopped, want) {
		t.Errorf("stopped = %v, want %v", stopped, want)
	}
	conf := e.Slack.WaitResponses(1, wait)
	confirmation := conf[len(conf)-1]
	if txt := confirmation.Text(); !strings.Contains(txt, "Follow-up removed for Jane Doe") || !strings.Contains(txt, "Stopped: Nurture 1, Reminders") || !strings.Contains(txt, "2 workflows were no longer active") {
		t.Errorf("confirmation: %s", txt)
	}
	if n := auditRows(t, e, crm.AuditFollowUpRemoved); n != 1 {
		t.Errorf("%d followup_removed audit rows, want 1", n)
	}
	if n := auditPostsSaying(e, "> removed follow-up from contact `"+id+"` — reason: Only stop follow-up"); n != 1 {
		t.Errorf("%d audit posts for the removal, want 1", n)
	}

	// Another support user may not undo; an admin may.
	undoID := buttonValue(t, confirmation, bot.ActionUndo)
	e.Click(bottest.Deleter, bot.ActionUndo, undoID)
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "workflow_enrollments", "status = 'stopped'"); n != 3 {
		t.Fatalf("a non-admin's undo changed enrollments (%d stopped)", n)
	}
	e.Click(bottest.Admin, bot.ActionUndo, undoID)
	e.Bot.Wait()
	sameDump(t, "admin's undo", before, crmtest.Dump(t, e.Store))
	got := e.Slack.Responses()
	if last := got[len(got)-1]; !strings.Contains(last.Text(), "Remove follow-up undone* by <@"+bottest.Admin+">") || !strings.Contains(last.Text(), "is back as it was: Nurture 1 running, Reminders running.") {
		t.Errorf("undo answer: %s", last.Text())
	}
	if n := auditPostsSaying(e, "<@"+bottest.Admin+"> undid a change to contact", "— undid: Remove follow-up — ok (undid Remove follow-up "+undoID+" by <@"+bottest.Support+">"); n != 1 {
		t.Errorf("%d audit posts for the admin's undo, want 1", n)
	}

	t.Run("NoActiveWorkflows", func(t *testing.T) {
		idle := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Idle", Email: "idle@example.com"})
		opens := len(e.Slack.Calls("views.open"))
		e.Click(bottest.Support, bot.ActionRemoveFollowUp, idle)
		got := e.Slack.Responses()
		if last := got[len(got)-1]; !strings.Contains(last.Text(), "Idle has no active workflows") {
			t.Errorf("no active workflows: %s", last.Text())
		}
		if r := e.Command(bottest.Support, "stop-followup idle@example.com"); !strings.Contains(r.Body, "no active workflows") {
			t.Errorf("stop-followup command with none active: %s", r.Body)
		}
		if n := len(e.Slack.Calls("views.open")); n != opens {
			t.Error("a modal was opened for a contact with nothing to stop")
		}
	})
	t.Run("Command", func(t *testing.T) {
		if r := e.Command(bottest.Support, "stop-followup jane@example.com"); strings.TrimSpace(r.Body) != "" {
			t.Fatalf("stop-followup: %s", r.Body)
		}
		if v := e.LastView(); v.CallbackID != bot.CallbackFollowUpModal || !strings.Contains(v.PrivateMetadata, id) {
			t.Errorf("stop-followup opened %+v", v)
		}
	})
}

// TestDeleteLeadsToTheRightAction: the two "not a delete" reasons turn the
// delete window into Set DND or Remove follow-up, and a note that sounds
// like an opt-out is questioned before anything is deleted.
func TestDeleteLeadsToTheRightAction(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	before := crmtest.Dump(t, e.Store)
	e.Click(bottest.Admin, bot.ActionDelete, id)
	deleteView := e.LastView()
	e.Bot.Wait()

	t.Run("UnsubscribeSwapsToSetDND", func(t *testing.T) {
		r := e.Submit(bottest.Admin, deleteView, map[string]string{"reason": "unsubscribe", "confirm": "DELETE"})
		v := updatedView(t, r)
		if v.CallbackID != bot.CallbackDNDModal || !strings.Contains(v.PrivateMetadata, `"c":"`+id+`"`) {
			t.Fatalf("swapped to %q (%s), want the DND modal of the contact", v.CallbackID, v.PrivateMetadata)
		}
		for _, want := range []string{"Nothing was deleted", "Do not use Delete to process an unsubscribe", "Jane Doe", "Set DND on"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("swapped modal lacks %q", want)
			}
		}
		e.Bot.Wait()
		sameDump(t, "unsubscribe reason", before, crmtest.Dump(t, e.Store))
		if n := auditRows(t, e, crm.AuditDeleteRefused); n != 1 {
			t.Errorf("%d delete_refused rows, want 1", n)
		}
		if n := auditPostsSaying(e, "> was stopped from deleting contact `"+id+"`", "Unsubscribe / STOP / DND request", "Set DND offered"); n != 1 {
			t.Errorf("%d audit posts for the refusal, want 1", n)
		}
		// The swapped window works: DND is set, the audit says where it came from.
		if r := e.SubmitChecked(bottest.Admin, v, map[string][]string{"channels": crm.DNDChannels}); strings.TrimSpace(r.Body) != "" {
			t.Fatalf("submit swapped DND modal: %s", r.Body)
		}
		e.Bot.Wait()
		if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1 AND dnd", id); n != 1 {
			t.Error("DND from the swapped window not set")
		}
		if n := crmtest.CountRows(t, e.Store, "audit_log", "action = 'dnd_set' AND detail LIKE '%via delete window%'"); n != 1 {
			t.Error("the DND change does not say it came from the delete window")
		}
		// The confirmation goes where the delete window came from.
		got := e.Slack.WaitResponses(1, wait)
		if last := got[len(got)-1]; !strings.Contains(last.Text(), "DND set for Jane Doe") {
			t.Errorf("confirmation: %s", last.Text())
		}
	})
	t.Run("StopFollowUpSwapsToRemoveFollowUp", func(t *testing.T) {
		r := e.Submit(bottest.Admin, deleteView, map[string]string{"reason": "stop_followup", "confirm": "DELETE"})
		v := updatedView(t, r)
		if v.CallbackID != bot.CallbackFollowUpModal || !strings.Contains(r.Body, "only want to stop follow-up without opt-out") || !strings.Contains(r.Body, "Nurture 1") {
			t.Errorf("stop follow-up swapped to %q: %s", v.CallbackID, r.Body)
		}
	})
	t.Run("NoteMentioningSTOPWarnsFirst", func(t *testing.T) {
		// DND was set above: open the delete window afresh on the current contact.
		e.Click(bottest.Admin, bot.ActionDelete, id)
		deleteView := e.LastView()
		e.Bot.Wait()
		refusedBefore := auditRows(t, e, crm.AuditDeleteRefused)
		form := map[string]string{"reason": "duplicate", "note": "Customer replied STOP to our SMS", "confirm": "DELETE"}
		r := e.Submit(bottest.Admin, deleteView, form)
		if !strings.Contains(r.Body, `"response_action":"errors"`) || !strings.Contains(r.Body, `"note":"This note sounds like an opt-out`) {
			t.Fatalf("note with STOP: %s", r.Body)
		}
		e.Bot.Wait()
		if n := crmtest.CountRows(t, e.Store, "deletions", ""); n != 0 {
			t.Fatal("deleted despite the warning")
		}
		if n := auditRows(t, e, crm.AuditDeleteRefused); n != refusedBefore+1 {
			t.Errorf("the warning wrote %d refusal rows, want 1", n-refusedBefore)
		}
		// Another note is a new question; the same note again means "I read it".
		form["note"] = "opt-out requested"
		if r := e.Submit(bottest.Admin, deleteView, form); !strings.Contains(r.Body, "sounds like an opt-out") {
			t.Errorf("a different opt-out note: %s", r.Body)
		}
		form["note"] = "Customer replied STOP to our SMS"
		if r := e.Submit(bottest.Admin, deleteView, form); r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "" {
			t.Errorf("second submit of the same note: want the modal closed, got %d %s", r.Status, r.Body)
		}
		e.Bot.Wait()
		if n := crmtest.CountRows(t, e.Store, "deletions", "contact_id = $1", id); n != 1 {
			t.Errorf("%d deletions after proceeding, want 1", n)
		}
	})
}

// TestOptOutNoteWarningFitsEveryReason: the warning on a note that sounds
// like an opt-out ends the same way whatever the reason picked, "Other"
// included, and deletes nothing.
func TestOptOutNoteWarningFitsEveryReason(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	want := "This note sounds like an opt-out (unsubscribe, STOP, DND). Deleting loses it: close this and use Set DND, " +
		"or Remove follow-up to only stop workflows. Nothing was deleted. Still want it deleted? Submit again."
	for _, reason := range []string{bot.ReasonOther, bot.ReasonTestContact} {
		e.Click(bottest.Admin, bot.ActionDelete, id)
		v := e.LastView()
		e.Bot.Wait()
		r := e.Submit(bottest.Admin, v, map[string]string{"reason": reason, "note": "she texted STOP, " + reason, "confirm": "DELETE"})
		errs, _ := r.JSON(t)["errors"].(map[string]any)
		if got := errs["note"]; got != want {
			t.Errorf("reason %s: the note's error is %q, want %q", reason, got, want)
		}
	}
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "deletions", ""); n != 0 {
		t.Errorf("%d deletions after the warnings, want none", n)
	}
}

// TestAuditEveryAction: a delete writes one audit row and one post; a
// request for approval (no rights to delete directly) too; audit rows cannot
// be changed.
func TestAuditEveryAction(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	e.Command(bottest.Support, "delete jane@example.com")
	e.Submit(bottest.Support, e.LastView(), map[string]string{"reason": "test_contact", "confirm": "DELETE"})
	e.Bot.Wait()
	if n := auditPostsSaying(e, "> asked to delete contact `"+id+"`"); n != 1 || auditRows(t, e, crm.AuditDeleteRequested) != 1 {
		t.Errorf("request: %d posts, %d rows", n, auditRows(t, e, crm.AuditDeleteRequested))
	}
	if n := auditPostsSaying(e, "> found contact", "delete window opened", "/contact delete"); n != 1 {
		t.Errorf("%d posts for the find that opened the delete window, want 1", n)
	}
	e.Command(bottest.Admin, "delete jane@example.com")
	e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "test_contact", "confirm": "DELETE"})
	e.Bot.Wait()
	if r, p := auditRows(t, e, crm.AuditDeleted), auditPostsSaying(e, "> deleted contact", id, "Test contact"); r != 1 || p != 1 {
		t.Errorf("delete: %d rows, %d posts; want 1 each", r, p)
	}
	if total := crmtest.CountRows(t, e.Store, "audit_log", ""); total != len(e.AuditPosts()) {
		t.Errorf("%d audit rows but %d posts", total, len(e.AuditPosts()))
	}
	for _, q := range []string{`UPDATE audit_log SET actor = 'UEVIL'`, `DELETE FROM audit_log`} {
		if _, err := e.Store.DB().Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", q, err)
		}
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Roe", Email: "roe@example.com"})
	e.Click(bottest.Support, bot.ActionSetDND, id)
	e.SubmitChecked(bottest.Support, e.LastView(), map[string][]string{"channels": {"fb"}})
	e.Bot.Wait()

	t.Run("AdminsOnly", func(t *testing.T) {
		for _, user := range []string{bottest.Support, bottest.Deleter} {
			if r := readable(t, e.Command(user, "history jane@example.com")); !strings.Contains(r.Body, "Only admins") || strings.Contains(r.Body, "set DND on") {
				t.Errorf("%s got history: %s", user, r.Body)
			}
		}
	})
	t.Run("ByQuery", func(t *testing.T) {
		r := readable(t, e.Command(bottest.Admin, "history jane@example.com"))
		for _, want := range []string{"History of Jane Doe", "2 entries", "<@" + bottest.Support + "> found contact", "Set DND window opened", "<@" + bottest.Support + "> set DND on contact", "Facebook: not set → on"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("history lacks %q: %s", want, r.Body)
			}
		}
		if r := e.Command(bottest.Admin, "history jane"); !strings.Contains(r.Body, "2 contacts match") {
			t.Errorf("history with two matches: %s", r.Body)
		}
		if r := e.Command(bottest.Admin, "history roe@example.com"); !strings.Contains(r.Body, "No history for *Jane Roe*") {
			t.Errorf("history of an untouched contact: %s", r.Body)
		}
	})
	t.Run("ByDeletionIDAfterDelete", func(t *testing.T) {
		res, err := e.Store.Delete(t.Context(), crm.DeleteRequest{ContactID: id, Actor: bottest.Admin, Reason: "duplicate", RestoreWindow: e.Config.RestoreWindow})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{res.Deletion.ID, strings.ToLower(res.Deletion.ID), id} {
			r := e.Command(bottest.Admin, "history "+q)
			if !strings.Contains(r.Body, "3 entries") || !strings.Contains(r.Body, "deleted contact") || !strings.Contains(r.Body, "set DND on contact") {
				t.Errorf("history %s: %s", q, r.Body)
			}
		}
		if r := e.Command(bottest.Admin, "history nobody-at-all"); !strings.Contains(r.Body, "No contact, deletion or history") {
			t.Errorf("unknown: %s", r.Body)
		}
	})
	t.Run("Limit", func(t *testing.T) {
		for i := range 35 {
			if _, err := e.Store.Audit(t.Context(), crm.AuditEntry{Actor: bottest.Admin, Action: crm.AuditFind, ContactID: id, Detail: fmt.Sprintf("n%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		r := e.Command(bottest.Admin, "history "+id)
		if !strings.Contains(r.Body, "38 entries") || !strings.Contains(r.Body, "and 8 earlier entries not shown") || !strings.Contains(r.Body, "(n34)") {
			t.Errorf("long history: %.600s", r.Body)
		}
	})
}

func TestHelpListsEverything(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	r := e.Command(bottest.Support, "help")
	for _, want := range []string{"/contact dnd", "/contact stop-followup", "/contact delete", "/contact report", "/contact restore",
		"/contact deletions", "/contact history", "/contact help", "Never delete to process an unsubscribe", "1. ", "2. ", "3. "} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
