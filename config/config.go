// Package config reads contactbot's configuration from the environment
// (DESIGN.md, "Configuration (environment)").
//
// Load checks formats only and reports every problem at once, one line per
// variable. Which variables a subcommand needs is a separate question:
// CheckServe answers it for `serve`. Error messages and log output never
// contain a token, the signing secret, DATABASE_URL or REDIS_URL.
package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"contactbot/crm"
	"time"
)

// Defaults for the variables that have one.
const (
	DefaultSlackAPIURL     = "https://slack.com/api/"
	DefaultPort            = 3000
	DefaultRestoreWindow   = 1440 * time.Hour // 60 days
	DefaultApprovalTTL     = 24 * time.Hour
	DefaultDeleteRateLimit = 10
	DefaultRequestLimit    = 10
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
	RedisURL    string // REDIS_URL; empty: in-process store
	Port        int    // PORT
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

var (
	channelIDRe   = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
	userIDRe      = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	usergroupIDRe = regexp.MustCompile(`^S[A-Z0-9]+$`)
	currencyRe    = regexp.MustCompile(`^[A-Z]{3}$`)
	teamIDRe      = regexp.MustCompile(`^T[A-Z0-9]+$`)
)

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

// Load builds a Config from environ (variable name to value), applying
// defaults for unset or empty variables. Surrounding white space is ignored.
// It returns every format problem at once, joined with errors.Join, one line
// per variable; the Config is returned alongside (with defaults where a value
// was malformed) so that callers can still log it.
func Load(environ map[string]string) (*Config, error) {
	get := func(name string) string { return strings.TrimSpace(environ[name]) }
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, &VarError{Var: name, Msg: fmt.Sprintf(format, args...)})
	}

	c := &Config{
		SlackAPIURL:     DefaultSlackAPIURL,
		Port:            DefaultPort,
		RestoreWindow:   DefaultRestoreWindow,
		ApprovalTTL:     DefaultApprovalTTL,
		DeleteRateLimit: DefaultDeleteRateLimit,
		RequestLimit:    DefaultRequestLimit,
		Currency:        DefaultCurrency,
		DigestAt:        DefaultDigestAt,
	}

	// Secrets: checked by prefix only, never echoed.
	if v := get("SLACK_BOT_TOKEN"); v != "" {
		if strings.HasPrefix(v, "xoxb-") {
			c.SlackBotToken = v
		} else {
			bad("SLACK_BOT_TOKEN", `must start with "xoxb-" (the Bot User OAuth Token)`)
		}
	}
	c.SlackSigningSecret = get("SLACK_SIGNING_SECRET")
	if v := get("SLACK_APP_TOKEN"); v != "" {
		if strings.HasPrefix(v, "xapp-") {
			c.SlackAppToken = v
		} else {
			bad("SLACK_APP_TOKEN", `must start with "xapp-" (an app-level token with connections:write)`)
		}
	}

	if v := get("SUPPRESSION_KEY"); v != "" {
		if k, err := hex.DecodeString(v); err != nil || len(k) < MinSuppressionKeyBytes {
			bad("SUPPRESSION_KEY", "must be at least %d hex characters (%d random bytes); make one with: openssl rand -hex 32", 2*MinSuppressionKeyBytes, MinSuppressionKeyBytes)
		} else {
			c.SuppressionKey = v
		}
	}

	if v := get("SLACK_API_URL"); v != "" {
		if !isHTTPURL(v) {
			bad("SLACK_API_URL", "must be an absolute http:// or https:// URL")
		} else if !strings.HasSuffix(v, "/") {
			bad("SLACK_API_URL", `must end with "/"`)
		} else {
			c.SlackAPIURL = v
		}
	}
	if v := get("SLACK_TEAM_ID"); v != "" {
		if teamIDRe.MatchString(v) {
			c.SlackTeamID = v
		} else {
			bad("SLACK_TEAM_ID", "%s is not a Slack team id (T…, uppercase letters and digits)", show(v))
		}
	}

	// Connection URLs may carry passwords: never echoed.
	if v := get("DATABASE_URL"); v != "" {
		if !hasScheme(v, "postgres", "postgresql", "sqlite") {
			bad("DATABASE_URL", "must start with postgres://, postgresql:// or sqlite:// (an SQLite file: sqlite:///path/to/file.db)")
		} else if _, err := url.Parse(v); err != nil { // err would contain the URL
			bad("DATABASE_URL", "is not a valid URL")
		} else {
			c.DatabaseURL = v
		}
	}
	if v := get("REDIS_URL"); v != "" {
		if !hasScheme(v, "redis", "rediss") {
			bad("REDIS_URL", "must start with redis:// or rediss://")
		} else if _, err := url.Parse(v); err != nil {
			bad("REDIS_URL", "is not a valid URL")
		} else {
			c.RedisURL = v
		}
	}

	c.DataDir = get("CONTACTBOT_DATA_DIR")

	if v := get("PORT"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 65535 {
			c.Port = n
		} else {
			bad("PORT", "%s is not a port number (1-65535)", show(v))
		}
	}

	for _, ch := range []struct {
		name string
		dst  *string
	}{
		{"APPROVALS_CHANNEL", &c.ApprovalsChannel},
		{"INCIDENT_CHANNEL", &c.IncidentChannel},
		{"AUDIT_CHANNEL", &c.AuditChannel},
		{"DIGEST_CHANNEL", &c.DigestChannel},
	} {
		if v := get(ch.name); v != "" {
			if channelIDRe.MatchString(v) {
				*ch.dst = v
			} else {
				bad(ch.name, "%s is not a Slack channel id (C… or G…, uppercase letters and digits, e.g. C0123ABCD; not the channel's name)", show(v))
			}
		}
	}

	for _, l := range []struct {
		name string
		dst  *[]string
	}{
		{"ADMIN_USER_IDS", &c.AdminUserIDs},
		{"DELETER_USER_IDS", &c.DeleterUserIDs},
	} {
		ids := splitList(get(l.name))
		var wrong []string
		for _, id := range ids {
			if !userIDRe.MatchString(id) {
				wrong = append(wrong, show(id))
			}
		}
		switch {
		case len(wrong) == 1:
			bad(l.name, "%s is not a Slack user id (U… or W…, uppercase letters and digits, comma-separated)", wrong[0])
		case len(wrong) > 1:
			bad(l.name, "%s are not Slack user ids (U… or W…, uppercase letters and digits, comma-separated)", strings.Join(wrong, ", "))
		default:
			*l.dst = ids
		}
	}

	for _, g := range []struct {
		name string
		dst  *string
	}{
		{"ADMIN_USERGROUP_ID", &c.AdminUsergroupID},
		{"DELETER_USERGROUP_ID", &c.DeleterUsergroupID},
	} {
		if v := get(g.name); v != "" {
			if usergroupIDRe.MatchString(v) {
				*g.dst = v
			} else {
				bad(g.name, "%s is not a Slack user group id (S…, uppercase letters and digits; not the @handle)", show(v))
			}
		}
	}

	for _, d := range []struct {
		name, example string
		dst           *time.Duration
	}{
		{"RESTORE_WINDOW", "1440h", &c.RestoreWindow},
		{"APPROVAL_TTL", "24h", &c.ApprovalTTL},
	} {
		if v := get(d.name); v != "" {
			n, err := time.ParseDuration(v)
			switch {
			case err != nil:
				bad(d.name, "%s is not a duration (use e.g. %s)", show(v), d.example)
			case n <= 0:
				bad(d.name, "must be > 0, got %s", show(v))
			default:
				*d.dst = n
			}
		}
	}

	if v := get("DEFAULT_PHONE_COUNTRY"); v != "" {
		if cc := strings.ToUpper(v); crm.ValidPhoneCountry(cc) {
			c.DefaultPhoneCountry = cc
		} else {
			bad("DEFAULT_PHONE_COUNTRY", "must be a two-letter country code such as DE, GB or US, got %s", show(v))
		}
	}
	if v := get("DELETE_RATE_LIMIT"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			c.DeleteRateLimit = n
		} else {
			bad("DELETE_RATE_LIMIT", "must be a whole number >= 0, got %s", show(v))
		}
	}
	if v := get("REQUEST_LIMIT"); v != "" {
		// 0 would refuse every request: nobody could ask for anything.
		if n, err := strconv.Atoi(v); err == nil && n >= 1 {
			c.RequestLimit = n
		} else {
			bad("REQUEST_LIMIT", "must be a whole number >= 1, got %s", show(v))
		}
	}

	if v := get("CRM_CURRENCY"); v != "" {
		if currencyRe.MatchString(v) {
			c.Currency = v
		} else {
			bad("CRM_CURRENCY", "%s is not an ISO 4217 currency code (three capital letters, e.g. USD, EUR, GBP)", show(v))
		}
	}
	if v := get("LOCATION_CURRENCIES"); v != "" {
		c.LocationCurrencies = map[string]string{}
		for _, pair := range splitList(v) {
			loc, cur, ok := strings.Cut(pair, "=")
			loc, cur = strings.TrimSpace(loc), strings.TrimSpace(cur)
			if !ok || loc == "" || !currencyRe.MatchString(cur) {
				bad("LOCATION_CURRENCIES", "%s is not locationId=CODE (e.g. ve9EPM428h8vShlRW1KT=EUR; codes are ISO 4217, three capital letters)", show(pair))
				continue
			}
			c.LocationCurrencies[loc] = cur
		}
	}
	if v := get("DIGEST_AT"); v != "" {
		if w, err := ParseWeekly(v); err == nil {
			c.DigestAt = w
		} else {
			bad("DIGEST_AT", "%s: %v", show(v), err)
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
