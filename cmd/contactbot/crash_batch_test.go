package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestKilledMidBatchIsResolvedOnRestart runs `serve`, starts a clean-up of
// 22 test contacts, and kills the process with SIGKILL while the second of
// its transactions (contacts 21 and 22) is under way. The restarted
// process replaces the progress DM with what happened: 20 deleted and
// archived, 2 untouched. Every contact is either gone whole, with every row
// archived, or untouched row for row.
func TestKilledMidBatchIsResolvedOnRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	store, dbURL := crashStore(t)
	var ids []string
	for i := 1; i <= 22; i++ {
		id := fmt.Sprintf("qa%02d", i)
		crmtest.InsertFull(t, store, crmtest.Contact{ID: id, FirstName: "QA", LastName: fmt.Sprintf("Tester %02d", i), Email: id + "@qa.example.com"},
			crmtest.Full{Conversations: 1, MessagesPer: 2, Notes: 1, Tasks: 1, LowRisk: true})
		ids = append(ids, id)
	}
	crmtest.InsertFull(t, store, crmtest.Contact{ID: "real1", FirstName: "Rita", LastName: "Real", Email: "rita@example.com"}, crmtest.SmallFull)
	before := rowsByContact(t, store, ids)
	// The first transaction (20 contacts) commits; the second stops on
	// qa21's note long enough to be killed before it commits.
	store.DB().MustExec(`CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF OLD.contact_id = 'qa21' THEN PERFORM pg_sleep(5); END IF; RETURN OLD; END $$`)
	store.DB().MustExec(`CREATE TRIGGER slow_notes BEFORE DELETE ON notes FOR EACH ROW EXECUTE FUNCTION slow_down()`)

	fake := slackfake.New(t)
	env := crashEnv(t, fake, dbURL)
	first := startServe(t, bin, env)
	first.command(t, bottest.Admin, "cleanup email:*@qa.example.com", fake.NewResponseURL())
	open := waitFor(t, fake, "views.open", 10*time.Second, func(slackfake.Call) bool { return true })
	var view slack.View
	if err := json.Unmarshal([]byte(open.Params["view"]), &view); err != nil {
		t.Fatal(err)
	}
	view.ID = "VCLEANUP1"
	view.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"reason":  {"reason": {ActionID: "reason", Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: bot.ReasonTestContact}}},
		"confirm": {"confirm": {ActionID: "confirm", Value: "22"}},
	}}
	first.interact(t, slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: bottest.Admin},
		Team: slack.Team{ID: bottest.Team}, View: view})

	progress := waitFor(t, fake, "chat.postMessage", 15*time.Second, func(c slackfake.Call) bool {
		return c.Params["channel"] == bottest.Admin && strings.Contains(c.Text(), "Deleting 22 contacts")
	})
	deadline := time.Now().Add(10 * time.Second)
	for (crmtest.CountRows(t, store, "outbox_refs", "ref LIKE 'op:%'") == 0 || crmtest.CountRows(t, store, "contacts", "id = 'qa20'") == 1) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	t.Logf("killed during: %s", progress.Text())

	second := startServe(t, bin, env)
	outcome := waitFor(t, fake, "chat.update", 60*time.Second, func(c slackfake.Call) bool {
		return c.Params["channel"] == slackfake.DMChannel(bottest.Admin) && strings.Contains(c.Params["text"], "clean-up")
	})
	var batchID string
	if err := store.DB().Get(&batchID, `SELECT id FROM deletions WHERE batch_id = id`); err != nil {
		t.Fatalf("no batch recorded: %v", err)
	}
	var until time.Time
	if err := store.DB().Get(&until, `SELECT restore_until FROM deletions WHERE id = $1`, batchID); err != nil {
		t.Fatal(err)
	}
	want := "⚠️ The clean-up of 22 contacts (email:*@qa.example.com) stopped part-way: 20 of 22 contacts were deleted and archived (batch `" + batchID +
		"`, restorable until " + fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", until.Unix(), until.UTC().Format("2006-01-02 15:04 UTC")) + "); the other 2 are untouched. No contact was deleted in part. `/contact history " + batchID + "` lists which went; run the clean-up again for the rest."
	if outcome.Params["text"] != want {
		t.Errorf("the progress DM now says\n%q\nwant\n%q", outcome.Params["text"], want)
	}
	store.DB().MustExec(`DROP TRIGGER slow_notes ON notes`)
	after := rowsByContact(t, store, ids)
	for i, id := range ids {
		var archived int
		if err := store.DB().Get(&archived, `SELECT count(*) FROM archived_rows a JOIN deletions d ON d.id = a.deletion_id WHERE d.contact_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		switch {
		case i < 20 && (after[id] != "" || archived != 9):
			t.Errorf("%s: deleted in the committed transaction, yet %q left and %d rows archived (want none left, 9 archived)", id, after[id], archived)
		case i >= 20 && (after[id] != before[id] || archived != 0):
			t.Errorf("%s: in the killed transaction, yet changed (%d rows archived)", id, archived)
		}
	}
	if n := crmtest.CountRows(t, store, "operations", "finished_at IS NULL"); n != 0 {
		t.Errorf("%d operations left unresolved", n)
	}
	if err := second.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = second.cmd.Wait()
}

// command sends a slash command signed as Slack would.
func (p *process) command(t *testing.T, user, text, responseURL string) {
	t.Helper()
	body := url.Values{"command": {"/contact"}, "text": {text}, "user_id": {user}, "team_id": {bottest.Team}, "channel_id": {bottest.Channel},
		"trigger_id": {"trigger-cmd"}, "response_url": {responseURL}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, p.url+"/slack/commands", strings.NewReader(body))
	req.Header = bottest.Sign(bottest.Secret, body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("command: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("command answered %d", resp.StatusCode)
	}
}

// rowsByContact is every CRM row of each contact, as text.
func rowsByContact(t *testing.T, store *crm.Store, ids []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		var rows []string
		for _, q := range []string{
			`SELECT t::text FROM contacts t WHERE id = $1`,
			`SELECT t::text FROM dnd_settings t WHERE contact_id = $1`,
			`SELECT t::text FROM conversations t WHERE contact_id = $1`,
			`SELECT t::text FROM messages t WHERE conversation_id LIKE $1 || '_cv%'`,
			`SELECT t::text FROM notes t WHERE contact_id = $1`,
			`SELECT t::text FROM tasks t WHERE contact_id = $1`,
		} {
			var r []string
			if err := store.DB().Select(&r, q+` ORDER BY 1`, id); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r...)
		}
		out[id] = strings.Join(rows, "\n")
	}
	return out
}
