package bot_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// The answers to values contactbot cannot use (bot/input.go).
const (
	notValidText   = "That has characters contactbot cannot read (a control character or broken text encoding), so nothing was done. Type a name, email, phone number or contact id."
	notValidWindow = "This window sent characters contactbot cannot read (a control character or broken text encoding), so nothing was done. Close it and start again from `/contact`."
	notValidClick  = "That button carried characters contactbot cannot read, so nothing was done. Search again with `/contact`."
	notValidInput  = "This has a character contactbot cannot store (a control character). Retype it without it."
	notValidSender = "This request does not say who sent it in a form contactbot accepts, so nothing was done."
	unknownContact = "That button does not name a contact contactbot knows, so nothing was done. Search again with `/contact`."
	unknownItem    = "That button does not name anything contactbot knows, so nothing was done. Search again with `/contact`."
	unreadable     = "This window could not be read, so nothing was deleted. Close it and search for the contact again."
)

// commandAs sends a slash command with raw form values.
func commandAs(e *bottest.Env, user, text string) bottest.Response {
	form := url.Values{"command": {"/contact"}, "text": {text}, "user_id": {user}, "team_id": {bottest.Team},
		"channel_id": {bottest.Channel}, "trigger_id": {"trigger-x"}, "response_url": {e.Slack.NewResponseURL()}}
	return e.PostSigned("/slack/commands", form.Encode())
}

// clickAs presses a button as user with a raw value.
func clickAs(e *bottest.Env, user, actionID, value string) bottest.Response {
	return e.Interact(slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team},
		TriggerID: "trigger-x", ResponseURL: e.Slack.NewResponseURL(),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: actionID, BlockID: "b", Value: value}}},
	})
}

// answerText is the text of a command's answer or of the modal a view
// submission shows, or the inline errors, as Slack would show them.
func answerText(t *testing.T, r bottest.Response) string {
	t.Helper()
	var m struct {
		Text   string            `json:"text"`
		Errors map[string]string `json:"errors"`
		View   *slack.View       `json:"view"`
	}
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("answer is not JSON: %d %q", r.Status, r.Body)
	}
	switch {
	case m.View != nil && len(m.View.Blocks.BlockSet) > 0:
		if s, ok := m.View.Blocks.BlockSet[0].(*slack.SectionBlock); ok && s.Text != nil {
			return s.Text.Text
		}
	case m.Errors != nil:
		var out []string
		for k, v := range m.Errors {
			out = append(out, k+": "+v)
		}
		return strings.Join(out, "; ")
	}
	return m.Text
}

// TestBadValues sends values Slack never sends: NUL bytes, broken UTF-8,
// absurd lengths, ids that cannot be ids, in commands, buttons, modal
// fields and private_metadata. Each gets its "not valid" or "not found"
// answer without reaching the database: no error is logged, nothing
// changes, and no audit line is lost. A strange but valid note goes through
// whole, into the deletion and its audit line.
func TestBadValues(t *testing.T) {
	t.Parallel()
	log, logs := bottest.NewLogs(nil)
	e := bottest.New(t, bottest.Options{Log: log})
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	a := requestDelete(t, e, bottest.Support, lowRisk(t, e, "Requested"))
	e.Click(bottest.Admin, bot.ActionDelete, id)
	deleteView := e.LastView()
	e.Click(bottest.Admin, bot.ActionSetDND, id)
	dndView := e.LastView()
	e.Click(bottest.Admin, bot.ActionRemoveFollowUp, id)
	followUpView := e.LastView()
	clickAndWait(t, e, bottest.Admin, bot.ActionReject, a.ID)
	rejectView := e.LastView()
	e.Bot.Wait()
	before := crmtest.Dump(t, e.Store)
	audits := crmtest.CountRows(t, e.Store, "audit_log", "")

	commands := []struct{ name, user, text, want string }{
		{"NULInQuery", bottest.Admin, "jane\x00doe", notValidText},
		{"BrokenUTF8InQuery", bottest.Admin, "jane \xff\xfe", notValidText},
		{"NULInRestoreID", bottest.Admin, "restore D\x00X", notValidText},
		{"NULInReport", bottest.Admin, "report jane@example.com\x00", notValidText},
		{"ControlCharacter", bottest.Admin, "history \x1b[31m", notValidText},
		{"NULInUserID", "U\x00ADMIN1", "jane@example.com", notValidSender},
		{"AbsurdUserID", strings.Repeat("U", 300), "jane@example.com", notValidSender},
		{"AbsurdDeletionID", bottest.Admin, "report " + strings.Repeat("D", 900), "That is too long (900 characters) for a deletion id"},
		{"UnknownDeletionID", bottest.Admin, "report DZZZZZZZZZZ", "No deletion that can still be restored matches"},
	}
	for _, c := range commands {
		t.Run("Command"+c.name, func(t *testing.T) {
			r := commandAs(e, c.user, c.text)
			if got := answerText(t, r); r.Status != 200 || !strings.HasPrefix(got, c.want) {
				t.Errorf("got %d %q, want %q", r.Status, got, c.want)
			}
		})
	}

	clicks := []struct{ name, user, action, value, want string }{
		{"NULInContactID", bottest.Admin, bot.ActionDelete, id + "\x00", notValidClick},
		{"SpaceInContactID", bottest.Admin, bot.ActionSetDND, "jane doe", unknownContact},
		{"NonASCIIContactID", bottest.Admin, bot.ActionRemoveFollowUp, "Jané", unknownContact},
		{"NULInDeletionID", bottest.Admin, bot.ActionReport, "D\x00", notValidClick},
		{"NonASCIIDeletionID", bottest.Admin, bot.ActionRestore, "Dé", unknownItem},
		{"NULInUndoID", bottest.Admin, bot.ActionUndo, "\x00", notValidClick},
		{"AbsurdValue", bottest.Admin, bot.ActionDelete, strings.Repeat("é", 200), "That button carried more than contactbot accepts"},
		{"NULInRequestID", bottest.Admin, bot.ActionApprove, a.ID + "\x00", notValidClick},
		{"NULInUserID", "U\x00", bot.ActionDelete, id, notValidSender},
	}
	for _, c := range clicks {
		t.Run("Click"+c.name, func(t *testing.T) {
			n := len(e.Slack.Responses())
			if r := clickAs(e, c.user, c.action, c.value); r.Status != 200 {
				t.Fatalf("HTTP %d %s", r.Status, r.Body)
			}
			e.Slack.WaitResponses(n+1, wait)
			if got := lastAnswer(t, e); !strings.HasPrefix(got, c.want) {
				t.Errorf("answer %q, want %q", got, c.want)
			}
		})
	}

	withMeta := func(v slack.View, meta string) slack.View { v.PrivateMetadata = meta; return v }
	submits := []struct {
		name   string
		view   slack.View
		values map[string]string
		ticked map[string][]string
		want   string
	}{
		{"DeleteMetaNULInContactID", withMeta(deleteView, `{"c":"`+id+`\u0000","f":"x"}`), map[string]string{"reason": "duplicate", "confirm": "DELETE"}, nil, unreadable},
		{"DeleteMetaAbsurdContactID", withMeta(deleteView, `{"c":"`+strings.Repeat("C", 10000)+`"}`), map[string]string{"reason": "duplicate", "confirm": "DELETE"}, nil, unreadable},
		{"DeleteMetaRawNUL", withMeta(deleteView, "{\"c\":\"\x00\"}"), map[string]string{"reason": "duplicate", "confirm": "DELETE"}, nil, notValidWindow},
		{"DeleteNoteNUL", deleteView, map[string]string{"reason": "duplicate", "note": "imported\x00twice", "confirm": "DELETE"}, nil, "note: " + notValidInput},
		{"DeleteConfirmNUL", deleteView, map[string]string{"reason": "duplicate", "confirm": "DELETE\x00"}, nil, "confirm: " + notValidInput},
		{"DNDMetaNULInVia", withMeta(dndView, `{"c":"`+id+`","v":"button\u0000"}`), nil, map[string][]string{"channels": crm.DNDChannels}, "This window could not be read, so nothing was changed."},
		{"DNDChannelNUL", dndView, nil, map[string][]string{"channels": {"sms\x00"}}, "channels: " + notValidInput},
		{"FollowUpIDNUL", followUpView, nil, map[string][]string{"workflows": {"w\x00"}}, "workflows: " + notValidInput},
		{"RejectMetaNUL", withMeta(rejectView, a.ID+"\x00"), nil, nil, notValidWindow},
		{"RejectReasonNUL", rejectView, map[string]string{"reject_reason": "no\x00"}, nil, "reject_reason: " + notValidInput},
	}
	for _, c := range submits {
		t.Run("Submit"+c.name, func(t *testing.T) {
			var r bottest.Response
			if c.ticked != nil {
				r = e.SubmitChecked(bottest.Admin, c.view, c.ticked)
			} else {
				r = e.Submit(bottest.Admin, c.view, c.values)
			}
			if got := answerText(t, r); r.Status != 200 || !strings.HasPrefix(got, c.want) {
				t.Errorf("got %d %q, want %q", r.Status, got, c.want)
			}
		})
	}

	e.Bot.Wait()
	sameDump(t, "bad values", before, crmtest.Dump(t, e.Store))
	if n := crmtest.CountRows(t, e.Store, "deletions", ""); n != 0 {
		t.Errorf("bad values recorded %d deletions", n)
	}
	if got := crmtest.CountRows(t, e.Store, "audit_log", ""); got != audits {
		t.Errorf("audit lines: %d before, %d after bad values", audits, got)
	}
	noErrorLines(t, logs)

	t.Run("StrangeButValidNoteIsKept", func(t *testing.T) {
		note := "Zweimal importiert 🙃 — שלום <@U1> & <!channel> \t tab " + strings.Repeat("é", 400)
		r := e.Submit(bottest.Admin, deleteView, map[string]string{"reason": "duplicate", "note": note, "confirm": "DELETE"})
		if strings.TrimSpace(r.Body) != "" {
			t.Fatalf("submit: %s", r.Body)
		}
		e.Bot.Wait()
		var got string
		if err := e.Store.DB().Get(&got, `SELECT note FROM deletions WHERE contact_id = $1`, id); err != nil || got != strings.TrimSpace(note) {
			t.Errorf("deletion note = %q, %v", got, err)
		}
		if n := crmtest.CountRows(t, e.Store, "audit_log", "action = 'deleted' AND contact_id = $1", id); n != 1 {
			t.Errorf("%d audit lines for the delete, want 1", n)
		}
		noErrorLines(t, logs)
	})
}
