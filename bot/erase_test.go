package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestErasureFlow goes through the HTTP routes: the delete window's
// "Privacy erasure request" becomes the erasure window, DELETE does not
// confirm it, ERASE files a request even for an admin, the requester cannot
// approve it, a second admin does, and then nothing of the person is left in
// any table, while a contact re-created with the email gets DND on every
// channel. Reporting the erasure explains that it cannot be restored.
func TestErasureFlow(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)

	e.Click(bottest.Admin, bot.ActionDelete, id)
	r := e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "erasure", "note": "GDPR ticket 4711 from Jane Doe", "confirm": "DELETE"})
	v := updatedView(t, r)
	if v.CallbackID != bot.CallbackEraseModal || v.Title.Text != "Privacy erasure" || v.Submit.Text != "Request erasure" {
		t.Fatalf("the window became %q %q %+v", v.CallbackID, v.Title.Text, v.Submit)
	}
	wantAll(t, "erasure window", readable(t, r).Body,
		"*Nothing was deleted.* A privacy erasure is not a delete: it keeps no archive, so it has its own window, confirmed with ERASE.",
		"*This cannot be restored.* The contact and every linked row are deleted and no archive is kept. Its name, email and phone are replaced by “[erased]” in contactbot's records (the request, the deletion record, the audit trail). Its email and phone go on the suppression list with every channel permanent, so it is never messaged again.",
		"🔒 *Nothing is erased until another admin approves it* in <#"+bottest.Approval+">. A privacy erasure cannot be restored, so even an admin's needs another admin's approval, confirmed by typing ERASE.",
		"Type ERASE to confirm", "In capital letters. DELETE does not confirm an erasure.")
	if !contactExists(t, e, id) {
		t.Fatal("choosing the reason deleted the contact")
	}

	// DELETE does not confirm an erasure; nor does anything but ERASE.
	for typed, want := range map[string]string{
		"DELETE": "DELETE does not confirm a privacy erasure: type ERASE in capital letters. Nothing was erased.",
		"erase":  "Type ERASE in capital letters to confirm. Nothing was erased.",
	} {
		r = e.Submit(bottest.Admin, v, map[string]string{"confirm": typed})
		if errs := submitErrors(t, r); errs["confirm"] != want {
			t.Errorf("%s: %s", typed, r.Body)
		}
	}
	e.Bot.Wait()
	if n := crmtest.CountRows(t, e.Store, "approval_requests", ""); n != 0 {
		t.Fatalf("a wrong confirmation filed %d requests", n)
	}

	// ERASE, by an admin: still a request.
	r = e.Submit(bottest.Admin, v, map[string]string{"note": "GDPR ticket 4711 from Jane Doe", "confirm": "ERASE"})
	e.Bot.Wait()
	wantAll(t, "request sent", readable(t, r).Body,
		"*Nothing is erased yet.* A privacy erasure cannot be restored, so even an admin's needs another admin's approval, confirmed by typing ERASE.",
		"Your request to erase *Jane Doe* · jane.doe@example.com · +1 (555) 010-2233 · `"+id+"` (privacy erasure) is in <#"+bottest.Approval+">")
	var reqID string
	if err := e.Store.DB().Get(&reqID, `SELECT id FROM approval_requests WHERE contact_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	post := approvalPost(t, e, reqID)
	wantAll(t, "approval message", post.Text(), "Erasure request: Jane Doe",
		"<@"+bottest.Admin+"> asks to *erase* *Jane Doe* · jane.doe@example.com · +1 (555) 010-2233 · `"+id+"` (privacy erasure). *This cannot be restored.*\n*Reason:* Privacy erasure request — GDPR ticket 4711 from Jane Doe",
		"*Erasing removes, with no archive:*")
	dms := dmsTo(e, bottest.Admin)
	wantAll(t, "requester's DM", dms[len(dms)-1], "📨 Your request to erase contact `"+id+"` (privacy erasure) is waiting for another admin in <#"+bottest.Approval+"> (request `"+reqID+"`). Nothing is erased yet")

	// The requester, an admin, cannot approve it.
	clickAndWait(t, e, bottest.Admin, bot.ActionApprove, reqID)
	wantAll(t, "own approve", lastResponse(t, e), "You asked for this erasure, so you cannot decide on it: another admin must approve or reject it. Nothing was changed.")
	if !contactExists(t, e, id) {
		t.Fatal("the requester's own approve erased")
	}

	// A second admin approves, typing ERASE in the window the click opens.
	approveErasure(t, e, reqID, bottest.Admin2)
	if contactExists(t, e, id) {
		t.Fatal("the approved erasure did not happen")
	}
	if found := crmtest.FindText(t, e.Store, "Jane", "Doe", "jane.doe@example.com", "(555)", "010-2233", "5550102233"); len(found) > 0 {
		t.Errorf("personal data left after the erasure:\n%s", strings.Join(found, "\n"))
	}
	a := state(t, e, reqID)
	updates := updatesOf(e, a.MessageTS)
	if len(updates) != 1 {
		t.Fatalf("%d updates of the approval message, want 1", len(updates))
	}
	up := updates[0].Text()
	wantAll(t, "approval message after", up, "Erasure request: [erased]",
		"<@"+bottest.Admin+"> asks to *erase* *[erased]* `"+id+"` (privacy erasure). *This cannot be restored.*\n*Reason:* Privacy erasure request — [erased]",
		fmt.Sprintf("✅ *Approved* by <@%s> <!date^%d^{date_short_pretty} {time}|%s>: erased (deletion `%s`). It cannot be restored.",
			bottest.Admin2, a.DecidedAt.Unix(), a.DecidedAt.UTC().Format("2006-01-02 15:04 UTC"), a.DeletionID))
	if strings.Contains(up, "Jane") {
		t.Errorf("the updated approval message still names her:\n%s", up)
	}
	dms = dmsTo(e, bottest.Admin)
	done := dms[len(dms)-1]
	wantAll(t, "erasure summary", done, "Privacy erasure done",
		"Contact `"+id+"` is erased: 1 contact, 2 conversations, 6 messages, 2 notes, 2 opportunities, 3 tasks, 2 appointments, 2 workflow enrollments, 3 DND settings (23 rows) deleted with no archive. *This cannot be restored.*\n"+
			"Its email and phone are on the suppression list with every channel permanent: it is never messaged again.\n"+
			"Approved by <@"+bottest.Admin2+"> · deletion `"+a.DeletionID+"`")
	if strings.Contains(done, "Jane") || strings.Contains(done, bot.ActionReport) {
		t.Errorf("the erasure summary names her or offers a report:\n%s", done)
	}
	if auditPostsSaying(e, "erased contact `"+id+"`", "23 rows erased without an archive") != 1 {
		t.Errorf("no audit post of the erasure")
	}

	// Reporting it explains that it cannot be restored.
	rep := body(t, e.Command(bottest.Support, "report "+a.DeletionID))
	var deletion crm.Deletion
	if err := e.Store.DB().Get(&deletion, `SELECT * FROM deletions WHERE id = $1`, a.DeletionID); err != nil {
		t.Fatal(err)
	}
	deletedAt := deletion.DeletedAt.Unix()
	wantAll(t, "report", rep, fmt.Sprintf("Deletion `%s` was a privacy erasure, approved <!date^%d^", a.DeletionID, deletedAt),
		": nothing was archived, so it cannot be restored. The contact's data is gone for good; its email and phone stay on the suppression list, so it is never messaged again.")
	if r := e.Command(bottest.Admin2, "restore "+a.DeletionID); !strings.Contains(body(t, r), "was a privacy erasure") {
		t.Errorf("restore of an erasure: %s", body(t, r))
	}

	// Yet a re-created contact with that email gets DND on every channel.
	e.Store.DB().MustExec(`INSERT INTO contacts (id, location_id, first_name, last_name, email) VALUES ('again0000000000001', 'loc_main', 'J', 'D', 'Jane.Doe@example.com')`)
	if got := dndOf(t, e, "again0000000000001"); len(got) != 6 || got["sms"] != crm.DNDPermanent || got["fb"] != crm.DNDPermanent {
		t.Errorf("DND of the re-created contact = %v, want all six permanent", got)
	}
}

// TestErasureRequestedBySupport: anyone may ask; only an admin who is not
// the requester decides, and a rejection erases nothing.
func TestErasureRequestedBySupport(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	e.Click(bottest.Deleter, bot.ActionDelete, id)
	v := updatedView(t, e.Submit(bottest.Deleter, e.LastView(), map[string]string{"reason": "erasure"}))
	wantAll(t, "a deleter's erasure window", viewText(t, v),
		"🔒 *Nothing is erased until two admins approve it* in <#"+bottest.Approval+">. A privacy erasure cannot be restored, so it needs the approvals of two different admins, the second confirmed by typing ERASE.")
	r := e.Submit(bottest.Deleter, v, map[string]string{"confirm": "ERASE"})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Request sent") {
		t.Fatalf("deleter's erasure: %s", r.Body)
	}
	e.Bot.Wait()
	var reqID string
	if err := e.Store.DB().Get(&reqID, `SELECT id FROM approval_requests WHERE contact_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	clickAndWait(t, e, bottest.Support, bot.ActionApprove, reqID)
	wantAll(t, "support's approve", lastResponse(t, e), "Only admins can approve or reject erasure requests, and you are not one. Nothing was changed.")
	e.Click(bottest.Admin, bot.ActionReject, reqID)
	e.Submit(bottest.Admin, e.LastView(), map[string]string{"reject_reason": "no written request yet"})
	e.Bot.Wait()
	if !contactExists(t, e, id) || state(t, e, reqID).State != crm.ApprovalRejected {
		t.Fatal("a rejected erasure erased")
	}
	dms := dmsTo(e, bottest.Deleter)
	wantAll(t, "requester's DM", dms[len(dms)-1], "❌ <@"+bottest.Admin+"> rejected your request `"+reqID+"` to erase contact `"+id+"` (privacy erasure). Nothing was erased. Reason: no written request yet")
	if strings.Contains(dms[len(dms)-1], "Jane Doe") {
		t.Errorf("the requester's DM about an erasure names the contact: %s", dms[len(dms)-1])
	}
}

// TestErasureOfEscapedNames: the bot's messages hold a name as it wrote
// them, escaped for Slack and encoded as JSON (Tom & Jerry reads "Tom
// \u0026amp; Jerry" in the outbox), and an erasure leaves it in none of
// them. The scene: a namesake (same name, another email) was deleted and
// its archive purged, so only the DM of its delete names that name, with
// no id of the person erased; and the person's own deletes, started by two
// people, died with their processes: the DMs that say so name them by name
// only, one delivered, one still waiting (Slack refuses that DM). After
// the erasure no table holds the name, email or phone as it is, escaped
// or JSON-encoded, and the waiting DM, once Slack takes it, says
// "[erased]".
func TestErasureOfEscapedNames(t *testing.T) {
	t.Parallel()
	slackEscaper := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	for _, p := range []crmtest.Contact{
		{FirstName: "Tom & Jerry", LastName: "Hanna-Barbera", Email: "tom&jerry+news@example.com", Phone: "+1 (555) 010-7788"},
		{FirstName: `Robert "Bob"`, LastName: "Smith", Email: "bob.smith+crm@example.com"},
		{FirstName: "<Ann>", LastName: "Öztürk", Email: "ann<o>@example.com"},
	} {
		t.Run(p.FirstName, func(t *testing.T) {
			ctx := context.Background()
			e := bottest.New(t, bottest.Options{Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit, "RESTORE_WINDOW": "1h"}})
			id := crmtest.InsertFull(t, e.Store, p, crmtest.SmallLowRisk)
			name := crm.Contact{FirstName: p.FirstName, LastName: p.LastName}.Name()
			namesake := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: p.FirstName, LastName: p.LastName, Email: "namesake@example.com"}, crmtest.SmallLowRisk)
			deleteByModal(t, e, bottest.Admin, namesake)
			e.Clock.Advance(2 * time.Hour)
			if n, err := e.Store.Purge(ctx); err != nil || n != 1 {
				t.Fatalf("purged %d, %v", n, err)
			}
			e.Bot.Wait()
			// The operations' rows as the dead processes left them: one
			// started by this store would be its own, still running, on
			// SQLite, where one process owns the database.
			for _, user := range []string{bottest.Deleter, bottest.Support} {
				if _, err := e.Store.DB().Exec(e.Store.DB().Rebind(`INSERT INTO operations (id, kind, actor, subject, label, started_at) VALUES (?, ?, ?, ?, ?, ?)`),
					crm.NewID("O", 12), crm.OperationDelete, user, id, name, e.Clock.Now().UTC()); err != nil {
					t.Fatal(err)
				}
			}
			e.Slack.FailChannel(bottest.Support, "not_in_channel")
			e.Clock.Advance(time.Minute)
			if _, err := e.Bot.RecoverOperations(ctx); err != nil {
				t.Fatal(err)
			}
			e.Bot.Wait()
			told := "The delete of " + slackEscaper.Replace(name) + " did not complete: nothing was deleted. Try again."
			if dms := dmsTo(e, bottest.Deleter); len(dms) != 1 || !strings.HasPrefix(dms[0], told) {
				t.Fatalf("DMs to the deleter: %q, want %q", dms, told)
			}
			if n := crmtest.CountRows(t, e.Store, "outbox", "delivered_at IS NULL AND gave_up_at IS NULL AND channel = $1", bottest.Support); n != 1 {
				t.Fatalf("%d DMs to support waiting, want 1", n)
			}

			needles := []string{name, p.FirstName, p.LastName, p.Email}
			for _, n := range needles {
				needles = append(needles, slackEscaper.Replace(n))
			}
			if p.Phone != "" {
				needles = append(needles, p.Phone, "010-7788", "5550107788")
			}
			found := strings.Join(crmtest.FindText(t, e.Store, needles...), "\n")
			for _, want := range []string{namesake, "did not complete"} {
				if !strings.Contains(found, want) {
					t.Fatalf("before the erasure the search does not find the DMs (%s) in the outbox: the test would prove nothing\n%s", want, found)
				}
			}
			a := requestErasure(t, e, bottest.Deleter, id)
			approveErasure(t, e, a.ID, bottest.Admin, bottest.Admin2)
			if contactExists(t, e, id) {
				t.Fatal("not erased")
			}
			if found := crmtest.FindText(t, e.Store, needles...); len(found) > 0 {
				t.Errorf("personal data left after the erasure:\n%s", strings.Join(found, "\n"))
			}
			e.Slack.UnfailChannel(bottest.Support)
			e.Clock.Advance(time.Hour)
			e.Bot.Wait()
			if dms := dmsTo(e, bottest.Support); len(dms) == 0 || dms[len(dms)-1] != "[erased]" {
				t.Errorf("the waiting DM, delivered after the erasure: %q, want [erased]", dms)
			}
		})
	}
}

// TestErasureDoneSaysWhatWasSuppressed: the requester's "Privacy erasure
// done" DM names only what went on the suppression list: the email, the
// phone, both, or nothing when the contact had neither.
func TestErasureDoneSaysWhatWasSuppressed(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name         string
		email, phone string
		want         string // the summary after the erasure
		willList     string // the windows and the request before it
	}{
		{"EmailAndPhone", "jane@example.com", "+1 (555) 010-2233", "Its email and phone are on the suppression list with every channel permanent: it is never messaged again.",
			"Its email and phone go on the suppression list with every channel permanent, so it is never messaged again."},
		{"EmailOnly", "jane@example.com", "", "Its email is on the suppression list with every channel permanent: it is never messaged again.",
			"Its email goes on the suppression list with every channel permanent, so it is never messaged again."},
		{"PhoneOnly", "", "+1 (555) 010-2233", "Its phone is on the suppression list with every channel permanent: it is never messaged again.",
			"Its phone goes on the suppression list with every channel permanent, so it is never messaged again."},
		{"Neither", "", "", "Nothing went on the suppression list: it had no email or phone that could be listed.",
			"It has no email or phone, so nothing goes on the suppression list."},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := bottest.New(t)
			id := crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: c.email, Phone: c.phone})
			// Before anything is erased, the erasure window, the request and
			// the window that approves it say what will be listed.
			e.Click(bottest.Admin, bot.ActionDelete, id)
			window := updatedView(t, e.Submit(bottest.Admin, e.LastView(), map[string]string{"reason": "erasure"}))
			wantAll(t, "the erasure window", viewText(t, window), "in contactbot's records (the request, the deletion record, the audit trail). "+c.willList)
			if r := e.Submit(bottest.Admin, window, map[string]string{"confirm": "ERASE"}); !strings.Contains(r.Body, "Request sent") {
				t.Fatalf("erasure request: %s", r.Body)
			}
			e.Bot.Wait()
			var requestID string
			if err := e.Store.DB().Get(&requestID, `SELECT id FROM approval_requests WHERE contact_id = $1`, id); err != nil {
				t.Fatal(err)
			}
			a := state(t, e, requestID)
			wantAll(t, "the request", approvalPost(t, e, a.ID).Text(),
				"Approving deletes the contact and every linked row with no archive. "+c.willList+" Its name, email and phone become “[erased]” in contactbot's records, this message included.")
			approveErasure(t, e, a.ID, bottest.Admin2)
			wantAll(t, "the approving window", viewText(t, e.LastView()),
				"The contact and every linked row are deleted with no archive. "+c.willList+" Its name, email and phone become “[erased]” in contactbot's records.")
			got := state(t, e, a.ID)
			if got.DeletionID == "" {
				t.Fatalf("not erased: %+v", got)
			}
			dms := dmsTo(e, bottest.Admin)
			sameText(t, "the erasure summary", dms[len(dms)-1], "Privacy erasure done (deletion "+got.DeletionID+")\nPrivacy erasure done\n"+
				"Contact `"+id+"` is erased: 1 contact (1 row) deleted with no archive. *This cannot be restored.*\n"+
				c.want+"\n"+
				"Approved by <@"+bottest.Admin2+"> · deletion `"+got.DeletionID+"`\n"+
				"Its name, email and phone now read “[erased]” in contactbot's records.")
		})
	}
}
