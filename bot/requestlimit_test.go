package bot_test

import (
	"context"
	"testing"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestRequestLimit: one person may have REQUEST_LIMIT (default 10) requests
// waiting; the next is refused with a sentence and nothing is recorded,
// posted or queued. Withdrawing one makes room for another.
func TestRequestLimit(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	ctx := context.Background()
	var requests []crm.Approval
	for _, name := range []string{"Ann", "Ben", "Cal", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jon"} {
		requests = append(requests, requestDelete(t, e, bottest.Support, lowRisk(t, e, name)))
	}
	posts := len(e.Slack.Calls("chat.postMessage"))
	outbox := crmtest.CountRows(t, e.Store, "outbox", "")

	kim := lowRisk(t, e, "Kim")
	v, _ := openModal(t, e, bottest.Support, kim)
	r := submitted(t, submitDelete(t, e, bottest.Support, v))
	want := "You have 10 requests waiting for an admin. Withdraw one (`/contact deletions`) or wait for a decision; nothing was sent."
	if r.View == nil || r.View.Title.Text != "Not sent" || len(r.View.Blocks.BlockSet) != 1 || viewLines(r.View.Blocks.BlockSet)[0] != "section: "+want {
		t.Fatalf("11th request answered %+v, want %q", r.View, want)
	}
	if n := crmtest.CountRows(t, e.Store, "approval_requests", "contact_id = $1", kim); n != 0 {
		t.Errorf("11th request stored %d rows", n)
	}
	if n := crmtest.CountRows(t, e.Store, "outbox", ""); n != outbox {
		t.Errorf("11th request queued %d outbox rows", n-outbox)
	}
	if n := len(e.Slack.Calls("chat.postMessage")); n != posts {
		t.Errorf("11th request posted %d messages", n-posts)
	}
	if n := crmtest.CountRows(t, e.Store, "audit_log", "contact_id = $1 AND action = $2", kim, crm.AuditDeleteRequested); n != 0 {
		t.Errorf("11th request audited as requested %d times", n)
	}

	// Someone else is not held back by Support's requests.
	requestDelete(t, e, bottest.Deleter, crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Risky"}, crmtest.SmallFull))

	clickAndWait(t, e, bottest.Support, bot.ActionWithdraw, requests[0].ID)
	if got, _ := e.Store.Approval(ctx, requests[0].ID); got.State != crm.ApprovalWithdrawn {
		t.Fatalf("withdrawn request is %s", got.State)
	}
	requestDelete(t, e, bottest.Support, kim)
}
