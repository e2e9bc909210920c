package slackhttp_test

import (
	"strings"
	"testing"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm/crmtest"
)

// TestLongDeleteShowsProgress: a delete that takes over a second (made slow
// here by a trigger) shows one progress DM, then has it replaced in place by
// the summary; a quick delete shows none.
func TestLongDeleteShowsProgress(t *testing.T) {
	e := bottest.New(t)
	quick := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Quick", LastName: "One"}, crmtest.SmallFull)
	slow := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Slow", LastName: "One"}, crmtest.SmallFull)

	e.Click(bottest.Admin, bot.ActionDelete, quick)
	e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "duplicate", "confirm": "DELETE"})
	e.Bot.Wait()
	if ups := e.Slack.Calls("chat.update"); len(ups) != 0 {
		t.Fatalf("a quick delete showed progress: %v", ups)
	}
	if posts := e.Slack.Calls("chat.postMessage"); len(posts) != 1 || !strings.Contains(posts[0].Text(), "Deleted Quick One") {
		t.Fatalf("quick delete: want just the summary, got %v", posts)
	}
	e.Slack.Reset()

	// Notes are archived after workflows, appointments, tasks and opportunities.
	e.Store.DB().MustExec(`CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.6); RETURN NULL; END $$`)
	e.Store.DB().MustExec(`CREATE TRIGGER slow_notes BEFORE DELETE ON notes FOR EACH STATEMENT EXECUTE FUNCTION slow_down()`)
	e.Click(bottest.Admin, bot.ActionDelete, slow)
	e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "duplicate", "confirm": "DELETE"})
	e.Bot.Wait()
	posts := e.Slack.Calls("chat.postMessage")
	if len(posts) != 1 || !strings.Contains(posts[0].Text(), "Deleting contact `"+slow+"`: archiving 9 of 23 rows…") {
		t.Fatalf("slow delete: want one progress DM at 9 of 23 rows, got %v", posts)
	}
	ups := e.Slack.Calls("chat.update")
	if len(ups) == 0 || !strings.Contains(ups[len(ups)-1].Text(), "Deleted Slow One") {
		t.Fatalf("the progress DM was not replaced by the summary: %v", ups)
	}
	if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", slow); n != 0 {
		t.Error("the slow contact was not deleted")
	}
}
