package socket_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/bot/socket"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestSocketModeSurfaces: over Socket Mode, app_home_opened (an events_api
// envelope) publishes the Home tab once per event_id, even when Slack sends
// it again in a new envelope; a Home tab click answers by DM; the message
// shortcut answers privately through its response_url; /contact audit
// uploads the file.
func TestSocketModeSurfaces(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_SIGNING_SECRET": ""}})
	jane := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	sock := slackfake.NewSocket(t)
	e.Slack.SetSocketURL(sock.URL())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- socket.Run(ctx, e.Bot, socket.Options{AppToken: "xapp-1-test", BotToken: "xoxb-test-token", APIURL: e.Slack.URL()})
	}()
	conn := sock.Next(wait)

	t.Run("HomeOpenedOncePerEvent", func(t *testing.T) {
		ev := bottest.HomeOpenedEvent(bottest.Support, "Ev0SOCKET1")
		if a := conn.Send("env-home-1", "events_api", ev, 0); len(a.Payload) != 0 {
			t.Errorf("ack carries %s", a.Payload)
		}
		e.Slack.WaitCalls("views.publish", 1, wait)
		conn.Send("env-home-2", "events_api", ev, 1) // Slack again, a new envelope
		e.Bot.Wait()
		views := e.HomeViews(bottest.Support)
		if len(views) != 1 {
			t.Fatalf("%d publishes, want 1", len(views))
		}
		if !strings.Contains(views[0].Blocks.BlockSet[0].(*slack.HeaderBlock).Text.Text, "contactbot") {
			t.Errorf("published %+v", views[0])
		}
	})

	t.Run("HomeClickAnswersByDM", func(t *testing.T) {
		click := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Support}, Team: slack.Team{ID: bottest.Team},
			TriggerID: "trigger-home", View: slack.View{ID: "VHOMESUPPORT", Type: slack.VTHomeTab}, Container: slack.Container{Type: "view", ViewID: "VHOMESUPPORT"},
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionRestore, BlockID: "incident:DXXXXXXXXXX", Value: "DXXXXXXXXXX"}}}}
		conn.Send("env-home-click", "interactive", cbPayload(t, click), 0)
		dm := e.Slack.WaitCalls("chat.postMessage", 1, wait)[0]
		if dm.Params["channel"] != bottest.Support || !strings.HasPrefix(dm.Params["text"], "Only admins can restore a deletion, so nothing was restored.") {
			t.Errorf("answer %s: %q", dm.Params["channel"], dm.Params["text"])
		}
		if n := len(e.Slack.Responses()); n != 0 {
			t.Errorf("%d response_url posts from a Home tab click", n)
		}
	})

	t.Run("ShortcutAnswersPrivately", func(t *testing.T) {
		cb := e.ShortcutCallback(bottest.Deleter, bottest.Channel, "1795895340.000200", "please delete jane@example.com")
		if a := conn.Send("env-shortcut", "interactive", cbPayload(t, cb), 0); len(a.Payload) != 0 {
			t.Errorf("ack carries %s", a.Payload)
		}
		rs := e.Slack.WaitResponses(1, wait)
		if rs[0].Params["response_type"] != "ephemeral" || !regexp.MustCompile(`"block_id":"msg:M[A-Z2-9]{10}:`+jane+`"`).MatchString(rs[0].Params["blocks"]) {
			t.Errorf("shortcut answer %v", rs[0].Params)
		}
	})

	t.Run("HomeShowsAnErasureRequestAsOne", func(t *testing.T) {
		eve := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Eve", LastName: "Gone", Email: "eve@example.com"})
		_, l, err := e.Store.Linked(context.Background(), eve)
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := e.Store.RequestApproval(context.Background(), crm.NewApproval{ContactID: eve, Requester: bottest.Support, Reason: "erasure",
			Fingerprint: l.Fingerprint, TTL: time.Hour, Kind: crm.KindErasure})
		if err != nil {
			t.Fatal(err)
		}
		before := len(e.Slack.Calls("views.publish"))
		conn.Send("env-home-admin", "events_api", bottest.HomeOpenedEvent(bottest.Admin, "Ev0SOCKET2"), 0)
		// The request refreshes the Home tab Support has open, and that
		// publish may land first: wait for the admin's own.
		for n := before + 1; e.Slack.WaitCalls("views.publish", n, wait)[n-1].Params["user_id"] != bottest.Admin; n++ {
		}
		e.Bot.Wait()
		views := e.HomeViews(bottest.Admin)
		if len(views) == 0 {
			t.Fatal("the admin's Home tab was not published")
		}
		want := "Privacy erasure of *Eve Gone* `" + eve + "` · *cannot be restored* · request `" + a.ID + "`\nAsked by <@" + bottest.Support + ">"
		var texts []string
		for _, b := range views[len(views)-1].Blocks.BlockSet {
			if sb, ok := b.(*slack.SectionBlock); ok && sb.Text != nil {
				texts = append(texts, sb.Text.Text)
			}
		}
		if all := strings.Join(texts, "\n"); !strings.Contains(all, want) {
			t.Errorf("the admin's Home tab lacks %q:\n%s", want, all)
		}
	})

	t.Run("AuditExportUploads", func(t *testing.T) {
		cmd := map[string]any{"token": "x", "team_id": bottest.Team, "channel_id": bottest.Channel, "user_id": bottest.Admin,
			"command": "/contact", "text": "audit 1", "response_url": e.Slack.NewResponseURL(), "trigger_id": "trigger-audit"}
		a := conn.Send("env-audit", "slash_commands", cmd, 0)
		if !strings.Contains(string(a.Payload), "Exporting the audit trail of the last 1 day") {
			t.Errorf("ack %s", a.Payload)
		}
		e.Slack.WaitCalls("files.completeUploadExternal", 1, wait)
		e.Bot.Wait()
		if f := e.Slack.Files(); len(f) != 1 || f[0].Channel != slackfake.DMChannel(bottest.Admin) || !strings.HasPrefix(string(f[0].Content), "id,at,actor,") {
			t.Errorf("files %+v", f)
		}
	})

	cancel()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
}
