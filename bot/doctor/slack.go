package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"contactbot/bot"
	"contactbot/internal/words"
)

// channelRole is a channel the configuration names.
type channelRole struct {
	name, env, id string
	required      bool
	// sameAs is the channel that serves when this one is unset.
	sameAs string
}

// channels are the channels the bot posts to, by the variables naming them.
func channels(d Deps) []channelRole {
	c := d.Config
	return []channelRole{
		{"approvals channel", "APPROVALS_CHANNEL", c.ApprovalsChannel, true, ""},
		{"incident channel", "INCIDENT_CHANNEL", c.IncidentChannel, true, ""},
		{"audit channel", "AUDIT_CHANNEL", c.AuditChannel, false, ""},
		{"digest channel", "DIGEST_CHANNEL", c.DigestChannel, false, "the approvals channel"},
	}
}

// checkSlack checks the token, its scopes, the bot's membership of each
// channel it posts to, and the user groups.
func checkSlack(ctx context.Context, d Deps) []Check {
	if d.Shell {
		return []Check{{Note, "Slack", "not used by the shell: its channels and people are the demo workspace's", ""}}
	}
	if d.Config.SlackBotToken == "" || d.Slack == nil {
		return []Check{{Fail, "Slack token", "SLACK_BOT_TOKEN is not set, and serve needs it",
			"set it to the app's Bot User OAuth Token (xoxb-…, under OAuth & Permissions in the app's config)."}}
	}
	tctx, cancel := within(ctx)
	auth, err := d.Slack.Auth(tctx)
	cancel()
	if err != nil {
		code := bot.SlackErrorCode(err)
		c := Check{Fail, "Slack token", fmt.Sprintf("auth.test failed (%s)", code), ""}
		if tokenRefused(code) {
			c.Detail = fmt.Sprintf("Slack refuses SLACK_BOT_TOKEN (%s)", code)
			c.Fix = "copy the Bot User OAuth Token (xoxb-…) again from OAuth & Permissions in the app's config, reinstalling the app if it was removed."
		} else {
			c.Fix = fmt.Sprintf("check that %s answers from here (SLACK_API_URL), then run doctor again.", d.Config.SlackAPIURL)
		}
		return []Check{c, {Note, "Slack", "channels and user groups not checked: the token does not work", ""}}
	}
	var checks []Check
	if err := bot.CheckWorkspace(d.Config, auth.Workspace); err != nil {
		checks = append(checks, Check{Fail, "Slack token", err.Error(), "make SLACK_TEAM_ID and SLACK_BOT_TOKEN name the same workspace."})
	} else {
		checks = append(checks, Check{Pass, "Slack token", fmt.Sprintf("valid: workspace %s, bot user %s", auth.TeamID, auth.BotUserID), ""})
	}
	checks = append(checks, checkScopes(auth.Scopes, auth.ScopesKnown))
	checks = append(checks, checkChannels(ctx, d, auth.BotUserID)...)
	checks = append(checks, checkGroups(ctx, d)...)
	return checks
}

// checkScopes compares the token's scopes with the manifest's.
func checkScopes(granted []string, known bool) Check {
	if !known {
		return Check{Note, "Slack scopes", "Slack did not name the token's scopes (no X-OAuth-Scopes header), so they were not compared", ""}
	}
	var missing []string
	for _, s := range bot.BotScopes {
		if !slices.Contains(granted, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return Check{Fail, "Slack scopes", fmt.Sprintf("the token lacks %s %s", words.PluralNoun(len(missing), "scope", "scopes"), strings.Join(missing, ", ")),
			fmt.Sprintf("add %s under OAuth & Permissions, Bot Token Scopes in the app's config (or update it from contactbot manifest), then reinstall the app to the workspace.",
				words.PluralNoun(len(missing), "it", "them"))}
	}
	return Check{Pass, "Slack scopes", "every scope the manifest asks for is granted (" + strings.Join(bot.BotScopes, ", ") + ")", ""}
}

// checkChannels asks conversations.info whether the bot is a member of each
// channel it posts to.
func checkChannels(ctx context.Context, d Deps, botUser string) []Check {
	var checks []Check
	for _, ch := range channels(d) {
		if ch.id == "" {
			switch {
			case ch.required:
				checks = append(checks, Check{Fail, ch.name, ch.env + " is not set, and serve needs it",
					fmt.Sprintf("set %s to the channel's id (C…, at the bottom of the channel's About tab), then /invite @contactbot there.", ch.env)})
			case ch.sameAs != "":
				checks = append(checks, Check{Note, ch.name, fmt.Sprintf("%s is not set: %s serves", ch.env, ch.sameAs), ""})
			default:
				checks = append(checks, Check{Note, ch.name, ch.env + " is not set: no audit feed", ""})
			}
			continue
		}
		checks = append(checks, checkChannel(ctx, d, ch))
	}
	return checks
}

// checkChannel asks whether the bot is a member of one channel.
func checkChannel(ctx context.Context, d Deps, ch channelRole) Check {
	ctx, cancel := within(ctx)
	defer cancel()
	where := fmt.Sprintf("%s, %s", ch.id, ch.env)
	name, member, err := d.Slack.ChannelMember(ctx, ch.id)
	if err != nil {
		code := bot.SlackErrorCode(err)
		switch code {
		case "channel_not_found":
			return Check{Fail, ch.name, fmt.Sprintf("Slack finds no channel %s (%s)", ch.id, ch.env),
				fmt.Sprintf("correct %s (the id is at the bottom of the channel's About tab), or if the channel is private, /invite @contactbot in it.", ch.env)}
		case "missing_scope":
			return Check{Fail, ch.name, fmt.Sprintf("membership of %s (%s) cannot be checked: the token lacks channels:read or groups:read", ch.id, ch.env),
				"add the scopes the Slack scopes line names, then reinstall the app."}
		}
		return Check{Fail, ch.name, fmt.Sprintf("conversations.info on %s failed (%s)", where, code),
			"check that Slack answers from here, then run doctor again."}
	}
	label := ch.id
	if name != "" {
		label = "#" + name
	}
	if !member {
		return Check{Fail, ch.name, fmt.Sprintf("the bot is not a member of %s (%s): its messages wait in the outbox", label, where),
			fmt.Sprintf("type /invite @contactbot in %s (or correct %s).", label, ch.env)}
	}
	return Check{Pass, ch.name, fmt.Sprintf("the bot is a member of %s (%s)", label, where), ""}
}

// checkGroups: the admins, and the user groups that name admins and
// deleters, can be read.
func checkGroups(ctx context.Context, d Deps) []Check {
	c := d.Config
	var checks []Check
	if c.AdminUsergroupID == "" {
		if len(c.AdminUserIDs) == 0 {
			checks = append(checks, Check{Fail, "admins", "neither ADMIN_USER_IDS nor ADMIN_USERGROUP_ID is set: nobody can approve requests or restore deletions",
				"set ADMIN_USER_IDS to the admins' Slack user ids (U…, in each profile's ⋮ menu, Copy member ID)."})
		} else {
			checks = append(checks, Check{Pass, "admins", fmt.Sprintf("%s in ADMIN_USER_IDS (ADMIN_USERGROUP_ID is not set)",
				words.Plural(len(c.AdminUserIDs), "user", "users")), ""})
		}
	} else {
		checks = append(checks, checkGroup(ctx, d, "admin user group", "ADMIN_USERGROUP_ID", c.AdminUsergroupID, len(c.AdminUserIDs)))
	}
	if c.DeleterUsergroupID != "" {
		checks = append(checks, checkGroup(ctx, d, "deleter user group", "DELETER_USERGROUP_ID", c.DeleterUsergroupID, -1))
	}
	return checks
}

// checkGroup reads one user group's members (usergroups.users.list).
// listed is how many admins ADMIN_USER_IDS names besides (-1: not admins).
func checkGroup(ctx context.Context, d Deps, name, env, id string, listed int) Check {
	ctx, cancel := within(ctx)
	defer cancel()
	members, err := d.Slack.UserGroupMembers(ctx, id)
	if err != nil {
		code := bot.SlackErrorCode(err)
		switch code {
		case "no_such_subteam", "subteam_not_found":
			return Check{Fail, name, fmt.Sprintf("Slack finds no user group %s (%s)", id, env),
				fmt.Sprintf("correct %s (Slack's usergroups.list, called with the bot token, lists every group's id, S…).", env)}
		case "missing_scope":
			return Check{Fail, name, fmt.Sprintf("%s (%s) cannot be read: the token lacks usergroups:read", id, env),
				"add usergroups:read under OAuth & Permissions, Bot Token Scopes, then reinstall the app."}
		}
		return Check{Fail, name, fmt.Sprintf("usergroups.users.list on %s (%s) failed (%s)", id, env, code),
			"check that Slack answers from here, then run doctor again."}
	}
	detail := fmt.Sprintf("%s (%s) has %s", id, env, words.Plural(len(members), "member", "members"))
	if len(members) == 0 && listed == 0 {
		return Check{Fail, name, detail + ", and ADMIN_USER_IDS is empty: nobody can approve requests",
			"add the admins to the user group, or list them in ADMIN_USER_IDS."}
	}
	return Check{Pass, name, detail, ""}
}

// tokenRefused: Slack's error code says the bot token itself is refused.
func tokenRefused(code string) bool {
	switch code {
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		return true
	}
	return false
}
