package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Secret-looking values used throughout; none may ever show in output.
const (
	botToken      = "xoxb-1111-2222-SECRETBOT"
	appToken      = "xapp-1-A111-SECRETAPP"
	signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	dbURL         = "postgres://bob:DBPASSWORD@db.example.com:5432/crm?sslmode=require&password=QUERYPASS"
	redisURL      = "rediss://:REDISPASSWORD@cache.example.com:6380/0"
	// suppressionKey is hex, as openssl rand -hex 32 prints it.
	suppressionKey = "5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2"
)

var secrets = []string{"SECRETBOT", "SECRETAPP", signingSecret, "DBPASSWORD", "QUERYPASS", "REDISPASSWORD", "bob:", "5ec2e7"}

func TestLoadDefaults(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"nil":       nil,
		"empty":     {},
		"blank":     {"PORT": "", "SLACK_API_URL": "  ", "RESTORE_WINDOW": "", "ADMIN_USER_IDS": " , ,"},
		"unrelated": {"HOME": "/root", "PATH": "/bin"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Load(env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := &Config{
				SlackAPIURL:      "https://slack.com/api/",
				ContactbotSchema: "contactbot",
				CRMSchema:        "public",
				Port:             3000,
				RestoreWindow:    1440 * time.Hour,
				ApprovalTTL:      24 * time.Hour,
				DeleteRateLimit:  10,
				RequestLimit:     10,
				BulkLimit:        500,
				Currency:         "USD",
				DigestAt:         Weekly{Day: time.Monday, Hour: 9},
			}
			if diff := cmp.Diff(want, c); diff != "" {
				t.Errorf("defaults (-want +got):\n%s", diff)
			}
			if c.SocketMode() {
				t.Error("SocketMode() = true without SLACK_APP_TOKEN")
			}
		})
	}
}

func TestLoadAll(t *testing.T) {
	c, err := Load(map[string]string{
		"SLACK_BOT_TOKEN":      " " + botToken + "\n",
		"SLACK_SIGNING_SECRET": signingSecret,
		"SLACK_APP_TOKEN":      appToken,
		"SLACK_API_URL":        "http://127.0.0.1:9999/api/",
		"SLACK_TEAM_ID":        "T0123ABC",
		"DATABASE_URL":         dbURL,
		"CONTACTBOT_SCHEMA":    "bot_state",
		"CRM_SCHEMA":           "crm",
		"REDIS_URL":            redisURL,
		"PORT":                 "8080",
		"APPROVALS_CHANNEL":    "C0APPROVE",
		"INCIDENT_CHANNEL":     "G0INCIDENT",
		"AUDIT_CHANNEL":        "C0AUDIT",
		"ADMIN_USER_IDS":       " U0ADMIN1 ,W0ADMIN2,, ",
		"DELETER_USER_IDS":     "U0DEL",
		"ADMIN_USERGROUP_ID":   "S0ADMINS",
		"DELETER_USERGROUP_ID": "S0DELETERS",
		"RESTORE_WINDOW":       "720h",
		"APPROVAL_TTL":         "90m",
		"DELETE_RATE_LIMIT":    "0",
		"REQUEST_LIMIT":        "3",
		"BULK_LIMIT":           "50",
		"SUPPRESSION_KEY":      suppressionKey,
		"CRM_CURRENCY":         "EUR",
		"LOCATION_CURRENCIES":  "ve9EPM428h8vShlRW1KT=GBP, locB = CHF",
		"DIGEST_CHANNEL":       "C0DIGEST",
		"DIGEST_AT":            "friday 16:30",
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		SlackBotToken:      botToken,
		SlackSigningSecret: signingSecret,
		SlackAppToken:      appToken,
		SlackAPIURL:        "http://127.0.0.1:9999/api/",
		SlackTeamID:        "T0123ABC",
		DatabaseURL:        dbURL,
		ContactbotSchema:   "bot_state",
		CRMSchema:          "crm",
		RedisURL:           redisURL,
		Port:               8080,
		ApprovalsChannel:   "C0APPROVE",
		IncidentChannel:    "G0INCIDENT",
		AuditChannel:       "C0AUDIT",
		AdminUserIDs:       []string{"U0ADMIN1", "W0ADMIN2"},
		DeleterUserIDs:     []string{"U0DEL"},
		AdminUsergroupID:   "S0ADMINS",
		DeleterUsergroupID: "S0DELETERS",
		RestoreWindow:      720 * time.Hour,
		ApprovalTTL:        90 * time.Minute,
		DeleteRateLimit:    0,
		RequestLimit:       3,
		BulkLimit:          50,
		SuppressionKey:     suppressionKey,
		Currency:           "EUR",
		LocationCurrencies: map[string]string{"ve9EPM428h8vShlRW1KT": "GBP", "locB": "CHF"},
		DigestChannel:      "C0DIGEST",
		DigestAt:           Weekly{Day: time.Friday, Hour: 16, Minute: 30},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if !c.SocketMode() {
		t.Error("SocketMode() = false with SLACK_APP_TOKEN set")
	}
	for loc, want := range map[string]string{"ve9EPM428h8vShlRW1KT": "GBP", "locB": "CHF", "elsewhere": "EUR"} {
		if got := c.CurrencyOf(loc); got != want {
			t.Errorf("CurrencyOf(%s) = %s, want %s", loc, got, want)
		}
	}
	if err := c.CheckServe(); err != nil {
		t.Errorf("CheckServe: %v", err)
	}
}

func TestLoadAcceptsVariants(t *testing.T) {
	for _, env := range []map[string]string{
		{"DATABASE_URL": "postgresql://localhost/crm"},
		{"DATABASE_URL": "POSTGRES://localhost/crm"},
		{"DATABASE_URL": "sqlite:///var/lib/contactbot/contactbot.db"},
		{"CONTACTBOT_DATA_DIR": "/var/lib/contactbot"},
		{"REDIS_URL": "redis://localhost:6379"},
		{"PORT": "1"},
		{"PORT": "65535"},
		{"SLACK_API_URL": "https://slack.com/api/"},
		{"DELETE_RATE_LIMIT": "1000"},
		{"REQUEST_LIMIT": "1"},
		{"DEFAULT_PHONE_COUNTRY": "de"},
		{"RESTORE_WINDOW": "1ns"},
		{"APPROVAL_TTL": "1h30m"},
		{"ADMIN_USER_IDS": "U1"},
	} {
		if _, err := Load(env); err != nil {
			t.Errorf("Load(%v): %v", env, err)
		}
	}
}

// TestLoadMalformed: every malformed variable yields exactly one line, naming it.
func TestLoadMalformed(t *testing.T) {
	tests := []struct {
		name, value string
		want        string // substring of the one line
	}{
		{"SLACK_BOT_TOKEN", "xoxp-user-SECRETBOT", `SLACK_BOT_TOKEN: must start with "xoxb-"`},
		{"SLACK_BOT_TOKEN", "SECRETBOT", `SLACK_BOT_TOKEN: must start with "xoxb-"`},
		{"SLACK_APP_TOKEN", "xoxb-SECRETAPP", `SLACK_APP_TOKEN: must start with "xapp-"`},
		{"SLACK_API_URL", "https://slack.com/api", `SLACK_API_URL: must end with "/"`},
		{"SLACK_API_URL", "slack.com/api/", `SLACK_API_URL: must be an absolute http:// or https:// URL`},
		{"SLACK_API_URL", "ftp://slack.com/api/", `SLACK_API_URL: must be an absolute http:// or https:// URL`},
		{"SLACK_TEAM_ID", "acme", `SLACK_TEAM_ID: "acme" is not a Slack team id`},
		{"DATABASE_URL", "mysql://bob:DBPASSWORD@db/crm", `DATABASE_URL: must start with postgres://, postgresql:// or sqlite:// (an SQLite file: sqlite:///path/to/file.db)`},
		{"DATABASE_URL", "host=db user=bob password=DBPASSWORD", `DATABASE_URL: must start with postgres://, postgresql:// or sqlite:// (an SQLite file: sqlite:///path/to/file.db)`},
		{"DATABASE_URL", "postgres://bob:DBPASSWORD@db:5432/crm%zz", `DATABASE_URL: is not a valid URL`},
		{"REDIS_URL", "http://:REDISPASSWORD@cache:6379", `REDIS_URL: must start with redis:// or rediss://`},
		{"REDIS_URL", "redis://:REDISPASSWORD@cache:6379/%zz", `REDIS_URL: is not a valid URL`},
		{"PORT", "abc", `PORT: "abc" is not a port number (1-65535)`},
		{"PORT", "0", `PORT: "0" is not a port number (1-65535)`},
		{"PORT", "65536", `PORT: "65536" is not a port number (1-65535)`},
		{"PORT", "-1", `PORT: "-1" is not a port number (1-65535)`},
		{"PORT", "80.5", `PORT: "80.5" is not a port number (1-65535)`},
		{"APPROVALS_CHANNEL", "#approvals", `APPROVALS_CHANNEL: "#approvals" is not a Slack channel id`},
		{"APPROVALS_CHANNEL", "c0123abcd", `APPROVALS_CHANNEL: "c0123abcd" is not a Slack channel id`},
		{"INCIDENT_CHANNEL", "D0123ABCD", `INCIDENT_CHANNEL: "D0123ABCD" is not a Slack channel id`},
		{"INCIDENT_CHANNEL", "C", `INCIDENT_CHANNEL: "C" is not a Slack channel id`},
		{"AUDIT_CHANNEL", "audit", `AUDIT_CHANNEL: "audit" is not a Slack channel id`},
		{"ADMIN_USER_IDS", "U0OK,bob", `ADMIN_USER_IDS: "bob" is not a Slack user id`},
		{"ADMIN_USER_IDS", "U0OK;U0TWO", `ADMIN_USER_IDS: "U0OK;U0TWO" is not a Slack user id`},
		{"DELETER_USER_IDS", "bob, @alice ,U0OK", `DELETER_USER_IDS: "bob", "@alice" are not Slack user ids`},
		{"ADMIN_USERGROUP_ID", "@admins", `ADMIN_USERGROUP_ID: "@admins" is not a Slack user group id (S…`},
		{"DELETER_USERGROUP_ID", "U0123", `DELETER_USERGROUP_ID: "U0123" is not a Slack user group id (S…`},
		{"CRM_CURRENCY", "usd", `CRM_CURRENCY: "usd" is not an ISO 4217 currency code (three capital letters, e.g. USD, EUR, GBP)`},
		{"CRM_CURRENCY", "$", `CRM_CURRENCY: "$" is not an ISO 4217 currency code`},
		{"LOCATION_CURRENCIES", "locA:EUR", `LOCATION_CURRENCIES: "locA:EUR" is not locationId=CODE`},
		{"LOCATION_CURRENCIES", "locA=euro", `LOCATION_CURRENCIES: "locA=euro" is not locationId=CODE`},
		{"RESTORE_WINDOW", "2 days", `RESTORE_WINDOW: "2 days" is not a duration (use e.g. 1440h)`},
		{"RESTORE_WINDOW", "60d", `RESTORE_WINDOW: "60d" is not a duration (use e.g. 1440h)`},
		{"RESTORE_WINDOW", "0s", `RESTORE_WINDOW: must be > 0, got "0s"`},
		{"APPROVAL_TTL", "24", `APPROVAL_TTL: "24" is not a duration (use e.g. 24h)`},
		{"APPROVAL_TTL", "-1h", `APPROVAL_TTL: must be > 0, got "-1h"`},
		{"DELETE_RATE_LIMIT", "ten", `DELETE_RATE_LIMIT: must be a whole number >= 0`},
		{"REQUEST_LIMIT", "0", `REQUEST_LIMIT: must be a whole number >= 1`},
		{"REQUEST_LIMIT", "-2", `REQUEST_LIMIT: must be a whole number >= 1`},
		{"REQUEST_LIMIT", "many", `REQUEST_LIMIT: must be a whole number >= 1`},
		{"DEFAULT_PHONE_COUNTRY", "Germany", `DEFAULT_PHONE_COUNTRY: must be a two-letter country code such as DE, GB or US`},
		{"DEFAULT_PHONE_COUNTRY", "XX", `DEFAULT_PHONE_COUNTRY: must be a two-letter country code such as DE, GB or US`},
		{"DELETE_RATE_LIMIT", "-1", `DELETE_RATE_LIMIT: must be a whole number >= 0`},
		{"SUPPRESSION_KEY", "correct horse battery staple", `SUPPRESSION_KEY: must be at least 64 hex characters (32 random bytes); make one with: openssl rand -hex 32`},
		{"SUPPRESSION_KEY", "abcdef0123", `SUPPRESSION_KEY: must be at least 64 hex characters`},
		{"DELETE_RATE_LIMIT", "2.5", `DELETE_RATE_LIMIT: must be a whole number >= 0`},
		{"DELETE_RATE_LIMIT", "99999999999999999999", `DELETE_RATE_LIMIT: must be a whole number >= 0`},
		{"DIGEST_CHANNEL", "#digest", `DIGEST_CHANNEL: "#digest" is not a Slack channel id`},
		{"DIGEST_AT", "Monday", `DIGEST_AT: "Monday": use a day and a UTC time, e.g. "Mon 09:00"`},
		{"DIGEST_AT", "Mnd 09:00", `DIGEST_AT: "Mnd 09:00": "Mnd" is not a day of the week (Mon, Tue, … Sun)`},
		{"DIGEST_AT", "Mon 9am", `DIGEST_AT: "Mon 9am": "9am" is not a time of day (HH:MM, 24-hour, UTC)`},
		{"DIGEST_AT", "Mon 24:00", `DIGEST_AT: "Mon 24:00": "24:00" is not a time of day`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			c, err := Load(map[string]string{tt.name: tt.value})
			if err == nil {
				t.Fatalf("Load(%s=%q) = nil error", tt.name, tt.value)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != 1 {
				t.Errorf("want one line, got %d:\n%v", len(lines), err)
			}
			if !strings.HasPrefix(lines[0], tt.name+": ") {
				t.Errorf("line does not start with %q: %q", tt.name+": ", lines[0])
			}
			if !strings.Contains(lines[0], tt.want) {
				t.Errorf("error = %q, want it to contain %q", lines[0], tt.want)
			}
			var ve *VarError
			if !errors.As(err, &ve) || ve.Var != tt.name {
				t.Errorf("errors.As VarError = %+v, want Var %q", ve, tt.name)
			}
			assertNoSecrets(t, "error", err.Error())
			if c == nil {
				t.Fatal("Load returned nil Config with an error")
			}
			assertNoSecrets(t, "config string", c.String())
		})
	}
}

func TestLoadReportsAllProblems(t *testing.T) {
	_, err := Load(map[string]string{
		"SLACK_BOT_TOKEN":   "SECRETBOT",
		"PORT":              "abc",
		"DATABASE_URL":      "mysql://bob:DBPASSWORD@db/crm",
		"REDIS_URL":         "memcache://:REDISPASSWORD@x",
		"APPROVALS_CHANNEL": "approvals",
		"RESTORE_WINDOW":    "2 days",
		"DELETE_RATE_LIMIT": "-3",
		"SLACK_API_URL":     "https://slack.com/api",
	})
	if err == nil {
		t.Fatal("Load: nil error")
	}
	lines := strings.Split(err.Error(), "\n")
	var vars []string
	for _, l := range lines {
		name, _, _ := strings.Cut(l, ":")
		vars = append(vars, name)
	}
	want := []string{"SLACK_BOT_TOKEN", "SLACK_API_URL", "DATABASE_URL", "REDIS_URL", "PORT",
		"APPROVALS_CHANNEL", "RESTORE_WINDOW", "DELETE_RATE_LIMIT"}
	if diff := cmp.Diff(want, vars); diff != "" {
		t.Errorf("variables named, in order (-want +got):\n%s\nerror:\n%v", diff, err)
	}
	assertNoSecrets(t, "error", err.Error())
}

func TestLoadMalformedKeepsDefaults(t *testing.T) {
	c, err := Load(map[string]string{"PORT": "x", "RESTORE_WINDOW": "x", "SLACK_API_URL": "x"})
	if err == nil {
		t.Fatal("Load: nil error")
	}
	if c.Port != DefaultPort || c.RestoreWindow != DefaultRestoreWindow || c.SlackAPIURL != DefaultSlackAPIURL {
		t.Errorf("malformed values replaced defaults: %+v", c)
	}
}

func TestShowTruncates(t *testing.T) {
	_, err := Load(map[string]string{"PORT": strings.Repeat("9", 500)})
	if err == nil || len(err.Error()) > 120 {
		t.Errorf("long value not shortened: %v", err)
	}
}

func TestCheckServe(t *testing.T) {
	full := map[string]string{
		"SLACK_BOT_TOKEN":      botToken,
		"SLACK_SIGNING_SECRET": signingSecret,
		"APPROVALS_CHANNEL":    "C0APPROVE",
		"INCIDENT_CHANNEL":     "C0INCIDENT",
		"SUPPRESSION_KEY":      suppressionKey,
	}
	without := func(drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for _, k := range drop {
			delete(m, k)
		}
		return m
	}
	with := func(m map[string]string, k, v string) map[string]string { m[k] = v; return m }

	tests := []struct {
		name    string
		env     map[string]string
		missing []string
	}{
		{"complete http", full, nil},
		{"socket mode needs no signing secret", with(without("SLACK_SIGNING_SECRET"), "SLACK_APP_TOKEN", appToken), nil},
		{"http needs signing secret", without("SLACK_SIGNING_SECRET"), []string{"SLACK_SIGNING_SECRET"}},
		{"no bot token", without("SLACK_BOT_TOKEN"), []string{"SLACK_BOT_TOKEN"}},
		{"no channels", without("APPROVALS_CHANNEL", "INCIDENT_CHANNEL"), []string{"APPROVALS_CHANNEL", "INCIDENT_CHANNEL"}},
		{"no suppression key", without("SUPPRESSION_KEY"), []string{"SUPPRESSION_KEY"}},
		{"nothing", nil, []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "APPROVALS_CHANNEL", "INCIDENT_CHANNEL", "SUPPRESSION_KEY"}},
		{"nothing, socket mode", map[string]string{"SLACK_APP_TOKEN": appToken}, []string{"SLACK_BOT_TOKEN", "APPROVALS_CHANNEL", "INCIDENT_CHANNEL", "SUPPRESSION_KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = c.CheckServe()
			if tt.missing == nil {
				if err != nil {
					t.Fatalf("CheckServe: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckServe: nil, want %v missing", tt.missing)
			}
			var got []string
			for _, l := range strings.Split(err.Error(), "\n") {
				name, rest, _ := strings.Cut(l, ": ")
				got = append(got, name)
				if !strings.Contains(rest, "required") {
					t.Errorf("line %q does not say required", l)
				}
			}
			if diff := cmp.Diff(tt.missing, got); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
			assertNoSecrets(t, "error", err.Error())
		})
	}
}

func TestRoles(t *testing.T) {
	c, err := Load(map[string]string{"ADMIN_USER_IDS": "U0ADMIN, W0ADMIN", "DELETER_USER_IDS": "U0DEL"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user           string
		admin, deleter bool
	}{
		{"U0ADMIN", true, false},
		{"W0ADMIN", true, false},
		{"U0DEL", false, true},
		{"U0OTHER", false, false},
		{"u0admin", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := c.IsAdmin(tt.user); got != tt.admin {
			t.Errorf("IsAdmin(%q) = %v, want %v", tt.user, got, tt.admin)
		}
		if got := c.IsDeleter(tt.user); got != tt.deleter {
			t.Errorf("IsDeleter(%q) = %v, want %v", tt.user, got, tt.deleter)
		}
	}
	var nilc *Config
	if nilc.IsAdmin("U0ADMIN") || nilc.IsDeleter("U0DEL") || nilc.SocketMode() {
		t.Error("nil Config grants something")
	}
}

func TestNoSecretsInLogs(t *testing.T) {
	c, err := Load(map[string]string{
		"SLACK_BOT_TOKEN":      botToken,
		"SLACK_SIGNING_SECRET": signingSecret,
		"SLACK_APP_TOKEN":      appToken,
		"DATABASE_URL":         dbURL,
		"REDIS_URL":            redisURL,
		"APPROVALS_CHANNEL":    "C0APPROVE",
		"SUPPRESSION_KEY":      suppressionKey,
	})
	if err != nil {
		t.Fatal(err)
	}

	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "config", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("config", slog.Any("config", c))
	outputs := map[string]string{
		"text handler": text.String(),
		"json handler": js.String(),
		"%v":           fmt.Sprintf("%v", c),
		"%+v":          fmt.Sprintf("%+v", c),
		"%#v":          fmt.Sprintf("%#v", c),
		"%s":           fmt.Sprintf("%s", c),
	}
	for name, out := range outputs {
		assertNoSecrets(t, name, out)
	}
	for _, want := range []string{
		"config.slack_bot_token_set=true",
		"config.slack_signing_secret_set=true",
		"config.slack_app_token_set=true",
		"config.suppression_key_set=true",
		"config.socket_mode=true",
		"config.database=postgres://db.example.com:5432/crm",
		"config.redis=rediss://cache.example.com:6380/0",
		"config.approvals_channel=C0APPROVE",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text log lacks %q:\n%s", want, text.String())
		}
	}

	var empty bytes.Buffer
	d, _ := Load(nil)
	slog.New(slog.NewTextHandler(&empty, nil)).Info("config", "config", d)
	for _, want := range []string{"slack_bot_token_set=false", `config.database="embedded sqlite"`, "config.redis=in-process"} {
		if !strings.Contains(empty.String(), want) {
			t.Errorf("text log lacks %q:\n%s", want, empty.String())
		}
	}
}

func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s contains secret %q:\n%s", what, sec, s)
		}
	}
}

// A schema name that PostgreSQL would need quoted, or reserves, is a
// configuration error naming the variable.
func TestSchemaNames(t *testing.T) {
	_, err := Load(map[string]string{"CONTACTBOT_SCHEMA": "Bot-State", "CRM_SCHEMA": "pg_crm"})
	want := []string{
		`CONTACTBOT_SCHEMA: "Bot-State" is not a plain schema name: use lower-case letters, digits and _, starting with a letter or _, at most 63 characters`,
		`CRM_SCHEMA: "pg_crm" is a schema reserved by PostgreSQL: choose another name`,
	}
	if err == nil {
		t.Fatal("Load took them")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
