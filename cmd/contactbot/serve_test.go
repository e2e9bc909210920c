package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"contactbot/bot/slackfake"
	"contactbot/crm"
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

// TestServeSocketModeOnEmbeddedStores starts `contactbot serve` as a team
// without a public endpoint, PostgreSQL or Redis would: SLACK_APP_TOKEN set,
// no DATABASE_URL, no REDIS_URL. It connects over Socket Mode, answers a
// slash command from the demo CRM in the envelope's ack, says once that it
// must run alone, and stops cleanly.
func TestServeSocketModeOnEmbeddedStores(t *testing.T) {
	fake := slackfake.New(t)
	sock := slackfake.NewSocket(t)
	fake.SetSocketURL(sock.URL())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for k, v := range map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-1-test", "SLACK_SIGNING_SECRET": "", "SLACK_API_URL": fake.URL(),
		"APPROVALS_CHANNEL": "CAPPROVALS", "INCIDENT_CHANNEL": "CINCIDENTS", "ADMIN_USER_IDS": "UADMIN",
		"DATABASE_URL": "", "REDIS_URL": "", "CONTACTBOT_DATA_DIR": t.TempDir(), "PORT": strconv.Itoa(port),
		"SUPPRESSION_KEY": crm.NewSuppressionKey(),
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &lockedBuffer{}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"serve"}, strings.NewReader(""), &bytes.Buffer{}, stderr) }()

	conn := sock.Next(30 * time.Second) // first start: migrate and seed
	cmd := map[string]any{"team_id": "T0TEST", "channel_id": "CSUPPORT", "user_id": "USUPPORT", "command": "/contact",
		"text": "jane doe", "is_enterprise_install": "false", "response_url": fake.NewResponseURL(), "trigger_id": "t1"}
	ack := conn.Send("env-1", "slash_commands", cmd, 0)
	if !strings.Contains(string(ack.Payload), "2 contacts for “jane doe”") || !strings.Contains(string(ack.Payload), `"response_type":"ephemeral"`) {
		t.Errorf("ack payload = %s", ack.Payload)
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
	logs := stderr.String()
	if n := strings.Count(logs, "must be the only replica"); n != 1 {
		t.Errorf("single-replica warning logged %d times, want once:\n%s", n, logs)
	}
	for _, want := range []string{"serving Slack over Socket Mode", "socket mode: connected to Slack", "seeded the demo CRM"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}
