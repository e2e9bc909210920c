package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/internal/testsvc"
)

// TestServeStopsOnAnotherTeamID: serve asks auth.test which workspace its
// token belongs to and stops, with a sentence that says what to change,
// when SLACK_TEAM_ID names another; it opens no database first.
func TestServeStopsOnAnotherTeamID(t *testing.T) {
	fake := slackfake.New(t)
	dataDir := t.TempDir()
	for k, v := range map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "", "SLACK_SIGNING_SECRET": "test-secret", "SLACK_API_URL": fake.URL(),
		"SLACK_TEAM_ID": "T0OTHER", "APPROVALS_CHANNEL": "CAPPROVALS", "INCIDENT_CHANNEL": "CINCIDENTS", "ADMIN_USER_IDS": "UADMIN",
		"ADMIN_USERGROUP_ID": "", "DATABASE_URL": "", "REDIS_URL": "", "CONTACTBOT_DATA_DIR": dataDir,
		"PORT": strconv.Itoa(testsvc.FreePort(t)), "SUPPRESSION_KEY": crm.NewSuppressionKey(),
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stderr := &bytes.Buffer{}
	code := run(ctx, []string{"serve"}, strings.NewReader(""), &bytes.Buffer{}, stderr)
	if code == 0 {
		t.Fatalf("serve exited 0 with SLACK_TEAM_ID of another workspace:\n%s", stderr)
	}
	want := "SLACK_TEAM_ID is T0OTHER but SLACK_BOT_TOKEN belongs to workspace T0TEST (auth.test): set SLACK_TEAM_ID to T0TEST, unset it, or use the bot token of workspace T0OTHER"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("serve's error lacks %q:\n%s", want, stderr)
	}
	if _, ok := fake.Last("auth.test"); !ok {
		t.Error("serve did not call auth.test")
	}
	if strings.Contains(stderr.String(), DatabaseFile) {
		t.Errorf("serve opened the database before checking the workspace:\n%s", stderr)
	}
}
