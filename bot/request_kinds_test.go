package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// requestKind is what the texts about a request of one kind say.
type requestKind struct {
	kind   crm.Kind
	verb   string // "merge"
	done   string // "merged"
	noun   string // "merge", as in "merge requests"
	reason string // the label of the reason the request is filed with
}

var requestKinds = []requestKind{
	{crm.KindDelete, "delete", "deleted", "delete", "Duplicate created by mistake"},
	{crm.KindMerge, "merge", "merged", "merge", "Duplicate created by mistake"},
	{crm.KindErasure, "erase", "erased", "erasure", "Privacy erasure request"},
}

// filed is a request filed by Support, with what its texts say it asks.
type filed struct {
	crm.Approval
	asks    string // as admins read it: "merge *Sam Lee &amp; Co* (`…`) into `…`"
	private string // as the requester's answers say it (an erasure by id only)
}

// fileRequest has Support ask for a request of kind k about new contacts
// named first "Lee & Co" (and, for a merge, its original).
func fileRequest(t *testing.T, e *bottest.Env, k requestKind, first string) filed {
	t.Helper()
	email := strings.ToLower(first) + "@example.com"
	id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: first, LastName: "Lee & Co", Email: email})
	label := "*" + first + " Lee &amp; Co*"
	var f filed
	switch k.kind {
	case crm.KindMerge:
		orig := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: first, LastName: "Lee", Email: strings.ToUpper(email)})
		e.Click(bottest.Support, bot.ActionMerge, id)
		if r := e.Submit(bottest.Support, e.LastView(), map[string]string{"confirm": "MERGE"}); !strings.Contains(r.Body, "Request sent") {
			t.Fatalf("merge request: %s", r.Body)
		}
		e.Bot.Wait()
		f.asks = fmt.Sprintf("merge %s (`%s`) into `%s`", label, id, orig)
		f.private = f.asks
	case crm.KindErasure:
		f.Approval = requestErasure(t, e, bottest.Support, id)
		f.asks = fmt.Sprintf("erase %s (`%s`) (privacy erasure)", label, id)
		f.private = fmt.Sprintf("erase contact `%s` (privacy erasure)", id)
		return f
	default:
		f.Approval = requestDelete(t, e, bottest.Support, id)
		f.asks = fmt.Sprintf("delete %s (`%s`)", label, id)
		f.private = f.asks
		return f
	}
	list, err := e.Store.ApprovalsBy(context.Background(), bottest.Support, 100)
	for _, a := range list {
		if a.ContactID == id {
			f.Approval = a
			return f
		}
	}
	t.Fatalf("no request for %s: %v", id, err)
	return f
}

// answer is the mrkdwn of the newest post to a response URL.
func answer(t *testing.T, e *bottest.Env) string {
	t.Helper()
	return newestResponse(t, e).Params["text"]
}

// commandText is the mrkdwn of a command's answer.
func commandText(t *testing.T, r bottest.Response) string {
	t.Helper()
	s, _ := r.JSON(t)["text"].(string)
	return s
}

func sameText(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// auditSays checks that one audit post has want after its date.
func auditSays(t *testing.T, e *bottest.Env, want string) {
	t.Helper()
	n := 0
	for _, c := range e.AuditPosts() {
		if _, rest, ok := strings.Cut(c.Params["text"], "> "); ok && rest == want {
			n++
		}
	}
	if n != 1 {
		var got []string
		for _, c := range e.AuditPosts() {
			got = append(got, c.Params["text"])
		}
		t.Errorf("%d audit posts read %q, want 1:\n%s", n, want, strings.Join(got, "\n"))
	}
}

// TestRequestTextsSayWhatTheyAsk: the answers about a request (refusals,
// the Reject window, decided, withdrawn and expired requests, Withdraw)
// and its audit lines, live and in /contact history, say what it asks for
// a merge and an erasure, and read as before for a delete.
func TestRequestTextsSayWhatTheyAsk(t *testing.T) {
	t.Parallel()
	for _, k := range requestKinds {
		t.Run(string(k.kind), func(t *testing.T) {
			e := bottest.New(t, withAudit)
			sup := "<@" + bottest.Support + ">"

			// Rejected: the refusals on the way, the window, and the answer after.
			a := fileRequest(t, e, k, "Sam")
			auditSays(t, e, fmt.Sprintf("%s asked to %s contact `%s` request `%s` — reason: %s — pending (%sexpires %s)",
				sup, k.verb, a.ContactID, a.ID, k.reason, map[crm.Kind]string{crm.KindMerge: "merge into " + a.Summary.MergeInto + "; ", crm.KindErasure: "privacy erasure; "}[k.kind], date(a.ExpiresAt)))
			clickAndWait(t, e, bottest.Deleter, bot.ActionApprove, a.ID)
			sameText(t, "a non-admin's approve", answer(t, e),
				fmt.Sprintf("Only admins can approve or reject %s requests, and you are not one. Nothing was changed.", k.noun))
			sameText(t, "someone else's withdraw", commandText(t, e.Command(bottest.Admin, "withdraw "+a.ID)),
				fmt.Sprintf("Only %s, who asked for this %s, can withdraw it; an admin can reject it instead. Nothing was changed.", sup, k.noun))
			clickAndWait(t, e, bottest.Admin, bot.ActionReject, a.ID)
			v := e.LastView()
			if v.CallbackID != bot.CallbackRejectModal || v.Title.Text != "Reject request" {
				t.Fatalf("reject window: %q %q", v.CallbackID, v.Title.Text)
			}
			sameText(t, "the Reject window", v.Blocks.BlockSet[0].(*slack.SectionBlock).Text.Text,
				fmt.Sprintf("Reject %s's request to %s? Nothing is %s; they will be told.", sup, a.asks, k.done))
			e.Submit(bottest.Admin, v, map[string]string{"reject_reason": "ask Sales & <legal>"})
			e.Bot.Wait()
			rejected := state(t, e, a.ID)
			// The requester's DM: an erasure's names the contact by id only.
			yours := func(f filed, first string) string {
				if k.kind == crm.KindErasure {
					return fmt.Sprintf("your request `%s` to %s", f.ID, f.private)
				}
				return fmt.Sprintf("your request to %s *%s Lee &amp; Co* (`%s`, request `%s`)", k.verb, first, f.ContactID, f.ID)
			}
			lastDM := func() string { // its text; the block repeats it
				dms := dmsTo(e, bottest.Support)
				text, _, _ := strings.Cut(dms[len(dms)-1], "\n")
				return text
			}
			// The DM that said it was waiting: updated, its Withdraw button gone.
			waitingDM := func(f filed) string {
				t.Helper()
				var ts string
				if err := e.Store.DB().Get(&ts, e.Store.DB().Rebind(`SELECT ts FROM outbox_refs WHERE ref = ?`), outbox.RequestDMRef(f.ID)); err != nil {
					t.Fatalf("the waiting DM of %s was not posted: %v", f.ID, err)
				}
				ups := updatesOf(e, ts)
				if len(ups) != 1 {
					t.Fatalf("the waiting DM of %s was updated %d times, want once", f.ID, len(ups))
				}
				if strings.Contains(ups[0].Params["blocks"], bot.ActionWithdraw) {
					t.Errorf("the decided request's DM still has Withdraw: %s", ups[0].Params["blocks"])
				}
				return ups[0].Params["text"]
			}
			private := func(f filed) string { // what the requester's texts name
				if k.kind == crm.KindErasure {
					return f.private
				}
				return f.asks
			}
			sameText(t, "the waiting DM after a reject", waitingDM(a),
				fmt.Sprintf("📨 Your request `%s` to %s was rejected by <@%s> %s. Nothing was %s.", a.ID, private(a), bottest.Admin, date(*rejected.DecidedAt), k.done))
			sameText(t, "the requester's DM after a reject", lastDM(),
				fmt.Sprintf("❌ <@%s> rejected %s. Nothing was %s. Reason: ask Sales &amp; &lt;legal&gt;", bottest.Admin, yours(a, "Sam"), k.done))
			clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, a.ID)
			sameText(t, "approve after a reject", answer(t, e),
				fmt.Sprintf("Already rejected by <@%s> %s. Nothing was %s and nothing more was done.", bottest.Admin, date(*rejected.DecidedAt), k.done))
			auditSays(t, e, fmt.Sprintf("<@%s> rejected the %s of contact `%s` request `%s` — reason: %s — rejected (ask Sales &amp; &lt;legal&gt;)",
				bottest.Admin, k.noun, a.ContactID, a.ID, k.reason))

			// The same lines read back from the trail.
			history := body(t, e.Command(bottest.Admin, "history "+a.ContactID))
			wantAll(t, "history", history,
				fmt.Sprintf("%s asked to %s contact `%s` request `%s`", sup, k.verb, a.ContactID, a.ID),
				fmt.Sprintf("<@%s> rejected the %s of contact `%s` request `%s`", bottest.Admin, k.noun, a.ContactID, a.ID))

			// Withdrawn: the requester's answer, and an approve after it.
			w := fileRequest(t, e, k, "Wes")
			sameText(t, "the withdraw answer", commandText(t, e.Command(bottest.Support, "withdraw "+w.ID)),
				fmt.Sprintf("↩️ You withdrew your request `%s` to %s. Nothing was %s, and admins can no longer approve it.", w.ID, w.private, k.done))
			withdrawn := state(t, e, w.ID)
			e.Bot.Wait()
			sameText(t, "the waiting DM after a withdraw", waitingDM(w),
				fmt.Sprintf("📨 Your request `%s` to %s was withdrawn %s. Nothing was %s.", w.ID, private(w), date(*withdrawn.DecidedAt), k.done))
			clickAndWait(t, e, bottest.Admin, bot.ActionApprove, w.ID)
			sameText(t, "approve after a withdraw", answer(t, e),
				fmt.Sprintf("%s withdrew this request %s. Nothing was %s and nothing more was done.", sup, date(*withdrawn.DecidedAt), k.done))
			auditSays(t, e, fmt.Sprintf("%s withdrew the request to %s contact `%s` request `%s` — reason: %s — withdrawn", sup, k.verb, w.ContactID, w.ID, k.reason))

			// Approved.
			ok := fileRequest(t, e, k, "Amy")
			requestedBy := sup
			if k.kind == crm.KindErasure { // two admins, the second typing ERASE
				approveErasure(t, e, ok.ID, bottest.Admin, bottest.Admin2)
				requestedBy += "; first approved by <@" + bottest.Admin + ">"
			} else {
				clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, ok.ID)
			}
			approved := state(t, e, ok.ID)
			sameText(t, "the waiting DM after an approve", waitingDM(ok),
				fmt.Sprintf("📨 Your request `%s` to %s was approved by <@%s> %s: the contact was %s (deletion `%s`).", ok.ID, private(ok), bottest.Admin2, date(*approved.DecidedAt), k.done, approved.DeletionID))
			auditSays(t, e, fmt.Sprintf("<@%s> approved the %s of contact `%s` deletion `%s` request `%s` — reason: %s — deleted (requested by %s)",
				bottest.Admin2, k.noun, ok.ContactID, approved.DeletionID, ok.ID, k.reason, requestedBy))
			// The approving admin carried it out: the trail names them, not the requester.
			history = body(t, e.Command(bottest.Admin, "history "+ok.ContactID))
			wantAll(t, "history after an approve", history,
				fmt.Sprintf("<@%s> %s contact `%s` deletion `%s` request `%s` — reason: %s — ok (", bottest.Admin2, k.done, ok.ContactID, approved.DeletionID, ok.ID, k.reason))
			if strings.Contains(history, fmt.Sprintf("%s %s contact", sup, k.done)) {
				t.Errorf("the history credits the requester with the %s:\n%s", k.noun, history)
			}
			label := map[crm.Kind]string{crm.KindErasure: "[erased]"}[k.kind]
			if label == "" {
				label = "Amy Lee &amp; Co"
			}
			ups := updatesOf(e, approved.MessageTS)
			if len(ups) == 0 {
				t.Fatal("the approval message was not updated")
			}
			sameText(t, "the approval message's notification text", ups[len(ups)-1].Params["text"],
				fmt.Sprintf("%s request %s for %s: approved and %s", strings.ToUpper(k.noun[:1])+k.noun[1:], ok.ID, label, k.done))

			// Expired: before the expiry job has run, and after.
			x := fileRequest(t, e, k, "Xia")
			e.Clock.Advance(x.ExpiresAt.Sub(x.CreatedAt) + time.Second)
			clickAndWait(t, e, bottest.Admin, bot.ActionApprove, x.ID)
			sameText(t, "approve after the time is up", answer(t, e),
				fmt.Sprintf("This request expired %s. Nothing was %s; the requester can ask again.", date(x.ExpiresAt), k.done))
			sameText(t, "withdraw after the time is up", commandText(t, e.Command(bottest.Support, "withdraw "+x.ID)),
				fmt.Sprintf("This request expired %s: there is nothing to withdraw, and nothing was %s.", date(x.ExpiresAt), k.done))
			if err := e.Bot.RunApprovalJobs(context.Background()); err != nil {
				t.Fatal(err)
			}
			e.Bot.Wait()
			expired := state(t, e, x.ID)
			sameText(t, "the waiting DM after the expiry", waitingDM(x),
				fmt.Sprintf("📨 Your request `%s` to %s expired %s without a decision. Nothing was %s.", x.ID, private(x), date(*expired.DecidedAt), k.done))
			sameText(t, "the requester's DM after the expiry", lastDM(),
				fmt.Sprintf("⌛ No admin decided on %s in time, so it expired. Nothing was %s. If it should still go, ask again with `/contact delete` or talk to an admin.", yours(x, "Xia"), k.done))
			clickAndWait(t, e, bottest.Admin, bot.ActionApprove, x.ID)
			sameText(t, "approve after the expiry", answer(t, e),
				fmt.Sprintf("This request expired %s without a decision. Nothing was %s; the requester can ask again.", date(*expired.DecidedAt), k.done))
			auditSays(t, e, fmt.Sprintf("contactbot expired the request to %s contact `%s` request `%s` — reason: %s — expired", k.verb, x.ContactID, x.ID, k.reason))
		})
	}
}

// TestReportTextsSayMerge: the report window, the reporter's answer and the
// DM to who did it speak of the merge when a merge is reported, and read
// as before for a delete.
func TestReportTextsSayMerge(t *testing.T) {
	t.Parallel()
	for _, k := range requestKinds[:2] {
		t.Run(string(k.kind), func(t *testing.T) {
			e := bottest.New(t)
			id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Sam", LastName: "Lee & Co", Email: "sam@example.com"})
			noun, restore := "deletion", "restore every row"
			if k.kind == crm.KindMerge {
				crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Sam", LastName: "Lee", Email: "SAM@example.com"})
				submitMerge(t, e, bottest.Admin, id)
				noun, restore = "merge", "put both contacts back, row for row,"
			} else {
				deleteByModal(t, e, bottest.Admin, id)
			}
			var d crm.Deletion
			if err := e.Store.DB().Get(&d, `SELECT * FROM deletions WHERE contact_id = $1`, id); err != nil || d.Kind != k.kind {
				t.Fatalf("deletion: %+v, %v", d, err)
			}
			clickAndWait(t, e, bottest.Support, bot.ActionReport, d.ID)
			v := e.LastView()
			sameText(t, "the report window's title", v.Title.Text, "Report wrong "+noun)
			sameText(t, "the report window", v.Blocks.BlockSet[0].(*slack.SectionBlock).Text.Text,
				fmt.Sprintf("Report the %s of *Sam Lee &amp; Co* (deletion `%s`, %s by <@%s> %s) as wrong? It is posted in <#%s>, where an admin can %s until %s.",
					noun, d.ID, k.done, bottest.Admin, date(d.DeletedAt), bottest.Incident, restore, date(d.RestoreUntil)))
			e.SubmitReport(bottest.Support, "two people")
			sameText(t, "the reporter's answer", answer(t, e),
				fmt.Sprintf("Reported in <#%s>: an admin can %s until %s. <@%s> was told.", bottest.Incident, restore, date(d.RestoreUntil), bottest.Admin))
			dms := dmTextsTo(e, bottest.Admin)
			sameText(t, "the DM to who did it", dms[len(dms)-1],
				fmt.Sprintf("⚠️ Your %s of *Sam Lee &amp; Co* (deletion `%s`, %s) was reported as wrong by <@%s> in <#%s>. An admin can restore it until %s.",
					noun, d.ID, date(d.DeletedAt), bottest.Support, bottest.Incident, date(d.RestoreUntil)))
			inc, _, err := e.Store.Incident(context.Background(), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			clickAndWait(t, e, bottest.Deleter, bot.ActionReport, d.ID)
			sameText(t, "a second report", answer(t, e), fmt.Sprintf("This %s was already reported by <@%s> %s in <#%s>. An admin can restore it from that message until %s.",
				noun, bottest.Support, date(inc.ReportedAt), bottest.Incident, date(d.RestoreUntil)))
		})
	}
}

// TestDeletionsListsSayRequests: `/contact deletions` lists merge and
// erasure requests as requests, not as delete requests.
func TestDeletionsListsSayRequests(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	if got := commandText(t, e.Command(bottest.Admin, "deletions")); got != "Nothing is waiting for you: no requests to decide and no reviews to acknowledge. 🎉" {
		t.Errorf("empty list: %q", got)
	}
	fileRequest(t, e, requestKinds[1], "Sam")
	fileRequest(t, e, requestKinds[2], "Eve")
	sameText(t, "the admin's list", commandText(t, e.Command(bottest.Admin, "deletions")), "2 requests waiting")
	sameText(t, "the requester's list", commandText(t, e.Command(bottest.Support, "deletions mine")), "Your requests")
	sameText(t, "a wrong argument", commandText(t, e.Command(bottest.Support, "deletions all")),
		"Use `/contact deletions` for the requests you can act on, or `/contact deletions mine` for your own.")
}
