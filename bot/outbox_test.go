package bot_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// pendingNotes is how many outbox notes are not delivered yet.
func pendingNotes(t *testing.T, e *bottest.Env) int {
	t.Helper()
	st, err := e.Store.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Pending
}

// get fetches path from the bot's HTTP server.
func get(t *testing.T, e *bottest.Env, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(e.Server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// texts are the texts of calls, in order.
func texts(calls []slackfake.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Text())
	}
	return out
}

// inOrder checks that each want is in its own text of got, in this order.
func inOrder(t *testing.T, what string, got []string, wants ...string) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("%s: %d messages, want %d: %q", what, len(got), len(wants), got)
		return
	}
	for i, w := range wants {
		if !strings.Contains(got[i], w) {
			t.Errorf("%s: message %d lacks %q: %q", what, i+1, w, got[i])
		}
	}
}

// TestOutboxThroughSlackOutage: while Slack answers 500 and then 429 with
// Retry-After, people keep working (a request, its approval, a delete), the
// bot stays ready and /metrics shows the queue; once Slack recovers every
// message is delivered exactly once, in order per conversation, and the
// approval's update waits for its first post and uses its ts.
func TestOutboxThroughSlackOutage(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit}})
	e.Slack.FailHTTP("chat.postMessage", http.StatusInternalServerError)
	e.Slack.FailHTTP("chat.update", http.StatusInternalServerError)

	a := requestDelete(t, e, bottest.Support, lowRisk(t, e, "Ann"))
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
	if got := lastResponse(t, e); !strings.Contains(got, "Approved") {
		t.Errorf("the approver's answer while Slack fails: %s", got)
	}
	deleteByModal(t, e, bottest.Deleter, lowRisk(t, e, "Bob"))
	if n := len(e.Slack.Calls("chat.postMessage")); n == 0 {
		t.Fatal("no delivery was attempted while Slack failed")
	}
	if got := state(t, e, a.ID); got.State != crm.ApprovalApproved || got.MessageTS != "" {
		t.Fatalf("request %+v: want approved, its message not posted yet", got)
	}
	queued := pendingNotes(t, e)
	if queued < 7 {
		t.Fatalf("%d notes waiting, want every message of the three actions", queued)
	}

	// Rate-limited now: Retry-After is honoured, nothing is lost.
	e.Slack.FailHTTP("chat.postMessage", http.StatusTooManyRequests)
	e.Slack.FailHTTP("chat.update", http.StatusTooManyRequests)
	e.Clock.Advance(time.Minute)
	e.Bot.Wait()
	if code, _ := get(t, e, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz while Slack fails: %d, want 200 (the bot still takes requests)", code)
	}
	_, metrics := get(t, e, "/metrics")
	for _, want := range []string{fmt.Sprintf("contactbot_outbox_depth %d", queued), "contactbot_outbox_oldest_age_seconds", "contactbot_outbox_retrying"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if n := pendingNotes(t, e); n != queued {
		t.Fatalf("%d notes waiting after 429s, want %d", n, queued)
	}

	e.Slack.Unfail("chat.postMessage")
	e.Slack.Unfail("chat.update")
	e.Slack.Reset() // from here on, every call is answered ok
	e.Clock.Advance(time.Minute)
	e.Bot.Wait()
	if n := pendingNotes(t, e); n != 0 {
		t.Fatalf("%d notes still waiting after Slack recovered", n)
	}

	request := posts(e, bottest.Approval)
	inOrder(t, "approvals channel", texts(request), "Delete request: Ann Test")
	posted := state(t, e, a.ID)
	if posted.MessageTS == "" || posted.Channel != bottest.Approval {
		t.Errorf("request %s does not record where it was posted: %+v", a.ID, posted)
	}
	all := e.Slack.Calls("")
	var order []string
	for _, c := range all {
		if c.Params["channel"] == bottest.Approval {
			order = append(order, c.Method)
		}
	}
	ups := updatesOf(e, posted.MessageTS)
	if len(ups) != 1 || ups[0].Params["channel"] != bottest.Approval || !strings.Contains(ups[0].Text(), "Approved") ||
		strings.Join(order, " ") != "chat.postMessage chat.update" {
		t.Errorf("the decision must update the request's post (ts %s) after it exists: calls %v, updates %v", posted.MessageTS, order, ups)
	}
	inOrder(t, "requester's DMs", dmsTo(e, bottest.Support), "is waiting for an admin", "Deleted Ann Test")
	inOrder(t, "deleter's DMs", dmsTo(e, bottest.Deleter), "Deleted Bob Test")

	var actions []string
	if err := e.Store.DB().Select(&actions, `SELECT action FROM audit_log ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	// Each audit line reads as a sentence: the action's words, not its code.
	words := map[string]string{
		crm.AuditFind: "> found contact", crm.AuditDeleteRequested: "> asked to delete contact", crm.AuditApproved: "> approved the delete of contact",
		crm.AuditDeleted: "> deleted contact", crm.AuditRejected: "> rejected the delete of contact", crm.AuditReported: "> reported a wrong deletion of contact",
		crm.AuditRestored: "> restored contact", crm.AuditDecisionRefused: "> was refused a decision on",
	}
	var lines []string
	for _, a := range actions {
		w, ok := words[a]
		if !ok {
			t.Fatalf("no words for audit action %q in this test", a)
		}
		lines = append(lines, w)
	}
	inOrder(t, "audit channel", texts(posts(e, bottest.Audit)), lines...)
	if _, metrics := get(t, e, "/metrics"); !strings.Contains(metrics, "contactbot_outbox_depth 0") {
		t.Error("/metrics: the queue is not empty after delivery")
	}
}

// TestOutboxSurvivesRestart: messages written while Slack was down by a
// process that then stops are delivered by the next process, once each.
func TestOutboxSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	e.Slack.FailHTTP("chat.postMessage", http.StatusServiceUnavailable)
	a := requestDelete(t, e, bottest.Support, lowRisk(t, e, "Cy"))
	e.StopOutbox() // the process dies with its messages undelivered
	if n := pendingNotes(t, e); n != 2 {
		t.Fatalf("%d notes left behind, want the request's post and DM", n)
	}
	e.Slack.Unfail("chat.postMessage")
	e.Slack.Reset()
	e.Clock.Advance(time.Minute)
	next := e.Replica() // the restarted process
	next.Bot.Wait()
	inOrder(t, "approvals channel", texts(posts(e, bottest.Approval)), "Delete request: Cy Test")
	inOrder(t, "requester's DMs", dmsTo(e, bottest.Support), "is waiting for an admin")
	if got := state(t, e, a.ID); got.MessageTS == "" {
		t.Error("the restarted process did not record where the request was posted")
	}
	e.Bot.Wait()
	if n := len(e.Slack.Calls("chat.postMessage")); n != 2 {
		t.Errorf("%d posts after the restart, want 2 (each message once)", n)
	}
}

// TestOutboxTwoReplicasShareTheQueue: two processes deliver one backlog at
// the same time; each message goes out once and every conversation keeps
// its order.
func TestOutboxTwoReplicasShareTheQueue(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit}})
	other := e.Replica()
	ctx := context.Background()
	e.Slack.FailHTTP("chat.postMessage", http.StatusInternalServerError)
	const n = 40
	for i := range n {
		if _, err := e.Store.Audit(ctx, crm.AuditEntry{Actor: bottest.Admin, Action: crm.AuditFind, Outcome: fmt.Sprintf("line %02d", i)}); err != nil {
			t.Fatal(err)
		}
		dm := outbox.Note{Channel: bottest.Deleter, Payload: fmt.Appendf(nil, `{"text":"dm %02d"}`, i)}
		if err := e.Store.Enqueue(ctx, dm); err != nil {
			t.Fatal(err)
		}
	}
	e.Slack.Unfail("chat.postMessage")
	e.Slack.Reset()
	e.Clock.Advance(time.Minute)
	// Both workers poll and are woken; let them race for the backlog.
	deadline := time.Now().Add(30 * time.Second)
	for pendingNotes(t, e) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	e.Bot.Wait()
	other.Bot.Wait()
	var audit, dms []string
	for i := range n {
		audit = append(audit, fmt.Sprintf("line %02d", i))
		dms = append(dms, fmt.Sprintf("dm %02d", i))
	}
	inOrder(t, "audit channel", texts(posts(e, bottest.Audit)), audit...)
	inOrder(t, "DMs", texts(posts(e, bottest.Deleter)), dms...)
}

// TestOutboxGivesUpOnAChannelNobodyCanPostTo: a refusal a person must fix
// (the bot not in the channel) is retried slowly; after a day the
// conversation's messages are given up, the admins are told and the other
// conversations were never held back. A message Slack can never take is
// given up at once.
func TestOutboxGivesUpOnAChannelNobodyCanPostTo(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	ctx := context.Background()
	e.Slack.FailChannel(bottest.Incident, "not_in_channel")
	for _, ch := range []string{bottest.Incident, bottest.Incident, bottest.Deleter} {
		if err := e.Store.Enqueue(ctx, outbox.Note{Channel: ch, Payload: []byte(`{"text":"hello"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	e.Bot.Wait()
	if got := texts(posts(e, bottest.Deleter)); len(got) != 1 {
		t.Fatalf("the DM was held back by another conversation: %q", got)
	}
	for range 6 { // a day and more of slow retries
		e.Clock.Advance(5 * time.Hour)
		e.Bot.Wait()
	}
	if n := len(posts(e, bottest.Incident)); n < 5 || n > 8 {
		t.Errorf("%d attempts on the refused channel in 30 hours, want one per wake-up", n)
	}
	e.Slack.UnfailChannel(bottest.Incident)
	e.Clock.Advance(time.Minute)
	e.Bot.Wait()
	if n := pendingNotes(t, e); n != 0 {
		t.Errorf("%d notes still waiting: a refused conversation must be given up after a day", n)
	}
	if n := crmtest.CountRows(t, e.Store, "outbox", "gave_up_at IS NOT NULL AND stream = $1", bottest.Incident); n != 2 {
		t.Errorf("%d incident-channel notes given up, want both", n)
	}
	for _, admin := range []string{bottest.Admin, bottest.Admin2} {
		inOrder(t, "admin "+admin, dmsTo(e, admin), "could not post to <#"+bottest.Incident+"> for 24 hours (Slack answered `not_in_channel`), so it gave up on 2 messages")
	}
	e.Slack.Fail("chat.update", "message_not_found")
	e.Slack.Reset()

	// An update of a message someone deleted is dropped at once.
	if err := e.Store.Enqueue(ctx, outbox.Note{Channel: bottest.Approval, Payload: []byte(`{"text":"first"}`), Ref: outbox.Ref{Kind: "test", ID: "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Enqueue(ctx,
		outbox.Note{Channel: bottest.Approval, Payload: []byte(`{"text":"update"}`), Replaces: outbox.Ref{Kind: "test", ID: "1"}},
		outbox.Note{Channel: bottest.Approval, Payload: []byte(`{"text":"after"}`)}); err != nil {
		t.Fatal(err)
	}
	e.Bot.Wait()
	inOrder(t, "approvals channel", texts(posts(e, bottest.Approval)), "first", "after")
	if n := len(e.Slack.Calls("chat.update")); n != 1 {
		t.Errorf("%d update attempts of a deleted message, want 1", n)
	}
}
