package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"contactbot/bot"
	"contactbot/crm"
	"contactbot/internal/words"
	"contactbot/outbox"
)

// checkSuppressionKey: SUPPRESSION_KEY is the key the suppression list was
// made with (compared through keyed hashes; nothing is written).
func checkSuppressionKey(ctx context.Context, d Deps, ready bool) Check {
	const name = "suppression key"
	switch {
	case d.Config.SuppressionKey == "":
		return Check{Fail, name, "SUPPRESSION_KEY is not set, and serve needs it",
			"make one with openssl rand -hex 32, set it, and keep it: the suppression list's entries are made with it."}
	case !ready:
		return Check{Note, name, "not checked: the database is not migrated", ""}
	}
	ctx, cancel := within(ctx)
	defer cancel()
	st, err := d.Store.CheckSuppressionKey(ctx, d.Config.SuppressionKey)
	switch {
	case err != nil:
		return Check{Fail, name, crm.ErrorMessage(err), "correct SUPPRESSION_KEY, then run doctor again."}
	case !st.Stored:
		return Check{Note, name, "not stored in the database yet: contactbot migrate (or serve's first start) stores it", ""}
	case st.Matches:
		return Check{Pass, name, fmt.Sprintf("SUPPRESSION_KEY is the key the suppression list (%s) was made with",
			words.Plural(st.Entries, "entry", "entries")), ""}
	case st.Entries == 0:
		return Check{Note, name, "SUPPRESSION_KEY differs from the stored key; the suppression list is empty, so the next start stores this one", ""}
	}
	return Check{Fail, name, fmt.Sprintf("SUPPRESSION_KEY is not the key the %s on the suppression list were made with: serve refuses to start",
		words.Plural(st.Entries, "entry", "entries")),
		"set SUPPRESSION_KEY to the key this database was first run with."}
}

// Outbox thresholds: a message waiting longer than slowOutbox says the
// outbox is not being delivered; a conversation whose next message failed
// and has waited stuckAfter is stuck, not a passing hiccup.
const (
	slowOutbox = 5 * time.Minute
	stuckAfter = time.Minute
	// maxStuck is how many stuck conversations the checklist names.
	maxStuck = 5
)

// checkOutbox: the outbox's oldest waiting message, and each conversation
// the outbox is stuck on, with Slack's reason.
func checkOutbox(ctx context.Context, d Deps, ready bool) []Check {
	if !ready {
		return []Check{{Note, "outbox", "not checked: the database is not migrated", ""}}
	}
	ctx, cancel := within(ctx)
	defer cancel()
	st, err := d.Store.OutboxStats(ctx)
	var stuck []outbox.Stuck
	if err == nil {
		stuck, err = d.Store.OutboxStuck(ctx, maxStuck)
	}
	if err != nil {
		return []Check{{Fail, "outbox", fmt.Sprintf("could not be read: %v", err), "check the database, then run doctor again."}}
	}
	now := d.Now()
	gaveUp := ""
	if st.GaveUp > 0 {
		gaveUp = fmt.Sprintf("; %s given up on in the last %s (see the logs)", words.Plural(st.GaveUp, "message", "messages"), bot.DurationWords(outbox.Keep))
	}
	var checks []Check
	switch age := now.Sub(st.Oldest); {
	case st.Pending == 0:
		checks = append(checks, Check{Pass, "outbox", "nothing waiting" + gaveUp, ""})
	case age >= slowOutbox:
		checks = append(checks, Check{Fail, "outbox", fmt.Sprintf("%s waiting, the oldest for %s%s",
			words.Plural(st.Pending, "message", "messages"), bot.DurationWords(age), gaveUp),
			"see the lines below for the conversations it is stuck on; if none, check that serve is running and logs no outbox errors."})
	default:
		checks = append(checks, Check{Pass, "outbox", fmt.Sprintf("%s waiting, the oldest for %s%s",
			words.Plural(st.Pending, "message", "messages"), bot.DurationWords(age), gaveUp), ""})
	}
	for _, s := range stuck {
		if now.Sub(s.Since) < stuckAfter {
			continue
		}
		checks = append(checks, stuckCheck(d, s, now))
	}
	return checks
}

// stuckCheck says which conversation the outbox is stuck on, why, and the fix.
func stuckCheck(d Deps, s outbox.Stuck, now time.Time) Check {
	where := conversationName(d, s.Channel)
	code := errorCode(s.LastError)
	detail := fmt.Sprintf("stuck on %s for %s: Slack answers %s (%s waiting, %s)", where, bot.DurationWords(now.Sub(s.Since)), code,
		words.Plural(s.Waiting, "message", "messages"), words.Plural(s.Attempts, "attempt", "attempts"))
	var fix string
	switch {
	case code == "not_in_channel":
		fix = fmt.Sprintf("type /invite @contactbot in %s: what waits goes out within 5 minutes.", s.Channel)
	case code == "channel_not_found" || code == "is_archived":
		fix = fmt.Sprintf("correct the variable naming %s (or unarchive it, or invite the bot if it is private).", s.Channel)
	case tokenRefused(code):
		fix = "set SLACK_BOT_TOKEN to the app's current Bot User OAuth Token."
	case code == "missing_scope":
		fix = "add the scope the Slack scopes line names, then reinstall the app."
	default:
		fix = "see serve's log lines \"Slack did not take a message\" for this channel."
	}
	return Check{Fail, "outbox", detail, fix}
}

// conversationName names an outbox conversation: a configured channel by
// its role, a DM by its person, a Home tab by its owner.
func conversationName(d Deps, channel string) string {
	for _, ch := range channels(d) {
		if ch.id == channel {
			return fmt.Sprintf("%s (the %s)", channel, ch.name)
		}
	}
	switch {
	case strings.HasPrefix(channel, "home:"):
		return "the Home tab of " + strings.TrimPrefix(channel, "home:")
	case len(channel) > 1 && (channel[0] == 'U' || channel[0] == 'W'):
		return "the DM with " + channel
	}
	return channel
}

// errorCode is Slack's code in a stored delivery error ("chat.postMessage:
// not_in_channel"): its last part.
func errorCode(lastError string) string {
	if i := strings.LastIndex(lastError, ": "); i >= 0 {
		lastError = lastError[i+2:]
	}
	if lastError == "" {
		return "an error"
	}
	return lastError
}
