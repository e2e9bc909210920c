package bot

import (
	"fmt"
	"strconv"
	"time"

	"contactbot/internal/words"
)

// Words for numbers, durations and dates: the one place each is spelled.

// slackDate shows t in each reader's own time zone, with a UTC fallback.
// It is the one way contactbot writes a time.
func slackDate(t time.Time) string {
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^{date_short_pretty} {time}|" + t.UTC().Format(words.MinuteLayout) + ">"
}

// slackDay is slackDate without the time of day, where space is short
// (Block Kit's 75 characters for an option's description).
func slackDay(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty}|%s>", t.Unix(), t.UTC().Format(words.DayLayout))
}

// dateAfter is slackDate of t after a space, to follow what happened then
// ("rejected by @jane" + " 3 Dec 10:00"); "" when t is unknown.
func dateAfter(t *time.Time) string {
	if t == nil {
		return ""
	}
	return " " + slackDate(*t)
}

// auditTime writes an audit time as auditors read it: 2026-11-28T10:49:00Z.
func auditTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// plural writes "1 note" or "3 notes".
func plural(n int, one, many string) string { return words.Plural(n, one, many) }

// pluralNoun is the noun alone: one for 1, many otherwise.
func pluralNoun(n int, one, many string) string { return words.PluralNoun(n, one, many) }

// durationWords writes d for a person in its largest unit, rounded: "24
// hours", "45 minutes", "2 days" (days from 48 hours on, hours from 2).
func durationWords(d time.Duration) string {
	switch {
	case d >= 2*day:
		return plural(int(d.Round(day)/day), "day", "days")
	case d >= 2*time.Hour:
		return plural(int(d.Round(time.Hour)/time.Hour), "hour", "hours")
	case d >= 2*time.Minute:
		return plural(int(d.Round(time.Minute)/time.Minute), "minute", "minutes")
	}
	return plural(int(d.Round(time.Second)/time.Second), "second", "seconds")
}

// DurationWords is durationWords, for the packages beside the bot.
func DurationWords(d time.Duration) string { return durationWords(d) }

// periodWords writes how far back a report looks: whole days as days ("1
// day", "7 days"), anything else as durationWords ("36 hours").
func periodWords(d time.Duration) string {
	if d%day == 0 {
		return plural(int(d/day), "day", "days")
	}
	return durationWords(d)
}
