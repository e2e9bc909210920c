package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/internal/testsvc"
)

// lockedBuffer is a bytes.Buffer safe to read while serve writes its logs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestServeSocketModeOnEmbeddedStores starts `contactbot serve --demo-data`
// as a team trying it without a public endpoint, PostgreSQL or Redis would:
// SLACK_APP_TOKEN set, no DATABASE_URL, no REDIS_URL. It connects over
// Socket Mode, answers a slash command from the demo CRM in the envelope's
// ack, says once that it must run alone, and stops cleanly.
func TestServeSocketModeOnEmbeddedStores(t *testing.T) {
	logs := serveOnce(t, []string{"serve", "--demo-data"}, "UADMIN", "2 contacts for “jane doe”")
	if n := strings.Count(logs, "must be the only replica"); n != 1 {
		t.Errorf("single-replica warning logged %d times, want once:\n%s", n, logs)
	}
	for _, want := range []string{"serving Slack over Socket Mode", "socket mode: connected to Slack", "seeded the demo CRM", DemoDatabaseFile} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "no admin is configured") {
		t.Errorf("warned of no admin with ADMIN_USER_IDS set:\n%s", logs)
	}
}

// TestServeEmbeddedWithoutDemo: plain `serve` on the embedded database
// keeps it empty (real Slack users never see the demo CRM) and warns, at
// start, that no admin is configured and that it must run alone.
func TestServeEmbeddedWithoutDemo(t *testing.T) {
	logs := serveOnce(t, []string{"serve"}, "", "No contact matches *jane doe*")
	for _, want := range []string{
		`level=WARN msg="no admin is configured: nobody can approve delete requests or restore deletions (set ADMIN_USER_IDS or ADMIN_USERGROUP_ID)"`,
		`level=WARN msg="running on embedded stores: this process must be the only replica (set DATABASE_URL and REDIS_URL to scale out)" embedded_database=true in_process_kv=true`,
		DatabaseFile,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "seeded the demo CRM") || strings.Contains(logs, DemoDatabaseFile) {
		t.Errorf("plain serve seeded or opened the demo CRM:\n%s", logs)
	}
}

// serveOnce runs serve with args over Socket Mode on embedded stores in a
// fresh data directory, with admins as ADMIN_USER_IDS, sends one
// `/contact jane doe`, checks that its answer contains want, stops serve
// and returns its logs. setup, when given, prepares the fake Slack first.
func serveOnce(t *testing.T, args []string, admins, want string, setup ...func(*slackfake.Server)) string {
	t.Helper()
	fake := slackfake.New(t)
	for _, f := range setup {
		f(fake)
	}
	sock := slackfake.NewSocket(t)
	fake.SetSocketURL(sock.URL())
	port := testsvc.FreePort(t)
	for k, v := range map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-1-test", "SLACK_SIGNING_SECRET": "", "SLACK_API_URL": fake.URL(),
		"APPROVALS_CHANNEL": "CAPPROVALS", "INCIDENT_CHANNEL": "CINCIDENTS", "ADMIN_USER_IDS": admins, "ADMIN_USERGROUP_ID": "",
		"DATABASE_URL": "", "REDIS_URL": "", "CONTACTBOT_DATA_DIR": t.TempDir(), "PORT": strconv.Itoa(port),
		"SUPPRESSION_KEY": crm.NewSuppressionKey(),
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &lockedBuffer{}
	code := make(chan int, 1)
	go func() { code <- run(ctx, args, strings.NewReader(""), &bytes.Buffer{}, stderr) }()

	conn := sock.Next(30 * time.Second) // first start: migrate and seed
	responseURL := fake.NewResponseURL()
	cmd := map[string]any{"team_id": "T0TEST", "channel_id": "CSUPPORT", "user_id": "USUPPORT", "command": "/contact",
		"text": "jane doe", "is_enterprise_install": "false", "response_url": responseURL, "trigger_id": "t1"}
	ack := conn.Send("env-1", "slash_commands", cmd, 0)
	answer := string(ack.Payload)
	if strings.Contains(answer, bot.LateAnswerText) {
		// A search slower than the ack's budget (a loaded machine) is
		// answered through the response URL instead: the same answer.
		answer = fake.WaitResponseAt(responseURL, 30*time.Second).Text()
	} else if !strings.Contains(answer, `"response_type":"ephemeral"`) {
		t.Errorf("ack payload = %s", answer)
	}
	if !strings.Contains(answer, want) {
		t.Errorf("answer = %s, want %q in it", answer, want)
	}
	// The Home tab, published by serve's outbox worker after the event's ack.
	conn.Send("env-2", "events_api", map[string]any{"type": "event_callback", "team_id": "T0TEST", "event_id": "Ev0SERVE",
		"event": map[string]any{"type": "app_home_opened", "user": "USUPPORT", "tab": "home"}}, 0)
	if pub := fake.WaitCalls("views.publish", 1, 30*time.Second)[0]; pub.Params["user_id"] != "USUPPORT" || !strings.Contains(pub.Text(), "Find a contact") {
		t.Errorf("views.publish %v", pub)
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("serve exited %d:\n%s", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	return stderr.String()
}
