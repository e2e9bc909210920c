package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/internal/testsvc"
)

// buildBinary returns contactbot for this test: the test binary itself,
// which runs main when startServe sets runMainVariable (TestMain), instead
// of a second build of the whole program.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// process is `contactbot serve` running as a child process.
type process struct {
	cmd  *exec.Cmd
	logs *lockedBuffer
	url  string
}

// startServe runs the binary with env and waits until it is ready.
func startServe(t *testing.T, bin string, env map[string]string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, "serve"), logs: &lockedBuffer{}, url: "http://127.0.0.1:" + env["PORT"]}
	p.cmd.Env = append(os.Environ(), runMainVariable+"=1")
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(p.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve was not ready in 30 s:\n%s", p.logs.String())
	return nil
}

// interact sends an interaction payload signed as Slack would.
func (p *process) interact(t *testing.T, cb slack.InteractionCallback) {
	t.Helper()
	payload, err := json.Marshal(cb)
	if err != nil {
		t.Fatal(err)
	}
	body := url.Values{"payload": {string(payload)}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, p.url+"/slack/interactions", strings.NewReader(body))
	req.Header = bottest.Sign(bottest.Secret, body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("interaction: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("interaction answered %d", resp.StatusCode)
	}
}

// waitFor polls the fake Slack until a call of method satisfies ok.
func waitFor(t *testing.T, fake *slackfake.Server, method string, timeout time.Duration, ok func(slackfake.Call) bool) slackfake.Call {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, c := range fake.Calls(method) {
			if ok(c) {
				return c
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s as expected within %v; calls: %v", method, timeout, fake.Calls(""))
	return slackfake.Call{}
}

// crashStore is a fresh, migrated PostgreSQL database of the test's own,
// and its URL, for a serve the test kills.
func crashStore(t *testing.T) (*crm.Store, string) {
	t.Helper()
	dbURL := crmtest.NewDatabase(t)
	ctx := context.Background()
	store, err := crm.Open(ctx, dbURL, crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return store, dbURL
}

// crashEnv is serve's environment on dbURL and the fake Slack, without
// Redis, with bottest.Admin as its admin.
func crashEnv(t *testing.T, fake *slackfake.Server, dbURL string) map[string]string {
	return map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "", "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": bottest.Secret,
		"SLACK_APP_TOKEN": "", "SLACK_API_URL": fake.URL(), "APPROVALS_CHANNEL": bottest.Approval, "INCIDENT_CHANNEL": bottest.Incident,
		"AUDIT_CHANNEL": "", "ADMIN_USER_IDS": bottest.Admin, "PORT": strconv.Itoa(testsvc.FreePort(t)),
		"SUPPRESSION_KEY": crmtest.SuppressionKey,
	}
}

// TestKilledMidDeleteIsResolvedOnRestart builds contactbot, runs `serve`
// against its own database and the fake Slack, starts a large delete,
// kills the process with SIGKILL in the middle of it, and restarts it. The
// restarted process replaces the progress DM (reopening the DM with
// conversations.open: it no longer knows the channel) with what happened:
// nothing was deleted, and nothing is lost or done twice.
func TestKilledMidDeleteIsResolvedOnRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	store, dbURL := crashStore(t)
	big := crmtest.Full{Conversations: 40, MessagesPer: 500, Notes: 200, Opportunities: 2, Tasks: 3, Appointments: 2, Workflows: 2, LowRisk: true}
	id := crmtest.InsertFull(t, store, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, big)
	before := crmtest.Dump(t, store)
	// Notes are archived after workflows, appointments, tasks and
	// opportunities: the delete is under way when it reaches them, and stays
	// there long enough to be killed before it commits.
	store.DB().MustExec(`CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$`)
	store.DB().MustExec(`CREATE TRIGGER slow_notes BEFORE DELETE ON notes FOR EACH STATEMENT EXECUTE FUNCTION slow_down()`)

	fake := slackfake.New(t)
	env := crashEnv(t, fake, dbURL)
	first := startServe(t, bin, env)
	first.interact(t, slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Admin},
		Team: slack.Team{ID: bottest.Team}, TriggerID: "trigger-1", ResponseURL: fake.NewResponseURL(),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionDelete, Value: id}}}})
	open := waitFor(t, fake, "views.open", 10*time.Second, func(slackfake.Call) bool { return true })
	var view slack.View
	if err := json.Unmarshal([]byte(open.Params["view"]), &view); err != nil {
		t.Fatal(err)
	}
	view.ID = "VDELETE1"
	view.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"reason":  {"reason": {ActionID: "reason", Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "duplicate"}}},
		"confirm": {"confirm": {ActionID: "confirm", Value: "DELETE"}},
	}}
	first.interact(t, slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: bottest.Admin},
		Team: slack.Team{ID: bottest.Team}, View: view})

	progress := waitFor(t, fake, "chat.postMessage", 15*time.Second, func(c slackfake.Call) bool {
		return c.Params["channel"] == bottest.Admin && strings.Contains(c.Text(), "archiving")
	})
	// The fake has the post before the process records its ts (outbox_refs):
	// kill after that, or the restart cannot know which message to replace
	// (a race that lost this test under load).
	deadline := time.Now().Add(10 * time.Second)
	for crmtest.CountRows(t, store, "outbox_refs", "ref LIKE 'op:%'") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no cleanup
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	t.Logf("killed during: %s", progress.Text())
	if n := len(fake.Calls("chat.update")); n != 0 {
		t.Fatalf("the progress DM was already replaced before the kill: %v", fake.Calls("chat.update"))
	}

	second := startServe(t, bin, env)
	outcome := waitFor(t, fake, "chat.update", 60*time.Second, func(c slackfake.Call) bool {
		return c.Params["channel"] == slackfake.DMChannel(bottest.Admin)
	})
	want := "The delete of Jane Doe did not complete: nothing was deleted. Try again."
	if outcome.Params["text"] != want {
		t.Errorf("the progress DM now says %q, want %q", outcome.Params["text"], want)
	}
	if len(fake.Calls("conversations.open")) == 0 {
		t.Error("the restarted process updated a DM without reopening it (conversations.open)")
	}
	time.Sleep(2 * time.Second) // a second resolution would show by now
	var dms []string
	for _, c := range fake.Calls("") {
		if (c.Method == "chat.postMessage" && c.Params["channel"] == bottest.Admin) || (c.Method == "chat.update" && c.Params["channel"] == slackfake.DMChannel(bottest.Admin)) {
			dms = append(dms, c.Method+": "+c.Params["text"])
		}
	}
	if len(dms) != 2 {
		t.Errorf("DMs to the deleter %q: want the progress message, then its one replacement", dms)
	}
	store.DB().MustExec(`DROP TRIGGER slow_notes ON notes`)
	if after := crmtest.Dump(t, store); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("the CRM changed: a killed delete must leave every row in place")
	}
	if n := crmtest.CountRows(t, store, "deletions", ""); n != 0 {
		t.Errorf("%d deletions recorded by a delete that never committed", n)
	}
	if n := crmtest.CountRows(t, store, "operations", "finished_at IS NULL"); n != 0 {
		t.Errorf("%d operations left unresolved", n)
	}
	if err := second.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := second.cmd.Wait(); err != nil {
		t.Errorf("serve after the restart did not stop cleanly: %v\n%s", err, second.logs.String())
	}
	if !strings.Contains(second.logs.String(), "resolved an operation a stopped process left unfinished") {
		t.Errorf("the restarted process did not log what it resolved:\n%s", second.logs.String())
	}
}
