package bottest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// PostEvent sends an Events API payload to /slack/events, signed, with
// extra headers (X-Slack-Retry-Num…).
func (e *Env) PostEvent(payload any, extra http.Header) Response {
	e.TB.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		e.TB.Fatal(err)
	}
	h := Sign(Secret, string(body), time.Now())
	h.Set("Content-Type", "application/json")
	for k, v := range extra {
		h[k] = v
	}
	return e.Post("/slack/events", string(body), h)
}

// HomeOpenedEvent is the event_callback Slack sends when user opens the
// bot's Home tab.
func HomeOpenedEvent(user, eventID string) map[string]any {
	return map[string]any{
		"token": "unused", "team_id": Team, "api_app_id": "A0TEST", "type": "event_callback",
		"event_id": eventID, "event_time": time.Now().Unix(),
		"event": map[string]any{"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home",
			"event_ts": "1700000000.000100"},
	}
}

// OpenHome sends app_home_opened for user and waits for the tab to be
// published; it returns the view Slack received.
func (e *Env) OpenHome(user string) slack.View {
	e.TB.Helper()
	before := len(e.HomeViews(user))
	if r := e.PostEvent(HomeOpenedEvent(user, "Ev"+crm.NewID("", 8)), nil); r.Status != http.StatusOK {
		e.TB.Fatalf("app_home_opened: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	views := e.HomeViews(user)
	if len(views) <= before {
		e.TB.Fatalf("the Home tab of %s was not published; calls: %v", user, e.Slack.Calls(""))
	}
	return views[len(views)-1]
}

// HomeViews are the Home tabs published for user so far, oldest first.
func (e *Env) HomeViews(user string) []slack.View {
	e.TB.Helper()
	var out []slack.View
	for _, c := range e.Slack.Calls("views.publish") {
		if c.Params["user_id"] != user {
			continue
		}
		var v slack.View
		if err := json.Unmarshal([]byte(c.Params["view"]), &v); err != nil {
			e.TB.Fatalf("decode published view: %v", err)
		}
		out = append(out, v)
	}
	return out
}

// ClickInView presses a button as user in a view (a Home tab or a modal):
// such clicks carry the view and no response_url or channel.
func (e *Env) ClickInView(user string, v slack.View, blockID, actionID, value string) Response {
	e.TB.Helper()
	if v.ID == "" {
		v.ID = "V" + crm.NewID("", 8)
	}
	cb := slack.InteractionCallback{
		Type:      slack.InteractionTypeBlockActions,
		User:      slack.User{ID: user},
		Team:      slack.Team{ID: Team},
		TriggerID: "trigger-" + crm.NewID("", 6),
		Container: slack.Container{Type: "view", ViewID: v.ID},
		View:      v,
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: actionID, BlockID: blockID, Value: value},
		}},
	}
	return e.Interact(cb)
}

// ClickHome presses a button on user's Home tab.
func (e *Env) ClickHome(user, actionID, value string) Response {
	e.TB.Helper()
	return e.ClickInView(user, slack.View{ID: "VHOME" + user, Type: slack.VTHomeTab}, "home", actionID, value)
}

// ShortcutCallback is the message_action payload of the "Find contacts in
// this message" shortcut used by user on a message in channel.
func (e *Env) ShortcutCallback(user, channel, ts, text string) slack.InteractionCallback {
	return slack.InteractionCallback{
		Type:        slack.InteractionTypeMessageAction,
		CallbackID:  "find_contacts",
		User:        slack.User{ID: user},
		Team:        slack.Team{ID: Team},
		Channel:     slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: channel}}},
		TriggerID:   "trigger-" + crm.NewID("", 6),
		ResponseURL: e.Slack.NewResponseURL(),
		MessageTs:   ts,
		Message:     slack.Message{Msg: slack.Msg{Type: "message", User: Support, Text: text, Timestamp: ts}},
	}
}
