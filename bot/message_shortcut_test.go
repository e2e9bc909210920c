package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/crm/demo"
)

// submitted decodes a view submission's answer.
func submitted(t *testing.T, r bottest.Response) slack.ViewSubmissionResponse {
	t.Helper()
	var resp slack.ViewSubmissionResponse
	if err := json.Unmarshal([]byte(r.Body), &resp); err != nil {
		t.Fatalf("submission answer %d %q: %v", r.Status, r.Body, err)
	}
	return resp
}

// TestFindContactWindow: the Home tab's Find a contact opens a search
// window; its results are the find message's, whose buttons open their
// windows on top of it (views.push) and work as in /contact.
func TestFindContactWindow(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	jane := lowRisk(t, e, "Jane")

	clickOnHome(t, e, bottest.Support, bot.ActionFindContact, "")
	form := e.LastViewOf("views.open")
	if form.CallbackID != bot.CallbackFindModal || form.Title.Text != "Find a contact" || form.Submit.Text != "Search" {
		t.Fatalf("search window: %+v", form)
	}
	sameLines(t, "the search form", viewLines(form.Blocks.BlockSet), []string{"input: Name, email, phone or contact id"})

	t.Run("EmptyAndNoMatchAreFieldErrors", func(t *testing.T) {
		for query, want := range map[string]string{
			"   ":                     "Type a name, an email address, a phone number or a contact id.",
			"nobody@example.com":      "No contact matches. Try the email address, the phone number with or without its country code, the start of a name (“jane do”), or the contact id from Leadgains.",
			strings.Repeat("x", 1001): "That is too long to search for (1001 characters).",
		} {
			resp := submitted(t, e.Submit(bottest.Support, form, map[string]string{"find_query": query}))
			if resp.ResponseAction != slack.RAErrors || resp.Errors["find_query"] != want {
				t.Errorf("%q: %+v", query, resp)
			}
		}
	})

	resp := submitted(t, e.Submit(bottest.Support, form, map[string]string{"find_query": "jane@example.com"}))
	if resp.ResponseAction != slack.RAUpdate || resp.View == nil {
		t.Fatalf("results: %+v", resp)
	}
	lines := viewLines(resp.View.Blocks.BlockSet)
	if lines[0] != "buttons: New search [home.find=]" || lines[1] != "header: 1 contact for “jane@example.com”" ||
		lines[3] != fmt.Sprintf("buttons: Delete… [contact.delete=%[1]s] Set DND [contact.dnd=%[1]s] Remove follow-up [contact.followup=%[1]s]", jane) {
		t.Errorf("results:\n%s", strings.Join(lines, "\n"))
	}
	// The results replace the form in its window: the same view id.
	results := slack.View{ID: form.ID, Type: slack.VTModal, CallbackID: bot.CallbackFindModal, Blocks: resp.View.Blocks}

	t.Run("DeleteOpensOnTop", func(t *testing.T) {
		opened := len(e.Slack.Calls("views.open"))
		if r := e.ClickInView(bottest.Support, results, "contact:"+jane, bot.ActionDelete, jane); r.Status != http.StatusOK {
			t.Fatalf("click: %d %s", r.Status, r.Body)
		}
		if n := len(e.Slack.Calls("views.open")); n != opened {
			t.Errorf("views.open called from a modal (Slack refuses it): %d", n-opened)
		}
		pushed := e.LastViewOf("views.push")
		if pushed.CallbackID != bot.CallbackDeleteModal || pushed.Submit.Text != "Request approval" {
			t.Fatalf("pushed view: %s %+v", pushed.CallbackID, pushed.Submit)
		}
		r := e.Submit(bottest.Support, pushed, map[string]string{"reason": "duplicate", "confirm": "DELETE"})
		e.Bot.Wait()
		if !strings.Contains(r.Body, "Request sent") {
			t.Fatalf("submit: %s", r.Body)
		}
		list, total, err := e.Store.PendingApprovalsOf(context.Background(), bottest.Support, 5)
		if err != nil || total != 1 || list[0].ContactID != jane {
			t.Errorf("requests: %+v %d %v", list, total, err)
		}
	})

	t.Run("NewSearch", func(t *testing.T) {
		if r := e.ClickInView(bottest.Support, results, "find:again", bot.ActionFindContact, ""); r.Status != http.StatusOK {
			t.Fatalf("click: %d", r.Status)
		}
		up, ok := e.Slack.Last("views.update")
		if !ok || up.Params["view_id"] != form.ID {
			t.Fatalf("New search did not turn the results window back into the form: %v", up)
		}
		sameLines(t, "the form again", viewLines(e.LastViewOf("views.update").Blocks.BlockSet), []string{"input: Name, email, phone or contact id"})
	})

	t.Run("DNDConfirmationByDM", func(t *testing.T) {
		bob := lowRisk(t, e, "Bob")
		if r := e.ClickInView(bottest.Deleter, results, "contact:"+bob, bot.ActionSetDND, bob); r.Status != http.StatusOK {
			t.Fatalf("click: %d", r.Status)
		}
		dnd := e.LastViewOf("views.push")
		if dnd.CallbackID != bot.CallbackDNDModal {
			t.Fatalf("pushed %s", dnd.CallbackID)
		}
		n := len(dmsTo(e, bottest.Deleter))
		e.SubmitChecked(bottest.Deleter, dnd, map[string][]string{"channels": {"sms", "email"}})
		e.Bot.Wait()
		if dms := dmsTo(e, bottest.Deleter); len(dms) != n+1 || !strings.Contains(dms[n], "Bob Test") {
			t.Errorf("the Set DND confirmation did not come by DM: %q", dms[n:])
		}
	})
}

// TestMessageShortcut: "Find contacts in this message" looks up every email,
// phone number and contact id in the message and shows the matches, with
// the usual buttons, only to the person who used it; a delete started there
// names the message in its audit line.
func TestMessageShortcut(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	jane := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	bob := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Bob", LastName: "Roe", Phone: "+1 (555) 010-2233"})
	ida := crmtest.InsertContact(t, e.Store, crmtest.Contact{ID: "seD4PfOuKoVMLkEZqohJ", FirstName: "Ida", LastName: "Id"})
	text := "please delete test contacts <mailto:jane@example.com|jane@example.com> / +1 555 010 2233, also " + ida +
		" (see <https://app.leadgains.com/v2/contacts/detail/" + ida + "|the CRM>) and ghost@example.com. Thanks <@USUPPORT>! Due 2026-11-30."
	const ts = "1795895340.000200"

	cb := e.ShortcutCallback(bottest.Deleter, bottest.Channel, ts, text)
	if r := e.Interact(cb); r.Status != http.StatusOK || r.Body != "" {
		t.Fatalf("shortcut ack: %d %q", r.Status, r.Body)
	}
	e.Bot.Wait()
	rs := e.Slack.Responses()
	if len(rs) != 1 {
		t.Fatalf("%d response_url posts, want 1", len(rs))
	}
	resp := rs[0]
	if u, _ := url.Parse(resp.Path); !strings.HasPrefix(cb.ResponseURL, "http") || u == nil || resp.Params["response_type"] != "ephemeral" || resp.Params["replace_original"] == "true" {
		t.Errorf("answer not ephemeral: %v", resp.Params)
	}
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(resp.Params["blocks"]), &blocks); err != nil {
		t.Fatal(err)
	}
	lines := viewLines(blocks.BlockSet)
	if lines[0] != "header: 3 contacts in this message" ||
		lines[1] != "context: Looked up `jane@example.com`, `ghost@example.com`, `+1 555 010 2233` and `"+ida+"`. Only you see this." ||
		lines[len(lines)-1] != "context: No contact matches `ghost@example.com`." {
		t.Errorf("answer:\n%s", strings.Join(lines, "\n"))
	}
	var blockIDs []string
	for _, b := range blocks.BlockSet {
		if ab, ok := b.(*slack.ActionBlock); ok {
			blockIDs = append(blockIDs, ab.BlockID)
		}
	}
	// The buttons name the message by the id of the row the server kept,
	// never by words a client could rewrite.
	var origins []crm.MessageOrigin
	if err := e.Store.DB().Select(&origins, `SELECT id, user_id, channel, message_ts FROM message_origins`); err != nil {
		t.Fatal(err)
	}
	if len(origins) != 1 || origins[0].UserID != bottest.Deleter || origins[0].Channel != bottest.Channel || origins[0].MessageTS != ts {
		t.Fatalf("message origins %+v", origins)
	}
	o := origins[0].ID
	wantIDs := []string{"msg:" + o + ":" + jane, "msg:" + o + ":" + bob, "msg:" + o + ":" + ida}
	if fmt.Sprint(blockIDs) != fmt.Sprint(wantIDs) {
		t.Errorf("action blocks %v, want %v", blockIDs, wantIDs)
	}
	if n := len(e.Slack.Calls("chat.postMessage")); n != 0 {
		t.Errorf("the shortcut posted %d messages for everyone to see", n)
	}

	// A delete from there: its audit line names the message.
	cbClick := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Deleter}, Team: slack.Team{ID: bottest.Team},
		Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: bottest.Channel}}}, TriggerID: "trigger-sc",
		ResponseURL: e.Slack.NewResponseURL(), Container: slack.Container{Type: "message", IsEphemeral: true},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionDelete, BlockID: wantIDs[0], Value: jane}}}}
	if r := e.Interact(cbClick); r.Status != http.StatusOK {
		t.Fatalf("click: %d %s", r.Status, r.Body)
	}
	submitDelete(t, e, bottest.Deleter, e.LastView())
	if contactExists(t, e, jane) {
		t.Fatal("Jane was not deleted")
	}
	via := "; via message shortcut on the message of 2026-11-28 19:49:00 UTC in channel CSUPPORT, ts " + ts
	trail, err := e.Store.AuditTrail(context.Background(), jane, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var deleted, opened crm.AuditEntry
	for _, a := range trail {
		switch a.Action {
		case crm.AuditDeleted:
			deleted = a
		case crm.AuditFind:
			opened = a
		}
	}
	if deleted.Detail != "1 row archived"+via {
		t.Errorf("delete audit detail = %q, want it to end with %q", deleted.Detail, via)
	}
	if opened.Detail != "via message shortcut on the message of 2026-11-28 19:49:00 UTC in channel CSUPPORT, ts "+ts {
		t.Errorf("window-opened audit detail = %q", opened.Detail)
	}
	found := false
	for _, p := range e.AuditPosts() {
		if strings.Contains(p.Params["text"], "deleted contact `"+jane+"`") && strings.Contains(p.Params["text"], via) {
			found = true
		}
	}
	if !found {
		t.Errorf("the audit feed line of the delete does not name the message: %v", e.AuditPosts())
	}

	t.Run("NothingToLookUp", func(t *testing.T) {
		e.Interact(e.ShortcutCallback(bottest.Support, bottest.Channel, ts, "can someone delete the test contact from yesterday? 10:30 works"))
		e.Bot.Wait()
		const want = "This message has no email address, phone number, contact id or full name (two capitalised words, as in Jane Doe) to look up. Use the shortcut on a message that has one, or search with `/contact`."
		if got := lastResponse(t, e); got != want+"\n"+want {
			t.Errorf("answer %q", got)
		}
	})

	t.Run("NoMatch", func(t *testing.T) {
		e.Interact(e.ShortcutCallback(bottest.Support, bottest.Channel, ts, "delete ghost@example.com please"))
		e.Bot.Wait()
		rs := e.Slack.Responses()
		sameLines(t, "no match", viewLines(decodeBlocks(t, rs[len(rs)-1].Params["blocks"])), []string{
			"header: No contact found for this message",
			"context: Looked up `ghost@example.com`. Only you see this.",
			"context: No contact matches `ghost@example.com`.",
		})
	})

	t.Run("ForgedBlockIDIgnored", func(t *testing.T) {
		// Words where the origin goes, an origin never issued, and a real
		// one issued to someone else: each is a search result's button.
		for i, forged := range []string{"msg:not a channel:1.2:", "msg:CSUPPORT:" + ts + ":", "msg:MAAAAAAAAAA:", "msg:" + o + ":"} {
			user := bottest.Deleter
			if i == 3 {
				user = bottest.Admin
			}
			cbClick.User.ID = user
			cbClick.ActionCallback.BlockActions[0].BlockID = forged + bob
			cbClick.ActionCallback.BlockActions[0].Value = bob
			cbClick.ResponseURL = e.Slack.NewResponseURL()
			e.Interact(cbClick)
			e.Bot.Wait()
			trail, _ := e.Store.AuditTrail(context.Background(), bob, "", 10)
			if len(trail) != i+1 || trail[0].Detail != "via button on a search result" {
				t.Errorf("audit of forged block id %q: %+v", forged, trail)
			}
		}
	})
}

// TestMessageShortcutLooksUpNames: on the demo CRM, the shortcut also looks
// up two capitalised words in a row as a name, and says so.
func TestMessageShortcutLooksUpNames(t *testing.T) {
	t.Parallel()
	e := demoEnv(t)
	const ts = "1795895340.000300"
	answer := func(text string) []string {
		t.Helper()
		e.Interact(e.ShortcutCallback(bottest.Support, bottest.Channel, ts, text))
		e.Bot.Wait()
		rs := e.Slack.Responses()
		var top []string
		for _, l := range viewLines(decodeBlocks(t, rs[len(rs)-1].Params["blocks"])) {
			if strings.HasPrefix(l, "header: ") || strings.HasPrefix(l, "context: Looked up") || strings.HasPrefix(l, "context: No contact") || strings.HasPrefix(l, "section: *") {
				top = append(top, strings.SplitN(l, "\n", 2)[0])
			}
		}
		return top
	}
	jane, imported, mateo := demo.ID("jane"), demo.ID("jane-import"), demo.ID("mateo")
	sameLines(t, "Jane Doe and her number", answer("can you delete Jane Doe please, she called from 555 010 2233"), []string{
		"header: 2 contacts in this message",
		"context: Looked up `555 010 2233` and `Jane Doe`. Only you see this.",
		"section: *Jane Doe* · jane.doe@example.com · +1 (555) 010-2233 · `" + jane + "`  _exact match_",
		"section: *Jane Doe* · 555.010.2233 · `" + imported + "`  _exact match_",
	})
	// A name alone finds its contact; words that name nobody say so.
	sameLines(t, "a name alone", answer("Please remove Mateo García from the list, Happy Friday"), []string{
		"header: 1 contact in this message",
		"context: Looked up `Mateo García` and `Happy Friday`. Only you see this.",
		"section: *Mateo García* · mateo.garcia@example.es · +34 91 555 0101 · `" + mateo + "`  _exact match_",
		"context: No contact matches `Happy Friday`.",
	})
}
