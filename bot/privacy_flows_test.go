package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// privacyScene is a workspace where merges, erasures and a suppression hit
// left something for the Home tab and the digest: an admin merged a
// duplicate alone (review waiting), Support asked for a merge and for an
// erasure (both waiting), Support's erasure of Tom was approved by Admin2,
// and a deleted opted-out contact was imported again and got its DND back
// from the suppression list.
type privacyScene struct {
	orig, dup, samOrig, samDup, eve, tom, priya, priyaAgain string
	mergeDel, tomDel, priyaDel                              crm.DeletionItem
	samReq, eveReq                                          crm.Approval
	review                                                  crm.Review
	hit                                                     crm.SuppressionHit
}

// submitMerge presses Merge… on dup as user and confirms with MERGE.
func submitMerge(t *testing.T, e *bottest.Env, user, dup string) {
	t.Helper()
	e.Click(user, bot.ActionMerge, dup)
	if r := e.Submit(user, e.LastView(), map[string]string{"confirm": "MERGE"}); r.Status != http.StatusOK {
		t.Fatalf("merge submit: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
}

// requestErasure has user ask for the erasure of id through the delete
// window, which the reason turns into the erasure window.
func requestErasure(t *testing.T, e *bottest.Env, user, id string) crm.Approval {
	t.Helper()
	e.Click(user, bot.ActionDelete, id)
	v := updatedView(t, e.Submit(user, e.LastView(), map[string]string{"reason": "erasure"}))
	if r := e.Submit(user, v, map[string]string{"confirm": "ERASE"}); !strings.Contains(r.Body, "Request sent") {
		t.Fatalf("erasure request: %s", r.Body)
	}
	e.Bot.Wait()
	var reqID string
	if err := e.Store.DB().Get(&reqID, `SELECT id FROM approval_requests WHERE contact_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	got, err := e.Store.Approval(context.Background(), reqID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func newPrivacyScene(t *testing.T, e *bottest.Env, beforeHit func()) privacyScene {
	t.Helper()
	ctx := context.Background()
	var s privacyScene
	s.orig, s.dup = mergePair(t, e)
	submitMerge(t, e, bottest.Admin, s.dup)

	s.samOrig = crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Sam", LastName: "Lee", Email: "sam@example.com"}, crmtest.SmallLowRisk)
	s.samDup = crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Sam", LastName: "Lee", Email: "SAM@example.com"}, crmtest.SmallLowRisk)
	submitMerge(t, e, bottest.Support, s.samDup)
	list, err := e.Store.ApprovalsBy(ctx, bottest.Support, 10)
	if err != nil || len(list) != 1 || list[0].Kind() != crm.KindMerge {
		t.Fatalf("Support's merge request: %+v, %v", list, err)
	}
	s.samReq = list[0]
	e.Clock.Advance(time.Second) // Eve's request comes second

	s.eve = crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Eve", LastName: "Gone", Email: "eve@example.com", Phone: "+1 (555) 010-7777"}, crmtest.SmallLowRisk)
	s.eveReq = requestErasure(t, e, bottest.Support, s.eve)
	e.Clock.Advance(time.Second)

	s.tom = crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Tom", LastName: "Becker", Email: "tom@example.com", Phone: "+1 (555) 010-8888"}, crmtest.SmallLowRisk)
	tomReq := requestErasure(t, e, bottest.Support, s.tom)
	approveErasure(t, e, tomReq.ID, bottest.Admin, bottest.Admin2)
	if contactExists(t, e, s.tom) {
		t.Fatal("Tom's erasure was not approved")
	}

	// Priya opted out (SmallFull has SMS and a permanent Email DND), was
	// deleted by a deleter's approved request, and comes back with an
	// import: the triggers re-apply her DND.
	s.priya = crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Priya", LastName: "Patel", Email: "priya@example.com"}, crmtest.SmallFull)
	if _, err := e.Store.Delete(ctx, crm.DeleteRequest{ContactID: s.priya, Actor: bottest.Deleter, ApprovedBy: bottest.Admin2, Reason: "test_contact", RestoreWindow: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if beforeHit != nil {
		beforeHit()
	}
	s.priyaAgain = "priyaagain000000001"
	e.Store.DB().MustExec(`INSERT INTO contacts (id, location_id, first_name, last_name, email) VALUES ($1, 'loc_main', 'Priya', 'Patel', 'priya@example.com')`, s.priyaAgain)
	if n, err := e.Store.FeedReapplied(ctx); err != nil || n != 1 {
		t.Fatalf("FeedReapplied = %d, %v", n, err)
	}
	e.Bot.Wait()

	one := func(user string, kind crm.Kind) crm.DeletionItem {
		t.Helper()
		list, _, err := e.Store.DeletionsBy(ctx, user, time.Time{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			if d.Kind == kind {
				return d
			}
		}
		t.Fatalf("no %s by %s in %+v", kind, user, list)
		return crm.DeletionItem{}
	}
	s.mergeDel, s.tomDel, s.priyaDel = one(bottest.Admin, crm.KindMerge), one(bottest.Support, crm.KindErasure), one(bottest.Deleter, crm.KindDelete)
	reviews, _, err := e.Store.OpenReviews(ctx, 10)
	if err != nil || len(reviews) != 1 {
		t.Fatalf("reviews: %+v, %v", reviews, err)
	}
	s.review = reviews[0]
	hits, _, err := e.Store.SuppressionHits(ctx, time.Time{}, 10)
	if err != nil || len(hits) != 1 {
		t.Fatalf("suppression hits: %+v, %v", hits, err)
	}
	s.hit = hits[0]
	return s
}

// TestHomeTabOfPrivacyFlows: merges, erasures and suppression hits on the Home
// tab, through the real HTTP route (app_home_opened, views.publish): an
// admin sees pending merge and erasure requests for what they are, the
// review of their own merge, the contacts whose DND came back, and their
// merge among their deletions (Report wrong merge); Support sees their
// requests and the erasure they asked for, with no personal data and no
// way to restore it; the admin who approved the erasure sees it too. The
// tabs opened before the re-import are refreshed with the hit.
func TestHomeTabOfPrivacyFlows(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	s := newPrivacyScene(t, e, func() {
		e.OpenHome(bottest.Admin2) // opened before the re-import: refreshed by it
	})
	now := e.Clock.Now()
	intro := []string{
		"header: contactbot",
		"section: Find a contact and see everything a delete would take, or pick up what waits for you below. Buttons here do what they do in the channels; answers come by DM.",
		"buttons: Find a contact [home.find=]",
	}
	footer := "context: Updated " + date(now) + ". This tab refreshes when something in it changes."
	requests := []string{
		"divider",
		"header: Requests waiting for an admin (2)",
		fmt.Sprintf("section: Merge *Sam Lee* `%s` into `%s` · Duplicate created by mistake · request `%s`\nAsked by <@USUPPORT> %s · expires %s",
			s.samDup, s.samOrig, s.samReq.ID, date(s.samReq.CreatedAt), date(s.samReq.ExpiresAt)),
		fmt.Sprintf("buttons: Approve [approval.approve=%[1]s] Reject [approval.reject=%[1]s]", s.samReq.ID),
		fmt.Sprintf("section: Privacy erasure of *Eve Gone* `%s` · *cannot be restored* · request `%s`\nAsked by <@USUPPORT> %s · expires %s",
			s.eve, s.eveReq.ID, date(s.eveReq.CreatedAt), date(s.eveReq.ExpiresAt)),
		fmt.Sprintf("buttons: Approve [approval.approve=%[1]s] Reject [approval.reject=%[1]s]", s.eveReq.ID),
		"divider",
		"header: Wrong deletions reported (0)",
		"context: None open.",
		"divider",
		"header: Done by an admin alone, to review (1)",
		fmt.Sprintf("section: <@UADMIN1> merged *Jane Doe* (`%s`) into `%s` without a second person %s · *Reason:* Duplicate created by mistake · deletion `%s`",
			s.dup, s.orig, date(s.review.CreatedAt), s.mergeDel.ID),
	}
	hits := []string{
		"divider",
		"header: Opted-out contacts back, DND re-applied, last 30 days (1)",
		fmt.Sprintf("section: ⛔ *Priya Patel* `%s` · %s · opted out before (deleted %s): DND re-applied: SMS on, Email on (permanent); suppression %s",
			s.priyaAgain, date(s.hit.At), s.priyaDel.DeletedAt.UTC().Format("2006-01-02"), strings.Split(s.hit.Detail, "; suppression ")[1]),
	}

	t.Run("Admin", func(t *testing.T) {
		v := e.OpenHome(bottest.Admin)
		want := append(append(append(append([]string{}, intro...), requests...),
			"context: You did this: another admin acknowledges it."), hits...)
		want = append(want,
			"divider",
			"header: Your requests waiting (0)",
			"context: None: when a delete, merge or erasure needs an admin's approval, your request shows here.",
			"divider",
			"header: Your deletions, last 30 days (1)",
			fmt.Sprintf("section: *Jane Doe* · merged into `%s` · deletion `%s` · merged %s · Duplicate created by mistake\nRestorable until %s",
				s.orig, s.mergeDel.ID, date(s.mergeDel.DeletedAt), date(s.mergeDel.RestoreUntil)),
			fmt.Sprintf("buttons: Report wrong merge [deletion.report=%s]", s.mergeDel.ID),
			footer,
		)
		sameLines(t, "the admin's Home tab", viewLines(v.Blocks.BlockSet), want)
	})

	t.Run("SupportAgent", func(t *testing.T) {
		v := e.OpenHome(bottest.Support)
		want := append(append([]string{}, intro...),
			"divider",
			"header: Your requests waiting (2)",
			fmt.Sprintf("section: Merge *Sam Lee* `%s` into `%s` · Duplicate created by mistake · request `%s`\nAsked %s · expires %s · waiting for an admin in <#CAPPROVALS>",
				s.samDup, s.samOrig, s.samReq.ID, date(s.samReq.CreatedAt), date(s.samReq.ExpiresAt)),
			fmt.Sprintf("buttons: Withdraw request [approval.withdraw=%s]", s.samReq.ID),
			fmt.Sprintf("section: Privacy erasure of *Eve Gone* `%s` · *cannot be restored* · request `%s`\nAsked %s · expires %s · waiting for two admins in <#CAPPROVALS>",
				s.eve, s.eveReq.ID, date(s.eveReq.CreatedAt), date(s.eveReq.ExpiresAt)),
			fmt.Sprintf("buttons: Withdraw request [approval.withdraw=%s]", s.eveReq.ID),
			"divider",
			"header: Your deletions, last 30 days (1)",
			fmt.Sprintf("section: *[erased]* · privacy erasure `%s` · erased %s · approved by <@UADMIN2>\n"+
				"Not restorable: nothing was archived. Its name, email and phone are [erased] everywhere; its email and phone stay on the suppression list.",
				s.tomDel.ID, date(s.tomDel.DeletedAt)),
			footer,
		)
		sameLines(t, "Support's Home tab", viewLines(v.Blocks.BlockSet), want)
		if all := strings.Join(viewLines(v.Blocks.BlockSet), "\n"); strings.Contains(all, "Tom") || strings.Contains(all, "tom@") {
			t.Errorf("the erasure's line names Tom:\n%s", all)
		}
	})

	t.Run("AdminWhoApprovedTheErasure", func(t *testing.T) {
		views := e.HomeViews(bottest.Admin2)
		if len(views) < 2 {
			t.Fatalf("Admin2's tab, opened before the re-import, was published %d times, want a refresh after it", len(views))
		}
		got := viewLines(views[len(views)-1].Blocks.BlockSet) // the refresh, not a new opening
		all := strings.Join(got, "\n")
		for _, want := range append(hits[1:],
			fmt.Sprintf("buttons: Acknowledge [review.ack=%s]", s.review.ID),
			"header: Your deletions, last 30 days (1)",
			fmt.Sprintf("section: *[erased]* · privacy erasure `%s` · erased %s · requested by <@USUPPORT> · approved by <@UADMIN2>\n"+
				"Not restorable: nothing was archived. Its name, email and phone are [erased] everywhere; its email and phone stay on the suppression list.",
				s.tomDel.ID, date(s.tomDel.DeletedAt)),
		) {
			if !strings.Contains(all, want) {
				t.Errorf("Admin2's refreshed tab lacks %q:\n%s", want, all)
			}
		}
	})
}

// TestDigestOfPrivacyFlows: the weekly digest counts merges (by person),
// privacy erasures (by requester), restores of merges and suppression hits
// (by where the opt-out was kept), apart from deletes, and names a merge
// among the archives expiring; it names no erased person.
func TestDigestOfPrivacyFlows(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"DIGEST_CHANNEL": "CDIGEST", "RESTORE_WINDOW": "120h"}})
	ctx := context.Background()
	s := newPrivacyScene(t, e, nil)
	// Admin2 approves Support's merge of Sam, then restores it: a merge undone.
	clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, s.samReq.ID)
	samDel := state(t, e, s.samReq.ID).DeletionID
	clickAndWait(t, e, bottest.Admin2, bot.ActionRestore, samDel)
	if !contactExists(t, e, s.samDup) {
		t.Fatal("the merge of Sam was not restored")
	}
	e.Clock.Advance(time.Hour)
	e.Slack.Reset()
	if err := e.Bot.PostDigest(ctx); err != nil {
		t.Fatal(err)
	}
	e.Bot.Wait()
	posts := e.Slack.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Params["channel"] != "CDIGEST" {
		t.Fatalf("digest posts: %v", posts)
	}
	now := e.Clock.Now()
	first, second := s.mergeDel, s.priyaDel
	if second.RestoreUntil.Before(first.RestoreUntil) || (second.RestoreUntil.Equal(first.RestoreUntil) && second.ID < first.ID) {
		first, second = second, first
	}
	expiring := func(d crm.DeletionItem) string {
		what := "deletion"
		if d.Kind == crm.KindMerge {
			what = "merge"
		}
		return fmt.Sprintf("\n• *%s* · %s `%s` · restorable until %s", d.ContactLabel, what, d.ID, date(d.RestoreUntil))
	}
	want := []string{
		"header: contactbot weekly digest",
		fmt.Sprintf("section: From %s to %s.", date(now.Add(-7*24*time.Hour)), date(now)),
		"section: *Deletions:* 1\n_By reason_\n• Test contact: 1\n_By person_\n• <@UDELETER>: 1",
		"section: *Merges:* 2 (duplicates merged into the contact that stays; restorable like a delete)\n_By person_\n• <@UADMIN1>: 1\n• <@USUPPORT>: 1",
		"section: *Privacy erasures:* 1 (nothing archived: they cannot be restored)\n_Requested by_\n• <@USUPPORT>: 1",
		"section: *Restores:* 1 (1 merge undone) · *Wrong deletions reported:* 0",
		"section: *Suppression hits:* 1 (DND re-applied to a contact created again with an opted-out email or phone)\n_Opted out before in_\n• a deleted contact: 1",
		"section: *Waiting now:* 1 request for an admin · 2 reviews of what an admin did alone (`/contact deletions`, the Home tab)",
		"section: *Archives expiring in the next 7 days:* 2 (after that they can no longer be restored)" + expiring(first) + expiring(second),
	}
	got := viewLines(decodeBlocks(t, posts[0].Params["blocks"]))
	sameLines(t, "digest", got, want)
	if text := posts[0].Params["text"]; text != "contactbot weekly digest: 1 deletion, 2 merges, 1 privacy erasure, 1 restore, 1 suppression hit" {
		t.Errorf("digest text %q", text)
	}
	if all := strings.Join(got, "\n"); strings.Contains(all, "Tom") || strings.Contains(all, "Becker") {
		t.Errorf("the digest names the erased contact:\n%s", all)
	}
}

// shortcutClick presses a button of a message shortcut's answer: its block
// id names the message origin the server kept for user (channel CSUPPORT,
// ts shortcutTS).
func shortcutClick(t *testing.T, e *bottest.Env, user, actionID, contactID string) {
	t.Helper()
	origin, err := e.Store.RecordMessageOrigin(t.Context(), user, bottest.Channel, shortcutTS)
	if err != nil {
		t.Fatal(err)
	}
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team},
		Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: bottest.Channel}}}, TriggerID: "trigger-sc",
		ResponseURL: e.Slack.NewResponseURL(), Container: slack.Container{Type: "message", IsEphemeral: true},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: actionID, BlockID: "msg:" + origin + ":" + contactID, Value: contactID}}}}
	if r := e.Interact(cb); r.Status != http.StatusOK {
		t.Fatalf("click %s: %d %s", actionID, r.Status, r.Body)
	}
}

const (
	shortcutTS  = "1795895340.000200"
	shortcutVia = "via message shortcut on the message of 2026-11-28 19:49:00 UTC in channel CSUPPORT, ts " + shortcutTS
)

// auditDetail is the detail of the one audit line of action about contact.
func auditDetail(t *testing.T, e *bottest.Env, contactID, action string) string {
	t.Helper()
	var details []string
	if err := e.Store.DB().Select(&details, `SELECT detail FROM audit_log WHERE contact_id = $1 AND action = $2`, contactID, action); err != nil || len(details) != 1 {
		t.Fatalf("%s lines of %s: %q, %v", action, contactID, details, err)
	}
	return details[0]
}

// TestShortcutThroughApprovalAndMerge: a request started from the message
// shortcut names the message in the audit line of the delete (or erasure)
// an admin approves, not only in the request's; a merge started there names it too,
// and an admin's merge from there is reviewed like a direct delete. The
// details read as clauses, without nested parentheses.
func TestShortcutThroughApprovalAndMerge(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	jane := lowRisk(t, e, "Jane")
	shortcutClick(t, e, bottest.Support, bot.ActionDelete, jane)
	submitDelete(t, e, bottest.Support, e.LastView())
	list, err := e.Store.ApprovalsBy(context.Background(), bottest.Support, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("requests: %+v, %v", list, err)
	}
	if got := auditDetail(t, e, jane, crm.AuditDeleteRequested); got != "expires "+list[0].ExpiresAt.UTC().Format(time.RFC3339)+"; "+shortcutVia {
		t.Errorf("request's audit detail %q", got)
	}
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, list[0].ID)
	if got := auditDetail(t, e, jane, crm.AuditDeleted); got != "1 row archived; "+shortcutVia {
		t.Errorf("approved delete's audit detail %q", got)
	}
	if auditPostsSaying(e, "deleted contact `"+jane+"`", "— ok (1 row archived; "+shortcutVia+")") != 1 {
		t.Errorf("the audit feed's line of the approved delete: %v", e.AuditPosts())
	}

	// An erasure asked for from there: the erasure's own line names it (the
	// request's line is about the erased contact: its detail is scrubbed).
	eve := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Eve", LastName: "Gone", Email: "eve@example.com"})
	shortcutClick(t, e, bottest.Support, bot.ActionDelete, eve)
	v := updatedView(t, e.Submit(bottest.Support, e.LastView(), map[string]string{"reason": "erasure"}))
	if r := e.Submit(bottest.Support, v, map[string]string{"confirm": "ERASE"}); !strings.Contains(r.Body, "Request sent") {
		t.Fatalf("erasure request: %s", r.Body)
	}
	e.Bot.Wait()
	var eveReq string
	if err := e.Store.DB().Get(&eveReq, `SELECT id FROM approval_requests WHERE contact_id = $1`, eve); err != nil {
		t.Fatal(err)
	}
	approveErasure(t, e, eveReq, bottest.Admin2, bottest.Admin)
	if got := auditDetail(t, e, eve, crm.AuditErased); !strings.HasSuffix(got, " scrubbed; "+shortcutVia) {
		t.Errorf("erasure's audit detail %q", got)
	}

	orig, dup := mergePair(t, e)
	shortcutClick(t, e, bottest.Admin, bot.ActionMerge, dup)
	if r := e.Submit(bottest.Admin, e.LastView(), map[string]string{"confirm": "MERGE"}); r.Status != http.StatusOK {
		t.Fatalf("merge: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	if got := auditDetail(t, e, dup, crm.AuditMerged); !strings.HasPrefix(got, "merged into "+orig+": moved ") || !strings.HasSuffix(got, "; "+shortcutVia) {
		t.Errorf("merge's audit detail %q", got)
	}
	if got := auditDetail(t, e, dup, crm.AuditFind); got != shortcutVia {
		t.Errorf("merge window's audit detail %q", got)
	}
	reviews, _, err := e.Store.OpenReviews(context.Background(), 10)
	if err != nil || len(reviews) != 1 || reviews[0].DeletionKind != crm.KindMerge || reviews[0].MergedInto != orig {
		t.Fatalf("the admin's merge is not reviewed: %+v, %v", reviews, err)
	}
	r := reviews[0]
	post := ""
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == bottest.Approval && strings.Contains(c.Params["text"], r.ID) {
			post = c.Params["blocks"]
		}
	}
	sameLines(t, "merge review post", viewLines(decodeBlocks(t, post)), []string{
		"header: Needs review: merge of Jane Doe",
		fmt.Sprintf("section: <@UADMIN1> merged *Jane Doe* (`%s`) into `%s` without a second person %s · *Reason:* Duplicate created by mistake · deletion `%s`", dup, orig, date(r.CreatedAt), r.DeletionID),
		fmt.Sprintf("buttons: Acknowledge [review.ack=%s]", r.ID),
		fmt.Sprintf("context: An admin did this alone. Another admin looks at it and acknowledges it; <@UADMIN1> cannot. Review `%s`.", r.ID),
	})
	clickAndWait(t, e, bottest.Admin2, bot.ActionAcknowledge, r.ID)
	if auditPostsSaying(e, "<@UADMIN2> acknowledged the review of contact `"+dup+"` deletion `"+r.DeletionID+"`", "— acknowledged (direct merge by <@UADMIN1>)") != 1 {
		t.Errorf("the acknowledgement of a merge review: %v", e.AuditPosts())
	}
}

// TestErasureScrubsReviewsAndEscalations: what the bot keeps or posts about
// a contact (the review of an admin's direct delete and of its restore, the
// escalation of the erasure request, the digest naming its archive, Home tab
// refreshes) holds no personal data once the contact is erased: every text
// column of every table is searched for the name, email and phone.
func TestErasureScrubsReviewsAndEscalations(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit, "APPROVAL_TTL": "4m", "RESTORE_WINDOW": "120h"}})
	ctx := context.Background()
	e.OpenHome(bottest.Admin)
	e.OpenHome(bottest.Support)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallLowRisk)
	del := deleteByModal(t, e, bottest.Admin, id) // reviewed: an admin alone
	if err := e.Bot.PostDigest(ctx); err != nil { // names her archive as expiring
		t.Fatal(err)
	}
	clickAndWait(t, e, bottest.Admin, bot.ActionRestore, del) // reviewed too
	if !contactExists(t, e, id) {
		t.Fatal("not restored")
	}
	a := requestErasure(t, e, bottest.Support, id)
	e.Clock.Advance(3*time.Minute + time.Second)
	if err := e.Bot.RunApprovalJobs(ctx); err != nil { // escalated, naming her
		t.Fatal(err)
	}
	e.Bot.Wait()
	if esc, _ := e.Store.Escalated(ctx, a.ID); !esc {
		t.Fatal("the erasure request was not escalated")
	}
	needles := []string{"Jane", "Doe", "jane.doe@example.com", "(555)", "010-2233", "5550102233"}
	if found := crmtest.FindText(t, e.Store, needles...); len(found) == 0 {
		t.Fatal("the scene left nothing to erase: the test would prove nothing")
	}
	approveErasure(t, e, a.ID, bottest.Admin, bottest.Admin2)
	if contactExists(t, e, id) {
		t.Fatal("not erased")
	}
	if found := crmtest.FindText(t, e.Store, needles...); len(found) > 0 {
		t.Errorf("personal data left after the erasure:\n%s", strings.Join(found, "\n"))
	}
	for _, table := range []string{"reviews", "approval_escalations", "home_tabs"} {
		if crmtest.CountRows(t, e.Store, table, "") == 0 {
			t.Errorf("no %s rows: the scene did not reach the review, escalation and Home tab tables", table)
		}
	}
	// What Slack is shown afterwards names nobody either: the refreshed
	// Home tabs, the review's reminder, a new digest.
	e.Clock.Advance(crm.ReviewRemindAfter)
	if err := e.Bot.RunReviewJobs(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Bot.PostDigest(ctx); err != nil {
		t.Fatal(err)
	}
	e.Bot.Wait()
	for _, user := range []string{bottest.Admin, bottest.Support} {
		views := e.HomeViews(user)
		all := strings.Join(viewLines(views[len(views)-1].Blocks.BlockSet), "\n")
		if strings.Contains(all, "Jane") || !strings.Contains(all, "[erased]") {
			t.Errorf("%s's refreshed Home tab after the erasure:\n%s", user, all)
		}
	}
	if found := crmtest.FindText(t, e.Store, needles...); len(found) > 0 {
		t.Errorf("personal data in what was written after the erasure:\n%s", strings.Join(found, "\n"))
	}
}
