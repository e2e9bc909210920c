package slackhttp_test

// The adapter's own tests: the signature check, replays, malformed forms and
// payloads, and the health, readiness and metrics routes.

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm/crmtest"
)

const wait = 5 * time.Second

// TestReplayWithSignatureInCapitalsRefused: the signature check accepts the
// hex in either case, so the replay check must not tell the two spellings
// apart: the same signed request sent again with the hex in capitals is
// refused, and the command is served once.
func TestReplayWithSignatureInCapitalsRefused(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	form := url.Values{"command": {"/contact"}, "text": {"help"}, "user_id": {bottest.Support}, "team_id": {bottest.Team}, "channel_id": {bottest.Channel}}.Encode()
	header := bottest.Sign(bottest.Secret, form, time.Now())
	if r := e.Post("/slack/commands", form, header); r.Status != http.StatusOK {
		t.Fatalf("first delivery: %d %s", r.Status, r.Body)
	}
	sig := header.Get("X-Slack-Signature")
	capitals := http.Header{}
	for k, v := range header {
		capitals[k] = v
	}
	capitals.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(sig, "v0=")))
	if capitals.Get("X-Slack-Signature") == sig {
		t.Fatalf("signature %s has no letters to put in capitals", sig)
	}
	r := e.Post("/slack/commands", form, capitals)
	if r.Status != http.StatusUnauthorized || strings.TrimSpace(r.Body) != "replayed request refused" {
		t.Errorf("replay with the signature in capitals: %d %q, want 401 replayed request refused", r.Status, r.Body)
	}
}

// TestBadInput sends what Slack would never send: each gets a clear refusal
// and nothing changes.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	before := crmtest.Dump(t, e.Store)
	form := url.Values{"command": {"/contact"}, "text": {"jane@example.com"}, "user_id": {bottest.Admin}, "team_id": {bottest.Team}}.Encode()

	cases := []struct {
		name   string
		path   string
		body   string
		header http.Header
		status int
		says   string
	}{
		{"NoSignature", "/slack/commands", form, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 401, "missing signature"},
		{"WrongSignature", "/slack/commands", form, bottest.Sign("not-the-secret", form, time.Now()), 401, "does not match"},
		{"TamperedBody", "/slack/commands", form + "&x=1", bottest.Sign(bottest.Secret, form, time.Now()), 401, "does not match"},
		{"StaleTimestamp", "/slack/commands", form, bottest.Sign(bottest.Secret, form, time.Now().Add(-6*time.Minute)), 401, "stale"},
		{"FutureTimestamp", "/slack/commands", form, bottest.Sign(bottest.Secret, form, time.Now().Add(6*time.Minute)), 401, "stale"},
		{"MalformedForm", "/slack/commands", "%zz=%%", bottest.Sign(bottest.Secret, "%zz=%%", time.Now()), 400, "malformed"},
		{"CommandWithoutUser", "/slack/commands", "command=%2Fcontact", bottest.Sign(bottest.Secret, "command=%2Fcontact", time.Now()), 400, "user_id"},
		{"NoPayload", "/slack/interactions", "foo=bar", bottest.Sign(bottest.Secret, "foo=bar", time.Now()), 400, "no payload"},
		{"PayloadNotJSON", "/slack/interactions", "payload=%7Bnope", bottest.Sign(bottest.Secret, "payload=%7Bnope", time.Now()), 400, "not valid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Post(c.path, c.body, c.header)
			if r.Status != c.status || !strings.Contains(r.Body, c.says) {
				t.Errorf("got %d %q, want %d mentioning %q", r.Status, r.Body, c.status, c.says)
			}
		})
	}

	t.Run("Replay", func(t *testing.T) {
		h := bottest.Sign(bottest.Secret, form, time.Now())
		if r := e.Post("/slack/commands", form, h); r.Status != 200 {
			t.Fatalf("first delivery: %d %s", r.Status, r.Body)
		}
		if r := e.Post("/slack/commands", form, h); r.Status != 401 || !strings.Contains(r.Body, "replayed") {
			t.Errorf("replay: %d %s", r.Status, r.Body)
		}
	})
	t.Run("UnknownAction", func(t *testing.T) {
		if r := e.Click(bottest.Admin, "contact.nuke_everything", id); r.Status != 200 {
			t.Fatalf("unknown action: %d", r.Status)
		}
		resp := e.Slack.WaitResponses(1, wait)
		if !strings.Contains(resp[len(resp)-1].Text(), "not one contactbot knows") {
			t.Errorf("unknown action answer: %s", resp[len(resp)-1].Text())
		}
	})
	t.Run("UnknownModal", func(t *testing.T) {
		r := e.Submit(bottest.Admin, slack.View{CallbackID: "forged", PrivateMetadata: `{"c":"` + id + `"}`}, map[string]string{"confirm": "DELETE", "reason": "duplicate"})
		if !strings.Contains(r.Body, "not one contactbot knows") {
			t.Errorf("unknown modal: %s", r.Body)
		}
	})
	t.Run("ForgedMetadata", func(t *testing.T) {
		r := e.Submit(bottest.Admin, slack.View{CallbackID: bot.CallbackDeleteModal, PrivateMetadata: `{"c":"` + id + `","f":"0000000000000000"}`}, map[string]string{"confirm": "DELETE", "reason": "duplicate"})
		if !strings.Contains(r.Body, "changed since you opened") {
			t.Errorf("forged fingerprint: %s", r.Body)
		}
		r = e.Submit(bottest.Admin, slack.View{CallbackID: bot.CallbackDeleteModal, PrivateMetadata: `{"c":"` + id + `","f":"forged"}`}, map[string]string{"confirm": "DELETE", "reason": "duplicate"})
		if !strings.Contains(r.Body, "could not be read") {
			t.Errorf("fingerprint not of its shape: %s", r.Body)
		}
		r = e.Submit(bottest.Admin, slack.View{CallbackID: bot.CallbackDeleteModal, PrivateMetadata: `not json`}, map[string]string{"confirm": "DELETE", "reason": "duplicate"})
		if !strings.Contains(r.Body, "could not be read") {
			t.Errorf("garbage metadata: %s", r.Body)
		}
	})
	t.Run("HugeQuery", func(t *testing.T) {
		r := e.Command(bottest.Admin, strings.Repeat("x", 10000))
		if r.Status != 200 || !strings.Contains(r.Body, "too long") {
			t.Errorf("10,000-character query: %d %.200s", r.Status, r.Body)
		}
	})
	t.Run("SQLInQuery", func(t *testing.T) {
		r := e.Command(bottest.Admin, "'; DROP TABLE contacts; --")
		if r.Status != 200 || !strings.Contains(r.Body, "No contact matches") {
			t.Errorf("SQL query: %d %s", r.Status, r.Body)
		}
	})
	e.Bot.Wait()
	after := crmtest.Dump(t, e.Store)
	for _, table := range crmtest.CRMTables {
		if strings.Join(before[table], "\n") != strings.Join(after[table], "\n") {
			t.Errorf("%s changed under bad input", table)
		}
	}
	if n := crmtest.CountRows(t, e.Store, "deletions", ""); n != 0 {
		t.Errorf("bad input recorded %d deletions", n)
	}
}

// TestHealth: /healthz, /readyz and /metrics answer, and /metrics counts
// the requests by route and status.
func TestHealth(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	e.Command(bottest.Support, "help")
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(e.Server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s = %d", path, resp.StatusCode)
		}
	}
	if r := e.Post("/slack/commands", "", nil); r.Status != 401 {
		t.Errorf("empty unsigned POST = %d", r.Status)
	}
	resp, err := http.Get(e.Server.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`contactbot_http_requests_total{code="200",route="commands"} 1`, `contactbot_http_requests_total{code="401",route="commands"} 1`, "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
