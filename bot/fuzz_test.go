package bot_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// The fuzz targets send what a forged or broken Slack could: any slash
// command form, any interaction payload, any private_metadata and field
// values in the four modals. Whatever comes in, the bot answers (200, or 400
// for a form or payload it cannot parse), never 5xx, never panics, and never
// logs an error: an error line means a bug of ours, or input that reached the
// database unchecked. Seeds are real requests; `go test` runs them, and
// .ci/run fuzzes each target for a few seconds:
//
//	go test ./bot -run '^$' -fuzz '^FuzzSlashCommandForm$' -fuzztime 30s

// fuzzEnv is one bot for a fuzz target, with a contact with every kind of
// linked row and a pending approval request, and a recorder of its logs.
type fuzzEnv struct {
	*bottest.Env
	logs     *bottest.Logs
	contact  string
	twin     string // contact's duplicate, to merge
	request  string
	deletion string
	nonce    atomic.Int64
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	log, logs := bottest.NewLogs(nil)
	e := bottest.New(f, bottest.Options{Log: log})
	fe := &fuzzEnv{Env: e, logs: logs}
	fe.contact = crmtest.InsertFull(f, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
	fe.twin = crmtest.InsertContact(f, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Twin", Email: "JANE@example.com"})
	fe.request = requestDelete(f, e, bottest.Support, lowRisk(f, e, "Requested")).ID
	gone := lowRisk(f, e, "Deleted")
	_, l, err := e.Store.Linked(context.Background(), gone)
	if err != nil {
		f.Fatal(err)
	}
	d, err := e.Store.Delete(context.Background(), crm.DeleteRequest{ContactID: gone, Actor: bottest.Deleter, Reason: "duplicate",
		ExpectFingerprint: l.Fingerprint, RestoreWindow: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	fe.deletion = d.Deletion.ID
	return fe
}

// send posts body to path, signed, with a field Slack ignores that makes
// every signature new (a repeated input is not refused as a replay), and
// checks what every answer must be.
func (fe *fuzzEnv) send(t *testing.T, path string, form url.Values) bottest.Response {
	t.Helper()
	errorsBefore := len(fe.logs.At(slog.LevelError))
	form.Set("fuzz_nonce", strconv.FormatInt(fe.nonce.Add(1), 10))
	body := form.Encode()
	// Not fe.PostSigned: the Env's helpers report to the *testing.F.
	req, err := http.NewRequest(http.MethodPost, fe.Server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = bottest.Sign(bottest.Secret, body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := bottest.Response{Status: resp.StatusCode, Body: string(b)}
	fe.Bot.Wait()
	fe.check(t, r, errorsBefore)
	return r
}

// check fails t unless r is 200 (with JSON or nothing) or 400, and no error
// was logged since the first errorsBefore lines.
func (fe *fuzzEnv) check(t *testing.T, r bottest.Response, errorsBefore int) {
	t.Helper()
	switch {
	case r.Status == 400:
	case r.Status != 200:
		t.Fatalf("HTTP %d %q", r.Status, r.Body)
	case strings.TrimSpace(r.Body) != "" && !json.Valid([]byte(r.Body)):
		t.Fatalf("200 with a body that is not JSON: %q", r.Body)
	}
	if errs := fe.logs.At(slog.LevelError); len(errs) > errorsBefore {
		t.Fatalf("error logged: %s", strings.Join(errs[errorsBefore:], "\n"))
	}
}

// FuzzSlashCommandForm fuzzes the fields of a slash command's form.
func FuzzSlashCommandForm(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, s := range []struct{ user, command, text string }{
		{bottest.Admin, "/contact", "jane@example.com"},
		{bottest.Support, "/contact", "find jane doe"},
		{bottest.Admin, "/contact", "delete jane@example.com"},
		{bottest.Support, "/contact", "dnd +1 555 010 2233"},
		{bottest.Support, "/contact", "stop-followup " + fe.contact},
		{bottest.Admin, "/contact", "report DZZZZZZZZZZ"},
		{bottest.Admin, "/contact", "restore DZZZZZZZZZZ"},
		{bottest.Admin, "/contact", "history jane"},
		{bottest.Support, "/contact", "deletions mine"},
		{bottest.Support, "/crm", "help"},
		{"U\x00", "/contact", "jane\x00"},
		{bottest.Admin, "/contact", "jane \xff\xfe"},
		{bottest.Admin, "", strings.Repeat("é", 1001)},
	} {
		f.Add(s.user, s.command, s.text, bottest.Team, bottest.Channel, "trigger-1")
	}
	f.Fuzz(func(t *testing.T, user, command, text, team, channel, trigger string) {
		form := url.Values{"user_id": {user}, "command": {command}, "text": {text}, "team_id": {team},
			"channel_id": {channel}, "trigger_id": {trigger}, "response_url": {fe.Slack.NewResponseURL()}}
		fe.send(t, "/slack/commands", form)
	})
}

// FuzzInteractionPayload fuzzes the JSON payload of an interaction. The
// response_url, when the payload has one, is pointed at the fake Slack:
// answering a URL that is not Slack's fails, and is logged, by design.
func FuzzInteractionPayload(f *testing.F) {
	fe := newFuzzEnv(f)
	click := func(user, action, value string) string {
		b, _ := json.Marshal(slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team},
			TriggerID: "trigger-1", ResponseURL: "https://hooks.slack.com/actions/T/1/x",
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: action, BlockID: "b", Value: value}}}})
		return string(b)
	}
	for _, seed := range []string{
		click(bottest.Admin, bot.ActionDelete, fe.contact),
		click(bottest.Support, bot.ActionSetDND, fe.contact),
		click(bottest.Support, bot.ActionRemoveFollowUp, fe.contact),
		click(bottest.Deleter, bot.ActionMerge, fe.twin),
		click(bottest.Support, bot.ActionSuppressionRemove, "SZZZZZZZZZZ"),
		click(bottest.Deleter, bot.ActionReport, "DZZZZZZZZZZ"),
		click(bottest.Admin, bot.ActionRestore, "DZZZZZZZZZZ"),
		click(bottest.Admin2, bot.ActionReject, fe.request),
		click(bottest.Support, bot.ActionApprove, fe.request),
		click(bottest.Admin, bot.ActionUndo, "UZZZZZZZZZZ"),
		click(bottest.Admin, "contact.nuke", fe.contact),
		click(bottest.Admin2, bot.ActionAcknowledge, "VZZZZZZZZZZ"),
		click(bottest.Support, bot.ActionFindContact, ""),
		`{"type":"block_actions","user":{"id":"USUPPORT"},"team":{"id":"T0TEST"},"trigger_id":"trigger-1","container":{"type":"view","view_id":"VHOME1"},"view":{"id":"VHOME1","type":"home"},"actions":[{"action_id":"deletion.report","block_id":"deletion:DZZZZZZZZZZ","value":"DZZZZZZZZZZ"}]}`,
		`{"type":"block_actions","user":{"id":"USUPPORT"},"team":{"id":"T0TEST"},"trigger_id":"trigger-1","view":{"id":"VFIND1","type":"modal","callback_id":"contact.find.modal"},"actions":[{"action_id":"contact.delete","block_id":"msg:CSUPPORT:1795895340.000200:x","value":"` + fe.contact + `"}]}`,
		`{"type":"message_action","callback_id":"find_contacts","user":{"id":"USUPPORT"},"team":{"id":"T0TEST"},"channel":{"id":"CSUPPORT"},"trigger_id":"trigger-1","response_url":"https://hooks.slack.com/actions/T/1/x","message_ts":"1795895340.000200","message":{"type":"message","ts":"1795895340.000200","text":"please delete <mailto:jane@example.com|jane@example.com> / +1 555 010 2233"}}`,
		`{"type":"view_submission","user":{"id":"USUPPORT"},"team":{"id":"T0TEST"},"view":{"id":"VFIND1","callback_id":"contact.find.modal","state":{"values":{"find_query":{"find_query":{"type":"plain_text_input","value":"jane"}}}}}}`,
		`{"type":"view_submission","user":{"id":"UADMIN1"},"team":{"id":"T0TEST"},"view":{"callback_id":"contact.delete.modal","private_metadata":"{\"c\":\"` + fe.contact + `\"}","state":{"values":{"confirm":{"confirm":{"type":"plain_text_input","value":"DELETE"}},"reason":{"reason":{"type":"static_select","selected_option":{"value":"other"}}}}}}}`,
		`{"type":"view_closed","user":{"id":"UADMIN1"},"team":{"id":"T0TEST"}}`,
		`{"type":"block_actions","user":{"id":"U\u0000"},"actions":[{"action_id":"contact.delete","value":"\u0000"}]}`,
		`{"type":"shortcut"}`,
		`[]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		var m map[string]any
		if json.Unmarshal([]byte(payload), &m) == nil {
			if _, ok := m["response_url"]; ok {
				m["response_url"] = fe.Slack.NewResponseURL()
				b, _ := json.Marshal(m)
				payload = string(b)
			}
		}
		fe.send(t, "/slack/interactions", url.Values{"payload": {payload}})
	})
}

// FuzzPrivateMetadata fuzzes the private_metadata of the seven modals that
// carry it (delete, Set DND, Remove follow-up, reject, report, merge,
// erasure) and the value of the field each asks for, submitted by an admin
// with DELETE (MERGE, ERASE) typed.
func FuzzPrivateMetadata(f *testing.F) {
	fe := newFuzzEnv(f)
	views := map[string]slack.View{}
	for _, open := range []struct{ action, value string }{
		{bot.ActionDelete, fe.contact}, {bot.ActionSetDND, fe.contact}, {bot.ActionRemoveFollowUp, fe.contact}, {bot.ActionReject, fe.request},
		{bot.ActionReport, fe.deletion},
	} {
		fe.Click(bottest.Admin, open.action, open.value)
		v := fe.LastView()
		views[v.CallbackID] = v
	}
	fe.Click(bottest.Admin, bot.ActionMerge, fe.twin)
	views[bot.CallbackMergeModal] = fe.LastView()
	var erase struct {
		View slack.View `json:"view"`
	}
	r := fe.Submit(bottest.Admin, views[bot.CallbackDeleteModal], map[string]string{"reason": "erasure"})
	if err := json.Unmarshal([]byte(r.Body), &erase); err != nil || erase.View.CallbackID != bot.CallbackEraseModal {
		f.Fatalf("the erasure window: %v %s", err, r.Body)
	}
	views[bot.CallbackEraseModal] = erase.View
	fe.Bot.Wait()
	callbacks := []string{bot.CallbackDeleteModal, bot.CallbackDNDModal, bot.CallbackFollowUpModal, bot.CallbackRejectModal, bot.CallbackReportModal,
		bot.CallbackMergeModal, bot.CallbackEraseModal}
	for i, cb := range callbacks {
		f.Add(uint8(i), views[cb].PrivateMetadata, "")
	}
	f.Add(uint8(0), views[bot.CallbackDeleteModal].PrivateMetadata, "they replied STOP")
	f.Add(uint8(0), `{"c":"`+fe.contact+`","f":"forged","m":"direct","ru":"not a url"}`, "note")
	f.Add(uint8(1), `{"c":"`+fe.contact+`","ru":"https://hooks.slack.com/x","v":"via \u0000"}`, "sms")
	f.Add(uint8(2), `{"c":"`+fe.contact+`"}`, "w\x00")
	f.Add(uint8(3), fe.request, strings.Repeat("é", 501))
	f.Add(uint8(3), "R"+strings.Repeat("Z", 10), "")
	f.Add(uint8(0), "{", "")
	f.Add(uint8(1), `{"c":""}`, "")
	f.Add(uint8(4), `{"d":"`+fe.deletion+`","ru":"\u0000"}`, "the wrong Jane")
	f.Add(uint8(5), `{"c":"`+fe.twin+`","f":"forged","o":[{"i":"`+fe.contact+`","f":"x"}]}`, fe.contact)
	f.Add(uint8(5), `{"c":"`+fe.twin+`","o":[]}`, "")
	f.Add(uint8(6), `{"c":"`+fe.contact+`","f":"forged"}`, "ticket \u0000")

	f.Fuzz(func(t *testing.T, which uint8, metadata, field string) {
		cb := callbacks[int(which)%len(callbacks)]
		v := views[cb]
		v.PrivateMetadata = metadata
		state := map[string]map[string]slack.BlockAction{}
		switch cb {
		case bot.CallbackDeleteModal:
			state["reason"] = map[string]slack.BlockAction{"reason": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "duplicate"}}}
			state["note"] = map[string]slack.BlockAction{"note": {Value: field}}
			state["confirm"] = map[string]slack.BlockAction{"confirm": {Value: "DELETE"}}
		case bot.CallbackDNDModal:
			state["channels"] = map[string]slack.BlockAction{"channels": {Type: "checkboxes", SelectedOptions: []slack.OptionBlockObject{{Value: field}, {Value: "sms"}}}}
		case bot.CallbackFollowUpModal:
			state["workflows"] = map[string]slack.BlockAction{"workflows": {Type: "checkboxes", SelectedOptions: []slack.OptionBlockObject{{Value: field}}}}
		case bot.CallbackRejectModal:
			state["reject_reason"] = map[string]slack.BlockAction{"reject_reason": {Value: field}}
		case bot.CallbackReportModal:
			state["report_note"] = map[string]slack.BlockAction{"report_note": {Value: field}}
		case bot.CallbackMergeModal:
			state["original"] = map[string]slack.BlockAction{"original": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: field}}}
			state["confirm"] = map[string]slack.BlockAction{"confirm": {Value: "MERGE"}}
		case bot.CallbackEraseModal:
			state["note"] = map[string]slack.BlockAction{"note": {Value: field}}
			state["confirm"] = map[string]slack.BlockAction{"confirm": {Value: "ERASE"}}
		}
		v.State = &slack.ViewState{Values: state}
		payload, err := json.Marshal(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: bottest.Admin}, Team: slack.Team{ID: bottest.Team}, View: v})
		if err != nil {
			t.Skip(err) // not a payload Slack could send
		}
		fe.send(t, "/slack/interactions", url.Values{"payload": {string(payload)}})
	})
}
