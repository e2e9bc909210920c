package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// The text fields the windows share: an optional free-text field (a note,
// a reference, a reason) and "Type WORD to confirm". Each is built and
// checked from one description, so that the length Slack enforces and the
// length the server checks are the same number.

// textField is an optional free-text input of a window. Its label never says
// "optional": Slack adds "(optional)" to an optional input's label itself,
// and so does the shell.
type textField struct {
	block, label, placeholder string
	hint                      string // under the field; "" for none
	multiline                 bool
	maxLen                    int
	// it names the field in "Keep it under N characters." ("the note").
	it string
}

func (f textField) input() *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain(f.placeholder), f.block)
	el.Multiline = f.multiline
	el.MaxLength = f.maxLen
	var hint *slack.TextBlockObject
	if f.hint != "" {
		hint = plain(f.hint)
	}
	in := slack.NewInputBlock(f.block, plain(f.label), hint, el)
	in.Optional = true
	return in
}

// tooLong is the inline error for s when it is longer than the field
// allows (Slack's own limit can be bypassed), else "".
func (f textField) tooLong(s string) string {
	if utf8.RuneCountInString(s) <= f.maxLen {
		return ""
	}
	return fmt.Sprintf("Keep %s under %d characters.", f.it, f.maxLen)
}

// confirmWord is a window's "Type WORD to confirm" field.
type confirmWord struct {
	word string // "DELETE"
	done string // what did not happen otherwise: "deleted"
	hint string
}

func (w confirmWord) input() *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain(w.word), blockConfirm)
	el.MaxLength = 50
	return slack.NewInputBlock(blockConfirm, plain("Type "+w.word+" to confirm"), plain(w.hint), el)
}

// problem is the inline error for what was typed, or "" when it is the
// word: exactly, case-sensitive (outer spaces are trimmed by typed).
func (w confirmWord) problem(typed string) string {
	if typed == w.word {
		return ""
	}
	return fmt.Sprintf("Type %s in capital letters to confirm. Nothing was %s.", w.word, w.done)
}

// typed is what was typed into a window's text field, without outer spaces.
func typed(v slack.View, block string) string {
	if v.State == nil {
		return ""
	}
	return strings.TrimSpace(v.State.Values[block][block].Value)
}
