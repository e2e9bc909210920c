// Package doctor checks a deployment of contactbot and says what is wrong
// with it: one line per check, ✓ or ✗, each ✗ with its fix in a sentence.
// The mistakes it looks for are the silent ones: a channel the bot was
// never invited to holds its messages in the outbox for a day, a scope
// missing from the token fails at the first use, a wrong channel id is
// found by the first incident.
//
// The checks know no transport: `contactbot doctor` prints them, serve logs
// them once at start, and the shell's /doctor shows them.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"contactbot/bot/slackapi"
	"contactbot/config"
	"contactbot/crm"
)

// Mark is how a check came out.
type Mark string

// The marks: a check passed, failed (with a fix), or says something worth
// knowing that needs no fix (not configured, not applicable).
const (
	Pass Mark = "✓"
	Fail Mark = "✗"
	Note Mark = "–"
)

// Check is one line of the checklist.
type Check struct {
	Mark Mark
	// Name is what was checked: "database", "incident channel".
	Name string
	// Detail is what was found.
	Detail string
	// Fix, for a failed check, is what to do, in one sentence.
	Fix string
}

// String is the check's line: "✗ incident channel: the bot is not a
// member of #incidents (C0INC, INCIDENT_CHANNEL) — fix: …".
func (c Check) String() string {
	s := fmt.Sprintf("%s %s: %s", c.Mark, c.Name, c.Detail)
	if c.Fix != "" {
		s += " — fix: " + c.Fix
	}
	return s
}

// Report is the checklist.
type Report []Check

// Failed counts the failed checks.
func (r Report) Failed() int {
	n := 0
	for _, c := range r {
		if c.Mark == Fail {
			n++
		}
	}
	return n
}

// Summary is the checklist's last line.
func (r Report) Summary() string {
	if n := r.Failed(); n > 0 {
		return fmt.Sprintf("%d of %d checks failed: fix the ✗ lines, then check again.", n, len(r))
	}
	return fmt.Sprintf("All %d checks passed (– lines are fine as they are).", len(r))
}

// String is the checklist, a line per check, then the summary.
func (r Report) String() string {
	var b strings.Builder
	for _, c := range r {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	b.WriteString(r.Summary())
	b.WriteByte('\n')
	return b.String()
}

// Log writes the checklist to log, a line per check (a failed one as a
// warning) and the summary. The lines hold ids and Slack's error codes,
// never a token, a key or a connection URL.
func (r Report) Log(log *slog.Logger) {
	for _, c := range r {
		level := slog.LevelInfo
		if c.Mark == Fail {
			level = slog.LevelWarn
		}
		attrs := []any{"check", c.Name, "result", string(c.Mark), "detail", c.Detail}
		if c.Fix != "" {
			attrs = append(attrs, "fix", c.Fix)
		}
		log.Log(context.Background(), level, "doctor", attrs...)
	}
	if r.Failed() > 0 {
		log.Warn("doctor: " + r.Summary())
	} else {
		log.Info("doctor: " + r.Summary())
	}
}

// Slack is what the checks ask Slack (slackapi.Client).
type Slack interface {
	Auth(ctx context.Context) (slackapi.Auth, error)
	ChannelMember(ctx context.Context, channel string) (name string, member bool, err error)
	UserGroupMembers(ctx context.Context, groupID string) ([]string, error)
}

// Pinger is Redis (bot/kv.Redis).
type Pinger interface {
	Ping(ctx context.Context) error
}

// ErrNoDatabase is Deps.StoreErr when the embedded database file does not
// exist yet: doctor does not create it.
var ErrNoDatabase = errors.New("no database file yet")

// Deps are what the checks look at.
type Deps struct {
	Config *config.Config
	// ConfigErr is what config.Load found malformed, if anything.
	ConfigErr error
	// Store is the database, opened without migrating; nil when it could
	// not be opened, StoreErr says why.
	Store    *crm.Store
	StoreErr error
	// Embedded is the embedded SQLite file's path when DATABASE_URL is unset.
	Embedded string
	// Slack is the Web API with the bot token; nil without SLACK_BOT_TOKEN.
	Slack Slack
	// Redis is the store at REDIS_URL; nil without it.
	Redis Pinger
	// Shell marks the shell's own deployment: the demo workspace, which
	// has no Slack and no Redis.
	Shell bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// callTimeout bounds each question to Slack, Redis or the database, so that
// one that hangs fails its check instead of the whole run.
const callTimeout = 10 * time.Second

// Run runs every check, in the checklist's order: the configuration, the
// database (reachable and migrated, the CRM contract, extensions), Redis,
// Slack (the token, its scopes, the channels, the user groups), the
// suppression key and the outbox.
func Run(ctx context.Context, d Deps) Report {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Config == nil {
		d.Config = &config.Config{}
	}
	var r Report
	if d.ConfigErr != nil {
		r = append(r, Check{Fail, "configuration", oneLine(d.ConfigErr),
			"correct the variables named (docs/operations.md, Configuration)."})
	}
	db, migrated := checkDatabase(ctx, d)
	r = append(r, db...)
	r = append(r, checkRedis(ctx, d))
	r = append(r, checkSlack(ctx, d)...)
	r = append(r, checkSuppressionKey(ctx, d, migrated))
	r = append(r, checkOutbox(ctx, d, migrated)...)
	return r
}

// oneLine joins an error's lines (errors.Join) with "; ".
func oneLine(err error) string {
	return strings.Join(strings.Split(err.Error(), "\n"), "; ")
}

// within is ctx bounded by callTimeout.
func within(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, callTimeout)
}

// checkRedis: Redis answers, or is not configured (one replica only).
func checkRedis(ctx context.Context, d Deps) Check {
	switch {
	case d.Shell:
		return Check{Note, "Redis", "not used by the shell (an in-process store)", ""}
	case d.Config.RedisURL == "" || d.Redis == nil:
		return Check{Note, "Redis", "not configured: single replica only (REDIS_URL is not set; an in-process store serves)", ""}
	}
	where := "REDIS_URL"
	if u, err := url.Parse(d.Config.RedisURL); err == nil && u.Host != "" {
		where = u.Host + " (REDIS_URL)"
	}
	ctx, cancel := within(ctx)
	defer cancel()
	if err := d.Redis.Ping(ctx); err != nil {
		return Check{Fail, "Redis", fmt.Sprintf("no answer from %s: %v", where, err),
			"start Redis or correct REDIS_URL: until it answers the bot runs degraded, slower and without what replicas share."}
	}
	return Check{Pass, "Redis", "answers at " + where, ""}
}
