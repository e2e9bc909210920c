package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// homeScene is a workspace with something in every list of the Home tab:
// a request of Support's waiting (Jane), one an admin approved (Bob), an
// admin's direct delete waiting for review (Tina), a deleter's delete
// reported as wrong (Old Lead).
type homeScene struct {
	jane, bob, tina, old    string
	janeReq, bobReq         crm.Approval
	bobDel, tinaDel, oldDel crm.DeletionItem
	review                  crm.Review
}

func newHomeScene(t *testing.T, e *bottest.Env) homeScene {
	t.Helper()
	ctx := context.Background()
	var s homeScene
	s.jane, s.bob, s.tina = lowRisk(t, e, "Jane"), lowRisk(t, e, "Bob"), lowRisk(t, e, "Tina")
	s.old = crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Old", LastName: "Lead", Email: "old@example.com"})
	s.janeReq = requestDelete(t, e, bottest.Support, s.jane)
	s.bobReq = requestDelete(t, e, bottest.Support, s.bob)
	clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, s.bobReq.ID)
	v, _ := openModal(t, e, bottest.Admin, s.tina)
	submitDelete(t, e, bottest.Admin, v)
	v, _ = openModal(t, e, bottest.Deleter, s.old)
	submitDelete(t, e, bottest.Deleter, v)
	one := func(user string) crm.DeletionItem {
		t.Helper()
		list, _, err := e.Store.DeletionsBy(ctx, user, time.Time{}, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("deletions by %s: %+v, %v", user, list, err)
		}
		return list[0]
	}
	s.bobDel, s.tinaDel = one(bottest.Support), one(bottest.Admin)
	if _, err := e.Store.ReportDeletion(ctx, one(bottest.Deleter).ID, bottest.Support, "", nil); err != nil {
		t.Fatal(err)
	}
	s.oldDel = one(bottest.Deleter)
	reviews, _, err := e.Store.OpenReviews(ctx, 10)
	if err != nil || len(reviews) != 1 {
		t.Fatalf("reviews: %+v, %v", reviews, err)
	}
	s.review = reviews[0]
	e.Bot.Wait()
	return s
}

// TestHomeTab: app_home_opened publishes the opener's Home tab; an admin's
// shows what waits for an admin and their own items, a support agent's only
// their own (never another person's); a decision taken from it refreshes
// the tabs it concerns; its buttons behave as in the channels, answering by
// DM.
func TestHomeTab(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	s := newHomeScene(t, e)

	now := e.Clock.Now()
	intro := []string{
		"header: contactbot",
		"section: Find a contact and see everything a delete would take, or pick up what waits for you below. Buttons here do what they do in the channels; answers come by DM.",
		"buttons: Find a contact [home.find=]",
	}
	footer := "context: Updated " + date(now) + ". This tab refreshes when something in it changes."

	t.Run("Admin", func(t *testing.T) {
		v := e.OpenHome(bottest.Admin)
		if v.Type != slack.VTHomeTab {
			t.Errorf("view type %q", v.Type)
		}
		want := append(append([]string{}, intro...),
			"divider",
			"header: Requests waiting for an admin (1)",
			fmt.Sprintf("section: *Jane Test* `%s` · Duplicate created by mistake — created twice by import · request `%s`\nAsked by <@USUPPORT> %s · expires %s",
				s.jane, s.janeReq.ID, date(s.janeReq.CreatedAt), date(s.janeReq.ExpiresAt)),
			fmt.Sprintf("buttons: Approve [approval.approve=%[1]s] Reject [approval.reject=%[1]s]", s.janeReq.ID),
			"divider",
			"header: Wrong deletions reported (1)",
			fmt.Sprintf("section: *Old Lead* · deletion `%s`\nReported by <@USUPPORT> %s · deleted by <@UDELETER> %s · restorable until %s",
				s.oldDel.ID, date(*s.oldDel.ReportedAt), date(s.oldDel.DeletedAt), date(s.oldDel.RestoreUntil)),
			fmt.Sprintf("buttons: Restore [deletion.restore=%s]", s.oldDel.ID),
			"divider",
			"header: Done by an admin alone, to review (1)",
			fmt.Sprintf("section: <@UADMIN1> deleted *Tina Test* (`%s`) without a second person %s · *Reason:* Duplicate created by mistake · deletion `%s`",
				s.tina, date(s.review.CreatedAt), s.tinaDel.ID),
			"context: You did this: another admin acknowledges it.",
			"divider",
			"header: Opted-out contacts back, DND re-applied, last 30 days (0)",
			"context: None: a contact created with the email or phone of a deleted contact that had opted out gets its DND back at once, and shows here.",
			"divider",
			"header: Your requests waiting (0)",
			"context: None: when a delete, merge or erasure needs an admin's approval, your request shows here.",
			"divider",
			"header: Your deletions, last 30 days (1)",
			fmt.Sprintf("section: *Tina Test* · deletion `%s` · deleted %s · Duplicate created by mistake\nRestorable until %s",
				s.tinaDel.ID, date(s.tinaDel.DeletedAt), date(s.tinaDel.RestoreUntil)),
			fmt.Sprintf("buttons: Report wrong deletion [deletion.report=%s]", s.tinaDel.ID),
			footer,
		)
		sameLines(t, "the admin's Home tab", viewLines(v.Blocks.BlockSet), want)
	})

	t.Run("SupportAgent", func(t *testing.T) {
		v := e.OpenHome(bottest.Support)
		want := append(append([]string{}, intro...),
			"divider",
			"header: Your requests waiting (1)",
			fmt.Sprintf("section: *Jane Test* `%s` · Duplicate created by mistake — created twice by import · request `%s`\nAsked %s · expires %s · waiting for an admin in <#CAPPROVALS>",
				s.jane, s.janeReq.ID, date(s.janeReq.CreatedAt), date(s.janeReq.ExpiresAt)),
			fmt.Sprintf("buttons: Withdraw request [approval.withdraw=%s]", s.janeReq.ID),
			"divider",
			"header: Your deletions, last 30 days (1)",
			fmt.Sprintf("section: *Bob Test* · deletion `%s` · deleted %s · approved by <@UADMIN2> · Duplicate created by mistake\nRestorable until %s",
				s.bobDel.ID, date(s.bobDel.DeletedAt), date(s.bobDel.RestoreUntil)),
			fmt.Sprintf("buttons: Report wrong deletion [deletion.report=%s]", s.bobDel.ID),
			footer,
		)
		sameLines(t, "the support agent's Home tab", viewLines(v.Blocks.BlockSet), want)
		// Nothing of anyone else's: not the admin's or the deleter's deletions, nor the review.
		all := strings.Join(viewLines(v.Blocks.BlockSet), "\n")
		for _, other := range []string{s.tinaDel.ID, s.oldDel.ID, s.review.ID, "Tina", "Old Lead"} {
			if strings.Contains(all, other) {
				t.Errorf("the support agent sees %q", other)
			}
		}
	})

	t.Run("ApproveFromHomeRefreshesTabs", func(t *testing.T) {
		e.OpenHome(bottest.Admin2)
		before := map[string]int{}
		for _, u := range []string{bottest.Admin, bottest.Admin2, bottest.Support, bottest.Deleter} {
			before[u] = len(e.HomeViews(u))
		}
		if r := e.ClickHome(bottest.Admin2, bot.ActionApprove, s.janeReq.ID); r.Status != http.StatusOK {
			t.Fatalf("click: %d %s", r.Status, r.Body)
		}
		e.Bot.Wait()
		if contactExists(t, e, s.jane) {
			t.Fatal("Jane was not deleted")
		}
		for _, u := range []string{bottest.Admin, bottest.Admin2, bottest.Support} {
			views := e.HomeViews(u)
			if len(views) <= before[u] {
				t.Errorf("the Home tab of %s was not refreshed after the decision", u)
				continue
			}
			all := strings.Join(viewLines(views[len(views)-1].Blocks.BlockSet), "\n")
			if strings.Contains(all, "approval.approve="+s.janeReq.ID) || strings.Contains(all, "request `"+s.janeReq.ID+"`") {
				t.Errorf("the refreshed tab of %s still shows the decided request:\n%s", u, all)
			}
		}
		if n := len(e.HomeViews(bottest.Deleter)); n != before[bottest.Deleter] {
			t.Errorf("the deleter never opened the Home tab, yet it was published %d times", n)
		}
		support := e.HomeViews(bottest.Support)
		last := strings.Join(viewLines(support[len(support)-1].Blocks.BlockSet), "\n")
		if !strings.Contains(last, "header: Your deletions, last 30 days (2)") || !strings.Contains(last, "*Jane Test*") {
			t.Errorf("the requester's tab does not show the deletion:\n%s", last)
		}
		// A click on the Home tab has no response_url: nothing was sent to one.
		for _, r := range e.Slack.Responses() {
			if strings.Contains(r.Text(), s.janeReq.ID) {
				t.Errorf("an answer went to a response URL: %s", r.Text())
			}
		}
	})

	t.Run("SameButtonsSameRules", func(t *testing.T) {
		other := lowRisk(t, e, "Other")
		a := requestDelete(t, e, bottest.Support, other)
		// A support agent forging an Approve on their own Home tab: refused, by DM.
		n := len(dmTextsTo(e, bottest.Support))
		clickOnHome(t, e, bottest.Support, bot.ActionApprove, a.ID)
		dms := dmTextsTo(e, bottest.Support)
		if len(dms) != n+1 || dms[n] != "You asked for this delete, so you cannot decide on it: another admin must approve or reject it. Nothing was changed." {
			t.Errorf("refusal DM: %q", dms[n:])
		}
		// Two admins approving from their tabs at once delete once; the
		// other is told by DM.
		var wg sync.WaitGroup
		for _, admin := range []string{bottest.Admin, bottest.Admin2} {
			wg.Go(func() { e.ClickHome(admin, bot.ActionApprove, a.ID) })
		}
		wg.Wait()
		e.Bot.Wait()
		if n := crmtest.CountRows(t, e.Store, "deletions", "contact_id = $1", other); n != 1 {
			t.Errorf("%d deletions, want 1", n)
		}
		got := state(t, e, a.ID)
		loser := bottest.Admin
		if got.DecidedBy == bottest.Admin {
			loser = bottest.Admin2
		}
		dms = dmTextsTo(e, loser)
		if len(dms) == 0 || !strings.HasPrefix(dms[len(dms)-1], fmt.Sprintf("Already approved by <@%s> ", got.DecidedBy)) {
			t.Errorf("the second admin was told %q", dms)
		}
	})

	t.Run("WithdrawFromHome", func(t *testing.T) {
		mine := requestDelete(t, e, bottest.Support, lowRisk(t, e, "Mine"))
		e.OpenHome(bottest.Support)
		clickOnHome(t, e, bottest.Support, bot.ActionWithdraw, mine.ID)
		if got := state(t, e, mine.ID); got.State != crm.ApprovalWithdrawn {
			t.Fatalf("state %s", got.State)
		}
		dms := dmTextsTo(e, bottest.Support)
		want := fmt.Sprintf("↩️ You withdrew your request `%s` to delete *Mine Test* (`%s`). Nothing was deleted, and admins can no longer approve it.", mine.ID, mine.ContactID)
		if dms[len(dms)-1] != want {
			t.Errorf("withdraw answer %q", dms[len(dms)-1])
		}
		views := e.HomeViews(bottest.Support)
		if last := strings.Join(viewLines(views[len(views)-1].Blocks.BlockSet), "\n"); strings.Contains(last, mine.ID) {
			t.Errorf("the withdrawn request is still on the requester's tab:\n%s", last)
		}
	})

	t.Run("ReportFromHome", func(t *testing.T) {
		clickOnHome(t, e, bottest.Admin, bot.ActionReport, s.tinaDel.ID)
		e.SubmitReport(bottest.Admin, "deleted the wrong Tina")
		dms := dmTextsTo(e, bottest.Admin)
		want := fmt.Sprintf("Reported in <#CINCIDENTS>: an admin can restore every row until %s.", date(s.tinaDel.RestoreUntil))
		if len(dms) == 0 || dms[len(dms)-1] != want {
			t.Errorf("report answer %q, want %q", dms[len(dms)-1:], want)
		}
		views := e.HomeViews(bottest.Admin)
		last := strings.Join(viewLines(views[len(views)-1].Blocks.BlockSet), "\n")
		if !strings.Contains(last, fmt.Sprintf("⚠️ Reported as wrong by <@UADMIN1> ")) || !strings.Contains(last, "header: Wrong deletions reported (2)") {
			t.Errorf("the reporter's tab was not refreshed with the report:\n%s", last)
		}
	})
}

// clickOnHome presses a button on user's Home tab and waits for its work.
func clickOnHome(t *testing.T, e *bottest.Env, user, action, value string) {
	t.Helper()
	if r := e.ClickHome(user, action, value); r.Status != http.StatusOK {
		t.Fatalf("click %s on the Home tab: %d %s", action, r.Status, r.Body)
	}
	e.Bot.Wait()
}

// TestHomeTabLimits: with more waiting than fits, each list shows its
// first entries and says how many more there are and where; the tab
// stays within Slack's 100 blocks.
func TestHomeTabLimits(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	ctx := context.Background()
	for i := range 30 {
		id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: fmt.Sprint("Req", i), LastName: "Test"})
		_, l, err := e.Store.Linked(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.Store.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: bottest.Admin, Reason: "duplicate", Fingerprint: l.Fingerprint, TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
		id = crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: fmt.Sprint("Del", i), LastName: "Test"})
		d, err := e.Store.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: bottest.Admin2, Reason: "test_contact", RestoreWindow: time.Hour, Review: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Store.ReportDeletion(ctx, d.Deletion.ID, bottest.Admin, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	v := e.OpenHome(bottest.Admin)
	lines := viewLines(v.Blocks.BlockSet)
	if len(lines) > 100 {
		t.Fatalf("%d blocks, Slack takes 100", len(lines))
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		"header: Requests waiting for an admin (30)",
		"context: 23 more: see `/contact deletions` or <#CAPPROVALS>.",
		"header: Wrong deletions reported (30)",
		"context: 23 more: see <#CINCIDENTS>.",
		"header: Done by an admin alone, to review (30)",
		"context: 23 more: see <#CAPPROVALS>.",
		"header: Your requests waiting (30)",
		"context: 23 more: see `/contact deletions mine`.",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the tab lacks %q:\n%s", want, all)
		}
	}
	if n := strings.Count(all, "approval.approve="); n != 0 {
		t.Errorf("the admin is offered Approve on %d of their own requests", n)
	}
}
