package bot_test

import (
	"strings"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm/crmtest"
)

// TestLongDeleteShowsProgress: a delete that takes over a second (made slow
// here by a trigger) shows one progress DM, then has it replaced in place by
// the summary; a quick delete shows none.
func TestLongDeleteShowsProgress(t *testing.T) {
	t.Parallel()
	crmtest.RequirePostgres(t) // slowed by a PL/pgSQL trigger that calls pg_sleep
	e := bottest.New(t)
	quick := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Quick", LastName: "One"}, crmtest.SmallFull)
	slow := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Slow", LastName: "One"}, crmtest.SmallFull)

	e.Click(bottest.Admin, bot.ActionDelete, quick)
	e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "duplicate", "confirm": "DELETE"})
	e.Bot.Wait()
	if ups := e.Slack.Calls("chat.update"); len(ups) != 0 {
		t.Fatalf("a quick delete showed progress: %v", ups)
	}
	// The admin's DM (the approvals channel has the delete's review).
	if posts := posts(e, bottest.Admin); len(posts) != 1 || !strings.Contains(posts[0].Text(), "Deleted Quick One") {
		t.Fatalf("quick delete: want just the summary, got %v", posts)
	}
	e.Slack.Reset()

	// Notes are archived after workflows, appointments, tasks and opportunities.
	e.Store.DB().MustExec(`CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.6); RETURN NULL; END $$`)
	e.Store.DB().MustExec(`CREATE TRIGGER slow_notes BEFORE DELETE ON notes FOR EACH STATEMENT EXECUTE FUNCTION slow_down()`)
	e.Click(bottest.Admin, bot.ActionDelete, slow)
	e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "duplicate", "confirm": "DELETE"})
	e.Bot.Wait()
	posts := posts(e, bottest.Admin)
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

// TestLongRestoreShowsProgress: the same for a restore, whose answer also
// goes back to the command.
func TestLongRestoreShowsProgress(t *testing.T) {
	t.Parallel()
	crmtest.RequirePostgres(t) // slowed by a PL/pgSQL trigger that calls pg_sleep
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Slow", LastName: "Restore"}, crmtest.SmallFull)
	e.Click(bottest.Admin, bot.ActionDelete, id)
	e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "duplicate", "confirm": "DELETE"})
	e.Bot.Wait()
	var deletion string
	if err := e.Store.DB().Get(&deletion, `SELECT id FROM deletions WHERE contact_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	e.Slack.Reset()

	// Notes go back after the contact, its DND, conversations and messages.
	e.Store.DB().MustExec(`CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.6); RETURN NULL; END $$`)
	e.Store.DB().MustExec(`CREATE TRIGGER slow_notes BEFORE INSERT ON notes FOR EACH STATEMENT EXECUTE FUNCTION slow_down()`)
	r := e.Command(bottest.Admin, "restore "+deletion)
	e.Bot.Wait()
	if !strings.Contains(r.Body, "Restored") {
		t.Errorf("restore command answer: %s", r.Body)
	}
	var progress []string
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == bottest.Admin {
			progress = append(progress, c.Text())
		}
	}
	if len(progress) != 1 || !strings.Contains(progress[0], "Restoring deletion `"+deletion+"`: putting back 12 of 23 rows…") {
		t.Fatalf("want one progress DM at 12 of 23 rows, got %q", progress)
	}
	ups := e.Slack.Calls("chat.update")
	found := false
	for _, u := range ups {
		found = found || (u.Params["channel"] == "D"+bottest.Admin && strings.Contains(u.Text(), "Restored"))
	}
	if !found {
		t.Errorf("the progress DM was not replaced by the outcome: %v", ups)
	}
	if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 1 {
		t.Error("the contact was not restored")
	}
}

// TestDeleteWaitingForALockSaysSo: a delete that waits for another change to
// the same contact tells the person after a few seconds, then finishes in
// place of that message once the other change is done.
func TestDeleteWaitingForALockSaysSo(t *testing.T) {
	t.Parallel()
	crmtest.RequirePostgres(t) // another change holds the contact's row (FOR UPDATE): SQLite has no row locks
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, crmtest.SmallFull)
	e.Click(bottest.Admin, bot.ActionDelete, id)
	release := crmtest.HoldContact(t, e.Store, id) // another change holds the contact
	e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "duplicate", "confirm": "DELETE"})
	waiting := e.Slack.WaitCalls("chat.update", 1, 10*time.Second)[0]
	if want := "⏳ Waiting for another change to Jane Doe to finish…"; waiting.Params["text"] != want {
		t.Errorf("while waiting the DM says %q, want %q", waiting.Params["text"], want)
	}
	if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 1 {
		t.Fatal("deleted while another change held the contact")
	}
	release()
	e.Bot.Wait()
	ups := e.Slack.Calls("chat.update")
	if last := ups[len(ups)-1]; !strings.Contains(last.Text(), "Deleted Jane Doe") || last.Params["ts"] != waiting.Params["ts"] {
		t.Errorf("the waiting DM was not replaced by the summary: %v", ups)
	}
	if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 0 {
		t.Error("the delete did not finish once the lock was released")
	}
}
