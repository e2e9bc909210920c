package slackapi_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/slackapi"
	"contactbot/bot/slackfake"
)

const secretToken = "xoxb-secret-123"

var _ bot.Messenger = (*slackapi.Client)(nil)

// deadAddr returns an address nothing listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestErrorsNameMethodAndHideSecrets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr := deadAddr(t)
	c := slackapi.New(secretToken, "http://"+addr+"/api/", nil)

	checks := []struct {
		method string
		call   func() error
	}{
		{"chat.postMessage", func() error { _, err := c.Post(ctx, "C1", bot.Message{Text: "x"}); return err }},
		{"chat.postEphemeral", func() error { return c.PostEphemeral(ctx, "C1", "U1", bot.Message{Text: "x"}) }},
		{"chat.update", func() error { return c.Update(ctx, "C1", "1.1", bot.Message{Text: "x"}) }},
		{"views.open", func() error { _, err := c.OpenView(ctx, "trig", slackfakeView()); return err }},
		{"views.update", func() error { return c.UpdateView(ctx, "V1", slackfakeView()) }},
		{"usergroups.users.list", func() error { _, err := c.UserGroupMembers(ctx, "S1"); return err }},
	}
	for _, ch := range checks {
		err := ch.call()
		if err == nil {
			t.Errorf("%s: no error against a dead server", ch.method)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, ch.method+": ") {
			t.Errorf("%s: error %q does not name the method", ch.method, msg)
		}
		if strings.Contains(msg, secretToken) {
			t.Errorf("%s: error %q holds the token", ch.method, msg)
		}
	}

	respURL := "http://" + addr + "/actions/T1/B1/secret-hook-path"
	err := c.Respond(ctx, respURL, bot.Message{Text: "x"}, false)
	if err == nil || strings.Contains(err.Error(), "secret-hook-path") {
		t.Errorf("Respond error = %v; want an error without the response URL", err)
	}
}

func TestUpdateViaDMCache(t *testing.T) {
	fake := slackfake.New(t)
	c := slackapi.New(secretToken, fake.URL(), fake.Client())
	ctx := context.Background()
	ts, err := c.Post(ctx, "U9", bot.Message{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, "U9", ts, bot.Message{Text: "bye"}); err != nil {
		t.Fatal(err)
	}
	call, _ := fake.Last("chat.update")
	if call.Params["channel"] != "DU9" {
		t.Errorf("channel = %q", call.Params["channel"])
	}

	fake.Fail("conversations.open", "missing_scope")
	err = c.Update(ctx, "U10", "1.1", bot.Message{Text: "x"})
	if err == nil || err.Error() != "chat.update: conversations.open: missing_scope" {
		t.Errorf("err = %v", err)
	}
}

func TestOpenViewDefaultsModalType(t *testing.T) {
	fake := slackfake.New(t)
	c := slackapi.New(secretToken, fake.URL(), fake.Client())
	v := slackfakeView()
	v.Type = ""
	if _, err := c.OpenView(context.Background(), "trig", v); err != nil {
		t.Fatal(err)
	}
	call, _ := fake.Last("views.open")
	if call.View()["type"] != "modal" {
		t.Errorf("view type = %v", call.View()["type"])
	}
}

func slackfakeView() slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:  slack.VTModal,
		Title: slack.NewTextBlockObject(slack.PlainTextType, "Title", false, false),
	}
}
