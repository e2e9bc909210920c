package doctor_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"contactbot/bot/bottest"
	"contactbot/bot/doctor"
	"contactbot/bot/kv"
	"contactbot/bot/slackapi"
	"contactbot/bot/slackfake"
	"contactbot/config"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/internal/testsvc"
	"contactbot/outbox"
)

func TestMain(m *testing.M) { bottest.Main(m) }

// deployment is a whole deployment as serve would run it: a migrated store
// of dialect d with the test suppression key, the fake Slack with the bot in
// every channel and every scope granted, an admin user group, and Redis
// when TEST_REDIS_URL is set. The configuration's DATABASE_URL only names
// the database in the checklist (the store is already open).
func deployment(t *testing.T, d crm.Dialect) (doctor.Deps, *slackfake.Server) {
	t.Helper()
	fake := slackfake.New(t)
	fake.SetGroupMembers("SADMINS", "UADMIN1", "UADMIN2")
	cfg, err := config.Load(map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-doctor-test", "SLACK_API_URL": fake.URL(),
		"APPROVALS_CHANNEL": "CAPPROVALS", "INCIDENT_CHANNEL": "CINCIDENTS", "AUDIT_CHANNEL": "CAUDIT", "DIGEST_CHANNEL": "CDIGEST",
		"ADMIN_USER_IDS": "UADMIN1", "ADMIN_USERGROUP_ID": "SADMINS",
		"SUPPRESSION_KEY": crmtest.SuppressionKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	deps := doctor.Deps{Config: cfg, Store: crmtest.NewStoreOf(t, d), Slack: slackapi.New(cfg.SlackBotToken, cfg.SlackAPIURL, nil)}
	if d == crm.Postgres {
		cfg.DatabaseURL = "postgres://contactbot:SECRETPASSWORD@db.example.com:5432/crm?sslmode=require"
	} else {
		deps.Embedded = "/srv/contactbot/contactbot.db"
	}
	if bottest.RedisURL() != "" {
		cfg.RedisURL = bottest.RedisURL()
		deps.Redis = bottest.NewKV(t)
	}
	return deps, fake
}

// databaseLines are the first lines of the checklist of a deployment
// made by deployment, migrated and meeting the CRM contract.
func databaseLines(t *testing.T, deps doctor.Deps) []string {
	t.Helper()
	_, latest, err := deps.Store.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if deps.Store.Dialect() == crm.Postgres {
		return []string{
			fmt.Sprintf("✓ database: PostgreSQL at db.example.com:5432/crm (bot schema contactbot, CRM schema public) answers and is migrated (version %d)", latest),
			"✓ CRM contract: the 9 CRM tables have every column the bot needs, with its type",
			"✓ extensions: pgcrypto, unaccent installed",
		}
	}
	return []string{
		fmt.Sprintf("✓ database: the embedded SQLite database /srv/contactbot/contactbot.db answers and is migrated (version %d)", latest),
		"✓ CRM contract: the 9 CRM tables have every column the bot needs, with its type",
		"– extensions: not applicable on SQLite",
	}
}

// redisLine is the Redis line of a deployment made by deployment.
func redisLine() string {
	if bottest.RedisURL() == "" {
		return "– Redis: not configured: single replica only (REDIS_URL is not set; an in-process store serves)"
	}
	u, _ := url.Parse(bottest.RedisURL())
	return "✓ Redis: answers at " + u.Host + " (REDIS_URL)"
}

// lines is the report as its lines, without the summary.
func lines(r doctor.Report) []string {
	out := make([]string, len(r))
	for i, c := range r {
		out[i] = c.String()
	}
	return out
}

// TestHealthyDeployment: a deployment without a fault passes every check,
// on both dialects, line for line.
func TestHealthyDeployment(t *testing.T) {
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		deps, _ := deployment(t, d)
		r := doctor.Run(context.Background(), deps)
		want := append(databaseLines(t, deps),
			redisLine(),
			"✓ Slack token: valid: workspace T0TEST, bot user U0FAKEBOT",
			"✓ Slack scopes: every scope the manifest asks for is granted (commands, chat:write, im:write, usergroups:read, files:write, channels:read, groups:read)",
			"✓ approvals channel: the bot is a member of #capprovals (CAPPROVALS, APPROVALS_CHANNEL)",
			"✓ incident channel: the bot is a member of #cincidents (CINCIDENTS, INCIDENT_CHANNEL)",
			"✓ audit channel: the bot is a member of #caudit (CAUDIT, AUDIT_CHANNEL)",
			"✓ digest channel: the bot is a member of #cdigest (CDIGEST, DIGEST_CHANNEL)",
			"✓ admin user group: SADMINS (ADMIN_USERGROUP_ID) has 2 members",
			"✓ suppression key: SUPPRESSION_KEY is the key the suppression list (0 entries) was made with",
			"✓ outbox: nothing waiting",
		)
		if diff := cmp.Diff(want, lines(r)); diff != "" {
			t.Errorf("checklist (-want +got):\n%s", diff)
		}
		if r.Failed() != 0 {
			t.Errorf("Failed() = %d", r.Failed())
		}
		if got, want := r.Summary(), fmt.Sprintf("All %d checks passed (– lines are fine as they are).", len(want)); got != want {
			t.Errorf("summary %q, want %q", got, want)
		}
	})
}

// TestBrokenDeployment: each silent mistake is its own ✗ line with its fix:
// the bot not invited to the incident channel, a wrong audit channel id, a
// scope not granted, a user group id that names none, Redis not answering
// (a port nobody listens on), and the outbox stuck on the incident channel
// for two hours because Slack answers not_in_channel.
func TestBrokenDeployment(t *testing.T) {
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		deps, fake := deployment(t, d)
		fake.NotInChannel("CINCIDENTS")
		fake.NoChannel("CAUDIT")
		fake.DropScope("files:write")
		deps.Config.AdminUsergroupID = "SNOSUCH"
		deadRedis := fmt.Sprintf("127.0.0.1:%d", testsvc.FreePort(t))
		deps.Config.RedisURL = "redis://" + deadRedis + "/0"
		r, err := kv.OpenRedis(deps.Config.RedisURL, kv.Options{Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		deps.Redis = r

		// A message to the incident channel, refused once with not_in_channel.
		if err := deps.Store.Enqueue(ctx, outbox.Note{Channel: "CINCIDENTS", Payload: []byte(`{"text":"incident"}`)}); err != nil {
			t.Fatal(err)
		}
		res, err := deps.Store.DeliverNext(ctx, func(context.Context, outbox.Outgoing) (outbox.Sent, error) {
			return outbox.Sent{}, &outbox.DeliveryError{Err: errors.New("chat.postMessage: not_in_channel"), RetryIn: 5 * time.Minute}
		})
		if err != nil || res.Status != outbox.DeliveryFailed {
			t.Fatalf("DeliverNext = %+v, %v; want a failure", res, err)
		}
		deps.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }

		report := doctor.Run(ctx, deps)
		want := append(databaseLines(t, deps),
			"✗ Redis: no answer from "+deadRedis+" (REDIS_URL): kv: ping: dial tcp "+deadRedis+": connect: connection refused — fix: start Redis or correct REDIS_URL: until it answers the bot runs degraded, slower and without what replicas share.",
			"✓ Slack token: valid: workspace T0TEST, bot user U0FAKEBOT",
			"✗ Slack scopes: the token lacks scope files:write — fix: add it under OAuth & Permissions, Bot Token Scopes in the app's config (or update it from contactbot manifest), then reinstall the app to the workspace.",
			"✓ approvals channel: the bot is a member of #capprovals (CAPPROVALS, APPROVALS_CHANNEL)",
			"✗ incident channel: the bot is not a member of #cincidents (CINCIDENTS, INCIDENT_CHANNEL): its messages wait in the outbox — fix: type /invite @contactbot in #cincidents (or correct INCIDENT_CHANNEL).",
			"✗ audit channel: Slack finds no channel CAUDIT (AUDIT_CHANNEL) — fix: correct AUDIT_CHANNEL (the id is at the bottom of the channel's About tab), or if the channel is private, /invite @contactbot in it.",
			"✓ digest channel: the bot is a member of #cdigest (CDIGEST, DIGEST_CHANNEL)",
			"✗ admin user group: Slack finds no user group SNOSUCH (ADMIN_USERGROUP_ID) — fix: correct ADMIN_USERGROUP_ID (Slack's usergroups.list, called with the bot token, lists every group's id, S…).",
			"✓ suppression key: SUPPRESSION_KEY is the key the suppression list (0 entries) was made with",
			"✗ outbox: 1 message waiting, the oldest for 2 hours — fix: see the lines below for the conversations it is stuck on; if none, check that serve is running and logs no outbox errors.",
			"✗ outbox: stuck on CINCIDENTS (the incident channel) for 2 hours: Slack answers not_in_channel (1 message waiting, 1 attempt) — fix: type /invite @contactbot in CINCIDENTS: what waits goes out within 5 minutes.",
		)
		if diff := cmp.Diff(want, lines(report)); diff != "" {
			t.Errorf("checklist (-want +got):\n%s", diff)
		}
		if got := report.Failed(); got != 7 {
			t.Errorf("Failed() = %d, want 7", got)
		}
		if got, want := report.Summary(), fmt.Sprintf("7 of %d checks failed: fix the ✗ lines, then check again.", len(want)); got != want {
			t.Errorf("summary %q, want %q", got, want)
		}
	})
}

// TestNotConfigured: without a Slack token, channels and a suppression key
// (serve needs all three) the checklist fails on each and names the
// variable; in the shell, Slack and Redis are not used and nothing fails.
func TestNotConfigured(t *testing.T) {
	store := crmtest.NewSQLiteStore(t)
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	deps := doctor.Deps{Config: cfg, Store: store, Embedded: "/data/contactbot.db"}
	got := lines(doctor.Run(context.Background(), deps))[3:]
	want := []string{
		"– Redis: not configured: single replica only (REDIS_URL is not set; an in-process store serves)",
		"✗ Slack token: SLACK_BOT_TOKEN is not set, and serve needs it — fix: set it to the app's Bot User OAuth Token (xoxb-…, under OAuth & Permissions in the app's config).",
		"✗ suppression key: SUPPRESSION_KEY is not set, and serve needs it — fix: make one with openssl rand -hex 32, set it, and keep it: the suppression list's entries are made with it.",
		"✓ outbox: nothing waiting",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checklist (-want +got):\n%s", diff)
	}

	shellCfg := *cfg
	shellCfg.SuppressionKey = crmtest.SuppressionKey
	r := doctor.Run(context.Background(), doctor.Deps{Config: &shellCfg, Store: store, Embedded: "/data/demo.db", Shell: true})
	want = []string{
		"– Redis: not used by the shell (an in-process store)",
		"– Slack: not used by the shell: its channels and people are the demo workspace's",
		"✓ suppression key: SUPPRESSION_KEY is the key the suppression list (0 entries) was made with",
		"✓ outbox: nothing waiting",
	}
	if diff := cmp.Diff(want, lines(r)[3:]); diff != "" {
		t.Errorf("shell checklist (-want +got):\n%s", diff)
	}
	if r.Failed() != 0 {
		t.Errorf("the shell's checklist failed:\n%s", r)
	}
}

// TestNotMigrated: a database contactbot never migrated is a ✗ with the fix
// (migrate), and the checks of the bot's own tables wait for it; an empty
// one has no CRM tables to check, which the contract's line says (not ✓);
// PostgreSQL also misses the extensions migrate would create.
func TestNotMigrated(t *testing.T) {
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		url := "sqlite:" + filepath.Join(t.TempDir(), "new.db")
		if d == crm.Postgres {
			url = crmtest.NewDatabase(t)
		}
		store, err := crm.Open(ctx, url, crm.Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		cfg, _ := config.Load(map[string]string{"SUPPRESSION_KEY": crmtest.SuppressionKey})
		r := doctor.Run(ctx, doctor.Deps{Config: cfg, Store: store, Embedded: "/data/new.db", Shell: true})
		got := strings.Join(lines(r), "\n")
		for _, want := range []string{
			"answers, but contactbot's migrations were never applied — fix: run contactbot migrate (contactbot migrate --dry-run shows what it would do first).",
			"\n– CRM contract: none of the 9 CRM tables exists in ",
			": migrate would create them, empty (a trial); for a real CRM, point DATABASE_URL and CRM_SCHEMA at its tables\n",
			"– suppression key: not checked: the database is not migrated",
			"– outbox: not checked: the database is not migrated",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("checklist lacks %q:\n%s", want, got)
			}
		}
		if d == crm.Postgres && !strings.Contains(got, "✗ extensions: missing: ") {
			t.Errorf("no missing extensions on a database never migrated:\n%s", got)
		}
		if r.Failed() == 0 {
			t.Error("a database never migrated passed")
		}
	})
}

// TestSuppressionKeyOfAnotherList: a SUPPRESSION_KEY other than the one the
// list's entries were made with fails, and says to set the first one.
func TestSuppressionKeyOfAnotherList(t *testing.T) {
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		deps, _ := deployment(t, d)
		crmtest.InsertContact(t, deps.Store, crmtest.Contact{ID: "cDND", Email: "stop@example.com", DND: true})
		if _, err := deps.Store.Delete(ctx, crm.DeleteRequest{ContactID: "cDND", Actor: "UADMIN1", Reason: "test_contact", RestoreWindow: time.Hour}); err != nil {
			t.Fatal(err)
		}
		deps.Config.SuppressionKey = crm.NewSuppressionKey()
		deps.Slack = nil
		deps.Config.SlackBotToken = ""
		got := strings.Join(lines(doctor.Run(ctx, deps)), "\n")
		want := "✗ suppression key: SUPPRESSION_KEY is not the key the 1 entry on the suppression list were made with: serve refuses to start — fix: set SUPPRESSION_KEY to the key this database was first run with."
		if !strings.Contains(got, want) {
			t.Errorf("checklist lacks %q:\n%s", want, got)
		}
	})
}

// TestLogNamesNoSecret: the logged checklist names the database and Redis
// by host, never by their URLs' passwords, and never the token or the key.
func TestLogNamesNoSecret(t *testing.T) {
	deps, _ := deployment(t, crm.Postgres)
	var b strings.Builder
	doctor.Run(context.Background(), deps).Log(slog.New(slog.NewTextHandler(&b, nil)))
	logs := b.String()
	for _, secret := range []string{"SECRETPASSWORD", "xoxb-doctor-test", crmtest.SuppressionKey} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log shows %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, `level=INFO msg=doctor check="Slack token" result=✓ detail="valid: workspace T0TEST, bot user U0FAKEBOT"`) {
		t.Errorf("no Slack token line:\n%s", logs)
	}
}

// TestMalformedConfiguration: variables config cannot read are one ✗ line,
// first, naming each; the other checks still run on the defaults.
func TestMalformedConfiguration(t *testing.T) {
	cfg, cfgErr := config.Load(map[string]string{"PORT": "eighty", "SLACK_API_URL": "ftp://slack"})
	r := doctor.Run(context.Background(), doctor.Deps{Config: cfg, ConfigErr: cfgErr, StoreErr: doctor.ErrNoDatabase, Embedded: "/data/contactbot.db"})
	want := `✗ configuration: SLACK_API_URL: must be an absolute http:// or https:// URL; PORT: "eighty" is not a port number (1-65535) — fix: correct the variables named (docs/operations.md, Configuration).`
	if got := r[0].String(); got != want {
		t.Errorf("first line\n got %s\nwant %s", got, want)
	}
	if len(r) < 5 {
		t.Errorf("the other checks did not run:\n%s", r)
	}
}
