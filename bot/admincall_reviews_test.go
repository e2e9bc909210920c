package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
)

// reviewOf is the review of what an admin did alone to a deletion.
func reviewOf(t *testing.T, e *bottest.Env, kind crm.ReviewKind, deletionID string) crm.Review {
	t.Helper()
	r, found, err := e.Store.ReviewOf(context.Background(), kind, deletionID)
	if !found || err != nil {
		t.Fatalf("no %s review of %s: %v", kind, deletionID, err)
	}
	return r
}

// groupCalls are the texts that mention the admin group, each checked to be
// a top-level message of the approvals channel.
func groupCalls(t *testing.T, e *bottest.Env) []string {
	t.Helper()
	var out []string
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if strings.Contains(c.Params["text"], "<!subteam^") {
			if c.Params["channel"] != bottest.Approval || c.Params["thread_ts"] != "" {
				t.Errorf("group called in %s, thread %q: %q", c.Params["channel"], c.Params["thread_ts"], c.Params["text"])
			}
			out = append(out, c.Params["text"])
		}
	}
	return out
}

// TestAdminCallListsReviews: reviews of what an admin did alone are called
// with the requests, in the one hourly call to the admins, which lists
// every request and every review waiting; each review's reminder in its
// thread stays and calls nobody. Two replicas run both jobs; each call is
// made once.
func TestAdminCallListsReviews(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"APPROVAL_TTL": "48h", "ADMIN_USERGROUP_ID": "S0ADMINS"}})
	e.Slack.SetGroupMembers("S0ADMINS", bottest.Admin, bottest.Admin2)
	other := e.Replica()
	ctx := context.Background()
	ann, ben, cal, dee := lowRisk(t, e, "Ann"), lowRisk(t, e, "Ben"), lowRisk(t, e, "Cal"), lowRisk(t, e, "Dee")
	annGone := deleteByModal(t, e, bottest.Admin, ann)
	rAnn := reviewOf(t, e, crm.ReviewDelete, annGone)
	e.Clock.Advance(time.Minute)
	rBen := reviewOf(t, e, crm.ReviewDelete, deleteByModal(t, e, bottest.Admin2, ben))
	e.Clock.Advance(time.Minute)
	aCal := requestDelete(t, e, bottest.Support, cal)
	e.Clock.Advance(28 * time.Minute)
	clickAndWait(t, e, bottest.Admin, bot.ActionRestore, annGone)
	rRestore := reviewOf(t, e, crm.ReviewRestore, annGone)
	e.Clock.Advance(time.Minute)
	aDee := requestDelete(t, e, bottest.Support, dee)

	run := func() {
		t.Helper()
		for _, env := range []*bottest.Env{e, other, e} {
			if err := env.Bot.RunReviewJobs(ctx); err != nil {
				t.Fatal(err)
			}
			if err := env.Bot.RunApprovalJobs(ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.Bot.Wait()
		other.Bot.Wait()
	}
	review := func(r crm.Review, actor, what, name, id string) string {
		return fmt.Sprintf("• <@%s>'s %s of *%s Test* (`%s`) (deletion `%s`), waiting since %s", actor, what, name, id, r.DeletionID, date(r.CreatedAt))
	}
	requestsHead := "🔔 <!subteam^S0ADMINS>: 2 requests are waiting for a decision. Approve or reject each in its thread in this channel, or see `/contact deletions`."
	reviewsHead := "%s reviews of what an admin did alone are waiting for another admin. Look at each in this channel and press *Acknowledge* (not on your own), or see `/contact deletions`."
	first := strings.Join([]string{
		requestsHead, requestCallLine(aCal, "Cal", cal), requestCallLine(aDee, "Dee", dee),
		fmt.Sprintf(reviewsHead, "3"),
		review(rAnn, bottest.Admin, "direct delete", "Ann", ann),
		review(rBen, bottest.Admin2, "direct delete", "Ben", ben),
		review(rRestore, bottest.Admin, "restore", "Ann", ann),
	}, "\n")

	e.Clock.Advance(24*time.Hour - 30*time.Minute + time.Second) // Ann's and Ben's reviews and Cal's request reminded
	run()
	if got := groupCalls(t, e); len(got) != 1 || got[0] != first {
		t.Fatalf("calls after three reminders:\n%s\n--- want one:\n%s", strings.Join(got, "\n---\n"), first)
	}
	e.Clock.Advance(30 * time.Minute) // the restore's review and Dee's request reminded, within the hour
	run()
	if got := groupCalls(t, e); len(got) != 1 {
		t.Fatalf("%d calls within the hour, want 1:\n%s", len(got), strings.Join(got, "\n---\n"))
	}
	clickAndWait(t, e, bottest.Admin2, bot.ActionAcknowledge, rAnn.ID)
	e.Clock.Advance(30 * time.Minute) // an hour after the first call
	run()
	second := strings.Join([]string{
		requestsHead, requestCallLine(aCal, "Cal", cal), requestCallLine(aDee, "Dee", dee),
		fmt.Sprintf(reviewsHead, "2"),
		review(rBen, bottest.Admin2, "direct delete", "Ben", ben),
		review(rRestore, bottest.Admin, "restore", "Ann", ann),
	}, "\n")
	if got := groupCalls(t, e); len(got) != 2 || got[1] != second {
		t.Fatalf("calls an hour later:\n%s\n--- want the second:\n%s", strings.Join(got, "\n---\n"), second)
	}
	e.Clock.Advance(2 * time.Hour) // nothing new is due: nobody is called
	run()
	if got := groupCalls(t, e); len(got) != 2 {
		t.Errorf("%d calls with nothing due, want 2", len(got))
	}

	// Each review and request has its one reminder in its thread, naming
	// nobody to call.
	_, replies := postsIn(e, bottest.Approval)
	want := []string{
		fmt.Sprintf("⏰ Admins: <@UADMIN1>'s direct delete of *Ann Test* (deletion `%s`) has waited a day for another admin. Look at it and press *Acknowledge* above.", annGone),
		fmt.Sprintf("⏰ Admins: <@UADMIN2>'s direct delete of *Ben Test* (deletion `%s`) has waited a day for another admin. Look at it and press *Acknowledge* above.", rBen.DeletionID),
		fmt.Sprintf("⏰ Admins: <@UADMIN1>'s restore of *Ann Test* (deletion `%s`) has waited a day for another admin. Look at it and press *Acknowledge* above.", annGone),
		fmt.Sprintf("⏰ Admins: <@USUPPORT>'s request to delete *Cal Test* (`%s`) is still waiting and expires %s. Approve or reject it above.", cal, date(aCal.ExpiresAt)),
		fmt.Sprintf("⏰ Admins: <@USUPPORT>'s request to delete *Dee Test* (`%s`) is still waiting and expires %s. Approve or reject it above.", dee, date(aDee.ExpiresAt)),
	}
	slices.Sort(replies)
	slices.Sort(want)
	sameLines(t, "thread nudges", replies, want)

	t.Run("EachAdminWithoutGroup", func(t *testing.T) {
		// Without a user group each admin is named, but not one who did
		// everything waiting: they cannot acknowledge their own.
		e := bottest.New(t)
		amy, bob := lowRisk(t, e, "Amy"), lowRisk(t, e, "Bob")
		rAmy := reviewOf(t, e, crm.ReviewDelete, deleteByModal(t, e, bottest.Admin, amy))
		e.Clock.Advance(crm.ReviewRemindAfter + time.Second)
		if err := e.Bot.RunReviewJobs(ctx); err != nil {
			t.Fatal(err)
		}
		rBob := reviewOf(t, e, crm.ReviewDelete, deleteByModal(t, e, bottest.Admin2, bob))
		e.Clock.Advance(crm.ReviewRemindAfter + time.Second)
		if err := e.Bot.RunReviewJobs(ctx); err != nil {
			t.Fatal(err)
		}
		e.Bot.Wait()
		head := "🔔 %s: %s of what an admin did alone %s waiting for another admin. Look at each in this channel and press *Acknowledge* (not on your own), or see `/contact deletions`."
		want := []string{
			strings.Join([]string{fmt.Sprintf(head, "<@UADMIN2>", "1 review", "is"), review(rAmy, bottest.Admin, "direct delete", "Amy", amy)}, "\n"),
			strings.Join([]string{fmt.Sprintf(head, "<@UADMIN1> <@UADMIN2>", "2 reviews", "are"),
				review(rAmy, bottest.Admin, "direct delete", "Amy", amy), review(rBob, bottest.Admin2, "direct delete", "Bob", bob)}, "\n"),
		}
		var got []string
		top, _ := postsIn(e, bottest.Approval)
		for _, p := range top {
			if strings.HasPrefix(p, "🔔") {
				got = append(got, p)
			}
		}
		sameLines(t, "calls", got, want)
	})

	t.Run("ReviewsCapped", func(t *testing.T) {
		// Reviews made by the store, to have many: the call lists 30 and
		// counts the rest.
		e := bottest.New(t, bottest.Options{Env: map[string]string{"ADMIN_USERGROUP_ID": "S0ADMINS"}})
		for i := range 32 {
			id := lowRisk(t, e, fmt.Sprintf("P%02d", i))
			if _, err := e.Store.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: bottest.Admin, Reason: "test_contact", RestoreWindow: 24 * time.Hour, Review: true}); err != nil {
				t.Fatal(err)
			}
			e.Clock.Advance(time.Second)
		}
		e.Clock.Advance(crm.ReviewRemindAfter)
		if err := e.Bot.RunReviewJobs(ctx); err != nil {
			t.Fatal(err)
		}
		e.Bot.Wait()
		calls := groupCalls(t, e)
		if len(calls) != 1 {
			t.Fatalf("%d calls, want 1", len(calls))
		}
		lines := strings.Split(calls[0], "\n")
		if len(lines) != 32 || !strings.HasPrefix(lines[0], "🔔 <!subteam^S0ADMINS>: 32 reviews of what an admin did alone are waiting for another admin.") ||
			!strings.Contains(lines[30], "*P29 Test*") || lines[31] != "• and 2 more: see `/contact deletions`." {
			t.Errorf("call of %d lines:\n%s", len(lines), calls[0])
		}
	})
}
