package bot

import (
	"fmt"
	"net/url"
	"strings"

	"contactbot/config"
)

// Workspace is the Slack workspace the bot's token belongs to, as auth.test
// tells it: every payload must come from it.
type Workspace struct {
	TeamID       string
	EnterpriseID string // empty when the workspace is not part of an Enterprise Grid
}

// CheckWorkspace tells serve whether it may start: a SLACK_TEAM_ID that
// names another workspace than the bot token's would refuse every payload,
// or serve the wrong workspace, so serve stops instead.
func CheckWorkspace(cfg *config.Config, learned Workspace) error {
	if learned.TeamID == "" {
		return fmt.Errorf("auth.test named no workspace for SLACK_BOT_TOKEN, so contactbot cannot tell which workspace to serve")
	}
	if cfg.SlackTeamID != "" && cfg.SlackTeamID != learned.TeamID {
		return fmt.Errorf("SLACK_TEAM_ID is %s but SLACK_BOT_TOKEN belongs to workspace %s (auth.test): set SLACK_TEAM_ID to %s, unset it, or use the bot token of workspace %s",
			cfg.SlackTeamID, learned.TeamID, learned.TeamID, cfg.SlackTeamID)
	}
	return nil
}

// home is the workspace payloads must come from: the one auth.test named,
// else SLACK_TEAM_ID (the shell and tests that learn none), else none.
func home(learned Workspace, cfg *config.Config) Workspace {
	if learned.TeamID == "" && cfg != nil {
		learned.TeamID = cfg.SlackTeamID
	}
	return learned
}

// teamAllowed reports whether a payload sent from team (and enterprise,
// when it names one) may be served. A bot that knows no workspace (the
// shell) serves every team.
func (b *Bot) teamAllowed(team, enterprise string) bool {
	if b.cfg != nil && b.cfg.SlackTeamID != "" && team != b.cfg.SlackTeamID {
		return false
	}
	if b.home.TeamID == "" {
		return true
	}
	return team == b.home.TeamID && (enterprise == "" || enterprise == b.home.EnterpriseID)
}

// memberOfHome reports whether a person whose home team is userTeam (an
// interaction's user.team_id) belongs to the bot's workspace: an external
// member of a Slack Connect channel does not. Slack names an Enterprise
// Grid member's team either by workspace or by organisation.
func (b *Bot) memberOfHome(userTeam string) bool {
	if userTeam == "" || b.home.TeamID == "" {
		return true
	}
	return userTeam == b.home.TeamID || (b.home.EnterpriseID != "" && userTeam == b.home.EnterpriseID)
}

// wrongTeam is the answer to a payload from another workspace.
var wrongTeam = Message{Text: "This contactbot serves another Slack workspace. Ask your admin which bot to use here."}

// externalMember is the answer to a person from another organisation (a
// Slack Connect channel's external member), searches included.
const externalMember = "contactbot serves only members of the workspace it is installed in, and your account belongs to another organisation, so nothing was done. Ask a member of this workspace for help."

// slackResponseOrigin is where Slack's own response URLs live.
const slackResponseOrigin = "https://hooks.slack.com"

// responseOrigins are the origins a response URL may point at: Slack's,
// that of SLACK_API_URL when it is not Slack's (a proxy, the tests' fake
// Slack), and extra (the shell's).
func responseOrigins(cfg *config.Config, extra []string) []string {
	origins := []string{slackResponseOrigin}
	if cfg != nil && cfg.SlackAPIURL != "" && cfg.SlackAPIURL != config.DefaultSlackAPIURL {
		if u, err := url.Parse(cfg.SlackAPIURL); err == nil {
			origins = append(origins, origin(u))
		}
	}
	return append(origins, extra...)
}

// origin is u's scheme, host and port, the port only when it is not the
// scheme's default.
func origin(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	scheme := strings.ToLower(u.Scheme)
	if port == "" || (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + port
}

// slackURL returns s when it is a response URL contactbot may post to: an
// absolute URL of one of the allowed origins, with no user name or
// password. Anything else is "" (the answer then goes by DM), and a value
// that was given but is not allowed is logged once, without its query
// string, which on a real response URL would be a credential. from says
// where the value came from (a payload, a window's private_metadata).
func (b *Bot) slackURL(s, from string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 2000 && !badChars(s) {
		if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" && u.User == nil {
			for _, o := range b.responseOrigins {
				if origin(u) == o {
					return s
				}
			}
		}
	}
	b.log.Warn("response URL ignored: not Slack's, so the answer goes by DM", "from", from, "url", withoutQuery(s))
	return ""
}

// withoutQuery is s without its query string and fragment, cut short, for logs.
func withoutQuery(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return cut(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s), 200)
}
