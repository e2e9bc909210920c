// Package config reads contactbot's configuration from the environment
// (DESIGN.md, "Configuration (environment)").
//
// Load checks formats only and reports every problem at once, one line per
// variable. Which variables a subcommand needs is a separate question:
// CheckServe answers it for `serve`. Error messages and log output never
// contain a token, the signing secret, DATABASE_URL or REDIS_URL.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"contactbot/crm"
)

// Defaults for the variables that have one.
const (
	DefaultSlackAPIURL     = "https://slack.com/api/"
	DefaultPort            = 3000
	DefaultRestoreWindow   = 1440 * time.Hour // 60 days
	DefaultApprovalTTL     = 24 * time.Hour
	DefaultDeleteRateLimit = 10
	DefaultRequestLimit    = 10
	// DefaultBulkLimit is the most contacts one clean-up batch deletes.
	DefaultBulkLimit = 500
	// MinSuppressionKeyBytes is the shortest SUPPRESSION_KEY: 256 bits.
	MinSuppressionKeyBytes = 32
)

// DefaultDigestAt is when the weekly digest is posted by default: Monday 09:00 UTC.
var DefaultDigestAt = Weekly{Day: time.Monday, Hour: 9}

// Config is the whole environment of the program. Empty strings mean unset.
type Config struct {
	SlackBotToken      string // SLACK_BOT_TOKEN, xoxb-…
	SlackSigningSecret string // SLACK_SIGNING_SECRET
	SlackAppToken      string // SLACK_APP_TOKEN, xapp-…; set: Socket Mode
	SlackAPIURL        string // SLACK_API_URL, ends with "/"
	SlackTeamID        string // SLACK_TEAM_ID; set: other workspaces are refused

	DatabaseURL string // DATABASE_URL; empty: embedded SQLite
	// ContactbotSchema (CONTACTBOT_SCHEMA) holds the bot's own tables and
	// CRMSchema (CRM_SCHEMA) the CRM's, on PostgreSQL; SQLite ignores both.
	ContactbotSchema string
	CRMSchema        string
	RedisURL         string // REDIS_URL; empty: in-process store
	Port             int    // PORT
	// DataDir (CONTACTBOT_DATA_DIR) holds the embedded SQLite database when
	// DATABASE_URL is unset; empty: the user's data directory.
	DataDir string

	ApprovalsChannel string // APPROVALS_CHANNEL
	IncidentChannel  string // INCIDENT_CHANNEL
	AuditChannel     string // AUDIT_CHANNEL; empty: no audit feed

	AdminUserIDs       []string // ADMIN_USER_IDS
	DeleterUserIDs     []string // DELETER_USER_IDS
	AdminUsergroupID   string   // ADMIN_USERGROUP_ID
	DeleterUsergroupID string   // DELETER_USERGROUP_ID

	// SuppressionKey (SUPPRESSION_KEY) keys the hashes of opted-out emails
	// and phones: hex, at least 32 bytes. Secret: never logged.
	SuppressionKey string

	RestoreWindow   time.Duration // RESTORE_WINDOW
	ApprovalTTL     time.Duration // APPROVAL_TTL
	DeleteRateLimit int           // DELETE_RATE_LIMIT
	// RequestLimit (REQUEST_LIMIT) is how many requests one person may have
	// waiting for an admin at once, so that one person cannot flood the
	// approvals channel.
	RequestLimit int
	// BulkLimit (BULK_LIMIT) is the most contacts one clean-up batch
	// deletes: a larger match is refused with "narrow the filter".
	BulkLimit int

	// DefaultPhoneCountry (DEFAULT_PHONE_COUNTRY, ISO 3166 alpha-2, e.g.
	// "DE") reads phone numbers written without a country code by that
	// country's trunk prefix; empty: a leading 0 is taken for one.
	DefaultPhoneCountry string

	// Currency (CRM_CURRENCY) is the ISO 4217 code opportunity values are
	// shown in: the CRM stores amounts without a currency, which Leadgains
	// (like HighLevel) keeps per location. LocationCurrencies
	// (LOCATION_CURRENCIES, "locationId=EUR,…") overrides it per location.
	Currency           string
	LocationCurrencies map[string]string

	DigestChannel string // DIGEST_CHANNEL; empty: the approvals channel (DigestTo)
	DigestAt      Weekly // DIGEST_AT, e.g. "Mon 09:00" (UTC)
}

// DigestTo is the channel of the weekly digest: DIGEST_CHANNEL, else the
// approvals channel.
func (c *Config) DigestTo() string {
	if c.DigestChannel != "" {
		return c.DigestChannel
	}
	return c.ApprovalsChannel
}

// DefaultCurrency is the currency opportunity values are shown in when
// CRM_CURRENCY is unset.
const DefaultCurrency = "USD"

// CurrencyOf is the currency of a location's opportunity values.
func (c *Config) CurrencyOf(locationID string) string {
	if cur, ok := c.LocationCurrencies[locationID]; ok {
		return cur
	}
	if c.Currency == "" {
		return DefaultCurrency
	}
	return c.Currency
}

// VarError is one problem with one variable. Load and CheckServe return
// these joined with errors.Join; errors.As finds the first.
type VarError struct {
	Var string // the environment variable, e.g. "PORT"
	Msg string // what is wrong, never containing a secret
}

func (e *VarError) Error() string { return e.Var + ": " + e.Msg }

// FromEnv loads the configuration from the process environment.
func FromEnv() (*Config, error) {
	environ := make(map[string]string)
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			environ[k] = v
		}
	}
	return Load(environ)
}

// Load builds a Config from environ (variable name to value), one setting
// of the table in settings.go at a time, applying defaults for unset or
// empty variables. Surrounding white space is ignored.
// It returns every format problem at once, joined with errors.Join, one line
// per variable; the Config is returned alongside (with defaults where a value
// was malformed) so that callers can still log it.
func Load(environ map[string]string) (*Config, error) {
	c := &Config{}
	var errs []error
	for _, s := range settings {
		s.setDefault(c)
		v := strings.TrimSpace(environ[s.name])
		if v == "" {
			continue
		}
		for _, problem := range s.read(c, v) {
			errs = append(errs, &VarError{Var: s.name, Msg: problem})
		}
	}
	return c, errors.Join(errs...)
}

// CheckServe reports, one line each, the variables `serve` needs that are
// unset: SLACK_BOT_TOKEN, APPROVALS_CHANNEL, INCIDENT_CHANNEL and
// SUPPRESSION_KEY always, and
// SLACK_SIGNING_SECRET unless SLACK_APP_TOKEN selects Socket Mode.
func (c *Config) CheckServe() error {
	var errs []error
	missing := func(name, why string) { errs = append(errs, &VarError{Var: name, Msg: why}) }
	if c.SlackBotToken == "" {
		missing("SLACK_BOT_TOKEN", "required for serve (the Bot User OAuth Token, xoxb-…)")
	}
	if c.SlackSigningSecret == "" && !c.SocketMode() {
		missing("SLACK_SIGNING_SECRET", "required for serve over HTTP (or set SLACK_APP_TOKEN for Socket Mode)")
	}
	if c.ApprovalsChannel == "" {
		missing("APPROVALS_CHANNEL", "required for serve (channel id where approval requests are posted)")
	}
	if c.IncidentChannel == "" {
		missing("INCIDENT_CHANNEL", "required for serve (channel id where wrong deletions are reported)")
	}
	if c.SuppressionKey == "" {
		missing("SUPPRESSION_KEY", "required for serve (keys the hashes that keep deleted contacts' opt-outs; make one with: openssl rand -hex 32, and keep it)")
	}
	return errors.Join(errs...)
}

// SocketMode reports whether Slack is served over Socket Mode (SLACK_APP_TOKEN set)
// rather than HTTP.
func (c *Config) SocketMode() bool { return c != nil && c.SlackAppToken != "" }

// IsAdmin reports whether userID is in ADMIN_USER_IDS. User-group membership
// (ADMIN_USERGROUP_ID) needs Slack and is resolved by the bot, not here.
func (c *Config) IsAdmin(userID string) bool {
	return c != nil && userID != "" && slices.Contains(c.AdminUserIDs, userID)
}

// IsDeleter reports whether userID is in DELETER_USER_IDS. It does not consult
// DELETER_USERGROUP_ID, and it does not count admins: callers check IsAdmin first.
func (c *Config) IsDeleter(userID string) bool {
	return c != nil && userID != "" && slices.Contains(c.DeleterUserIDs, userID)
}

// LogValue shows the configuration for logs: which secrets are set (never
// their values), and which stores are used without credentials or query.
func (c *Config) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.Bool("slack_bot_token_set", c.SlackBotToken != ""),
		slog.Bool("slack_signing_secret_set", c.SlackSigningSecret != ""),
		slog.Bool("slack_app_token_set", c.SlackAppToken != ""),
		slog.Bool("suppression_key_set", c.SuppressionKey != ""),
		slog.Bool("socket_mode", c.SocketMode()),
		slog.String("slack_api_url", c.SlackAPIURL),
		slog.String("slack_team_id", c.SlackTeamID),
		slog.String("database", describeStore(c.DatabaseURL, "embedded sqlite")),
		slog.String("contactbot_schema", c.ContactbotSchema),
		slog.String("crm_schema", c.CRMSchema),
		slog.String("redis", describeStore(c.RedisURL, "in-process")),
		slog.String("data_dir", c.DataDir),
		slog.Int("port", c.Port),
		slog.String("approvals_channel", c.ApprovalsChannel),
		slog.String("incident_channel", c.IncidentChannel),
		slog.String("audit_channel", c.AuditChannel),
		slog.Any("admin_user_ids", c.AdminUserIDs),
		slog.Any("deleter_user_ids", c.DeleterUserIDs),
		slog.String("admin_usergroup_id", c.AdminUsergroupID),
		slog.String("deleter_usergroup_id", c.DeleterUsergroupID),
		slog.Duration("restore_window", c.RestoreWindow),
		slog.Duration("approval_ttl", c.ApprovalTTL),
		slog.Int("delete_rate_limit", c.DeleteRateLimit),
		slog.Int("request_limit", c.RequestLimit),
		slog.Int("bulk_limit", c.BulkLimit),
		slog.String("currency", c.Currency),
		slog.Any("location_currencies", c.LocationCurrencies),
		slog.String("digest_channel", c.DigestTo()),
		slog.String("digest_at", c.DigestAt.String()),
	)
}

// String renders the same redacted view as LogValue, so that printing a
// Config with %v or %+v cannot leak a secret.
func (c *Config) String() string {
	if c == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString("config{")
	for i, a := range c.LogValue().Group() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%v", a.Key, a.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// GoString keeps %#v redacted too.
func (c *Config) GoString() string { return c.String() }

// describeStore gives scheme://host/path of a connection URL: no user,
// password or query (postgres URLs may carry password=… there).
func describeStore(raw, fallback string) string {
	if raw == "" {
		return fallback
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	if strings.EqualFold(u.Scheme, "sqlite") {
		return raw // a file path: no credentials
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func hasScheme(s string, schemes ...string) bool {
	for _, sc := range schemes {
		if len(s) >= len(sc)+3 && strings.EqualFold(s[:len(sc)+3], sc+"://") {
			return true
		}
	}
	return false
}

// splitList splits a comma-separated list, trimming spaces and dropping empties.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// show quotes a non-secret value for an error message, shortened so that a
// pasted blob cannot flood the log.
func show(v string) string {
	const max = 40
	if r := []rune(v); len(r) > max {
		v = string(r[:max]) + "…"
	}
	return strconv.Quote(v)
}

// Schemas are the PostgreSQL schemas of the bot's tables and the CRM's.
func (c *Config) Schemas() crm.Schemas {
	return crm.Schemas{Bot: c.ContactbotSchema, CRM: c.CRMSchema}
}
