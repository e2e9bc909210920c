package bot_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm/crmtest"
)

// hook is an HTTP server that is not Slack's: it counts what it is sent.
type hook struct {
	*httptest.Server
	posts atomic.Int32
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.posts.Add(1)
	}))
	t.Cleanup(h.Close)
	return h
}

// forgedURL is the hook's address with a query string that must never be logged.
func (h *hook) forgedURL() string { return h.URL + "/hook?secret=do-not-log" }

// checkHookIgnored asserts that the hook was sent nothing, and the warning
// for its URL, logged once and without its query string.
func checkHookIgnored(t *testing.T, logs *bottest.Logs, h *hook, from string) {
	t.Helper()
	if n := h.posts.Load(); n != 0 {
		t.Errorf("the forged URL (from %s) received %d posts", from, n)
	}
	want := "response URL ignored: not Slack's, so the answer goes by DM from=" + from + " url=" + h.URL + "/hook"
	var got []string
	for _, l := range logs.At(slog.LevelWarn) {
		if strings.HasPrefix(l, "response URL ignored") {
			got = append(got, l)
		}
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("warnings %q, want once %q", got, want)
	}
	for _, l := range logs.All() {
		if strings.Contains(l, "do-not-log") {
			t.Errorf("a log line has the URL's query string: %s", l)
		}
	}
}

// TestResponseURLOnlySlacks: a response URL that is not Slack's (nor the
// fake Slack's, which stands for SLACK_API_URL) is never posted to, whether
// it comes in a button payload or in a window's private_metadata: the
// answer goes by DM and the URL is logged once without its query string.
func TestResponseURLOnlySlacks(t *testing.T) {
	t.Parallel()
	t.Run("ButtonPayload", func(t *testing.T) {
		log, logs := bottest.NewLogs(nil)
		e := bottest.New(t, bottest.Options{Log: log})
		h := newHook(t)
		cb := slack.InteractionCallback{
			Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Support}, Team: slack.Team{ID: bottest.Team},
			Channel:     slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: bottest.Channel}}},
			TriggerID:   "trigger-1",
			ResponseURL: h.forgedURL(),
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
				{ActionID: "contact.no-such-button", BlockID: "b", Value: "x"},
			}},
		}
		if r := e.Interact(cb); r.Status != http.StatusOK {
			t.Fatalf("click: %d %s", r.Status, r.Body)
		}
		e.Bot.Wait()
		want := "That button is not one contactbot knows (it may be from an older message), so nothing was done. Search again with `/contact`."
		// The text, and the one section block that says the same.
		if got := posts(e, bottest.Support); len(got) != 1 || got[0].Params["text"] != want || got[0].Text() != want+"\n"+want {
			t.Errorf("DMs to the person: %v, want %q", got, want)
		}
		if n := len(e.Slack.Responses()); n != 0 {
			t.Errorf("%d response_url posts on the fake Slack", n)
		}
		checkHookIgnored(t, logs, h, "interaction payload")
	})
	t.Run("SetDNDWindow", func(t *testing.T) {
		log, logs := bottest.NewLogs(nil)
		e := bottest.New(t, bottest.Options{Log: log})
		h := newHook(t)
		id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
		if r := e.Command(bottest.Support, "dnd jane@example.com"); r.Status != http.StatusOK {
			t.Fatalf("dnd: %d %s", r.Status, r.Body)
		}
		view := e.LastView()
		var meta map[string]any
		if err := json.Unmarshal([]byte(view.PrivateMetadata), &meta); err != nil || meta["c"] != id {
			t.Fatalf("not the DND window of %s: %q", id, view.PrivateMetadata)
		}
		meta["ru"] = h.forgedURL()
		forged, _ := json.Marshal(meta)
		view.PrivateMetadata = string(forged)
		if r := e.SubmitChecked(bottest.Support, view, map[string][]string{"channels": {"sms"}}); strings.TrimSpace(r.Body) != "" {
			t.Fatalf("submit: %s", r.Body)
		}
		e.Bot.Wait()
		if got := dndOf(t, e, id); got["sms"] != "active" {
			t.Errorf("DND = %v, want sms on", got)
		}
		// The confirmation as a response URL would have shown it; only
		// the undo deadline's timestamp is not known here.
		want := "DND set for Jane Doe\nDND set for Jane Doe\n*Jane Doe* · jane@example.com · `" + id + "`\nSMS: not set → *on*\nThe contact stays. Set by you: undo until <!date^"
		got := posts(e, bottest.Support)
		if len(got) != 1 || got[0].Params["text"] != "DND set for Jane Doe" || !strings.HasPrefix(got[0].Text(), want) || !strings.HasSuffix(got[0].Text(), " (you or an admin).\nUndo") {
			t.Errorf("DMs to the person: %v, want one starting %q", got, want)
		}
		if n := len(e.Slack.Responses()); n != 0 {
			t.Errorf("%d response_url posts on the fake Slack", n)
		}
		checkHookIgnored(t, logs, h, "set DND window")
	})
	t.Run("SlashCommand", func(t *testing.T) {
		log, logs := bottest.NewLogs(nil)
		e := bottest.New(t, bottest.Options{Log: log})
		h := newHook(t)
		id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
		form := url.Values{"command": {"/contact"}, "text": {"dnd jane@example.com"}, "user_id": {bottest.Support}, "team_id": {bottest.Team},
			"channel_id": {bottest.Channel}, "trigger_id": {"trigger-1"}, "response_url": {h.forgedURL()}}
		if r := e.PostSigned("/slack/commands", form.Encode()); r.Status != http.StatusOK {
			t.Fatalf("dnd: %d %s", r.Status, r.Body)
		}
		// The window does not carry the forged URL on to its submit.
		var meta map[string]any
		if v := e.LastView(); json.Unmarshal([]byte(v.PrivateMetadata), &meta) != nil || meta["c"] != id || meta["ru"] != nil {
			t.Errorf("DND window's private_metadata: %s", v.PrivateMetadata)
		}
		e.Bot.Wait()
		checkHookIgnored(t, logs, h, "slash command")
	})
	t.Run("FakeSlacksStillServed", func(t *testing.T) {
		// The origin of SLACK_API_URL (here the fake) is Slack's stand-in:
		// its response URLs are used as before.
		e := bottest.New(t)
		e.Click(bottest.Support, "contact.no-such-button", "x")
		e.Bot.Wait()
		if got := e.Slack.Responses(); len(got) != 1 || !strings.HasPrefix(got[0].Text(), "That button is not one contactbot knows") {
			t.Errorf("response_url posts: %v", got)
		}
		if got := posts(e, bottest.Support); len(got) != 0 {
			t.Errorf("DMs: %v", got)
		}
	})
}

// TestClickHandlesFirstActionOnly: Slack sends one action per click; a
// forged payload with two (open two windows) does the first only.
func TestClickHandlesFirstActionOnly(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	first := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	second := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "John", LastName: "Roe", Email: "john@example.com"})
	cb := slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Support}, Team: slack.Team{ID: bottest.Team},
		Channel:     slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: bottest.Channel}}},
		TriggerID:   "trigger-1",
		ResponseURL: e.Slack.NewResponseURL(),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: bot.ActionSetDND, BlockID: "b1", Value: first},
			{ActionID: bot.ActionSetDND, BlockID: "b2", Value: second},
		}},
	}
	if r := e.Interact(cb); r.Status != http.StatusOK {
		t.Fatalf("click: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	opened := e.Slack.Calls("views.open")
	if len(opened) != 1 {
		t.Fatalf("%d windows opened, want 1", len(opened))
	}
	if v := e.LastView(); !strings.Contains(v.PrivateMetadata, first) || strings.Contains(v.PrivateMetadata, second) {
		t.Errorf("the window opened is not the first action's: %q", v.PrivateMetadata)
	}
}

// TestOtherWorkspaceRefusedWithoutTeamID: with SLACK_TEAM_ID unset, the bot
// still serves only the workspace auth.test named at start.
func TestOtherWorkspaceRefusedWithoutTeamID(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	if e.Config.SlackTeamID != "" {
		t.Fatalf("SLACK_TEAM_ID is set (%s): this test is about learning the team", e.Config.SlackTeamID)
	}
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	refusal := "This contactbot serves another Slack workspace. Ask your admin which bot to use here."
	command := func(team, enterprise string) bottest.Response {
		form := url.Values{"command": {"/contact"}, "text": {"jane@example.com"}, "user_id": {bottest.Admin}, "team_id": {team},
			"enterprise_id": {enterprise}, "channel_id": {bottest.Channel}, "response_url": {e.Slack.NewResponseURL()}}
		return e.PostSigned("/slack/commands", form.Encode())
	}
	t.Run("Command", func(t *testing.T) {
		if r := readable(t, command("T0OTHER", "")); r.Body != refusal {
			t.Errorf("command from T0OTHER: %q, want %q", r.Body, refusal)
		}
		if r := readable(t, command(bottest.Team, "E0OTHER")); r.Body != refusal {
			t.Errorf("command from an enterprise the workspace is not in: %q, want %q", r.Body, refusal)
		}
		if r := command(bottest.Team, ""); !strings.Contains(r.Body, "Jane Doe") {
			t.Errorf("command from the bot's own workspace not served: %s", r.Body)
		}
	})
	t.Run("Interaction", func(t *testing.T) {
		cb := slack.InteractionCallback{
			Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Admin}, Team: slack.Team{ID: "T0OTHER"},
			TriggerID: "trigger-1", ResponseURL: e.Slack.NewResponseURL(),
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionFindContact, BlockID: "home"}}},
		}
		before := len(e.Slack.Calls("views.open"))
		e.Interact(cb)
		e.Bot.Wait()
		if n := len(e.Slack.Calls("views.open")) - before; n != 0 {
			t.Errorf("a click from T0OTHER opened %d windows", n)
		}
		got := e.Slack.Responses()
		if len(got) == 0 || got[len(got)-1].Params["text"] != refusal {
			t.Errorf("answer to a click from T0OTHER: %v, want %q", got, refusal)
		}
	})
}

// TestEventsOtherWorkspace: with SLACK_TEAM_ID set, an event from another
// workspace is acknowledged and ignored.
func TestEventsOtherWorkspace(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"SLACK_TEAM_ID": "T0OTHER"}})
	if r := e.PostEvent(bottest.HomeOpenedEvent(bottest.Support, "Ev0OTHER"), nil); r.Status != http.StatusOK {
		t.Fatalf("%d %q", r.Status, r.Body)
	}
	e.Bot.Wait()
	if n := len(e.Slack.Calls("views.publish")); n != 0 {
		t.Errorf("%d publishes for another workspace", n)
	}
}

// TestEnterpriseGridWorkspace: a workspace in an Enterprise Grid serves
// payloads that name its organisation, and people whose team Slack gives
// as the organisation; another organisation is refused.
func TestEnterpriseGridWorkspace(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	e.Slack.SetWorkspace(bottest.Team, "E0ORG")
	grid := e.Replica() // a process started on the Grid workspace's token
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	command := func(enterprise string) string {
		form := url.Values{"command": {"/contact"}, "text": {"jane@example.com"}, "user_id": {bottest.Admin}, "team_id": {bottest.Team},
			"enterprise_id": {enterprise}, "channel_id": {bottest.Channel}, "response_url": {e.Slack.NewResponseURL()}}
		return grid.PostSigned("/slack/commands", form.Encode()).Body
	}
	if got := command("E0ORG"); !strings.Contains(got, "Jane Doe") {
		t.Errorf("command from the workspace's own organisation: %s", got)
	}
	if got := command("E0OTHER"); !strings.Contains(got, "This contactbot serves another Slack workspace.") {
		t.Errorf("command naming another organisation: %s", got)
	}
	find := slack.View{ID: "VFIND1", Type: slack.VTModal, CallbackID: bot.CallbackFindModal, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"find_query": {"find_query": {Type: "plain_text_input", Value: "jane@example.com"}},
	}}}
	for userTeam, served := range map[string]bool{"E0ORG": true, bottest.Team: true, "E0OTHER": false, "T0ELSE": false} {
		cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: bottest.Support, TeamID: userTeam},
			Team: slack.Team{ID: bottest.Team}, Enterprise: slack.Enterprise{ID: "E0ORG"}, View: find}
		payload, _ := json.Marshal(cb)
		got := readable(t, grid.PostSigned("/slack/interactions", url.Values{"payload": {string(payload)}}.Encode())).Body
		if strings.Contains(got, "Jane Doe") != served || strings.Contains(got, "your account belongs to another organisation") == served {
			t.Errorf("search by a person of team %s (served: %v): %q", userTeam, served, got)
		}
	}
}

// TestExternalMemberRefused: a person whose own team is not the bot's (an
// external member of a Slack Connect channel) is refused, searches
// included, with a sentence that says why.
func TestExternalMemberRefused(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	refusal := "contactbot serves only members of the workspace it is installed in, and your account belongs to another organisation, so nothing was done. Ask a member of this workspace for help."
	external := slack.User{ID: "U0EXTERNAL", TeamID: "T0EXTERNAL"}

	t.Run("Search", func(t *testing.T) {
		find := slack.View{ID: "VFIND1", Type: slack.VTModal, CallbackID: bot.CallbackFindModal, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
			"find_query": {"find_query": {Type: "plain_text_input", Value: "jane@example.com"}},
		}}}
		r := e.Interact(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: external, Team: slack.Team{ID: bottest.Team}, View: find})
		v := updatedView(t, r)
		if got := readable(t, r).Body; !strings.Contains(got, refusal) || strings.Contains(got, "Jane Doe") {
			t.Errorf("search by an external member: %q, want %q", got, refusal)
		}
		if v.Title == nil || v.Title.Text != "Not served" {
			t.Errorf("window title: %+v", v.Title)
		}
	})
	t.Run("Shortcut", func(t *testing.T) {
		cb := e.ShortcutCallback(external.ID, bottest.Channel, "1795895340.000200", "please delete jane@example.com")
		cb.User.TeamID = external.TeamID
		before := len(e.Slack.Calls(""))
		e.Interact(cb)
		e.Bot.Wait()
		got := e.Slack.Responses()
		if len(got) == 0 || got[len(got)-1].Params["text"] != refusal {
			t.Errorf("answer to an external member's shortcut: %v, want %q", got, refusal)
		}
		for _, c := range e.Slack.Calls("")[before:] {
			t.Errorf("an external member's shortcut made a Slack call: %s %v", c.Method, c.Params)
		}
	})
	t.Run("MemberServed", func(t *testing.T) {
		cb := e.ShortcutCallback(bottest.Support, bottest.Channel, "1795895340.000300", "please delete jane@example.com")
		cb.User.TeamID = bottest.Team
		e.Interact(cb)
		e.Bot.Wait()
		got := e.Slack.Responses()
		if len(got) == 0 || !strings.Contains(got[len(got)-1].Text(), "Jane Doe") {
			t.Errorf("a member's shortcut was not served: %v", got)
		}
	})
}
