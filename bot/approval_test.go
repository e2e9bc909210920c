package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// lowRisk inserts a contact with nothing that makes a delete risky.
func lowRisk(t testing.TB, e *bottest.Env, first string) string {
	t.Helper()
	return crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: first, LastName: "Test", Email: strings.ToLower(first) + "@example.com"})
}

// openModal presses Delete… as user and returns the modal and its views.open call.
func openModal(t testing.TB, e *bottest.Env, user, contactID string) (slack.View, slackfake.Call) {
	t.Helper()
	if r := e.Click(user, bot.ActionDelete, contactID); r.Status != http.StatusOK {
		t.Fatalf("click Delete…: %d %s", r.Status, r.Body)
	}
	call, _ := e.Slack.Last("views.open")
	return e.LastView(), call
}

// submitDelete submits a delete modal with a reason and DELETE.
func submitDelete(t testing.TB, e *bottest.Env, user string, v slack.View) bottest.Response {
	t.Helper()
	r := e.Submit(user, v, map[string]string{"reason": "duplicate", "note": "created twice by import", "confirm": "DELETE"})
	e.Bot.Wait()
	return r
}

// requestDelete has user ask for a delete of contactID through the modal and
// returns the request as stored.
func requestDelete(t testing.TB, e *bottest.Env, user, contactID string) crm.Approval {
	t.Helper()
	v, open := openModal(t, e, user, contactID)
	if v.Submit == nil || v.Submit.Text != "Request approval" {
		t.Fatalf("modal for %s submits %+v, want Request approval: %s", user, v.Submit, open.Text())
	}
	r := submitDelete(t, e, user, v)
	if !strings.Contains(r.Body, "Request sent") {
		t.Fatalf("request submit: %d %s", r.Status, r.Body)
	}
	return requestOf(t, e, user, contactID)
}

// requestOf is user's pending request for contactID, as stored.
func requestOf(t testing.TB, e *bottest.Env, user, contactID string) crm.Approval {
	t.Helper()
	list, err := e.Store.ApprovalsBy(context.Background(), user, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.ContactID == contactID && a.State == crm.ApprovalPending {
			return a
		}
	}
	t.Fatalf("no pending request stored for %s: %d requests", contactID, len(list))
	return crm.Approval{}
}

// approvalPost is the request's message in the approvals channel.
func approvalPost(t testing.TB, e *bottest.Env, requestID string) slackfake.Call {
	t.Helper()
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == bottest.Approval && c.Params["thread_ts"] == "" && strings.Contains(c.Text(), requestID) {
			return c
		}
	}
	t.Fatalf("request %s was not posted to the approvals channel: %v", requestID, e.Slack.Calls("chat.postMessage"))
	return slackfake.Call{}
}

// lastResponse is the newest post to a response URL.
func lastResponse(t testing.TB, e *bottest.Env) string {
	t.Helper()
	return newestResponse(t, e).Text()
}

// newestResponse is the newest post to a response URL.
func newestResponse(t testing.TB, e *bottest.Env) slackfake.Call {
	t.Helper()
	rs := e.Slack.Responses()
	if len(rs) == 0 {
		t.Fatal("no response_url post")
	}
	return rs[len(rs)-1]
}

// clickAndWait presses a button and waits for the work after the ack.
func clickAndWait(t testing.TB, e *bottest.Env, user, action, value string) {
	t.Helper()
	if r := e.Click(user, action, value); r.Status != http.StatusOK {
		t.Fatalf("click %s as %s: %d %s", action, user, r.Status, r.Body)
	}
	e.Bot.Wait()
}

func state(t testing.TB, e *bottest.Env, id string) crm.Approval {
	t.Helper()
	a, err := e.Store.Approval(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func contactExists(t testing.TB, e *bottest.Env, id string) bool {
	t.Helper()
	return crmtest.CountRows(t, e.Store, "contacts", "id = $1", id) == 1
}

// text is a response body as a person reads it: JSON escapes undone.
func text(r bottest.Response) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(r.Body)
}

func dmsTo(e *bottest.Env, user string) []string {
	var out []string
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == user {
			out = append(out, c.Text())
		}
	}
	return out
}

func updatesOf(e *bottest.Env, ts string) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range e.Slack.Calls("chat.update") {
		if c.Params["ts"] == ts {
			out = append(out, c)
		}
	}
	return out
}

// TestApprovalRequest: a person without rights asks; the request lands in
// the approvals channel with everything an admin needs, and nothing is deleted.
func TestApprovalRequest(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit}})
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
	before := crmtest.Dump(t, e.Store)

	v, open := openModal(t, e, bottest.Support, id)
	if v.Submit.Text != "Request approval" || !strings.Contains(open.Text(), "you are not an admin or a deleter") || !strings.Contains(open.Text(), "nothing is deleted until one approves") {
		t.Errorf("modal does not say it asks an admin: submit %q\n%s", v.Submit.Text, open.Text())
	}
	r := submitDelete(t, e, bottest.Support, v)
	for _, want := range []string{`"response_action":"update"`, "Request sent", "Nothing is deleted yet", "<#" + bottest.Approval + ">"} {
		if !strings.Contains(text(r), want) {
			t.Errorf("submit answer lacks %q: %s", want, r.Body)
		}
	}
	a, err := e.Store.ApprovalsBy(context.Background(), bottest.Support, 5)
	if err != nil || len(a) != 1 || a[0].State != crm.ApprovalPending || a[0].Reason != "duplicate" {
		t.Fatalf("stored requests: %+v %v", a, err)
	}
	post := approvalPost(t, e, a[0].ID)
	for _, want := range []string{"<@" + bottest.Support + "> asks to delete", "Jane Doe", "jane@example.com", "+1 (555) 010-2233", "Duplicate created by mistake",
		"created twice by import", "expires", "2 conversations (6 messages)", "1 open / 1 closed opportunities", "Look twice", "Approve", "Reject"} {
		if !strings.Contains(post.Text(), want) {
			t.Errorf("approval message lacks %q:\n%s", want, post.Text())
		}
	}
	for _, action := range []string{`"action_id":"` + bot.ActionApprove + `","value":"` + a[0].ID, `"action_id":"` + bot.ActionReject + `","value":"` + a[0].ID} {
		if !strings.Contains(post.Params["blocks"], action) {
			t.Errorf("approval message lacks button %s: %s", action, post.Params["blocks"])
		}
	}
	if got := state(t, e, a[0].ID); got.Channel != bottest.Approval || got.MessageTS == "" {
		t.Errorf("message location not recorded: %+v", got)
	}
	dms := dmsTo(e, bottest.Support)
	if len(dms) != 1 || !strings.Contains(dms[0], "<#"+bottest.Approval+">") || !strings.Contains(dms[0], a[0].ID) {
		t.Errorf("requester DMs = %q", dms)
	}
	after := crmtest.Dump(t, e.Store)
	for _, table := range crmtest.CRMTables {
		if strings.Join(before[table], "\n") != strings.Join(after[table], "\n") {
			t.Errorf("%s changed by a request", table)
		}
	}
	if n := crmtest.CountRows(t, e.Store, "deletions", ""); n != 0 {
		t.Errorf("%d deletions after a request", n)
	}
	if n := crmtest.CountRows(t, e.Store, "audit_log", "action = 'delete_requested' AND actor = $1 AND request_id = $2", bottest.Support, a[0].ID); n != 1 {
		t.Errorf("%d request audit lines", n)
	}
	var audited bool
	for _, c := range e.Slack.Calls("chat.postMessage") {
		audited = audited || c.Params["channel"] == bottest.Audit && strings.Contains(c.Text(), "<@"+bottest.Support+"> asked to delete contact `"+id+"` request `"+a[0].ID+"` — reason: Duplicate created by mistake — pending (expires <!date^"+fmt.Sprint(a[0].ExpiresAt.Unix())+"^{date_short_pretty} {time}|")
	}
	if !audited {
		t.Error("request not posted to the audit channel")
	}

	t.Run("SecondRequestPointsToFirst", func(t *testing.T) {
		v, _ := openModal(t, e, bottest.Deleter, id) // risky: a deleter must ask too
		r := submitDelete(t, e, bottest.Deleter, v)
		if !strings.Contains(text(r), "Already requested") || !strings.Contains(text(r), "<@"+bottest.Support+"> already asked") {
			t.Errorf("second request: %s", r.Body)
		}
		if n := crmtest.CountRows(t, e.Store, "approval_requests", ""); n != 1 {
			t.Errorf("%d requests stored, want 1", n)
		}
	})
}

// TestApprovalDecisions: every way of clicking Approve on one request.
func TestApprovalDecisions(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"ADMIN_USERGROUP_ID": "SADMINS"}})
	e.Slack.SetGroupMembers("SADMINS")
	id := lowRisk(t, e, "Ann")
	a := requestDelete(t, e, bottest.Support, id)
	approvalPost(t, e, a.ID)
	msgTS := state(t, e, a.ID).MessageTS
	refused := func(t *testing.T, user, action, value, says string) {
		t.Helper()
		clickAndWait(t, e, user, action, value)
		if got := lastResponse(t, e); !strings.Contains(got, says) {
			t.Errorf("%s clicking %s: answer %q, want %q", user, action, got, says)
		}
		if !contactExists(t, e, id) || state(t, e, a.ID).State != crm.ApprovalPending {
			t.Fatalf("%s's refused click changed something", user)
		}
	}

	t.Run("RequesterCannotApprove", func(t *testing.T) {
		refused(t, bottest.Support, bot.ActionApprove, a.ID, "You asked for this delete")
		refused(t, bottest.Support, bot.ActionReject, a.ID, "You asked for this delete")
		// Not even after becoming an admin.
		e.Slack.SetGroupMembers("SADMINS", bottest.Support)
		e.KV.Del(context.Background(), "usergroup:SADMINS")
		refused(t, bottest.Support, bot.ActionApprove, a.ID, "You asked for this delete")
		e.Slack.SetGroupMembers("SADMINS")
		e.KV.Del(context.Background(), "usergroup:SADMINS")
	})
	t.Run("NonAdminCannotApprove", func(t *testing.T) {
		refused(t, bottest.Deleter, bot.ActionApprove, a.ID, "Only admins")
		refused(t, bottest.Deleter, bot.ActionReject, a.ID, "Only admins")
		if n := len(e.Slack.Calls("views.open")); n != 1 {
			t.Errorf("a refused Reject opened a modal (%d views.open)", n)
		}
	})
	t.Run("ForgedPayloads", func(t *testing.T) {
		// A click signed for Support, with the user swapped for an admin afterwards.
		cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Support}, Team: slack.Team{ID: bottest.Team},
			ResponseURL: e.Slack.NewResponseURL(), ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionApprove, Value: a.ID}}}}
		payload, _ := json.Marshal(cb)
		body := url.Values{"payload": {string(payload)}}.Encode()
		header := bottest.Sign(bottest.Secret, body, time.Now())
		forged := strings.Replace(body, bottest.Support, bottest.Admin, 1)
		if r := e.Post("/slack/interactions", forged, header); r.Status != http.StatusUnauthorized {
			t.Errorf("tampered payload: %d %s", r.Status, r.Body)
		}
		refused(t, bottest.Admin, bot.ActionApprove, "RAAAAAAAAAA", "no such delete request")
		refused(t, bottest.Admin, bot.ActionApprove, "'; DELETE FROM contacts; --", "does not name a delete request")
		refused(t, bottest.Admin, bot.ActionApproveAnyway, a.ID+":0000000000000000", "Nothing was deleted")
		refused(t, bottest.Admin, bot.ActionApproveAnyway, a.ID, "Nothing was deleted")
	})
	// Seven refusals; the two forged confirmations were held (shown as a change), not refused.
	if n := crmtest.CountRows(t, e.Store, "audit_log", "action = $1", crm.AuditDecisionRefused); n != 7 {
		t.Errorf("%d refusals audited, want 7", n)
	}
	if n := crmtest.CountRows(t, e.Store, "audit_log", "action = $1", crm.AuditApprovalHeld); n != 2 {
		t.Errorf("%d held approvals audited, want 2", n)
	}
	if n := len(updatesOf(e, msgTS)); n != 0 {
		t.Errorf("refused clicks updated the approval message %d times", n)
	}

	t.Run("AdminApprovesOnce", func(t *testing.T) {
		clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
		if contactExists(t, e, id) {
			t.Fatal("approved contact still there")
		}
		got := state(t, e, a.ID)
		if got.State != crm.ApprovalApproved || got.DecidedBy != bottest.Admin || got.DeletionID == "" {
			t.Fatalf("request after approve: %+v", got)
		}
		if n := crmtest.CountRows(t, e.Store, "deletions", "approved_by = $1 AND request_id = $2 AND deleted_by = $3", bottest.Admin, a.ID, bottest.Support); n != 1 {
			t.Errorf("%d deletions with approver and request", n)
		}
		ups := updatesOf(e, msgTS)
		if len(ups) != 1 || ups[0].Params["channel"] != bottest.Approval {
			t.Fatalf("approval message updates: %v", ups)
		}
		for _, want := range []string{"Approved", "<@" + bottest.Admin + ">", got.DeletionID, "<!date^"} {
			if !strings.Contains(ups[0].Text(), want) {
				t.Errorf("updated message lacks %q: %s", want, ups[0].Text())
			}
		}
		if strings.Contains(ups[0].Params["blocks"], bot.ActionApprove) || strings.Contains(ups[0].Params["blocks"], bot.ActionReject) {
			t.Error("updated message still has buttons")
		}
		dms := dmsTo(e, bottest.Support)
		if last := dms[len(dms)-1]; !strings.Contains(last, "Deleted Ann Test") || !strings.Contains(last, "Approved by <@"+bottest.Admin+">") || !strings.Contains(last, got.DeletionID) {
			t.Errorf("requester's outcome DM: %s", last)
		}

		// A second admin, and the same admin again: told, nothing more.
		clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, a.ID)
		if got := lastResponse(t, e); !strings.Contains(got, "Already approved by <@"+bottest.Admin+">") {
			t.Errorf("second approve: %s", got)
		}
		clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
		if n := crmtest.CountRows(t, e.Store, "deletions", ""); n != 1 {
			t.Errorf("%d deletions after repeated approves", n)
		}
		if n := crmtest.CountRows(t, e.Store, "audit_log", "action = 'approved' AND request_id = $1", a.ID); n != 1 {
			t.Errorf("%d approvals audited", n)
		}
	})
}

// clickSigned posts a signed button click from any goroutine.
func clickSigned(e *bottest.Env, user, action, value string) (int, error) {
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team},
		TriggerID: "trigger-" + crm.NewID("", 8), ResponseURL: e.Slack.NewResponseURL(),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: action, Value: value}}}}
	payload, err := json.Marshal(cb)
	if err != nil {
		return 0, err
	}
	body := url.Values{"payload": {string(payload)}}.Encode()
	req, err := http.NewRequest(http.MethodPost, e.Server.URL+"/slack/interactions", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = bottest.Sign(bottest.Secret, body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// tenAdmins configures ten admins: two by id, eight through a user group.
func tenAdmins() (bottest.Options, []string) {
	admins := []string{bottest.Admin, bottest.Admin2}
	for i := range 8 {
		admins = append(admins, fmt.Sprintf("UGROUPADMIN%d", i))
	}
	return bottest.Options{Env: map[string]string{"ADMIN_USERGROUP_ID": "SADMINS"}}, admins
}

// TestConcurrentApproves: ten admins click Approve at once; one delete, and
// the nine others hear who approved.
func TestConcurrentApproves(t *testing.T) {
	t.Parallel()
	crmtest.RequirePostgres(t) // holds the contact's row (FOR UPDATE) and counts the sessions waiting for it: SQLite has no row locks
	opts, admins := tenAdmins()
	e := bottest.New(t, opts)
	e.Slack.SetGroupMembers("SADMINS", admins[2:]...)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Risky", LastName: "Deal"}, crmtest.SmallFull)
	a := requestDelete(t, e, bottest.Support, id)
	e.Slack.Reset()

	// Hold the contact so that all ten approves are in flight at once.
	release := crmtest.HoldContact(t, e.Store, id)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, len(admins))
	for _, admin := range admins {
		wg.Go(func() {
			<-start
			status, err := clickSigned(e, admin, bot.ActionApprove, a.ID)
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("%s: status %d", admin, status)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	crmtest.WaitLockWaiters(t, e.Store, len(admins), 10*time.Second)
	release()
	e.Bot.Wait()

	if n := crmtest.CountRows(t, e.Store, "deletions", ""); n != 1 {
		t.Fatalf("%d deletions after ten concurrent approves, want 1", n)
	}
	if n := crmtest.CountRows(t, e.Store, "archived_rows", ""); n != 23 {
		t.Errorf("archive holds %d rows, want 23", n)
	}
	got := state(t, e, a.ID)
	if got.State != crm.ApprovalApproved {
		t.Fatalf("state %s", got.State)
	}
	already := 0
	for _, r := range e.Slack.Responses() {
		if strings.Contains(r.Text(), "Already approved by <@"+got.DecidedBy+">") {
			already++
		}
	}
	if already != 9 {
		t.Errorf("%d clickers told it was already approved, want 9", already)
	}
	if n := len(updatesOf(e, got.MessageTS)); n != 1 {
		t.Errorf("%d updates of the approvals message, want 1", n)
	}
	if n := len(e.Slack.Calls("chat.update")); n != 2 {
		t.Errorf("%d message updates, want 2 (the approvals message and the requester's DM)", n)
	}
	if n := len(dmsTo(e, bottest.Support)); n != 1 {
		t.Errorf("requester got %d DMs, want 1", n)
	}
}

// TestReject: Reject asks for a reason, keeps the contact and tells the requester.
func TestReject(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := lowRisk(t, e, "Rita")
	a := requestDelete(t, e, bottest.Support, id)
	approvalPost(t, e, a.ID)
	msgTS := state(t, e, a.ID).MessageTS
	opened := len(e.Slack.Calls("views.open"))

	clickAndWait(t, e, bottest.Admin, bot.ActionReject, a.ID)
	if n := len(e.Slack.Calls("views.open")); n != opened+1 {
		t.Fatalf("Reject opened no modal")
	}
	v := e.LastView()
	if v.CallbackID != bot.CallbackRejectModal || v.PrivateMetadata != a.ID {
		t.Fatalf("reject modal = %+v", v)
	}

	// The modal submitted by someone else (a forged submission) is refused.
	r := e.Interact(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: bottest.Deleter}, Team: slack.Team{ID: bottest.Team}, View: v})
	if !strings.Contains(r.Body, "Not rejected") || !strings.Contains(r.Body, "Only admins") {
		t.Errorf("non-admin reject submit: %s", r.Body)
	}
	if state(t, e, a.ID).State != crm.ApprovalPending {
		t.Fatal("forged reject changed the request")
	}

	v.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{"reject_reason": {"reject_reason": {Value: "  Has an open deal <@U1>, ask Sales  "}}}}
	r = e.Interact(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: bottest.Admin}, Team: slack.Team{ID: bottest.Team}, View: v})
	if r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "" {
		t.Fatalf("reject submit: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	if !contactExists(t, e, id) {
		t.Fatal("rejected contact was deleted")
	}
	got := state(t, e, a.ID)
	if got.State != crm.ApprovalRejected || got.DecidedBy != bottest.Admin || got.RejectReason != "Has an open deal <@U1>, ask Sales" {
		t.Errorf("request after reject: %+v", got)
	}
	ups := updatesOf(e, msgTS)
	if len(ups) != 1 || !strings.Contains(ups[0].Text(), "Rejected") || !strings.Contains(ups[0].Text(), "&lt;@U1&gt;") || strings.Contains(ups[0].Params["blocks"], bot.ActionApprove) {
		t.Errorf("approval message after reject: %v", ups)
	}
	dms := dmsTo(e, bottest.Support)
	if last := dms[len(dms)-1]; !strings.Contains(last, "rejected") || !strings.Contains(last, "Has an open deal") || !strings.Contains(last, "Nothing was deleted") {
		t.Errorf("requester's DM: %s", last)
	}
	clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, a.ID)
	if got := lastResponse(t, e); !strings.Contains(got, "Already rejected by <@"+bottest.Admin+">") {
		t.Errorf("approve after reject: %s", got)
	}
	clickAndWait(t, e, bottest.Admin2, bot.ActionReject, a.ID)
	if got := lastResponse(t, e); !strings.Contains(got, "Already rejected") {
		t.Errorf("reject after reject: %s", got)
	}
	if !contactExists(t, e, id) || crmtest.CountRows(t, e.Store, "deletions", "") != 0 {
		t.Error("something was deleted after a reject")
	}
	if n := crmtest.CountRows(t, e.Store, "audit_log", "action = 'rejected' AND actor = $1", bottest.Admin); n != 1 {
		t.Errorf("%d rejections audited", n)
	}
}

// TestExpiry: reminders half-way, expiry at APPROVAL_TTL, and an expired
// request cannot be approved.
func TestExpiry(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"APPROVAL_TTL": "1h", "ADMIN_USERGROUP_ID": "SADMINS"}})
	e.Slack.SetGroupMembers("SADMINS")
	ctx := context.Background()
	id := lowRisk(t, e, "Eve")
	a := requestDelete(t, e, bottest.Support, id)
	approvalPost(t, e, a.ID)
	msgTS := state(t, e, a.ID).MessageTS
	threadReplies := func() []slackfake.Call {
		var out []slackfake.Call
		for _, c := range e.Slack.Calls("chat.postMessage") {
			if c.Params["thread_ts"] != "" {
				out = append(out, c)
			}
		}
		return out
	}

	if err := e.Bot.RunApprovalJobs(ctx); err != nil {
		t.Fatal(err)
	}
	e.Bot.Wait() // the outbox delivers what the jobs wrote
	if n := len(threadReplies()); n != 0 {
		t.Fatalf("reminder before half-time: %d", n)
	}
	e.Clock.Advance(31 * time.Minute)
	for range 3 {
		if err := e.Bot.RunApprovalJobs(ctx); err != nil {
			t.Fatal(err)
		}
		e.Bot.Wait() // the outbox delivers what the jobs wrote
	}
	replies := threadReplies()
	if len(replies) != 1 || replies[0].Params["thread_ts"] != msgTS || replies[0].Params["channel"] != bottest.Approval ||
		!strings.Contains(replies[0].Text(), "still waiting") || strings.Contains(replies[0].Text(), "<!subteam^SADMINS>") {
		t.Errorf("reminders: %v", replies)
	}
	// The group is called once, at the top of the channel, about every waiting request.
	if top, _ := postsIn(e, bottest.Approval); len(top) != 2 || !strings.HasPrefix(top[1], "🔔 <!subteam^SADMINS>: 1 request is waiting for a decision.") {
		t.Errorf("approvals channel: %q", top)
	}

	e.Clock.Advance(30 * time.Minute)
	// Due but not yet expired by the job: an approve is refused all the same.
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	if got := lastResponse(t, e); !strings.Contains(got, "expired") {
		t.Errorf("approve after the TTL: %s", got)
	}
	if !contactExists(t, e, id) {
		t.Fatal("expired request deleted the contact")
	}
	if err := e.Bot.RunApprovalJobs(ctx); err != nil {
		t.Fatal(err)
	}
	e.Bot.Wait() // the outbox delivers what the jobs wrote
	if got := state(t, e, a.ID); got.State != crm.ApprovalExpired {
		t.Fatalf("state after the job: %s", got.State)
	}
	ups := updatesOf(e, msgTS)
	if len(ups) != 1 || !strings.Contains(ups[0].Text(), "Expired") || strings.Contains(ups[0].Params["blocks"], bot.ActionApprove) {
		t.Errorf("approval message after expiry: %v", ups)
	}
	dms := dmsTo(e, bottest.Support)
	if last := dms[len(dms)-1]; !strings.Contains(last, "expired") || !strings.Contains(last, "Nothing was deleted") {
		t.Errorf("requester's expiry DM: %s", last)
	}
	if err := e.Bot.RunApprovalJobs(ctx); err != nil {
		t.Fatal(err)
	}
	e.Bot.Wait() // the outbox delivers what the jobs wrote
	if n := len(updatesOf(e, msgTS)); n != 1 {
		t.Errorf("expired twice: %d updates", n)
	}
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	if got := lastResponse(t, e); !strings.Contains(got, "expired") {
		t.Errorf("approve of an expired request: %s", got)
	}
	clickAndWait(t, e, bottest.Admin, bot.ActionReject, a.ID)
	if got := lastResponse(t, e); !strings.Contains(got, "expired") {
		t.Errorf("reject of an expired request: %s", got)
	}
	if !contactExists(t, e, id) || crmtest.CountRows(t, e.Store, "deletions", "") != 0 {
		t.Error("an expired request deleted something")
	}
	if n := crmtest.CountRows(t, e.Store, "audit_log", "action = 'expired' AND request_id = $1", a.ID); n != 1 {
		t.Errorf("%d expiries audited", n)
	}
}

// TestDeleterRule: deleters delete low-risk contacts directly, ask for risky
// ones, and ask once past DELETE_RATE_LIMIT.
func TestDeleterRule(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"DELETE_RATE_LIMIT": "2"}})

	t.Run("RiskyContactNeedsApproval", func(t *testing.T) {
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Risky"}, crmtest.SmallFull)
		v, open := openModal(t, e, bottest.Deleter, id)
		for _, want := range []string{"it has open opportunities", "it has upcoming appointments", "it has DND set"} {
			if !strings.Contains(open.Text(), want) {
				t.Errorf("modal lacks %q", want)
			}
		}
		if v.Submit.Text != "Request approval" {
			t.Errorf("submit says %q", v.Submit.Text)
		}
		submitDelete(t, e, bottest.Deleter, v)
		if !contactExists(t, e, id) || crmtest.CountRows(t, e.Store, "approval_requests", "contact_id = $1", id) != 1 {
			t.Error("risky contact not turned into a request")
		}
	})
	t.Run("AdminDeletesRiskyDirectly", func(t *testing.T) {
		id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Risky2"}, crmtest.SmallFull)
		v, open := openModal(t, e, bottest.Admin, id)
		if v.Submit.Text != "Delete" || !strings.Contains(open.Text(), "You are an admin") {
			t.Errorf("admin modal: %q", v.Submit.Text)
		}
		submitDelete(t, e, bottest.Admin, v)
		if contactExists(t, e, id) {
			t.Error("admin's delete did not happen")
		}
	})

	var third slack.View
	var ids []string
	t.Run("LowRiskDirectUntilTheLimit", func(t *testing.T) {
		var views []slack.View
		for _, name := range []string{"One", "Two", "Three"} {
			id := lowRisk(t, e, name)
			ids = append(ids, id)
			v, open := openModal(t, e, bottest.Deleter, id)
			if v.Submit.Text != "Delete" || !strings.Contains(open.Text(), "low-risk") {
				t.Fatalf("deleter's modal for a low-risk contact: %q", v.Submit.Text)
			}
			views = append(views, v)
		}
		submitDelete(t, e, bottest.Deleter, views[0])
		submitDelete(t, e, bottest.Deleter, views[1])
		if contactExists(t, e, ids[0]) || contactExists(t, e, ids[1]) {
			t.Fatal("direct deletes within the limit did not happen")
		}
		// The third window still says Delete, but the limit is reached now.
		r := submitDelete(t, e, bottest.Deleter, views[2])
		if !strings.Contains(r.Body, "has changed since you opened it") || !strings.Contains(r.Body, "the limit is 2") || !strings.Contains(r.Body, "Request approval") {
			t.Errorf("third submit: %s", r.Body)
		}
		if !contactExists(t, e, ids[2]) {
			t.Fatal("delete past the rate limit happened")
		}
		var sub struct {
			View slack.View `json:"view"`
		}
		if err := json.Unmarshal([]byte(r.Body), &sub); err != nil {
			t.Fatal(err)
		}
		third = sub.View
	})
	t.Run("PastTheLimitNeedsApproval", func(t *testing.T) {
		id := lowRisk(t, e, "Four")
		v, open := openModal(t, e, bottest.Deleter, id)
		if v.Submit.Text != "Request approval" || !strings.Contains(open.Text(), "the limit is 2") {
			t.Errorf("modal past the limit: %q", v.Submit.Text)
		}
		if third.PrivateMetadata == "" {
			t.Skip("needs the previous subtest")
		}
		r := submitDelete(t, e, bottest.Deleter, third)
		if !strings.Contains(r.Body, "Request sent") {
			t.Errorf("re-submitted window: %s", r.Body)
		}
		if !contactExists(t, e, ids[2]) || crmtest.CountRows(t, e.Store, "approval_requests", "contact_id = $1", ids[2]) != 1 {
			t.Error("third contact not turned into a request")
		}
	})
	t.Run("AdminsHaveNoLimit", func(t *testing.T) {
		for _, name := range []string{"A1", "A2", "A3"} {
			id := lowRisk(t, e, name)
			v, _ := openModal(t, e, bottest.Admin, id)
			submitDelete(t, e, bottest.Admin, v)
			if contactExists(t, e, id) {
				t.Fatalf("admin delete %s did not happen", name)
			}
		}
	})
}

// TestUserGroupRoles: admins and deleters from usergroups.users.list, cached,
// and Slack failing never grants more than the id lists.
func TestUserGroupRoles(t *testing.T) {
	t.Parallel()
	const groupAdmin, groupDeleter = "UGROUPADMIN", "UGROUPDELETER"
	opts := bottest.Options{Env: map[string]string{"ADMIN_USERGROUP_ID": "SADMINS", "DELETER_USERGROUP_ID": "SDELETERS"}}
	lookups := func(e *bottest.Env) int { return len(e.Slack.Calls("usergroups.users.list")) }

	t.Run("MembersGetTheirRole", func(t *testing.T) {
		e := bottest.New(t, opts)
		e.Slack.SetGroupMembers("SADMINS", groupAdmin)
		e.Slack.SetGroupMembers("SDELETERS", groupDeleter)
		low, risky := lowRisk(t, e, "Low"), crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Risky"}, crmtest.SmallFull)
		if v, open := openModal(t, e, groupAdmin, risky); v.Submit.Text != "Delete" || !strings.Contains(open.Text(), "You are an admin") {
			t.Errorf("group admin's modal: %q", v.Submit.Text)
		}
		if v, _ := openModal(t, e, groupDeleter, low); v.Submit.Text != "Delete" {
			t.Errorf("group deleter's modal, low-risk: %q", v.Submit.Text)
		}
		if v, _ := openModal(t, e, groupDeleter, risky); v.Submit.Text != "Request approval" {
			t.Errorf("group deleter's modal, risky: %q", v.Submit.Text)
		}
		if v, _ := openModal(t, e, bottest.Support, low); v.Submit.Text != "Request approval" {
			t.Errorf("support's modal: %q", v.Submit.Text)
		}
		calls := e.Slack.Calls("usergroups.users.list")
		asked := map[string]int{}
		for _, c := range calls {
			asked[c.Params["usergroup"]]++
		}
		if asked["SADMINS"] != 1 || asked["SDELETERS"] != 1 {
			t.Errorf("groups asked %v, want each once (then cached)", asked)
		}
		// A group admin decides on requests.
		a := requestDelete(t, e, bottest.Support, low)
		clickAndWait(t, e, groupAdmin, bot.ActionApprove, a.ID)
		if contactExists(t, e, low) || state(t, e, a.ID).DecidedBy != groupAdmin {
			t.Error("group admin's approve did not delete")
		}
		// Removed from the group: the right goes when the cache does.
		e.Slack.SetGroupMembers("SADMINS")
		e.KV.Del(context.Background(), "usergroup:SADMINS")
		if v, _ := openModal(t, e, groupAdmin, risky); v.Submit.Text != "Request approval" {
			t.Errorf("removed admin's modal: %q", v.Submit.Text)
		}
	})
	t.Run("SlackFailingGrantsNothingMore", func(t *testing.T) {
		e := bottest.New(t, opts)
		e.Slack.SetGroupMembers("SADMINS", groupAdmin)
		e.Slack.SetGroupMembers("SDELETERS", groupDeleter)
		e.Slack.Fail("usergroups.users.list", "ratelimited")
		low := lowRisk(t, e, "Low")
		if v, _ := openModal(t, e, groupAdmin, low); v.Submit.Text != "Request approval" {
			t.Errorf("group admin while Slack fails: %q", v.Submit.Text)
		}
		if v, _ := openModal(t, e, groupDeleter, low); v.Submit.Text != "Request approval" {
			t.Errorf("group deleter while Slack fails: %q", v.Submit.Text)
		}
		if v, _ := openModal(t, e, bottest.Admin, low); v.Submit.Text != "Delete" {
			t.Errorf("listed admin while Slack fails: %q", v.Submit.Text)
		}
		if v, _ := openModal(t, e, bottest.Deleter, low); v.Submit.Text != "Delete" {
			t.Errorf("listed deleter while Slack fails: %q", v.Submit.Text)
		}
		a := requestDelete(t, e, bottest.Support, low)
		clickAndWait(t, e, groupAdmin, bot.ActionApprove, a.ID)
		if got := lastResponse(t, e); !strings.Contains(got, "Only admins") {
			t.Errorf("group admin's approve while Slack fails: %s", got)
		}
		if !contactExists(t, e, low) {
			t.Fatal("approve while Slack fails deleted")
		}
		// The failure is not cached: once Slack answers, the right is back.
		before := lookups(e)
		e.Slack.Unfail("usergroups.users.list")
		clickAndWait(t, e, groupAdmin, bot.ActionApprove, a.ID)
		if contactExists(t, e, low) {
			t.Error("group admin's approve after Slack recovered did not delete")
		}
		if lookups(e) == before {
			t.Error("Slack was not asked again after failing")
		}
	})
}

// TestApproveChangedContact: the approver sees what changed and nothing is
// deleted until they confirm; a contact that is gone fails the request.
func TestApproveChangedContact(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := lowRisk(t, e, "Chang")
	a := requestDelete(t, e, bottest.Support, id)
	approvalPost(t, e, a.ID)
	msgTS := state(t, e, a.ID).MessageTS
	e.Store.DB().MustExec(`INSERT INTO notes (id, contact_id, body) VALUES ('late_note', $1, 'new')`, id)
	e.Store.DB().MustExec(`INSERT INTO opportunities (id, contact_id, name, status, monetary_value, created_at) VALUES ('late_opp', $1, 'Big deal', 'open', 5000, $2)`, id, time.Now())

	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	rs := e.Slack.Responses()
	shown := rs[len(rs)-1]
	for _, want := range []string{"Nothing was deleted", "notes 0 → 1", "open opportunities 0 → 1", "Big deal", "Approve as it is now"} {
		if !strings.Contains(shown.Text(), want) {
			t.Errorf("difference shown lacks %q:\n%s", want, shown.Text())
		}
	}
	if !contactExists(t, e, id) || state(t, e, a.ID).State != crm.ApprovalPending || len(updatesOf(e, msgTS)) != 0 {
		t.Fatal("a changed contact was acted on before confirmation")
	}
	if n := crmtest.CountRows(t, e.Store, "audit_log", "action = $1", crm.AuditApprovalHeld); n != 1 {
		t.Errorf("%d held approvals audited", n)
	}
	var value string
	for _, b := range shown.Blocks() {
		for _, el := range asList(b["elements"]) {
			if m, ok := el.(map[string]any); ok && m["action_id"] == bot.ActionApproveAnyway {
				value, _ = m["value"].(string)
			}
		}
	}
	if !strings.HasPrefix(value, a.ID+":") {
		t.Fatalf("no Approve as it is now button: %s", shown.Body)
	}
	// The contact changes once more: the confirmation no longer holds.
	e.Store.DB().MustExec(`INSERT INTO tasks (id, contact_id, title, completed) VALUES ('late_task', $1, 'Call back', false)`, id)
	clickAndWait(t, e, bottest.Admin, bot.ActionApproveAnyway, value)
	if got := lastResponse(t, e); !strings.Contains(got, "tasks 0 → 1") || !contactExists(t, e, id) {
		t.Fatalf("stale confirmation: %s", got)
	}
	rs = e.Slack.Responses()
	value = ""
	for _, b := range rs[len(rs)-1].Blocks() {
		for _, el := range asList(b["elements"]) {
			if m, ok := el.(map[string]any); ok && m["action_id"] == bot.ActionApproveAnyway {
				value, _ = m["value"].(string)
			}
		}
	}
	// The requester cannot confirm on the admin's behalf.
	clickAndWait(t, e, bottest.Support, bot.ActionApproveAnyway, value)
	if got := lastResponse(t, e); !strings.Contains(got, "You asked for this delete") || !contactExists(t, e, id) {
		t.Fatalf("requester's confirm: %s", got)
	}
	clickAndWait(t, e, bottest.Admin, bot.ActionApproveAnyway, value)
	if contactExists(t, e, id) {
		t.Fatal("confirmed approve did not delete")
	}
	if last := lastResponse(t, e); !strings.Contains(last, "Approved") {
		t.Errorf("confirmation answer: %s", last)
	}
	if d, _ := e.Store.Deletion(context.Background(), state(t, e, a.ID).DeletionID); d.Counts.Notes != 1 || d.Counts.Tasks != 1 || d.Counts.Opportunities != 1 {
		t.Errorf("deleted counts %+v, want what the admin confirmed", d.Counts)
	}
	if ups := updatesOf(e, msgTS); len(ups) != 1 || !strings.Contains(ups[0].Text(), "Approved") {
		t.Errorf("approval message: %v", ups)
	}

	t.Run("GoneContactFails", func(t *testing.T) {
		id := lowRisk(t, e, "Gone")
		a := requestDelete(t, e, bottest.Support, id)
		approvalPost(t, e, a.ID)
		msgTS := state(t, e, a.ID).MessageTS
		v, _ := openModal(t, e, bottest.Admin2, id)
		submitDelete(t, e, bottest.Admin2, v)
		if contactExists(t, e, id) {
			t.Fatal("setup: direct delete failed")
		}
		clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
		got := state(t, e, a.ID)
		if got.State != crm.ApprovalFailed || !strings.Contains(got.FailReason, "no longer exists") {
			t.Errorf("request after approve of a gone contact: %+v", got)
		}
		if ups := updatesOf(e, msgTS); len(ups) != 1 || !strings.Contains(ups[0].Text(), "Not deleted") {
			t.Errorf("approval message: %v", ups)
		}
		dms := dmsTo(e, bottest.Support)
		if last := dms[len(dms)-1]; !strings.Contains(last, "no longer exists") {
			t.Errorf("requester's DM: %s", last)
		}
		if n := crmtest.CountRows(t, e.Store, "deletions", "contact_id = $1", id); n != 1 {
			t.Errorf("%d deletions of the gone contact", n)
		}
	})
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// TestDeletionsCommand: admins see what waits, with buttons; everyone sees
// their own requests.
func TestDeletionsCommand(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	first, second := lowRisk(t, e, "First"), lowRisk(t, e, "Second")
	risky := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Risky"}, crmtest.SmallFull)
	a1 := requestDelete(t, e, bottest.Support, first)
	a2 := requestDelete(t, e, bottest.Support, second)
	a3 := requestDelete(t, e, bottest.Deleter, risky)

	r := e.Command(bottest.Admin, "deletions")
	for _, want := range []string{"3 requests waiting", "First Test", "Second Test", "Risky", a1.ID, a2.ID, a3.ID, "<@" + bottest.Support + ">", "<@" + bottest.Deleter + ">", bot.ActionApprove, bot.ActionReject} {
		if !strings.Contains(text(r), want) {
			t.Errorf("admin's list lacks %q: %s", want, r.Body)
		}
	}
	r = e.Command(bottest.Support, "deletions")
	if !strings.Contains(text(r), "Your requests") || !strings.Contains(text(r), a1.ID) || !strings.Contains(text(r), a2.ID) || strings.Contains(text(r), a3.ID) || strings.Contains(text(r), bot.ActionApprove) {
		t.Errorf("support's list: %s", r.Body)
	}
	if r2 := e.Command(bottest.Support, "deletions mine"); r2.Body != r.Body {
		t.Errorf("deletions mine differs for a non-admin: %s", r2.Body)
	}
	if r := e.Command(bottest.Admin, "deletions mine"); !strings.Contains(text(r), "You have not asked for any deletes") {
		t.Errorf("admin's own list: %s", r.Body)
	}
	if r := e.Command(bottest.Admin, "deletions everything"); !strings.Contains(text(r), "deletions mine") {
		t.Errorf("unknown argument: %s", r.Body)
	}

	// Approving from the ephemeral list replaces it with the outcome.
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bottest.Admin}, Team: slack.Team{ID: bottest.Team},
		ResponseURL: e.Slack.NewResponseURL(), Container: slack.Container{Type: "message", IsEphemeral: true},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: bot.ActionApprove, Value: a1.ID}}}}
	e.Interact(cb)
	e.Bot.Wait()
	rs := e.Slack.Responses()
	if last := rs[len(rs)-1]; !strings.Contains(last.Text(), "Approved") || !strings.Contains(string(last.Body), `"replace_original":true`) {
		t.Errorf("answer in the list: %s", last.Body)
	}
	if contactExists(t, e, first) {
		t.Error("approve from the list did not delete")
	}
	r = e.Command(bottest.Support, "deletions")
	if !strings.Contains(text(r), "Approved") || !strings.Contains(text(r), "Waiting for an admin") {
		t.Errorf("support's list after a decision: %s", r.Body)
	}
	if r := e.Command(bottest.Admin, "deletions"); !strings.Contains(text(r), "2 requests waiting") || strings.Contains(text(r), a1.ID) {
		t.Errorf("admin's list after a decision: %s", r.Body)
	}
}
