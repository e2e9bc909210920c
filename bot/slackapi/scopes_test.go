package slackapi_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/slackapi"
	"contactbot/bot/slackfake"
)

// TestManifestScopesMatchMethodsCalled calls every method of bot.Messenger
// on the Slack client, in every way that reaches a different Web API method
// (Update of a DM this process never posted to opens it first), and checks
// the manifest's scopes against the methods the fake recorded: each method
// called is known with its scope, every scope asked for is needed by one of
// them (besides the slash command's), and none is missing.
func TestManifestScopesMatchMethodsCalled(t *testing.T) {
	ctx := context.Background()
	fake := slackfake.New(t)
	fake.SetGroupMembers("SADMINS", "U1")
	c := slackapi.New("xoxb-test", fake.URL(), nil)
	msg := bot.Message{Text: "hello"}
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: &slack.TextBlockObject{Type: "plain_text", Text: "T"}}

	exercised := map[string]func() error{
		"Post":          func() error { _, err := c.Post(ctx, "C1", msg); return err },
		"PostEphemeral": func() error { return c.PostEphemeral(ctx, "C1", "U1", msg) },
		// A DM never posted to by this client: its D… id comes from conversations.open.
		"Update":           func() error { return c.Update(ctx, "U2", "1700000000.000100", msg) },
		"Respond":          func() error { return c.Respond(ctx, fake.NewResponseURL(), msg, false) },
		"OpenView":         func() error { _, err := c.OpenView(ctx, "trigger-1", view); return err },
		"UpdateView":       func() error { return c.UpdateView(ctx, "V1", view) },
		"UserGroupMembers": func() error { _, err := c.UserGroupMembers(ctx, "SADMINS"); return err },
		"PushView":         func() error { _, err := c.PushView(ctx, "trigger-2", view); return err },
		"PublishHome": func() error {
			return c.PublishHome(ctx, "U1", slack.HomeTabViewRequest{Type: slack.VTHomeTab})
		},
		// To a DM: conversations.open for its D… id, then the three upload steps.
		"UploadFile": func() error {
			return c.UploadFile(ctx, "U3", bot.File{Name: "audit.csv", Title: "Audit", Content: []byte("id,at\n")})
		},
	}
	// Not Messenger methods: serve calls Workspace once, at start; doctor
	// calls Auth and ChannelMember.
	if _, err := c.Workspace(ctx); err != nil {
		t.Errorf("Workspace: %v", err)
	}
	if _, err := c.Auth(ctx); err != nil {
		t.Errorf("Auth: %v", err)
	}
	if _, _, err := c.ChannelMember(ctx, "C1"); err != nil {
		t.Errorf("ChannelMember: %v", err)
	}
	iface := reflect.TypeFor[bot.Messenger]()
	for i := range iface.NumMethod() {
		name := iface.Method(i).Name
		call, ok := exercised[name]
		if !ok {
			t.Errorf("bot.Messenger.%s is not exercised here: add it, so that its Web API method's scope is checked", name)
			continue
		}
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := c.Update(ctx, "C1", "1700000000.000100", msg); err != nil { // a channel: chat.update alone
		t.Errorf("Update of a channel message: %v", err)
	}

	needed := map[string]bool{"commands": true} // the slash command and the message shortcut
	for _, call := range fake.Calls("") {
		if call.Method == slackfake.UploadMethod {
			continue // the upload URL takes a file's bytes; the methods around it have scopes
		}
		scopes, known := bot.MethodScopes[call.Method]
		if !known {
			t.Errorf("the client calls %s, which bot.MethodScopes does not list with its scopes", call.Method)
			continue
		}
		for _, scope := range scopes {
			needed[scope] = true
			if !slices.Contains(bot.BotScopes, scope) {
				t.Errorf("%s needs the %s scope, which the manifest does not ask for", call.Method, scope)
			}
		}
	}
	for _, s := range bot.BotScopes {
		if !needed[s] {
			t.Errorf("the manifest asks for %s, which no method contactbot calls needs", s)
		}
	}
	for method := range bot.MethodScopes {
		if len(fake.Calls(method)) == 0 {
			t.Errorf("bot.MethodScopes lists %s, which the client never called here", method)
		}
	}
}

// TestFakeGrantsTheManifestScopes: the fake Slack's default X-OAuth-Scopes
// are the manifest's scopes (slackfake cannot import bot to use them).
func TestFakeGrantsTheManifestScopes(t *testing.T) {
	if !slices.Equal(slackfake.DefaultScopes, bot.BotScopes) {
		t.Errorf("slackfake.DefaultScopes = %v, bot.BotScopes = %v: keep them equal", slackfake.DefaultScopes, bot.BotScopes)
	}
}
