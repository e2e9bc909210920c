package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// postsIn are the top-level messages posted to channel, and replies in threads.
func postsIn(e *bottest.Env, channel string) (top, replies []string) {
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] != channel {
			continue
		}
		if c.Params["thread_ts"] != "" {
			replies = append(replies, c.Params["text"])
		} else {
			top = append(top, c.Params["text"])
		}
	}
	return top, replies
}

// TestEscalation: a request still open at 75 % of APPROVAL_TTL is escalated
// once in its thread to the admin user group, and the requester is told;
// the check runs every few seconds, so a short TTL behaves like a long one.
func TestEscalation(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"APPROVAL_TTL": "4m", "ADMIN_USERGROUP_ID": "S0ADMINS"}})
	e.Slack.SetGroupMembers("S0ADMINS", bottest.Admin, bottest.Admin2)
	ctx := context.Background()
	jane := lowRisk(t, e, "Jane")
	a := requestDelete(t, e, bottest.Support, jane)
	run := func() {
		t.Helper()
		if err := e.Bot.RunApprovalJobs(ctx); err != nil {
			t.Fatal(err)
		}
		e.Bot.Wait()
	}
	e.Clock.Advance(2*time.Minute + time.Second)
	run() // the half-way reminder
	e.Clock.Advance(58 * time.Second)
	run()
	_, replies := postsIn(e, bottest.Approval)
	if len(replies) != 1 {
		t.Fatalf("before 75%%: replies %q, want only the reminder", replies)
	}
	e.Clock.Advance(time.Second)
	run()
	run()
	_, replies = postsIn(e, bottest.Approval)
	want := fmt.Sprintf("🔺 Admins: <@USUPPORT>'s request to delete *Jane Test* (`%s`) has waited 3 minutes without a decision and expires %s. Approve or reject it above.",
		jane, date(a.ExpiresAt))
	if len(replies) != 2 || replies[1] != want {
		t.Fatalf("escalation replies %q, want the reminder and\n%s", replies, want)
	}
	dms := dmTextsTo(e, bottest.Support)
	told := fmt.Sprintf("🔺 No admin has decided on your request to delete *Jane Test* (`%s`, request `%s`) in 3 minutes, so it was escalated to the admins. It expires %s; you will hear the outcome here.",
		jane, a.ID, date(a.ExpiresAt))
	if len(dms) == 0 || dms[len(dms)-1] != told {
		t.Errorf("requester told %q, want %q", dms, told)
	}
	// The group was called once, at the top of the channel, for the
	// reminder and the escalation two minutes apart.
	calls := 0
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if strings.Contains(c.Params["text"], "<!subteam^S0ADMINS>") {
			calls++
		}
	}
	if calls != 1 {
		t.Errorf("the admin group was called %d times, want once", calls)
	}
	if esc, _ := e.Store.Escalated(ctx, a.ID); !esc {
		t.Error("not recorded as escalated")
	}
	// Expiry as before, a minute later.
	e.Clock.Advance(time.Minute + time.Second)
	run()
	if got := state(t, e, a.ID); got.State != crm.ApprovalExpired {
		t.Errorf("state %s at expiry", got.State)
	}

	t.Run("EachAdminWithoutGroup", func(t *testing.T) {
		e := bottest.New(t, bottest.Options{Env: map[string]string{"APPROVAL_TTL": "4h"}})
		// An admin's own request (made by the store: admins delete directly).
		bob := lowRisk(t, e, "Bob")
		_, l, err := e.Store.Linked(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := e.Store.RequestApproval(ctx, crm.NewApproval{ContactID: bob, Requester: bottest.Admin, Reason: "duplicate", Fingerprint: l.Fingerprint, TTL: 4 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(3 * time.Hour)
		if err := e.Bot.RunApprovalJobs(ctx); err != nil {
			t.Fatal(err)
		}
		e.Bot.Wait()
		// Never posted (made by the store alone): the call goes to the top
		// level of the approvals channel, and says which request.
		top, _ := postsIn(e, bottest.Approval)
		want := fmt.Sprintf("🔺 Admins: <@UADMIN1>'s request to delete *Bob Test* (`%s`) has waited 3 hours without a decision and expires %s. Approve or reject it above. (request `%s`; see `/contact deletions`)",
			bob, date(a.ExpiresAt), a.ID)
		call := fmt.Sprintf("🔔 <@UADMIN2>: 1 request is waiting for a decision. Approve or reject each in its thread in this channel, or see `/contact deletions`.\n"+
			"• <@UADMIN1>'s request to delete *Bob Test* (`%s`) (request `%s`), waiting since %s, expires %s", bob, a.ID, date(a.CreatedAt), date(a.ExpiresAt))
		if len(top) != 3 || top[1] != want || top[2] != call {
			t.Errorf("posts %q, want the reminder, then %q, then the one call %q (the requester, an admin, is not called on their own request)", top, want, call)
		}
	})
}

// TestReviews: an admin's direct delete and any restore are posted to the
// approvals channel for another admin to acknowledge (never the same one,
// never a non-admin), once; the audit trail records who; a review nobody
// acknowledged for a day is reminded once.
func TestReviews(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	ctx := context.Background()
	tina := lowRisk(t, e, "Tina")
	v, _ := openModal(t, e, bottest.Admin, tina)
	submitDelete(t, e, bottest.Admin, v)
	reviews, _, err := e.Store.OpenReviews(ctx, 5)
	if err != nil || len(reviews) != 1 {
		t.Fatalf("reviews %+v, %v", reviews, err)
	}
	r := reviews[0]
	var post string
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == bottest.Approval && strings.Contains(c.Params["text"], r.ID) {
			post = c.Params["blocks"]
			if c.Params["text"] != "Needs review: delete of Tina Test (review "+r.ID+")" {
				t.Errorf("review post text %q", c.Params["text"])
			}
		}
	}
	if post == "" {
		t.Fatalf("the review was not posted to the approvals channel")
	}
	want := []string{
		"header: Needs review: delete of Tina Test",
		fmt.Sprintf("section: <@UADMIN1> deleted *Tina Test* (`%s`) without a second person %s · *Reason:* Duplicate created by mistake · deletion `%s`", tina, date(r.CreatedAt), r.DeletionID),
		fmt.Sprintf("buttons: Acknowledge [review.ack=%s]", r.ID),
		fmt.Sprintf("context: An admin did this alone. Another admin looks at it and acknowledges it; <@UADMIN1> cannot. Review `%s`.", r.ID),
	}
	sameLines(t, "review post", viewLines(decodeBlocks(t, post)), want)

	for _, c := range []struct{ user, want string }{
		{bottest.Admin, "You did this yourself, so another admin must acknowledge it. Nothing was changed."},
		{bottest.Deleter, "Only admins can acknowledge a review, and you are not one. Nothing was changed."},
	} {
		clickAndWait(t, e, c.user, bot.ActionAcknowledge, r.ID)
		if got := lastResponse(t, e); got != c.want+"\n"+c.want {
			t.Errorf("%s: %q", c.user, got)
		}
	}
	if got, _ := e.Store.Review(ctx, r.ID); !got.Open() {
		t.Fatal("a refused acknowledgement acknowledged")
	}
	clickAndWait(t, e, bottest.Admin2, bot.ActionAcknowledge, r.ID)
	got, _ := e.Store.Review(ctx, r.ID)
	if got.Open() || got.AcknowledgedBy != bottest.Admin2 {
		t.Fatalf("after Admin2: %+v", got)
	}
	ups := e.Slack.Calls("chat.update")
	if len(ups) == 0 {
		t.Fatal("the review message was not updated")
	}
	sameLines(t, "acknowledged review", viewLines(decodeBlocks(t, ups[len(ups)-1].Params["blocks"])), []string{
		"header: Reviewed: delete of Tina Test",
		want[1],
		fmt.Sprintf("section: ✅ *Acknowledged* by <@UADMIN2> %s.", date(*got.AcknowledgedAt)),
	})
	clickAndWait(t, e, bottest.Admin, bot.ActionAcknowledge, r.ID)
	if resp := lastResponse(t, e); !strings.HasPrefix(resp, fmt.Sprintf("Already acknowledged by <@UADMIN2> %s. Nothing more to do.", date(*got.AcknowledgedAt))) {
		t.Errorf("second acknowledgement: %q", resp)
	}
	trail, _ := e.Store.AuditTrail(ctx, "", r.DeletionID, 20)
	acks := 0
	for _, a := range trail {
		if a.Action == crm.AuditReviewAcknowledged {
			acks++
			if a.Actor != bottest.Admin2 {
				t.Errorf("acknowledged by %s in the audit trail", a.Actor)
			}
		}
	}
	if acks != 1 {
		t.Errorf("%d acknowledgements audited", acks)
	}
	line := fmt.Sprintf("%s <@UADMIN2> acknowledged the review of contact `%s` deletion `%s` — reason: Duplicate created by mistake — acknowledged (direct delete by <@UADMIN1>)",
		date(*got.AcknowledgedAt), tina, r.DeletionID)
	found := false
	for _, p := range e.AuditPosts() {
		found = found || p.Params["text"] == line
	}
	if !found {
		t.Errorf("the audit feed lacks %q", line)
	}

	t.Run("RestoreNeedsReviewRemindedOnce", func(t *testing.T) {
		e.Command(bottest.Admin, "restore "+r.DeletionID)
		e.Bot.Wait()
		rv, found, err := e.Store.ReviewOf(ctx, crm.ReviewRestore, r.DeletionID)
		if !found || err != nil || rv.Actor != bottest.Admin {
			t.Fatalf("restore review %+v %v %v", rv, found, err)
		}
		top, _ := postsIn(e, bottest.Approval)
		if top[len(top)-1] != "Needs review: restore of Tina Test (review "+rv.ID+")" {
			t.Errorf("restore review post %q", top[len(top)-1])
		}
		e.Clock.Advance(23 * time.Hour)
		if err := e.Bot.RunReviewJobs(ctx); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Hour)
		for range 2 {
			if err := e.Bot.RunReviewJobs(ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.Bot.Wait()
		_, replies := postsIn(e, bottest.Approval)
		want := fmt.Sprintf("⏰ Admins: <@UADMIN1>'s restore of *Tina Test* (deletion `%s`) has waited a day for another admin. Look at it and press *Acknowledge* above.", r.DeletionID)
		if len(replies) != 1 || replies[0] != want {
			t.Errorf("reminders %q, want once: %q", replies, want)
		}
	})

	t.Run("NameEscapedInTheNotification", func(t *testing.T) {
		// The header is plain text; the notification text is mrkdwn, where
		// an unescaped name could form a mention such as <!channel>.
		id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Ann", LastName: "<!channel> & Co", Email: "ann@example.com"})
		rv, found, err := e.Store.ReviewOf(ctx, crm.ReviewDelete, deleteByModal(t, e, bottest.Admin, id))
		if !found || err != nil {
			t.Fatalf("review of the delete: %v %v", found, err)
		}
		top, _ := postsIn(e, bottest.Approval)
		if want := "Needs review: delete of Ann &lt;!channel&gt; &amp; Co (review " + rv.ID + ")"; top[len(top)-1] != want {
			t.Errorf("review post text %q, want %q", top[len(top)-1], want)
		}
	})

	t.Run("DeleterAndApprovedDeletesNeedNone", func(t *testing.T) {
		before := crmtest.CountRows(t, e.Store, "reviews", "")
		v, _ := openModal(t, e, bottest.Deleter, lowRisk(t, e, "Dee"))
		submitDelete(t, e, bottest.Deleter, v)
		a := requestDelete(t, e, bottest.Support, lowRisk(t, e, "Sue"))
		clickAndWait(t, e, bottest.Admin, bot.ActionApprove, a.ID)
		if n := crmtest.CountRows(t, e.Store, "reviews", ""); n != before {
			t.Errorf("%d new reviews, want none", n-before)
		}
	})
}

// TestDeletionsListsReviews: `/contact deletions` shows an admin the
// reviews waiting for them beside the requests, with the Home tab's
// Acknowledge, pressed from there over signed HTTP; the admin who acted is
// not asked to review themselves, and "nothing waiting" means neither
// requests nor reviews.
func TestDeletionsListsReviews(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	ctx := context.Background()
	lines := func(t *testing.T, r bottest.Response) []string {
		t.Helper()
		var m struct {
			Blocks slack.Blocks `json:"blocks"`
		}
		if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
			t.Fatalf("answer is not JSON: %v: %s", err, r.Body)
		}
		return viewLines(m.Blocks.BlockSet)
	}
	nothing := "Nothing is waiting for you: no requests to decide and no reviews to acknowledge. 🎉"
	sameText(t, "nothing at all", commandText(t, e.Command(bottest.Admin2, "deletions")), nothing)

	tina := lowRisk(t, e, "Tina")
	v, _ := openModal(t, e, bottest.Admin, tina)
	submitDelete(t, e, bottest.Admin, v)
	reviews, _, err := e.Store.OpenReviews(ctx, 5)
	if err != nil || len(reviews) != 1 {
		t.Fatalf("reviews %+v, %v", reviews, err)
	}
	rv := reviews[0]
	reviewSection := fmt.Sprintf("section: <@UADMIN1> deleted *Tina Test* (`%s`) without a second person %s · *Reason:* Duplicate created by mistake · deletion `%s`", tina, date(rv.CreatedAt), rv.DeletionID)

	r := e.Command(bottest.Admin2, "deletions")
	sameText(t, "the other admin's list", commandText(t, r), "1 review to acknowledge")
	sameLines(t, "the other admin's list", lines(t, r), []string{
		"header: Done by an admin alone, to review (1)",
		reviewSection,
		fmt.Sprintf("buttons: Acknowledge [review.ack=%s]", rv.ID),
	})
	sameText(t, "the admin who acted", commandText(t, e.Command(bottest.Admin, "deletions")), nothing)

	// With a request waiting too: the requests first, then the review.
	a := requestDelete(t, e, bottest.Support, lowRisk(t, e, "Rob"))
	r = e.Command(bottest.Admin2, "deletions")
	sameText(t, "requests and reviews", commandText(t, r), "1 request waiting · 1 review to acknowledge")
	sameLines(t, "requests and reviews", lines(t, r), []string{
		"header: 1 request waiting",
		fmt.Sprintf("section: *Rob Test* `%s` · Duplicate created by mistake — created twice by import · request `%s`\nAsked by <@USUPPORT> %s · expires %s", a.ContactID, a.ID, date(a.CreatedAt), date(a.ExpiresAt)),
		fmt.Sprintf("buttons: Approve [approval.approve=%s] Reject [approval.reject=%s]", a.ID, a.ID),
		"header: Done by an admin alone, to review (1)",
		reviewSection,
		fmt.Sprintf("buttons: Acknowledge [review.ack=%s]", rv.ID),
	})

	// Acknowledge, pressed on the listing, acknowledges it.
	clickAndWait(t, e, bottest.Admin2, bot.ActionAcknowledge, rv.ID)
	if got, _ := e.Store.Review(ctx, rv.ID); got.Open() || got.AcknowledgedBy != bottest.Admin2 {
		t.Fatalf("after Acknowledge: %+v", got)
	}
	sameText(t, "after the acknowledgement", commandText(t, e.Command(bottest.Admin2, "deletions")), "1 request waiting")
}
