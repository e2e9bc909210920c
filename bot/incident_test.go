package bot_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// deleteByModal deletes a contact the way a person does (Delete…, reason,
// DELETE) and returns the deletion id.
func deleteByModal(t *testing.T, e *bottest.Env, user, contactID string) string {
	t.Helper()
	e.Click(user, bot.ActionDelete, contactID)
	// A test contact: "duplicate" would merge a contact that has one.
	r := e.Submit(user, e.LastView(), map[string]string{"reason": "test_contact", "note": "created twice by import", "confirm": "DELETE"})
	if r.Status != http.StatusOK {
		t.Fatalf("delete submit: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	var id string
	if err := e.Store.DB().Get(&id, `SELECT id FROM deletions WHERE contact_id = $1 ORDER BY deleted_at DESC LIMIT 1`, contactID); err != nil {
		t.Fatalf("no deletion recorded for %s: %v", contactID, err)
	}
	return id
}

// posts returns the chat.postMessage calls to channel.
func posts(e *bottest.Env, channel string) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == channel {
			out = append(out, c)
		}
	}
	return out
}

// lastAnswer waits for background work and returns the text of the latest
// response_url post: the answer to the latest click.
func lastAnswer(t *testing.T, e *bottest.Env) string {
	t.Helper()
	e.Bot.Wait()
	return newestResponse(t, e).Text()
}

// body is a command's JSON answer with <, > and & as Slack shows them.
func body(t *testing.T, r bottest.Response) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.JSON(t)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func wantAll(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// TestReportAndRestore walks the whole path of a wrong deletion through the
// signed HTTP routes: delete, Report wrong deletion, the incident, a second
// report, a refused restore, Restore, and the CRM exactly as before.
func TestReportAndRestore(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit}})
	crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Janet", LastName: "Keep", Email: "janet@example.com"}, crmtest.SmallLowRisk)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallLowRisk)
	before := crmtest.Dump(t, e.Store)

	del := deleteByModal(t, e, bottest.Deleter, id)
	// The deleter's DM: the audit feed's lines go out beside it, in any order.
	dms := posts(e, bottest.Deleter)
	if len(dms) == 0 {
		t.Fatal("no delete summary")
	}
	summary := dms[len(dms)-1]
	if !strings.Contains(summary.Params["blocks"], `"value":"`+del+`"`) || !strings.Contains(summary.Params["blocks"], bot.ActionReport) {
		t.Fatalf("the delete summary has no Report wrong deletion button for %s: %s", del, summary.Params["blocks"])
	}

	// Report wrong deletion, pressed by someone without rights.
	e.Report(bottest.Support, del, "")
	wantAll(t, "answer to the reporter", lastAnswer(t, e), "Reported in <#"+bottest.Incident+">", "<@"+bottest.Deleter+"> was told")
	incidents := posts(e, bottest.Incident)
	if len(incidents) != 1 {
		t.Fatalf("%d incident messages, want 1", len(incidents))
	}
	incident := incidents[0]
	wantAll(t, "incident message", incident.Text(), "Wrong deletion reported: Jane Doe", "<@"+bottest.Support+"> reported this deletion as wrong",
		"jane@example.com", "+1 (555) 010-2233", id, "Deleted by* <@"+bottest.Deleter+">", "Test contact", "created twice by import",
		"2 conversations", "6 messages", "(23 rows)", "Restorable until", del)
	if !strings.Contains(incident.Params["blocks"], `"action_id":"`+bot.ActionRestore+`"`) {
		t.Errorf("incident has no Restore button: %s", incident.Params["blocks"])
	}
	dms = posts(e, bottest.Deleter)
	wantAll(t, "DM to the deleter", dms[len(dms)-1].Text(), "Your deletion of *Jane Doe*", "reported as wrong by <@"+bottest.Support+">")

	// Reporting again (by command, by email) points to the incident.
	r := e.Command(bottest.Admin, "report jane@example.com")
	wantAll(t, "second report", body(t, r), "already reported by <@"+bottest.Support+">", "<#"+bottest.Incident+">")
	e.Report(bottest.Deleter, del, "")
	wantAll(t, "third report", lastAnswer(t, e), "already reported by")
	if n := len(posts(e, bottest.Incident)); n != 1 {
		t.Errorf("reporting again posted again: %d incident messages", n)
	}

	// Restore by someone who is not an admin: refused, nothing changes.
	e.Click(bottest.Deleter, bot.ActionRestore, del)
	wantAll(t, "deleter's restore", lastAnswer(t, e), "Only admins can restore")
	r = e.Command(bottest.Support, "restore "+del)
	wantAll(t, "support's restore command", body(t, r), "Only admins can restore")
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 0 {
		t.Fatal("a non-admin restored the contact")
	}
	if len(e.Slack.Calls("chat.update")) != 0 {
		t.Error("a refused restore updated the incident")
	}

	// Restore by an admin: the CRM is exactly as before the delete.
	e.Click(bottest.Admin, bot.ActionRestore, del)
	wantAll(t, "admin's restore", lastAnswer(t, e), "Restored *Jane Doe*: 23 rows put back")
	if diff := cmp.Diff(before, crmtest.Dump(t, e.Store)); diff != "" {
		t.Fatalf("CRM after delete + restore differs from before (-before +after):\n%s", diff)
	}
	update, ok := e.Slack.Last("chat.update")
	if !ok || update.Params["channel"] != bottest.Incident || update.Params["ts"] == "" {
		t.Fatalf("incident not updated in place: %v", update)
	}
	var postedTS string
	if err := e.Store.DB().Get(&postedTS, `SELECT message_ts FROM incidents WHERE deletion_id = $1`, del); err != nil || postedTS != update.Params["ts"] {
		t.Errorf("chat.update of ts %q, but the incident was posted as %q (%v)", update.Params["ts"], postedTS, err)
	}
	wantAll(t, "restored incident", update.Text(), "Restored: Jane Doe", "*Restored* by <@"+bottest.Admin+">", "23 rows put back", "Reported by <@"+bottest.Support+">")
	if strings.Contains(update.Params["blocks"], bot.ActionRestore) {
		t.Error("the restored incident still has a Restore button")
	}
	reporterDMs, deleterDMs := posts(e, bottest.Support), posts(e, bottest.Deleter)
	if len(reporterDMs) != 1 || !strings.Contains(reporterDMs[0].Text(), "was restored by <@"+bottest.Admin+">") {
		t.Errorf("reporter's DMs: %v", reporterDMs)
	}
	if !strings.Contains(deleterDMs[len(deleterDMs)-1].Text(), "was restored by <@"+bottest.Admin+">") {
		t.Errorf("deleter's last DM: %s", deleterDMs[len(deleterDMs)-1].Text())
	}

	// Restoring again says by whom and when, and changes nothing.
	e.Click(bottest.Admin2, bot.ActionRestore, del)
	wantAll(t, "second restore", lastAnswer(t, e), "already restored by <@"+bottest.Admin+">")
	r = e.Command(bottest.Admin2, "restore "+del)
	wantAll(t, "restore command after restore", body(t, r), "already restored by <@"+bottest.Admin+">")
	if n := len(e.Slack.Calls("chat.update")); n != 1 {
		t.Errorf("%d incident updates, want 1", n)
	}
	if diff := cmp.Diff(before, crmtest.Dump(t, e.Store)); diff != "" {
		t.Errorf("a second restore changed the CRM:\n%s", diff)
	}

	// The audit trail and its channel have the report and the restore.
	trail, err := e.Store.AuditTrail(t.Context(), "", del, 20)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range trail {
		actions = append(actions, a.Action+":"+a.Actor)
	}
	want := []string{"deleted:" + bottest.Deleter, "reported:" + bottest.Support, "reported:" + bottest.Admin, "reported:" + bottest.Deleter, "restored:" + bottest.Admin}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
	var feed []string
	for _, c := range posts(e, bottest.Audit) {
		feed = append(feed, c.Text())
	}
	wantAll(t, "audit channel", strings.Join(feed, "\n"), "<@"+bottest.Support+"> reported", "<@"+bottest.Admin+"> restored", "23 rows restored")
}

func TestReportByCommand(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	byID := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Ida", LastName: "Byid", Email: "ida@example.com"}, crmtest.SmallLowRisk)
	byEmail := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Emma", LastName: "Bymail", Email: "Emma.Bymail@Example.com"}, crmtest.SmallLowRisk)
	byPhone := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Phil", LastName: "Byphone", Phone: "+44 20 7946 0958"}, crmtest.SmallLowRisk)
	delID := deleteByModal(t, e, bottest.Admin, byID)
	deleteByModal(t, e, bottest.Admin, byEmail)
	deleteByModal(t, e, bottest.Admin, byPhone)

	cases := []struct{ name, query, contact string }{
		{"ByDeletionID", delID, "Ida Byid"},
		{"ByEmail", "emma.bymail@example.com", "Emma Bymail"},
		{"ByPhone", "020 7946 0958", "Phil Byphone"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := e.Command(bottest.Support, "report "+c.query); r.Status != http.StatusOK || r.Body != "" {
				t.Fatalf("report command: want an empty ack while the window asks what was wrong, got %d %q", r.Status, r.Body)
			}
			e.SubmitReport(bottest.Support, "")
			wantAll(t, "answer", lastAnswer(t, e), "Reported in <#"+bottest.Incident+">")
			e.Bot.Wait()
			ps := posts(e, bottest.Incident)
			if len(ps) != i+1 {
				t.Fatalf("%d incident messages, want %d", len(ps), i+1)
			}
			wantAll(t, "incident", ps[i].Text(), "Wrong deletion reported: "+c.contact, "<@"+bottest.Support+"> reported")
		})
	}

	t.Run("NothingMatches", func(t *testing.T) {
		r := e.Command(bottest.Support, "report nobody@example.com")
		wantAll(t, "answer", body(t, r), "No deletion that can still be restored matches")
		r = e.Command(bottest.Support, "report")
		wantAll(t, "answer", body(t, r), "Say which deletion to report")
		r = e.Command(bottest.Support, "report jane doe")
		wantAll(t, "answer", body(t, r), "is not a deletion id, an email or a phone number")
	})

	t.Run("SeveralMatchesListsThem", func(t *testing.T) {
		a := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Twin", LastName: "One", Email: "twin@example.com"}, crmtest.SmallLowRisk)
		b := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Twin", LastName: "Two", Email: "twin@example.com"}, crmtest.SmallLowRisk)
		da, db := deleteByModal(t, e, bottest.Deleter, a), deleteByModal(t, e, bottest.Deleter, b)
		posted := len(posts(e, bottest.Incident))
		r := e.Command(bottest.Support, "report twin@example.com")
		wantAll(t, "answer", body(t, r), "2 deletions match", "Twin One", "Twin Two", `"value":"`+da+`"`, `"value":"`+db+`"`, bot.ActionReport)
		if n := len(posts(e, bottest.Incident)); n != posted {
			t.Error("a list of matches reported something")
		}
	})
}

func TestRestoreEdges(t *testing.T) {
	t.Parallel()
	t.Run("ConcurrentClicksRestoreOnce", func(t *testing.T) {
		e := bottest.New(t)
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
		before := crmtest.Dump(t, e.Store)
		del := deleteByModal(t, e, bottest.Deleter, id)
		e.Report(bottest.Deleter, del, "")
		e.Bot.Wait()

		// Admins (and a double click) press Restore at once, each request
		// signed and sent on its own, as several replicas would receive them.
		clickers := []string{bottest.Admin, bottest.Admin2, bottest.Admin, bottest.Admin2, bottest.Admin}
		statuses := make([]int, len(clickers))
		var wg sync.WaitGroup
		for i, user := range clickers {
			cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team},
				ResponseURL: e.Slack.NewResponseURL(), ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionRestore, Value: del}}}}
			payload, _ := json.Marshal(cb)
			body := url.Values{"payload": {string(payload)}}.Encode()
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/slack/interactions", strings.NewReader(body))
				req.Header = bottest.Sign(bottest.Secret, body, time.Now())
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					statuses[i] = resp.StatusCode
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
		e.Bot.Wait()
		for i, s := range statuses {
			if s != http.StatusOK {
				t.Errorf("click %d: status %d", i, s)
			}
		}
		restored, already := 0, 0
		for _, r := range e.Slack.WaitResponses(len(clickers)+1, wait) {
			switch txt := r.Text(); {
			case strings.Contains(txt, "Restored *Jane Doe*"):
				restored++
			case strings.Contains(txt, "already restored by"):
				already++
			}
		}
		if restored != 1 || already != len(clickers)-1 {
			t.Errorf("%d restored and %d already-restored answers, want 1 and %d", restored, already, len(clickers)-1)
		}
		if n := len(e.Slack.Calls("chat.update")); n != 1 {
			t.Errorf("%d incident updates, want 1", n)
		}
		if diff := cmp.Diff(before, crmtest.Dump(t, e.Store)); diff != "" {
			t.Errorf("CRM after concurrent restores differs from before the delete:\n%s", diff)
		}
		if n := crmtest.CountRows(t, e.Store, "audit_log", "action = 'restored'"); n != 1 {
			t.Errorf("%d restore audit lines, want 1", n)
		}
	})

	t.Run("AfterTheWindow", func(t *testing.T) {
		e := bottest.New(t, bottest.Options{Env: map[string]string{"RESTORE_WINDOW": "48h"}})
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, crmtest.SmallLowRisk)
		del := deleteByModal(t, e, bottest.Deleter, id)
		e.Report(bottest.Support, del, "")
		e.Bot.Wait()
		e.Clock.Advance(48*time.Hour + time.Minute)

		e.Click(bottest.Admin, bot.ActionRestore, del)
		wantAll(t, "late restore", lastAnswer(t, e), "restore window of deletion `"+del+"`", "closed at <!date^")
		if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", id); n != 0 {
			t.Fatal("restored after the window")
		}
		update, ok := e.Slack.Last("chat.update")
		if !ok || !strings.Contains(update.Text(), "Restore window closed") || strings.Contains(update.Params["blocks"], bot.ActionRestore) {
			t.Errorf("incident after a late restore: %v", update)
		}
		r := e.Command(bottest.Deleter, "report "+del)
		wantAll(t, "late report", body(t, r), "closed at")

		// The periodic purge then removes the archive, keeps the record.
		if n, err := e.Store.Purge(t.Context()); err != nil || n != 1 {
			t.Fatalf("Purge = %d, %v", n, err)
		}
		d, err := e.Store.Deletion(t.Context(), del)
		if err != nil || d.PurgedAt == nil || d.ContactLabel != "" || d.Note != "" {
			t.Errorf("purged deletion = %+v, %v", d, err)
		}
	})

	t.Run("RecreatedContactIsNamed", func(t *testing.T) {
		e := bottest.New(t)
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
		del := deleteByModal(t, e, bottest.Deleter, id)
		again := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Again", Email: "jane@example.com"})
		e.Report(bottest.Support, del, "")
		e.Bot.Wait()
		e.Click(bottest.Admin, bot.ActionRestore, del)
		wantAll(t, "restore answer", lastAnswer(t, e), "Restored *Jane Doe*",
			"\n⚠️ Possible duplicate: *Jane Again* (`"+again+"`) has the same email jane@example.com (perhaps re-created while this contact was deleted). Both remain: check them, and merge or delete one.")
		update, _ := e.Slack.Last("chat.update")
		wantAll(t, "restored incident", update.Text(), "Possible duplicate: *Jane Again*")
		dms := posts(e, bottest.Deleter)
		wantAll(t, "deleter's DM", dms[len(dms)-1].Text(), "was restored", "Jane Again")
		for _, c := range []string{id, again} {
			if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", c); n != 1 {
				t.Errorf("contact %s: %d rows, want 1", c, n)
			}
		}
	})

	t.Run("TakenIDFailsWhole", func(t *testing.T) {
		e := bottest.New(t)
		other := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Other"})
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, crmtest.SmallLowRisk)
		del := deleteByModal(t, e, bottest.Deleter, id)
		e.Store.DB().MustExec(`INSERT INTO notes (id, contact_id, body) VALUES ($1 || '_n1', $2, 'took the id')`, id, other)
		before := crmtest.Dump(t, e.Store)
		// Without a report, by command.
		r := e.Command(bottest.Admin, "restore "+del)
		wantAll(t, "restore answer", body(t, r), "Nothing was restored", "notes", id+"_n1")
		e.Bot.Wait()
		if diff := cmp.Diff(before, crmtest.Dump(t, e.Store)); diff != "" {
			t.Errorf("a failed restore changed the CRM:\n%s", diff)
		}
		if n := len(posts(e, bottest.Incident)) + len(e.Slack.Calls("chat.update")); n != 0 {
			t.Errorf("a failed restore announced something: %d messages", n)
		}
	})

	t.Run("UnreportedRestoreIsAnnounced", func(t *testing.T) {
		e := bottest.New(t)
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, crmtest.SmallLowRisk)
		del := deleteByModal(t, e, bottest.Deleter, id)
		r := e.Command(bottest.Admin, "restore "+del)
		wantAll(t, "restore answer", body(t, r), "Restored *Jane Doe*: 23 rows")
		e.Bot.Wait()
		ps := posts(e, bottest.Incident)
		if len(ps) != 1 || !strings.Contains(ps[0].Text(), "Restored: Jane Doe") || strings.Contains(ps[0].Params["blocks"], bot.ActionRestore) {
			t.Errorf("incident channel after an unreported restore: %v", ps)
		}
		r = e.Command(bottest.Admin, "restore DNOSUCHDELE")
		wantAll(t, "unknown deletion", body(t, r), "There is no deletion with id DNOSUCHDELE")
		r = e.Command(bottest.Admin, "restore")
		wantAll(t, "no id", body(t, r), "Say which deletion to restore")
	})
}

func TestReportEdges(t *testing.T) {
	t.Parallel()
	t.Run("PostFailureIsRetried", func(t *testing.T) {
		// Slack refusing the incident channel does not lose the report: it
		// is recorded, answered, and posted once Slack takes it.
		e := bottest.New(t)
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, crmtest.SmallLowRisk)
		del := deleteByModal(t, e, bottest.Deleter, id)
		e.Slack.Fail("chat.postMessage", "not_in_channel")
		e.Report(bottest.Support, del, "")
		wantAll(t, "report while Slack refuses", lastAnswer(t, e), "Reported in <#"+bottest.Incident+">")
		if n := crmtest.CountRows(t, e.Store, "incidents", "message_ts = ''"); n != 1 {
			t.Fatalf("%d incidents waiting for their message, want 1", n)
		}
		e.Report(bottest.Support, del, "")
		wantAll(t, "second report before the post", lastAnswer(t, e), "is reporting this deletion right now")
		e.Slack.Unfail("chat.postMessage")
		e.Clock.Advance(time.Minute) // past the retry's backoff
		e.Bot.Wait()
		incidentPosts := posts(e, bottest.Incident)
		if n := len(incidentPosts); n < 2 || !strings.Contains(incidentPosts[n-1].Text(), "Wrong deletion reported: Jane Doe") {
			t.Fatalf("incident posts %v: want the refused attempts, then the incident", incidentPosts)
		}
		var inc crm.Incident
		if err := e.Store.DB().Get(&inc, `SELECT * FROM incidents`); err != nil || inc.MessageTS == "" || inc.Channel != bottest.Incident {
			t.Errorf("incident = %+v, %v", inc, err)
		}
		e.Report(bottest.Support, del, "")
		wantAll(t, "report after the post", lastAnswer(t, e), "already reported by")
		e.Bot.Wait()
		if n := len(posts(e, bottest.Incident)); n != len(incidentPosts) {
			t.Errorf("a later report posted the incident again")
		}
	})

	t.Run("ApproverIsNamedAndTold", func(t *testing.T) {
		e := bottest.New(t)
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, crmtest.SmallLowRisk)
		res, err := e.Store.Delete(t.Context(), crm.DeleteRequest{ContactID: id, Actor: bottest.Support, ApprovedBy: bottest.Admin2, RequestID: "R1",
			Reason: "test_contact", RestoreWindow: e.Config.RestoreWindow})
		if err != nil {
			t.Fatal(err)
		}
		e.Command(bottest.Deleter, "report "+strings.ToLower(res.Deletion.ID)) // ids in any case
		e.SubmitReport(bottest.Deleter, "")
		wantAll(t, "answer", lastAnswer(t, e), "Reported in", "<@"+bottest.Support+"> and <@"+bottest.Admin2+"> were told")
		e.Bot.Wait()
		wantAll(t, "incident", posts(e, bottest.Incident)[0].Text(), "*Approved by* <@"+bottest.Admin2+">", "Deleted by* <@"+bottest.Support+">", "Test contact")
		if dms := posts(e, bottest.Admin2); len(dms) != 1 || !strings.Contains(dms[0].Text(), "A deletion you approved, *Jane Doe*") {
			t.Errorf("approver's DMs: %v", dms)
		}
	})

	t.Run("ConcurrentReportsPostOnce", func(t *testing.T) {
		e := bottest.New(t)
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe"}, crmtest.SmallLowRisk)
		del := deleteByModal(t, e, bottest.Deleter, id)
		reporters := []string{bottest.Support, bottest.Admin, bottest.Admin2, bottest.Deleter}
		// Each presses Report wrong deletion; then all four windows are
		// submitted at once.
		views := map[string]slack.View{}
		for _, user := range reporters {
			e.Click(user, bot.ActionReport, del)
			views[user] = e.LastView()
		}
		var wg sync.WaitGroup
		for _, user := range reporters {
			v := views[user]
			v.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{"report_note": {"report_note": {Value: "wrong one, by " + user}}}}
			cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team}, View: v}
			payload, _ := json.Marshal(cb)
			body := url.Values{"payload": {string(payload)}}.Encode()
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/slack/interactions", strings.NewReader(body))
				req.Header = bottest.Sign(bottest.Secret, body, time.Now())
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
		e.Bot.Wait()
		if n := len(posts(e, bottest.Incident)); n != 1 {
			t.Errorf("%d incident messages from concurrent reports, want 1", n)
		}
		reported, pointed := 0, 0
		for _, r := range e.Slack.WaitResponses(len(reporters), wait) {
			switch txt := r.Text(); {
			case strings.Contains(txt, "Reported in"):
				reported++
			case strings.Contains(txt, "already reported by"), strings.Contains(txt, "is reporting this deletion right now"):
				pointed++
			}
		}
		if reported != 1 || pointed != len(reporters)-1 {
			t.Errorf("%d reported and %d pointed to the incident, want 1 and %d", reported, pointed, len(reporters)-1)
		}
	})
}
