package slackfake_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/slackapi"
	"contactbot/bot/slackfake"
)

const token = "xoxb-test-token"

func setup(t *testing.T) (*slackfake.Server, *slackapi.Client) {
	t.Helper()
	fake := slackfake.New(t)
	return fake, slackapi.New(token, fake.URL(), fake.Client())
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func sampleBlocks() []slack.Block {
	return []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "New contact", false, false)),
		slack.NewSectionBlock(
			slack.NewTextBlockObject(slack.MarkdownType, "*Ada Lovelace* wants a call", false, false),
			[]*slack.TextBlockObject{slack.NewTextBlockObject(slack.MarkdownType, "Phone: +44 20", false, false)},
			nil,
		),
		slack.NewActionBlock("act",
			slack.NewButtonBlockElement("claim", "c-1", slack.NewTextBlockObject(slack.PlainTextType, "Claim", false, false)),
		),
	}
}

func TestPostMessage(t *testing.T) {
	fake, c := setup(t)
	ts1, err := c.Post(ctx(t), "C123", bot.Message{Text: "fallback text", Blocks: sampleBlocks(), ThreadTS: "1699999999.000001"})
	if err != nil {
		t.Fatal(err)
	}
	ts2, err := c.Post(ctx(t), "C123", bot.Message{Text: "second"})
	if err != nil {
		t.Fatal(err)
	}
	if ts1 != "1700000000.000100" || ts2 != "1700000000.000200" {
		t.Errorf("ts = %q, %q; want increasing fake timestamps", ts1, ts2)
	}

	calls := fake.Calls("chat.postMessage")
	if len(calls) != 2 {
		t.Fatalf("got %d calls, want 2", len(calls))
	}
	first := calls[0]
	if first.Token != token {
		t.Errorf("token = %q", first.Token)
	}
	if _, ok := first.Params["token"]; ok {
		t.Error("token left in Params")
	}
	if first.Params["channel"] != "C123" || first.Params["thread_ts"] != "1699999999.000001" {
		t.Errorf("params = %v", first.Params)
	}
	if got := len(first.Blocks()); got != 3 {
		t.Errorf("blocks = %d, want 3", got)
	}
	text := first.Text()
	for _, want := range []string{"fallback text", "New contact", "*Ada Lovelace* wants a call", "Phone: +44 20", "Claim"} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() = %q, missing %q", text, want)
		}
	}
	last, ok := fake.Last("chat.postMessage")
	if !ok || last.Params["text"] != "second" || last.Blocks() != nil {
		t.Errorf("last = %v, blocks %v", last, last.Blocks())
	}
	if _, ok := last.Params["thread_ts"]; ok {
		t.Error("thread_ts sent without ThreadTS")
	}
}

func TestPostTextIsNotEscaped(t *testing.T) {
	fake, c := setup(t)
	if _, err := c.Post(ctx(t), "C1", bot.Message{Text: "see <https://example.com|site> & more"}); err != nil {
		t.Fatal(err)
	}
	call, _ := fake.Last("chat.postMessage")
	if got := call.Params["text"]; got != "see <https://example.com|site> & more" {
		t.Errorf("text = %q", got)
	}
}

func TestPostToUserThenUpdate(t *testing.T) {
	fake, c := setup(t)
	ts, err := c.Post(ctx(t), "U42", bot.Message{Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx(t), "U42", ts, bot.Message{Text: "done"}); err != nil {
		t.Fatal(err)
	}
	call, _ := fake.Last("chat.update")
	if call.Params["channel"] != slackfake.DMChannel("U42") || call.Params["ts"] != ts {
		t.Errorf("chat.update params = %v", call.Params)
	}
	if n := len(fake.Calls("conversations.open")); n != 0 {
		t.Errorf("conversations.open called %d times; the DM id was known", n)
	}

	// A fresh client does not know the DM: it asks conversations.open.
	c2 := slackapi.New(token, fake.URL(), fake.Client())
	if err := c2.Update(ctx(t), "W7", "1.2", bot.Message{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	open, ok := fake.Last("conversations.open")
	if !ok || open.Params["users"] != "W7" {
		t.Errorf("conversations.open = %v", open)
	}
	call, _ = fake.Last("chat.update")
	if call.Params["channel"] != "DW7" {
		t.Errorf("chat.update channel = %q", call.Params["channel"])
	}

	// The fake itself refuses chat.update on a user id, as Slack does.
	raw := slack.New(token, slack.OptionAPIURL(fake.URL()))
	_, _, _, err = raw.UpdateMessageContext(ctx(t), "U42", ts, slack.MsgOptionText("x", false))
	if err == nil || err.Error() != "channel_not_found" {
		t.Errorf("raw chat.update on user id: err = %v", err)
	}
}

func TestPostEphemeral(t *testing.T) {
	fake, c := setup(t)
	if err := c.PostEphemeral(ctx(t), "C9", "U1", bot.Message{Text: "only you", Blocks: sampleBlocks()}); err != nil {
		t.Fatal(err)
	}
	call, ok := fake.Last("chat.postEphemeral")
	if !ok || call.Params["channel"] != "C9" || call.Params["user"] != "U1" {
		t.Fatalf("call = %v", call)
	}
	if !strings.Contains(call.Text(), "only you") || !strings.Contains(call.Text(), "Ada Lovelace") {
		t.Errorf("Text() = %q", call.Text())
	}
}

func TestUpdate(t *testing.T) {
	fake, c := setup(t)
	if err := c.Update(ctx(t), "C1", "1700000000.000100", bot.Message{Text: "claimed", Blocks: sampleBlocks()}); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx(t), "C1", "1700000000.000100", bot.Message{Text: "plain now"}); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls("chat.update")
	if len(calls) != 2 {
		t.Fatalf("got %d calls", len(calls))
	}
	if calls[0].Params["ts"] != "1700000000.000100" || len(calls[0].Blocks()) != 3 {
		t.Errorf("first update = %v", calls[0])
	}
	if got := calls[1].Params["blocks"]; got != "[]" {
		t.Errorf("text-only update sends blocks=%q, want [] to clear the old blocks", got)
	}
}

func TestRespond(t *testing.T) {
	fake, c := setup(t)
	u := fake.NewResponseURL()
	if !strings.HasPrefix(u, "http://") || u == fake.NewResponseURL() {
		t.Fatalf("response URL %q", u)
	}
	if err := c.Respond(ctx(t), u, bot.Message{Text: "thanks", Blocks: sampleBlocks()}, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Respond(ctx(t), u, bot.Message{Text: "extra"}, false); err != nil {
		t.Fatal(err)
	}
	got := fake.WaitResponses(2, time.Second)
	if len(got) != 2 {
		t.Fatalf("got %d responses", len(got))
	}
	r := got[0]
	if r.Method != slackfake.ResponseURLMethod || r.Params["response_type"] != "ephemeral" || r.Params["replace_original"] != "true" {
		t.Errorf("response = %v", r)
	}
	if !strings.Contains(r.Text(), "thanks") || !strings.Contains(r.Text(), "Phone: +44 20") || len(r.Blocks()) != 3 {
		t.Errorf("Text() = %q, blocks %d", r.Text(), len(r.Blocks()))
	}
	if got[1].Params["replace_original"] != "false" {
		t.Errorf("second response = %v", got[1])
	}
	if _, ok := got[1].Params["blocks"]; ok {
		t.Error("blocks sent for a text-only response")
	}
	if len(fake.Calls("")) != 0 {
		t.Error("response posts recorded as API calls")
	}
}

func sampleView(title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: "contact_form",
		Title:      slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Send", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("name",
				slack.NewTextBlockObject(slack.PlainTextType, "Your name", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "name_input")),
		}},
	}
}

func TestViews(t *testing.T) {
	fake, c := setup(t)
	id, err := c.OpenView(ctx(t), "trig-1", sampleView("Contact us"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "V") {
		t.Errorf("view id %q", id)
	}
	call, _ := fake.Last("views.open")
	if call.Token != token || call.Params["trigger_id"] != "trig-1" {
		t.Errorf("views.open call = %v (token %q)", call, call.Token)
	}
	v := call.View()
	if v["callback_id"] != "contact_form" {
		t.Errorf("view = %v", v)
	}
	if len(call.Blocks()) != 1 {
		t.Errorf("view blocks = %v", call.Blocks())
	}
	for _, want := range []string{"Contact us", "Send", "Your name"} {
		if !strings.Contains(call.Text(), want) {
			t.Errorf("Text() = %q, missing %q", call.Text(), want)
		}
	}

	if err := c.UpdateView(ctx(t), id, sampleView("Thanks!")); err != nil {
		t.Fatal(err)
	}
	upd, _ := fake.Last("views.update")
	if upd.Params["view_id"] != id || !strings.Contains(upd.Text(), "Thanks!") {
		t.Errorf("views.update = %v", upd)
	}

	// views.push is answered too.
	raw := slack.New(token, slack.OptionAPIURL(fake.URL()))
	resp, err := raw.PushViewContext(ctx(t), "trig-2", sampleView("Step 2"))
	if err != nil || resp.ID == "" || resp.Hash == "" {
		t.Errorf("views.push = %+v, %v", resp, err)
	}
}

func TestUserGroups(t *testing.T) {
	fake, c := setup(t)
	fake.SetGroupMembers("S1", "U1", "U2")
	fake.SetGroupMembers("S2")
	got, err := c.UserGroupMembers(ctx(t), "S1")
	if err != nil || strings.Join(got, ",") != "U1,U2" {
		t.Errorf("S1 = %v, %v", got, err)
	}
	got, err = c.UserGroupMembers(ctx(t), "S2")
	if err != nil || len(got) != 0 {
		t.Errorf("S2 = %v, %v", got, err)
	}
	_, err = c.UserGroupMembers(ctx(t), "S404")
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "no_such_subteam" {
		t.Errorf("unknown group: err = %v", err)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "usergroups.users.list: ") {
		t.Errorf("error not wrapped with the method: %v", err)
	}
	if call, _ := fake.Last("usergroups.users.list"); call.Params["usergroup"] != "S404" {
		t.Errorf("call = %v", call)
	}
}

func TestFail(t *testing.T) {
	fake, c := setup(t)
	fake.Fail("chat.postMessage", "channel_not_found")
	_, err := c.Post(ctx(t), "C1", bot.Message{Text: "x"})
	if err == nil || err.Error() != "chat.postMessage: channel_not_found" {
		t.Errorf("err = %v", err)
	}
	if strings.Contains(fmt.Sprint(err), token) {
		t.Error("token in error")
	}
	// Other methods are unaffected.
	if err := c.PostEphemeral(ctx(t), "C1", "U1", bot.Message{Text: "x"}); err != nil {
		t.Errorf("ephemeral: %v", err)
	}
	fake.Unfail("chat.postMessage")
	if _, err := c.Post(ctx(t), "C1", bot.Message{Text: "x"}); err != nil {
		t.Errorf("after Unfail: %v", err)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 2 {
		t.Errorf("recorded %d postMessage calls, want 2 (failed ones too)", n)
	}

	fake.FailHTTP("views.open", http.StatusInternalServerError)
	_, err = c.OpenView(ctx(t), "trig", sampleView("x"))
	var sce slack.StatusCodeError
	if !errors.As(err, &sce) || sce.Code != 500 {
		t.Errorf("views.open: err = %v", err)
	}

	fake.FailHTTP("chat.update", http.StatusTooManyRequests)
	err = c.Update(ctx(t), "C1", "1.1", bot.Message{Text: "x"})
	var rle *slack.RateLimitedError
	if !errors.As(err, &rle) || rle.RetryAfter != time.Second {
		t.Errorf("chat.update: err = %v", err)
	}

	fake.Fail(slackfake.ResponseURLMethod, "expired_url")
	u := fake.NewResponseURL()
	err = c.Respond(ctx(t), u, bot.Message{Text: "x"}, false)
	if err == nil {
		t.Error("Respond succeeded on a failing response URL")
	} else if strings.Contains(err.Error(), u) {
		t.Errorf("error echoes the response URL: %v", err)
	}
	if len(fake.Responses()) != 1 {
		t.Error("failed response not recorded")
	}
}

func TestOtherMethods(t *testing.T) {
	fake := slackfake.New(t)
	fake.SetSocketURL("wss://fake.example/link")
	api := slack.New(token, slack.OptionAPIURL(fake.URL()), slack.OptionAppLevelToken("xapp-test"))

	auth, err := api.AuthTestContext(ctx(t))
	if err != nil || auth.UserID == "" || auth.TeamID == "" || auth.BotID == "" {
		t.Errorf("auth.test = %+v, %v", auth, err)
	}
	u, err := api.GetUserInfoContext(ctx(t), "U5")
	if err != nil || u.ID != "U5" || u.Name == "" || u.Profile.Email == "" {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	_, wsURL, err := api.StartSocketModeContext(ctx(t))
	if err != nil || wsURL != "wss://fake.example/link" {
		t.Errorf("apps.connections.open = %q, %v", wsURL, err)
	}
	if call, _ := fake.Last("apps.connections.open"); call.Token != "xapp-test" {
		t.Errorf("apps.connections.open token %q", call.Token)
	}

	_, err = api.GetConversationHistoryContext(ctx(t), &slack.GetConversationHistoryParameters{ChannelID: "C1"})
	if err == nil || err.Error() != "unknown_method" {
		t.Errorf("conversations.history: err = %v", err)
	}
	if call, ok := fake.Last("conversations.history"); !ok || call.Params["channel"] != "C1" {
		t.Errorf("unknown method not recorded: %v", call)
	}

	noToken := slack.New("", slack.OptionAPIURL(fake.URL()))
	if _, err := noToken.AuthTestContext(ctx(t)); err == nil || err.Error() != "not_authed" {
		t.Errorf("no token: err = %v", err)
	}
	if got := len(fake.Calls("")); got != 5 {
		t.Errorf("Calls(\"\") = %d, want 5", got)
	}
	fake.Reset()
	if len(fake.Calls("")) != 0 {
		t.Error("Reset kept calls")
	}
}

func TestWaitCalls(t *testing.T) {
	fake, c := setup(t)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 5 * time.Millisecond)
			if _, err := c.Post(context.Background(), "C1", bot.Message{Text: fmt.Sprint("m", i)}); err != nil {
				t.Error(err)
			}
		})
	}
	got := fake.WaitCalls("chat.postMessage", 5, 2*time.Second)
	if len(got) < 5 {
		t.Fatalf("got %d", len(got))
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, call := range fake.Calls("chat.postMessage") {
		seen[call.Params["text"]] = true
	}
	if len(seen) != 5 {
		t.Errorf("texts %v", seen)
	}
}

// fatalTB records Fatalf instead of failing the real test.
type fatalTB struct {
	testing.TB
	mu    sync.Mutex
	fatal string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func TestWaitCallsTimeoutFailsTest(t *testing.T) {
	tb := &fatalTB{TB: t}
	fake := slackfake.New(tb)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fake.WaitCalls("chat.postMessage", 1, 30*time.Millisecond)
	}()
	<-done
	tb.mu.Lock()
	if !strings.Contains(tb.fatal, `1 "chat.postMessage" calls, got 0`) {
		t.Errorf("Fatalf message = %q", tb.fatal)
	}
	tb.mu.Unlock()
	done = make(chan struct{})
	go func() {
		defer close(done)
		fake.WaitResponses(1, 10*time.Millisecond)
	}()
	<-done
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if !strings.Contains(tb.fatal, "response_url") {
		t.Errorf("Fatalf message = %q", tb.fatal)
	}
}

func TestCallText(t *testing.T) {
	c := slackfake.Call{Params: map[string]string{
		"text": "[not json] top",
		"view": `{"title":{"type":"plain_text","text":"T"},"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"S"},"fields":[{"text":"F1"},{"text":"F2"}],"accessory":{"type":"static_select","options":[{"text":{"text":"O1"},"value":"1"}]}}]}`,
	}}
	got := c.Text()
	for _, want := range []string{"[not json] top", "T", "S", "F1", "F2", "O1"} {
		if !strings.Contains(got, want) {
			t.Errorf("Text() = %q, missing %q", got, want)
		}
	}
	if strings.Contains(got, "mrkdwn") || strings.Contains(got, "static_select") {
		t.Errorf("Text() has non-text fields: %q", got)
	}
}

// TestChannelsAndScopes: conversations.info finds channels with the bot a
// member unless told otherwise (not invited, not found), and every answer
// names the granted scopes, which a test can change.
func TestChannelsAndScopes(t *testing.T) {
	fake, c := setup(t)
	fake.NotInChannel("COUT")
	fake.NoChannel("CWRONG")
	for _, tc := range []struct {
		channel, name string
		member        bool
		err           string
	}{
		{"CIN", "cin", true, ""},
		{"GPRIVATE", "gprivate", true, ""},
		{"COUT", "cout", false, ""},
		{"CWRONG", "", false, "channel_not_found"},
		{"U123", "", false, "channel_not_found"},
	} {
		name, member, err := c.ChannelMember(ctx(t), tc.channel)
		if name != tc.name || member != tc.member || bot.SlackErrorCode(err) != tc.err {
			t.Errorf("ChannelMember(%s) = %q, %v, %v; want %q, %v, %q", tc.channel, name, member, err, tc.name, tc.member, tc.err)
		}
	}

	auth, err := c.Auth(ctx(t))
	if err != nil || !auth.ScopesKnown || strings.Join(auth.Scopes, ",") != strings.Join(slackfake.DefaultScopes, ",") {
		t.Errorf("Auth = %+v, %v; want the default scopes", auth, err)
	}
	fake.DropScope("files:write")
	fake.DropScope("chat:write")
	auth, _ = c.Auth(ctx(t))
	if got := strings.Join(auth.Scopes, ","); got != "commands,im:write,usergroups:read,channels:read,groups:read" {
		t.Errorf("scopes after dropping two: %s", got)
	}
	fake.SetScopes()
	auth, _ = c.Auth(ctx(t))
	if !auth.ScopesKnown || len(auth.Scopes) != 0 {
		t.Errorf("no scopes granted: %+v", auth)
	}
}
