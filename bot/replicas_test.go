package bot_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm/crmtest"
)

// TestTwoReplicas runs two bot processes on one database and one Redis: a
// delivery replayed to the other replica is refused, and the same delete
// confirmed on both at once deletes once.
func TestTwoReplicas(t *testing.T) {
	t.Parallel()
	a := bottest.New(t)
	b := a.Replica()
	id := crmtest.InsertFull(t, a.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)

	t.Run("ReplayToTheOtherReplicaRefused", func(t *testing.T) {
		form := url.Values{"command": {"/contact"}, "text": {"jane@example.com"}, "user_id": {bottest.Admin}, "team_id": {bottest.Team}, "trigger_id": {"t1"}}.Encode()
		h := bottest.Sign(bottest.Secret, form, time.Now())
		if r := a.Post("/slack/commands", form, h); r.Status != 200 || !strings.Contains(r.Body, "Jane Doe") {
			t.Fatalf("first delivery: %d %s", r.Status, r.Body)
		}
		if r := b.Post("/slack/commands", form, h); r.Status != 401 || !strings.Contains(r.Body, "replayed") {
			t.Errorf("replay on the other replica: %d %s", r.Status, r.Body)
		}
	})

	t.Run("SameDeleteOnBothDeletesOnce", func(t *testing.T) {
		a.Click(bottest.Admin, bot.ActionDelete, id)
		view := a.LastView()
		var wg sync.WaitGroup
		for i, env := range []*bottest.Env{a, b, a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: bottest.Admin}, Team: slack.Team{ID: bottest.Team}, View: view}
				cb.View.ID = "V" + string(rune('A'+i)) // each delivery differs, as Slack's retries would
				cb.View.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
					"reason":  {"reason": {ActionID: "reason", Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "duplicate"}}},
					"confirm": {"confirm": {ActionID: "confirm", Value: "DELETE"}},
				}}
				payload, _ := json.Marshal(cb)
				env.PostSigned("/slack/interactions", url.Values{"payload": {string(payload)}}.Encode())
			}()
		}
		wg.Wait()
		a.Bot.Wait()
		b.Bot.Wait()
		if n := crmtest.CountRows(t, a.Store, "deletions", "contact_id = $1", id); n != 1 {
			t.Fatalf("%d deletions from six concurrent confirmations on two replicas, want 1", n)
		}
		if n := crmtest.CountRows(t, a.Store, "archived_rows", "table_name = 'contacts' AND row_id = $1", id); n != 1 {
			t.Errorf("contact archived %d times", n)
		}
		// The summary is a new DM, or, when the delete took over a second
		// (a busy machine), the update of its progress DM in place.
		summaries, gone := 0, 0
		for _, c := range append(a.Slack.Calls("chat.postMessage"), a.Slack.Calls("chat.update")...) {
			switch {
			case strings.Contains(c.Text(), "Deleted Jane Doe"):
				summaries++
			case strings.Contains(c.Text(), "not deleted"):
				gone++
			}
		}
		if summaries != 1 {
			t.Errorf("%d delete summaries, want 1 (and %d told it was already gone)", summaries, gone)
		}
	})
}
