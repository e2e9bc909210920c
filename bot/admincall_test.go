package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"contactbot/bot/bottest"
	"contactbot/crm"
)

// requestCallLine is a request's line in the call to the admins; name and
// id are its contact's.
func requestCallLine(a crm.Approval, name, id string) string {
	return fmt.Sprintf("• <@USUPPORT>'s request to delete *%s Test* (`%s`) (request `%s`), waiting since %s, expires %s",
		name, id, a.ID, date(a.CreatedAt), date(a.ExpiresAt))
}

// TestAdminCallsCoalesced: reminders and escalations call the admin group
// at most once an hour, in one message listing every request waiting;
// the nudges in each request's thread stay, calling nobody. Two replicas
// run the jobs, and each call is made once.
func TestAdminCallsCoalesced(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"APPROVAL_TTL": "4h", "ADMIN_USERGROUP_ID": "S0ADMINS"}})
	e.Slack.SetGroupMembers("S0ADMINS", bottest.Admin, bottest.Admin2)
	other := e.Replica()
	ctx := context.Background()
	ann, ben := lowRisk(t, e, "Ann"), lowRisk(t, e, "Ben")
	a1, a2 := requestDelete(t, e, bottest.Support, ann), requestDelete(t, e, bottest.Support, ben)
	e.Clock.Advance(30 * time.Minute)
	cal := lowRisk(t, e, "Cal")
	a3 := requestDelete(t, e, bottest.Support, cal)

	run := func() {
		t.Helper()
		for _, env := range []*bottest.Env{e, other, e} {
			if err := env.Bot.RunApprovalJobs(ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.Bot.Wait()
		other.Bot.Wait()
	}
	head := "🔔 <!subteam^S0ADMINS>: %s for a decision. Approve or reject each in its thread in this channel, or see `/contact deletions`."
	// Oldest first; Ann's and Ben's were made at the same time, so by id.
	first, second := requestCallLine(a1, "Ann", ann), requestCallLine(a2, "Ben", ben)
	if a2.ID < a1.ID {
		first, second = second, first
	}
	allThree := strings.Join([]string{fmt.Sprintf(head, "3 requests are waiting"), first, second, requestCallLine(a3, "Cal", cal)}, "\n")

	e.Clock.Advance(90*time.Minute + time.Second) // Ann's and Ben's reminders
	run()
	if got := groupCalls(t, e); len(got) != 1 || got[0] != allThree {
		t.Fatalf("calls after two reminders:\n%s\nwant one:\n%s", strings.Join(got, "\n---\n"), allThree)
	}
	e.Clock.Advance(30 * time.Minute) // Cal's reminder, within the hour
	run()
	if got := groupCalls(t, e); len(got) != 1 {
		t.Fatalf("%d calls within the hour, want 1:\n%s", len(got), strings.Join(got, "\n---\n"))
	}
	e.Clock.Advance(30 * time.Minute) // Ann's and Ben's escalations, an hour after the call
	run()
	if got := groupCalls(t, e); len(got) != 2 || got[1] != allThree {
		t.Fatalf("calls an hour later:\n%s", strings.Join(got, "\n---\n"))
	}
	e.Clock.Advance(30 * time.Minute) // Cal's escalation, within the hour
	run()
	if got := groupCalls(t, e); len(got) != 2 {
		t.Fatalf("%d calls within the hour, want 2", len(got))
	}
	e.Clock.Advance(30 * time.Minute) // Ann's and Ben's requests expire; Cal's waits
	run()
	onlyCal := strings.Join([]string{fmt.Sprintf(head, "1 request is waiting"), requestCallLine(a3, "Cal", cal)}, "\n")
	if got := groupCalls(t, e); len(got) != 3 || got[2] != onlyCal {
		t.Fatalf("calls after the expiry:\n%s\nwant last:\n%s", strings.Join(got, "\n---\n"), onlyCal)
	}
	e.Clock.Advance(2 * time.Hour) // nothing new is due: nobody is called
	run()
	if got := groupCalls(t, e); len(got) != 3 {
		t.Errorf("%d calls with nothing due, want 3", len(got))
	}

	// Each request still has its reminder and its escalation in its thread.
	_, replies := postsIn(e, bottest.Approval)
	want := []string{
		fmt.Sprintf("⏰ Admins: <@USUPPORT>'s request to delete *Ann Test* (`%s`) is still waiting and expires %s. Approve or reject it above.", ann, date(a1.ExpiresAt)),
		fmt.Sprintf("⏰ Admins: <@USUPPORT>'s request to delete *Ben Test* (`%s`) is still waiting and expires %s. Approve or reject it above.", ben, date(a2.ExpiresAt)),
		fmt.Sprintf("⏰ Admins: <@USUPPORT>'s request to delete *Cal Test* (`%s`) is still waiting and expires %s. Approve or reject it above.", cal, date(a3.ExpiresAt)),
		fmt.Sprintf("🔺 Admins: <@USUPPORT>'s request to delete *Ann Test* (`%s`) has waited 3 hours without a decision and expires %s. Approve or reject it above.", ann, date(a1.ExpiresAt)),
		fmt.Sprintf("🔺 Admins: <@USUPPORT>'s request to delete *Ben Test* (`%s`) has waited 3 hours without a decision and expires %s. Approve or reject it above.", ben, date(a2.ExpiresAt)),
		fmt.Sprintf("🔺 Admins: <@USUPPORT>'s request to delete *Cal Test* (`%s`) has waited 3 hours without a decision and expires %s. Approve or reject it above.", cal, date(a3.ExpiresAt)),
	}
	slices.Sort(replies) // requests due at the same time are nudged in any order
	slices.Sort(want)
	sameLines(t, "thread nudges", replies, want)
}
