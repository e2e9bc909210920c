// Package words spells the small words that both the CRM's audit details
// and the bot's messages use, so that each is written once: plurals, a
// stored code shown as words, the layouts of dates.
package words

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The layouts of the dates contactbot writes for people, always in UTC.
const (
	DayLayout    = "2006-01-02"
	MinuteLayout = "2006-01-02 15:04 UTC"
	SecondLayout = "2006-01-02 15:04:05 UTC"
)

// Plural writes "1 note" or "3 notes".
func Plural(n int, one, many string) string {
	return strconv.Itoa(n) + " " + PluralNoun(n, one, many)
}

// PluralNoun is the noun alone: one for 1, many otherwise.
func PluralNoun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Spaced shows a stored code that has no label with spaces for its
// underscores: "delete_requested" is "delete requested".
func Spaced(code string) string { return strings.ReplaceAll(code, "_", " ") }

// Cut shortens s to at most n characters, its last one an ellipsis when
// anything was cut: for Block Kit's limits and columns of bounded width.
func Cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
