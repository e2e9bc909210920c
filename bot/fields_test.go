package bot

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// TestFieldBounds: each window's server check allows what its field lets
// Slack send (counted in characters, not bytes), and words the error for
// one more.
func TestFieldBounds(t *testing.T) {
	for _, c := range []struct {
		f    textField
		max  int
		want string
	}{
		{deleteNote, 500, "Keep the note under 500 characters."},
		{mergeNote, 500, "Keep the note under 500 characters."},
		{eraseNote, 200, "Keep the reference under 200 characters."},
		{rejectReason, 500, "Keep the reason under 500 characters."},
		{reportNote, 500, "Keep it under 500 characters."},
	} {
		if n := c.f.input().Element.(*slack.PlainTextInputBlockElement).MaxLength; n != c.max {
			t.Errorf("%s: Slack allows %d characters, want %d", c.f.block, n, c.max)
		}
		if got := c.f.tooLong(strings.Repeat("é", c.max)); got != "" {
			t.Errorf("%s: %d characters refused: %q", c.f.block, c.max, got)
		}
		if got := c.f.tooLong(strings.Repeat("é", c.max+1)); got != c.want {
			t.Errorf("%s: %d characters: %q, want %q", c.f.block, c.max+1, got, c.want)
		}
	}
	for _, c := range []struct {
		w            confirmWord
		typed, wantE string
	}{
		{deleteConfirm, "DELETE", ""},
		{deleteConfirm, "delete", "Type DELETE in capital letters to confirm. Nothing was deleted."},
		{mergeConfirm, "MERGE", ""},
		{mergeConfirm, "DELETE", "Type MERGE in capital letters to confirm. Nothing was merged."},
		{eraseConfirm, "ERASE", ""},
		{eraseConfirm, "Erase", "Type ERASE in capital letters to confirm. Nothing was erased."},
	} {
		if got := c.w.problem(c.typed); got != c.wantE {
			t.Errorf("%s, typed %q: %q, want %q", c.w.word, c.typed, got, c.wantE)
		}
	}
}

// TestOptionalLabelsLeaveTheWordToSlack: Slack (and the shell) add
// "(optional)" to an optional input's label, so a label saying it too
// reads "(optional, …) (optional)".
func TestOptionalLabelsLeaveTheWordToSlack(t *testing.T) {
	for _, f := range []textField{deleteNote, mergeNote, eraseNote, rejectReason, reportNote} {
		in := f.input()
		if !in.Optional {
			t.Errorf("%s: not optional", f.block)
		}
		if strings.Contains(strings.ToLower(in.Label.Text), "optional") {
			t.Errorf("%s: the label %q says optional itself", f.block, in.Label.Text)
		}
	}
}
