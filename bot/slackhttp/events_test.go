package slackhttp_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"contactbot/bot/bottest"
)

// TestEventsRoute: POST /slack/events answers Slack's url_verification
// challenge, checks the signature like the other routes, acknowledges an
// event at once and handles it after the ack, and acknowledges a delivery
// it already handled (the same event_id, re-sent with X-Slack-Retry-Num, or
// the same signed request again) with a 200 and nothing more.
func TestEventsRoute(t *testing.T) {
	e := bottest.New(t)

	t.Run("URLVerification", func(t *testing.T) {
		r := e.PostEvent(map[string]any{"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}, nil)
		if r.Status != http.StatusOK || r.Body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
			t.Errorf("challenge answer: %d %q", r.Status, r.Body)
		}
	})

	t.Run("SignatureChecked", func(t *testing.T) {
		body := `{"type":"url_verification","challenge":"abc"}`
		if r := e.Post("/slack/events", body, http.Header{"Content-Type": {"application/json"}}); r.Status != http.StatusUnauthorized || strings.Contains(r.Body, "abc") {
			t.Errorf("unsigned: %d %q", r.Status, r.Body)
		}
		h := bottest.Sign("wrong-secret", body, time.Now())
		if r := e.Post("/slack/events", body, h); r.Status != http.StatusUnauthorized {
			t.Errorf("wrong secret: %d %q", r.Status, r.Body)
		}
		h = bottest.Sign(bottest.Secret, body, time.Now().Add(-10*time.Minute))
		if r := e.Post("/slack/events", body, h); r.Status != http.StatusUnauthorized {
			t.Errorf("stale: %d %q", r.Status, r.Body)
		}
		if n := len(e.Slack.Calls("views.publish")); n != 0 {
			t.Errorf("%d publishes", n)
		}
	})

	t.Run("Malformed", func(t *testing.T) {
		for _, body := range []string{`not json`, `{}`, `[1,2]`} {
			h := bottest.Sign(bottest.Secret, body, time.Now())
			if r := e.Post("/slack/events", body, h); r.Status != http.StatusBadRequest {
				t.Errorf("%q: %d %q", body, r.Status, r.Body)
			}
		}
	})

	t.Run("HomeOpenedHandledOnce", func(t *testing.T) {
		ev := bottest.HomeOpenedEvent(bottest.Support, "Ev0EVENT1")
		start := time.Now()
		r := e.PostEvent(ev, nil)
		if r.Status != http.StatusOK || r.Body != "" {
			t.Fatalf("event: %d %q", r.Status, r.Body)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("acknowledged after %v", d) // a bound, not a measurement: Slack gives 3 s
		}
		e.Bot.Wait()
		if n := len(e.HomeViews(bottest.Support)); n != 1 {
			t.Fatalf("%d publishes of the Home tab, want 1", n)
		}
		// Slack re-sends when it missed the ack: a new request, same event_id.
		if r := e.PostEvent(ev, http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_timeout"}}); r.Status != http.StatusOK {
			t.Errorf("retry: %d %q", r.Status, r.Body)
		}
		e.Bot.Wait()
		if n := len(e.HomeViews(bottest.Support)); n != 1 {
			t.Errorf("a re-sent event was handled again: %d publishes", n)
		}
		// The very same signed request again: acknowledged, nothing more.
		body := `{"type":"event_callback","team_id":"T0TEST","event_id":"Ev0EVENT2","event":{"type":"app_home_opened","user":"UDELETER","tab":"home"}}`
		h := bottest.Sign(bottest.Secret, body, time.Now())
		h.Set("Content-Type", "application/json")
		for range 2 {
			if r := e.Post("/slack/events", body, h); r.Status != http.StatusOK {
				t.Errorf("delivery: %d %q", r.Status, r.Body)
			}
		}
		e.Bot.Wait()
		if n := len(e.HomeViews(bottest.Deleter)); n != 1 {
			t.Errorf("%d publishes for one event delivered twice, want 1", n)
		}
	})

	t.Run("OtherEventsAcknowledged", func(t *testing.T) {
		for _, inner := range []map[string]any{
			{"type": "app_home_opened", "user": bottest.Admin, "tab": "messages"},
			{"type": "app_mention", "user": bottest.Admin, "text": "hi", "channel": bottest.Channel, "ts": "1.1"},
			{"type": "some_future_event", "user": bottest.Admin},
		} {
			r := e.PostEvent(map[string]any{"type": "event_callback", "team_id": bottest.Team, "event_id": "Ev" + inner["type"].(string), "event": inner}, nil)
			if r.Status != http.StatusOK {
				t.Errorf("%s: %d %q", inner["type"], r.Status, r.Body)
			}
		}
		e.Bot.Wait()
		if n := len(e.HomeViews(bottest.Admin)); n != 0 {
			t.Errorf("the Messages tab or another event published a Home tab %d times", n)
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
