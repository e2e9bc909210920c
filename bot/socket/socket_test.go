package socket_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/bot/socket"
	"contactbot/crm/crmtest"
	"contactbot/internal/testsvc"
)

// wait bounds every wait for the client; generous, as tests run under -race.
const wait = 10 * time.Second

func cbPayload(t *testing.T, cb slack.InteractionCallback) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(cb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// submission is a delete modal submitted with a confirmation text.
func submission(view slack.View, user, confirm string) slack.InteractionCallback {
	view.ID = "VSOCKET1"
	view.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"reason":  {"reason": {ActionID: "reason", Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "duplicate"}}},
		"confirm": {"confirm": {ActionID: "confirm", Type: "plain_text_input", Value: confirm}},
	}}
	return slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team}, View: view}
}

// TestSocketMode serves the bot over a fake Socket Mode connection: a slash
// command answered in its ack, a button click acked and handled, a view
// submission's inline errors in its ack, a redelivered envelope acked
// without being handled again, a dropped socket reopened, and a delete
// submitted over the new one.
func TestSocketMode(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_SIGNING_SECRET": ""}})
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	sock := slackfake.NewSocket(t)
	e.Slack.SetSocketURL(sock.URL())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- socket.Run(ctx, e.Bot, socket.Options{AppToken: "xapp-1-test", BotToken: "xoxb-test-token", APIURL: e.Slack.URL()})
	}()
	conn := sock.Next(wait)
	if open, _ := e.Slack.Last("apps.connections.open"); open.Token != "xapp-1-test" {
		t.Errorf("apps.connections.open with token %q, want the app token", open.Token)
	}

	t.Run("SlashCommandAnsweredInAck", func(t *testing.T) {
		cmd := map[string]any{"token": "x", "team_id": bottest.Team, "channel_id": bottest.Channel, "user_id": bottest.Deleter,
			"command": "/contact", "text": "jane@example.com", "is_enterprise_install": "false",
			"response_url": e.Slack.NewResponseURL(), "trigger_id": "trigger-cmd"}
		a := conn.Send("env-cmd", "slash_commands", cmd, 0)
		var msg map[string]any
		if err := json.Unmarshal(a.Payload, &msg); err != nil {
			t.Fatalf("ack payload is not a message: %s", a.Payload)
		}
		if msg["response_type"] != "ephemeral" || !strings.Contains(string(a.Payload), "Jane Doe") || !strings.Contains(string(a.Payload), `"action_id":"contact.delete"`) {
			t.Errorf("ack payload = %s", a.Payload)
		}
	})

	var view slack.View
	t.Run("ClickAckedThenHandled", func(t *testing.T) {
		click := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Deleter}, Team: slack.Team{ID: bottest.Team},
			TriggerID: "trigger-click", ResponseURL: e.Slack.NewResponseURL(),
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionDelete, BlockID: "b", Value: id}}}}
		if a := conn.Send("env-click", "interactive", cbPayload(t, click), 0); len(a.Payload) != 0 {
			t.Errorf("a click's ack carries %s, want nothing", a.Payload)
		}
		open := e.Slack.WaitCalls("views.open", 1, wait)[0]
		if open.Params["trigger_id"] != "trigger-click" {
			t.Errorf("views.open with trigger %q", open.Params["trigger_id"])
		}
		view = e.LastView()
	})

	t.Run("ViewSubmissionErrorsInAck", func(t *testing.T) {
		p := cbPayload(t, submission(view, bottest.Deleter, "delete"))
		a := conn.Send("env-sub1", "interactive", p, 0)
		var resp slack.ViewSubmissionResponse
		if err := json.Unmarshal(a.Payload, &resp); err != nil || resp.ResponseAction != slack.RAErrors || !strings.Contains(resp.Errors["confirm"], "Type DELETE") {
			t.Fatalf("ack payload = %s, want the confirm field's error", a.Payload)
		}
		// Slack sends an envelope again when it missed the ack: acked, not handled.
		if a := conn.Send("env-sub1", "interactive", p, 1); len(a.Payload) != 0 {
			t.Errorf("a redelivered envelope was handled again: %s", a.Payload)
		}
	})

	t.Run("ReconnectsAfterDrop", func(t *testing.T) {
		conn.Conn.UnderlyingConn().Close() // no close frame: the network dropped it
		conn = sock.Next(wait)
		if n := len(e.Slack.Calls("apps.connections.open")); n < 2 {
			t.Errorf("apps.connections.open called %d times, want a second call to reconnect", n)
		}
		a := conn.Send("env-sub2", "interactive", cbPayload(t, submission(view, bottest.Deleter, "DELETE")), 0)
		if len(a.Payload) != 0 {
			t.Errorf("DELETE submit ack = %s, want an empty ack that closes the modal", a.Payload)
		}
		e.Bot.Wait()
		if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 0 {
			t.Error("the contact was not deleted")
		}
		dm := e.Slack.WaitCalls("chat.postMessage", 1, wait)[0]
		if dm.Params["channel"] != bottest.Deleter || !strings.Contains(dm.Text(), "Deleted Jane Doe") {
			t.Errorf("summary: %s %s", dm.Params["channel"], dm.Text())
		}
	})

	t.Run("OtherEnvelopesAcked", func(t *testing.T) {
		ev := map[string]any{"type": "event_callback", "team_id": bottest.Team, "api_app_id": "A0TEST",
			"event": map[string]any{"type": "app_mention", "user": bottest.Support, "text": "hi", "channel": bottest.Channel, "ts": "1.1"}}
		conn.Send("env-event", "events_api", ev, 0)
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
}

func TestSocketModeRefusedToken(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	e.Slack.Fail("apps.connections.open", "invalid_auth")
	err := socket.Run(context.Background(), e.Bot, socket.Options{AppToken: "xapp-bad", BotToken: "xoxb-test-token", APIURL: e.Slack.URL()})
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("Run = %v, want invalid_auth", err)
	}
}

// TestSocketModeRedisDown: with the bot's Redis (a private redis-server)
// stopped, envelopes are still answered in their acks, and one Slack sends
// again is still acknowledged without being handled twice: the database
// remembers envelope ids instead.
func TestSocketModeRedisDown(t *testing.T) {
	rd := testsvc.StartRedis(t)
	e := bottest.New(t, bottest.Options{RedisURL: rd.URL(), Env: map[string]string{"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_SIGNING_SECRET": ""}})
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	sock := slackfake.NewSocket(t)
	e.Slack.SetSocketURL(sock.URL())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go socket.Run(ctx, e.Bot, socket.Options{AppToken: "xapp-1-test", BotToken: "xoxb-test-token", APIURL: e.Slack.URL()})
	conn := sock.Next(wait)
	rd.Stop(t)

	cmd := map[string]any{"token": "x", "team_id": bottest.Team, "channel_id": bottest.Channel, "user_id": bottest.Deleter,
		"command": "/contact", "text": "jane@example.com", "response_url": e.Slack.NewResponseURL(), "trigger_id": "trigger-cmd"}
	if a := conn.Send("env-cmd", "slash_commands", cmd, 0); !strings.Contains(string(a.Payload), "Jane Doe") {
		t.Errorf("slash command with Redis down: ack %s", a.Payload)
	}
	click := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Deleter}, Team: slack.Team{ID: bottest.Team},
		TriggerID: "trigger-click", ResponseURL: e.Slack.NewResponseURL(),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionDelete, BlockID: "b", Value: id}}}}
	conn.Send("env-click", "interactive", cbPayload(t, click), 0)
	e.Slack.WaitCalls("views.open", 1, wait)
	conn.Send("env-click", "interactive", cbPayload(t, click), 1) // redelivered
	e.Bot.Wait()
	if n := len(e.Slack.Calls("views.open")); n != 1 {
		t.Errorf("a redelivered click was handled again with Redis down: %d views.open", n)
	}
	if n := crmtest.CountRows(t, e.Store, "seen_keys", "key LIKE 'socket-envelope:%'"); n != 2 {
		t.Errorf("%d envelope ids in the database, want 2", n)
	}
}
