package slackhttp

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot"
)

// TestWriteMessageAsSlackMsg: a command's answer, written once by hand
// around its blocks, is the same JSON value slack-go writes for the
// slack.Msg, user data with <, > and & included; only their \u escapes
// are gone.
func TestWriteMessageAsSlackMsg(t *testing.T) {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "2 of 200+ contacts for “a&b”", true, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Tom &amp; Jerry* &lt;tom@example.com&gt; <!date^1^{date_short_pretty}|x>", false, false), nil, nil),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, "⚠️ Possible duplicate of A &lt;b&gt;", false, false)),
		slack.NewActionBlock("contact:c1", slack.NewButtonBlockElement("contact.delete", "c<1>", slack.NewTextBlockObject(slack.PlainTextType, "Delete…", true, false))),
		slack.NewDividerBlock(),
	}
	for _, msg := range []*bot.Message{{Text: "2 of 200+ contacts for “a&amp;b”", Blocks: blocks}, {Text: "plain <text>"}, {Blocks: blocks[:1]}} {
		rec := httptest.NewRecorder()
		writeMessage(rec, msg)
		want, err := json.Marshal(slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: msg.Text, Blocks: slack.Blocks{BlockSet: msg.Blocks}})
		if err != nil {
			t.Fatal(err)
		}
		var got, wantV any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v", rec.Body, err)
		}
		json.Unmarshal(want, &wantV)
		if !reflect.DeepEqual(got, wantV) {
			t.Errorf("written:\n%s\nslack-go:\n%s", rec.Body, want)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if cl := rec.Header().Get("Content-Length"); cl != fmt.Sprint(rec.Body.Len()) {
			t.Errorf("Content-Length %q for %d bytes", cl, rec.Body.Len())
		}
		if msg.Text != "" && strings.Contains(rec.Body.String(), `\u0026`) && !strings.Contains(msg.Text, "&") {
			t.Errorf("escaped: %s", rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	writeMessage(rec, &bot.Message{Text: "x", Blocks: blocks[1:2]})
	if !strings.Contains(rec.Body.String(), `"text":"*Tom &amp; Jerry* &lt;tom@example.com&gt; <!date^1^{date_short_pretty}|x>"`) {
		t.Errorf("section text not written as is: %s", rec.Body)
	}
}
