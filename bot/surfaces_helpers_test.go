package bot_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot/bottest"
)

// viewLines is a view's blocks as lines of text, one a block, so that a
// test can compare what a person sees exactly: "header: …", "section: …"
// (mrkdwn as sent), "context: …", "buttons: Text [action=value] …",
// "divider", "input: label".
func viewLines(blocks []slack.Block) []string {
	var out []string
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			out = append(out, "header: "+b.Text.Text)
		case *slack.SectionBlock:
			out = append(out, "section: "+b.Text.Text)
		case *slack.ContextBlock:
			var parts []string
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					parts = append(parts, t.Text)
				}
			}
			out = append(out, "context: "+strings.Join(parts, " | "))
		case *slack.ActionBlock:
			var btns []string
			for _, e := range b.Elements.ElementSet {
				if be, ok := e.(*slack.ButtonBlockElement); ok {
					btns = append(btns, fmt.Sprintf("%s [%s=%s]", be.Text.Text, be.ActionID, be.Value))
				}
			}
			out = append(out, "buttons: "+strings.Join(btns, " "))
		case *slack.DividerBlock:
			out = append(out, "divider")
		case *slack.InputBlock:
			out = append(out, "input: "+b.Label.Text)
		default:
			out = append(out, string(b.BlockType()))
		}
	}
	return out
}

// sameLines fails the test with both texts when got differs from want.
func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n--- got\n%s\n--- want\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// dmTextsTo are the "text" of the messages posted to user's DM: for a
// one-section message, exactly its mrkdwn.
func dmTextsTo(e *bottest.Env, user string) []string {
	var out []string
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == user {
			out = append(out, c.Params["text"])
		}
	}
	return out
}

// decodeBlocks reads a "blocks" parameter.
func decodeBlocks(t *testing.T, raw string) []slack.Block {
	t.Helper()
	var b slack.Blocks
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		t.Fatalf("decode blocks %q: %v", raw, err)
	}
	return b.BlockSet
}
