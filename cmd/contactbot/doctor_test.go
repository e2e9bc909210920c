package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/internal/testsvc"
)

// clearEnv unsets every variable doctor reads, and points the data
// directory at a fresh one, which it returns.
func clearEnv(t *testing.T) string {
	t.Helper()
	for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "SLACK_TEAM_ID",
		"DATABASE_URL", "REDIS_URL", "APPROVALS_CHANNEL", "INCIDENT_CHANNEL", "AUDIT_CHANNEL", "DIGEST_CHANNEL",
		"ADMIN_USER_IDS", "DELETER_USER_IDS", "ADMIN_USERGROUP_ID", "DELETER_USERGROUP_ID", "SUPPRESSION_KEY",
		"CONTACTBOT_SCHEMA", "CRM_SCHEMA"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("CONTACTBOT_DATA_DIR", dir)
	return dir
}

// outputLines splits the checklist printed on stdout into lines.
func outputLines(out string) []string { return strings.Split(strings.TrimSuffix(out, "\n"), "\n") }

// TestDoctorEmbeddedDefault runs `contactbot doctor` as a newcomer would,
// with nothing configured: it says there is no database yet (and creates
// none), that serve needs a Slack token and a suppression key, and fails;
// after `contactbot migrate` the embedded database passes.
func TestDoctorEmbeddedDefault(t *testing.T) {
	dir := clearEnv(t)
	code, out, errOut := runCLI(t, "doctor")
	want := []string{
		"✗ database: no embedded database yet at " + filepath.Join(dir, DatabaseFile) + " (DATABASE_URL is not set) — fix: run contactbot migrate, or set DATABASE_URL to the CRM's PostgreSQL database.",
		"– CRM contract: not checked: no database",
		"– extensions: not checked: no database",
		"– Redis: not configured: single replica only (REDIS_URL is not set; an in-process store serves)",
		"✗ Slack token: SLACK_BOT_TOKEN is not set, and serve needs it — fix: set it to the app's Bot User OAuth Token (xoxb-…, under OAuth & Permissions in the app's config).",
		"✗ suppression key: SUPPRESSION_KEY is not set, and serve needs it — fix: make one with openssl rand -hex 32, set it, and keep it: the suppression list's entries are made with it.",
		"– outbox: not checked: the database is not migrated",
		"3 of 7 checks failed: fix the ✗ lines, then check again.",
	}
	if diff := cmp.Diff(want, outputLines(out)); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if code != 1 || errOut != "contactbot doctor: 3 of 7 checks failed\n" {
		t.Errorf("exit %d, stderr %q; want 1 and the count", code, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("doctor created %v in the data directory", entries)
	}

	if code, _, errOut := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	_, out, _ = runCLI(t, "doctor")
	if got := outputLines(out)[0]; !strings.HasPrefix(got, "✓ database: the embedded SQLite database "+filepath.Join(dir, DatabaseFile)+" answers and is migrated (version ") {
		t.Errorf("after migrate, the first line is %q", got)
	}
}

// doctorDeployment configures a whole deployment in the environment: the
// CRM's database (PostgreSQL with TEST_DATABASE_URL, else the embedded
// file) migrated by `contactbot migrate`, Redis when TEST_REDIS_URL is
// set, and the fake Slack with the bot in every channel and every scope
// granted. It returns the fake and the lines the checklist starts with.
func doctorDeployment(t *testing.T) (*slackfake.Server, []string) {
	t.Helper()
	dir := clearEnv(t)
	fake := slackfake.New(t)
	fake.SetGroupMembers("SADMINS", "UADMIN1", "UADMIN2")
	for k, v := range map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-doctor", "SLACK_SIGNING_SECRET": "secret", "SLACK_API_URL": fake.URL(),
		"APPROVALS_CHANNEL": "CAPPROVALS", "INCIDENT_CHANNEL": "CINCIDENTS", "AUDIT_CHANNEL": "CAUDIT",
		"ADMIN_USER_IDS": "UADMIN1", "ADMIN_USERGROUP_ID": "SADMINS", "SUPPRESSION_KEY": crmtest.SuppressionKey,
		"REDIS_URL": bottest.RedisURL(),
	} {
		t.Setenv(k, v)
	}
	database := "the embedded SQLite database " + filepath.Join(dir, DatabaseFile)
	extensions := "– extensions: not applicable on SQLite"
	if crmtest.AdminURL() != "" {
		dbURL := crmtest.NewDatabase(t)
		t.Setenv("DATABASE_URL", dbURL)
		u, _ := url.Parse(dbURL)
		database = "PostgreSQL at " + u.Host + u.Path + " (bot schema contactbot, CRM schema public)"
		extensions = "✓ extensions: pgcrypto, unaccent installed"
	}
	if code, _, errOut := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	latest := migrationVersion(t)
	return fake, []string{
		fmt.Sprintf("✓ database: %s answers and is migrated (version %d)", database, latest),
		"✓ CRM contract: the 9 CRM tables have every column the bot needs, with its type",
		extensions,
	}
}

// migrationVersion is the newest migration of the configured database.
func migrationVersion(t *testing.T) int64 {
	t.Helper()
	ctx := context.Background()
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		url = "sqlite:" + filepath.Join(os.Getenv("CONTACTBOT_DATA_DIR"), DatabaseFile)
	}
	store, err := crm.Open(ctx, url, crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	current, _, err := store.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return current
}

// doctorRedisLine is the Redis line of doctorDeployment.
func doctorRedisLine() string {
	if bottest.RedisURL() == "" {
		return "– Redis: not configured: single replica only (REDIS_URL is not set; an in-process store serves)"
	}
	u, _ := url.Parse(bottest.RedisURL())
	return "✓ Redis: answers at " + u.Host + " (REDIS_URL)"
}

// TestDoctorHealthy: `contactbot doctor` on a deployment without a fault
// prints every check passed and exits 0; it posted nothing to Slack.
func TestDoctorHealthy(t *testing.T) {
	fake, want := doctorDeployment(t)
	want = append(want,
		doctorRedisLine(),
		"✓ Slack token: valid: workspace T0TEST, bot user U0FAKEBOT",
		"✓ Slack scopes: every scope the manifest asks for is granted (commands, chat:write, im:write, usergroups:read, files:write, channels:read, groups:read)",
		"✓ approvals channel: the bot is a member of #capprovals (CAPPROVALS, APPROVALS_CHANNEL)",
		"✓ incident channel: the bot is a member of #cincidents (CINCIDENTS, INCIDENT_CHANNEL)",
		"✓ audit channel: the bot is a member of #caudit (CAUDIT, AUDIT_CHANNEL)",
		"– digest channel: DIGEST_CHANNEL is not set: the approvals channel serves",
		"✓ admin user group: SADMINS (ADMIN_USERGROUP_ID) has 2 members",
		"✓ suppression key: SUPPRESSION_KEY is the key the suppression list (0 entries) was made with",
		"✓ outbox: nothing waiting",
		"All 13 checks passed (– lines are fine as they are).",
	)
	code, out, errOut := runCLI(t, "doctor")
	t.Logf("contactbot doctor (exit %d):\n%s", code, out)
	if diff := cmp.Diff(want, outputLines(out)); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if code != 0 || errOut != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, errOut)
	}
	var methods []string
	for _, c := range fake.Calls("") {
		methods = append(methods, c.Method)
	}
	if want := []string{"auth.test", "conversations.info", "conversations.info", "conversations.info", "usergroups.users.list"}; !cmp.Equal(want, methods) {
		t.Errorf("doctor called %v, want %v", methods, want)
	}
}

// TestDoctorBroken: a bot not invited to the incident channel, a token
// without files:write and a Redis nobody answers at are each a ✗ line with
// its fix, and doctor exits 1.
func TestDoctorBroken(t *testing.T) {
	fake, _ := doctorDeployment(t)
	fake.NotInChannel("CINCIDENTS")
	fake.DropScope("files:write")
	dead := fmt.Sprintf("127.0.0.1:%d", testsvc.FreePort(t))
	t.Setenv("REDIS_URL", "redis://"+dead+"/0")
	code, out, errOut := runCLI(t, "doctor")
	t.Logf("contactbot doctor (exit %d):\n%s", code, out)
	for _, want := range []string{
		"\n✗ Redis: no answer from " + dead + " (REDIS_URL): kv: ping: dial tcp " + dead + ": connect: connection refused — fix: start Redis or correct REDIS_URL: until it answers the bot runs degraded, slower and without what replicas share.\n",
		"\n✗ Slack scopes: the token lacks scope files:write — fix: add it under OAuth & Permissions, Bot Token Scopes in the app's config (or update it from contactbot manifest), then reinstall the app to the workspace.\n",
		"\n✗ incident channel: the bot is not a member of #cincidents (CINCIDENTS, INCIDENT_CHANNEL): its messages wait in the outbox — fix: type /invite @contactbot in #cincidents (or correct INCIDENT_CHANNEL).\n",
		"\n✓ approvals channel: the bot is a member of #capprovals (CAPPROVALS, APPROVALS_CHANNEL)\n",
		"\n3 of 13 checks failed: fix the ✗ lines, then check again.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if code != 1 || errOut != "contactbot doctor: 3 of 13 checks failed\n" {
		t.Errorf("exit %d, stderr %q; want 1 and the count", code, errOut)
	}
}

// TestServeLogsTheChecklistOnce: serve logs doctor's checklist once at
// start (each check one line), without the token or the key, and starts
// although a check failed (here the incident channel's: the bot is not in it).
func TestServeLogsTheChecklistOnce(t *testing.T) {
	logs := serveOnce(t, []string{"serve"}, "UADMIN", "No contact matches *jane doe*", func(fake *slackfake.Server) {
		fake.NotInChannel("CINCIDENTS")
	})
	for _, want := range []string{
		`level=INFO msg=doctor check="approvals channel" result=✓ detail="the bot is a member of #capprovals (CAPPROVALS, APPROVALS_CHANNEL)"`,
		`level=WARN msg=doctor check="incident channel" result=✗ detail="the bot is not a member of #cincidents (CINCIDENTS, INCIDENT_CHANNEL): its messages wait in the outbox" fix="type /invite @contactbot in #cincidents (or correct INCIDENT_CHANNEL)."`,
		`level=INFO msg=doctor check="suppression key" result=✓`,
		`level=WARN msg="doctor: 1 of 13 checks failed: fix the ✗ lines, then check again."`,
	} {
		if n := strings.Count(logs, want); n != 1 {
			t.Errorf("logs show %q %d times, want once:\n%s", want, n, logs)
		}
	}
	if n := strings.Count(logs, "msg=doctor "); n != 13 {
		t.Errorf("%d checklist lines, want 13:\n%s", n, logs)
	}
	for _, secret := range []string{"xoxb-test", "xapp-1-test", os.Getenv("SUPPRESSION_KEY")} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs show %q", secret)
		}
	}
}

// TestShellDoctor: the shell's /doctor shows the checklist of its own
// deployment (the demo database, no Slack, no Redis), with nothing failed.
func TestShellDoctor(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	var out, errb strings.Builder
	in := strings.NewReader("/doctor\nquit\n")
	if code := run(context.Background(), []string{"shell", "--data-dir", dir}, in, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		"support> /doctor\n✓ database: the embedded SQLite database " + filepath.Join(dir, DemoDatabaseFile) + " answers and is migrated (version ",
		"\n✓ CRM contract: the 9 CRM tables have every column the bot needs, with its type\n",
		"\n– Redis: not used by the shell (an in-process store)\n",
		"\n– Slack: not used by the shell: its channels and people are the demo workspace's\n",
		"\n✓ suppression key: SUPPRESSION_KEY is the key the suppression list (",
		"\nAll 7 checks passed (– lines are fine as they are).\nsupport> quit",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the shell's output lacks %q:\n%s", want, out.String())
		}
	}
}
