package config

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"contactbot/crm"
)

// A setting is one environment variable: its name, the default its field
// holds when the variable is unset, empty or malformed, and read, which
// puts a trimmed non-empty value into its field or says what is wrong with
// it, one problem per line of Load's error.
type setting struct {
	name       string
	setDefault func(c *Config)
	read       func(c *Config, v string) (problems []string)
}

// field is the usual setting: parse reads the value or names its one
// problem, and only a value without a problem replaces def in the field at.
func field[T any](name string, def T, at func(*Config) *T, parse func(v string) (T, string)) setting {
	return setting{
		name:       name,
		setDefault: func(c *Config) { *at(c) = def },
		read: func(c *Config, v string) []string {
			x, problem := parse(v)
			if problem != "" {
				return []string{problem}
			}
			*at(c) = x
			return nil
		},
	}
}

var (
	channelIDRe   = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
	userIDRe      = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	usergroupIDRe = regexp.MustCompile(`^S[A-Z0-9]+$`)
	currencyRe    = regexp.MustCompile(`^[A-Z]{3}$`)
	teamIDRe      = regexp.MustCompile(`^T[A-Z0-9]+$`)
)

// settings is the environment, in the order Load reports its problems.
// Secrets and connection URLs (which may carry passwords) are never echoed
// in a problem; other values are, through show.
var settings = []setting{
	field("SLACK_BOT_TOKEN", "", func(c *Config) *string { return &c.SlackBotToken },
		prefixed("xoxb-", "the Bot User OAuth Token")),
	field("SLACK_SIGNING_SECRET", "", func(c *Config) *string { return &c.SlackSigningSecret }, anyText),
	field("SLACK_APP_TOKEN", "", func(c *Config) *string { return &c.SlackAppToken },
		prefixed("xapp-", "an app-level token with connections:write")),
	field("SUPPRESSION_KEY", "", func(c *Config) *string { return &c.SuppressionKey }, hexKey),
	field("SLACK_API_URL", DefaultSlackAPIURL, func(c *Config) *string { return &c.SlackAPIURL }, apiURL),
	field("SLACK_TEAM_ID", "", func(c *Config) *string { return &c.SlackTeamID },
		matching(teamIDRe, "a Slack team id (T…, uppercase letters and digits)")),
	field("DATABASE_URL", "", func(c *Config) *string { return &c.DatabaseURL },
		storeURL("must start with postgres://, postgresql:// or sqlite:// (an SQLite file: sqlite:///path/to/file.db)", "postgres", "postgresql", "sqlite")),
	field("CONTACTBOT_SCHEMA", crm.DefaultSchemas.Bot, func(c *Config) *string { return &c.ContactbotSchema }, schemaName),
	field("CRM_SCHEMA", crm.DefaultSchemas.CRM, func(c *Config) *string { return &c.CRMSchema }, schemaName),
	field("REDIS_URL", "", func(c *Config) *string { return &c.RedisURL },
		storeURL("must start with redis:// or rediss://", "redis", "rediss")),
	field("CONTACTBOT_DATA_DIR", "", func(c *Config) *string { return &c.DataDir }, anyText),
	field("PORT", DefaultPort, func(c *Config) *int { return &c.Port }, port),
	field("APPROVALS_CHANNEL", "", func(c *Config) *string { return &c.ApprovalsChannel }, channelID),
	field("INCIDENT_CHANNEL", "", func(c *Config) *string { return &c.IncidentChannel }, channelID),
	field("AUDIT_CHANNEL", "", func(c *Config) *string { return &c.AuditChannel }, channelID),
	field("DIGEST_CHANNEL", "", func(c *Config) *string { return &c.DigestChannel }, channelID),
	field("ADMIN_USER_IDS", nil, func(c *Config) *[]string { return &c.AdminUserIDs }, userIDs),
	field("DELETER_USER_IDS", nil, func(c *Config) *[]string { return &c.DeleterUserIDs }, userIDs),
	field("ADMIN_USERGROUP_ID", "", func(c *Config) *string { return &c.AdminUsergroupID }, usergroupID),
	field("DELETER_USERGROUP_ID", "", func(c *Config) *string { return &c.DeleterUsergroupID }, usergroupID),
	field("RESTORE_WINDOW", DefaultRestoreWindow, func(c *Config) *time.Duration { return &c.RestoreWindow }, duration("1440h")),
	field("APPROVAL_TTL", DefaultApprovalTTL, func(c *Config) *time.Duration { return &c.ApprovalTTL }, duration("24h")),
	field("DEFAULT_PHONE_COUNTRY", "", func(c *Config) *string { return &c.DefaultPhoneCountry }, phoneCountry),
	field("DELETE_RATE_LIMIT", DefaultDeleteRateLimit, func(c *Config) *int { return &c.DeleteRateLimit }, wholeNumber(0)),
	// 0 would refuse every request: nobody could ask for anything.
	field("REQUEST_LIMIT", DefaultRequestLimit, func(c *Config) *int { return &c.RequestLimit }, wholeNumber(1)),
	field("BULK_LIMIT", DefaultBulkLimit, func(c *Config) *int { return &c.BulkLimit }, wholeNumber(1)),
	field("CRM_CURRENCY", DefaultCurrency, func(c *Config) *string { return &c.Currency },
		matching(currencyRe, "an ISO 4217 currency code (three capital letters, e.g. USD, EUR, GBP)")),
	{name: "LOCATION_CURRENCIES", setDefault: func(c *Config) { c.LocationCurrencies = nil }, read: readLocationCurrencies},
	field("DIGEST_AT", DefaultDigestAt, func(c *Config) *Weekly { return &c.DigestAt }, digestAt),
}

// anyText takes the value as it is.
func anyText(v string) (string, string) { return v, "" }

// schemaName is a PostgreSQL schema name as crm takes it.
func schemaName(v string) (string, string) {
	if err := crm.CheckSchemaName(v); err != nil {
		return "", err.Error()
	}
	return v, ""
}

// prefixed checks a secret by its prefix only: what it is named in the
// problem, never its value.
func prefixed(prefix, what string) func(string) (string, string) {
	return func(v string) (string, string) {
		if !strings.HasPrefix(v, prefix) {
			return "", fmt.Sprintf("must start with %q (%s)", prefix, what)
		}
		return v, ""
	}
}

// matching takes a value of re's shape; what names the shape.
func matching(re *regexp.Regexp, what string) func(string) (string, string) {
	return func(v string) (string, string) {
		if !re.MatchString(v) {
			return "", show(v) + " is not " + what
		}
		return v, ""
	}
}

var (
	channelID   = matching(channelIDRe, "a Slack channel id (C… or G…, uppercase letters and digits, e.g. C0123ABCD; not the channel's name)")
	usergroupID = matching(usergroupIDRe, "a Slack user group id (S…, uppercase letters and digits; not the @handle)")
)

func hexKey(v string) (string, string) {
	if k, err := hex.DecodeString(v); err != nil || len(k) < MinSuppressionKeyBytes {
		return "", fmt.Sprintf("must be at least %d hex characters (%d random bytes); make one with: openssl rand -hex 32", 2*MinSuppressionKeyBytes, MinSuppressionKeyBytes)
	}
	return v, ""
}

func apiURL(v string) (string, string) {
	switch {
	case !isHTTPURL(v):
		return "", "must be an absolute http:// or https:// URL"
	case !strings.HasSuffix(v, "/"):
		return "", `must end with "/"`
	}
	return v, ""
}

// storeURL takes a connection URL of one of schemes. It may carry a
// password, so neither the value nor url.Parse's error (which quotes it)
// is echoed.
func storeURL(wrongScheme string, schemes ...string) func(string) (string, string) {
	return func(v string) (string, string) {
		if !hasScheme(v, schemes...) {
			return "", wrongScheme
		}
		if _, err := url.Parse(v); err != nil {
			return "", "is not a valid URL"
		}
		return v, ""
	}
}

func port(v string) (int, string) {
	if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 65535 {
		return n, ""
	}
	return 0, show(v) + " is not a port number (1-65535)"
}

// userIDs reads a comma-separated list, naming every id of the wrong shape.
func userIDs(v string) ([]string, string) {
	ids := splitList(v)
	var wrong []string
	for _, id := range ids {
		if !userIDRe.MatchString(id) {
			wrong = append(wrong, show(id))
		}
	}
	switch {
	case len(wrong) == 1:
		return nil, wrong[0] + " is not a Slack user id (U… or W…, uppercase letters and digits, comma-separated)"
	case len(wrong) > 1:
		return nil, strings.Join(wrong, ", ") + " are not Slack user ids (U… or W…, uppercase letters and digits, comma-separated)"
	}
	return ids, ""
}

// duration reads a positive Go duration; example is one for the problem.
func duration(example string) func(string) (time.Duration, string) {
	return func(v string) (time.Duration, string) {
		n, err := time.ParseDuration(v)
		switch {
		case err != nil:
			return 0, fmt.Sprintf("%s is not a duration (use e.g. %s)", show(v), example)
		case n <= 0:
			return 0, "must be > 0, got " + show(v)
		}
		return n, ""
	}
}

func phoneCountry(v string) (string, string) {
	if cc := strings.ToUpper(v); crm.ValidPhoneCountry(cc) {
		return cc, ""
	}
	return "", "must be a two-letter country code such as DE, GB or US, got " + show(v)
}

func wholeNumber(least int) func(string) (int, string) {
	return func(v string) (int, string) {
		if n, err := strconv.Atoi(v); err == nil && n >= least {
			return n, ""
		}
		return 0, fmt.Sprintf("must be a whole number >= %d, got %s", least, show(v))
	}
}

// readLocationCurrencies reads "locationId=EUR,…": each malformed pair is a
// problem of its own, and the well-formed ones are kept all the same.
func readLocationCurrencies(c *Config, v string) (problems []string) {
	c.LocationCurrencies = map[string]string{}
	for _, pair := range splitList(v) {
		loc, cur, ok := strings.Cut(pair, "=")
		loc, cur = strings.TrimSpace(loc), strings.TrimSpace(cur)
		if !ok || loc == "" || !currencyRe.MatchString(cur) {
			problems = append(problems, show(pair)+" is not locationId=CODE (e.g. ve9EPM428h8vShlRW1KT=EUR; codes are ISO 4217, three capital letters)")
			continue
		}
		c.LocationCurrencies[loc] = cur
	}
	return problems
}

func digestAt(v string) (Weekly, string) {
	w, err := ParseWeekly(v)
	if err != nil {
		return Weekly{}, fmt.Sprintf("%s: %v", show(v), err)
	}
	return w, ""
}
