package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// The authorization matrix: every action the bot takes, by every role, and
// with each field a client controls forged (button value, private_metadata,
// response_url, view and callback ids, team and user ids), sent over signed
// HTTP.
// A refused row asserts the exact sentence the person gets and that no
// table that matters changed; an allowed row asserts the change it makes.
//
// A rule to add is a row: name, who acts, a setup that makes what the row
// needs (its own contact, so rows stay independent on one shared bot), the
// act, and the outcome. A row marked pending states a rule the bot does not
// hold yet: it is skipped, saying what happened instead, until the rule
// lands; then it passes and the mark goes.

// matrixFixture is what a row's setup made.
type matrixFixture struct {
	contact string // the row's own contact
	other   string // a second contact: a duplicate to merge, or one forged in
	request crm.Approval
	own     crm.Approval // a request of the one who acts, for forged values
	// deletion is a deletion id (a delete, or an erasure for the rows that
	// say so); undo, suppression and review the ids of those things.
	deletion, undo, suppression, review string
	removal                             string // a request to remove an erased person's entry
	hook                                *hook  // where a forged response_url points
	// view is an open window (with the id Slack gave it) whose id a click
	// names: another person's, or one of the clicker's that is another window.
	view slack.View
}

// matrixSeen is what an act produced: what the person was told (the
// sentence of the answer, the first section or inline errors of a window),
// the whole answer, and the windows opened and replaced meanwhile.
type matrixSeen struct {
	told, body string
	opened     []slack.View
	replaced   []slackfake.Call // views.update and views.push calls
}

// matrixOutcome is what a row expects. Refused: told is text (or starts
// with it, when prefix), no window opened or replaced, and nothing changed. Allowed:
// check returns "" when the change happened, else what is wrong.
type matrixOutcome struct {
	refused bool
	text    string
	prefix  bool
	check   func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string
}

// refused is a refusal with its exact sentence; "{deletion}" and
// "{request}" stand for the row's ids.
func refused(text string) matrixOutcome { return matrixOutcome{refused: true, text: text} }

// refusedStarting is a refusal whose sentence goes on with a date.
func refusedStarting(text string) matrixOutcome {
	return matrixOutcome{refused: true, text: text, prefix: true}
}

func allowed(check func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string) matrixOutcome {
	return matrixOutcome{check: check}
}

// matrixAct does what a row tests, as who. It calls ready just before the
// request the row is about (after opening the window it submits, say):
// "nothing changed" and "no window opened" count from there.
type matrixAct func(t *testing.T, e *bottest.Env, who string, f matrixFixture, ready func()) matrixSeen

type matrixRow struct {
	name  string
	who   string
	setup func(t *testing.T, e *bottest.Env) matrixFixture
	act   matrixAct
	want  matrixOutcome
	// pending names a rule the bot does not hold yet (see above).
	pending string
}

// matrixEnv binds the bot to the test workspace (SLACK_TEAM_ID) and lets a
// deleter delete, and anyone keep requests waiting, as often as the rows
// need (REQUEST_LIMIT, once the bot reads it: rows leave requests pending).
var matrixEnv = bottest.Options{Env: map[string]string{"SLACK_TEAM_ID": bottest.Team, "AUDIT_CHANNEL": bottest.Audit,
	"DELETE_RATE_LIMIT": "1000", "REQUEST_LIMIT": "1000"}}

// botTables are the bot's own tables whose rows an action changes; with
// the CRM tables they are what "nothing changed" compares. The audit trail
// and the outbox are left out: a refusal is recorded and announced.
var botTables = []string{"approval_requests", "deletions", "archived_rows", "incidents", "undo_actions", "suppressions", "suppression_removals", "merges", "merge_moves", "reviews"}

// matrixSnapshot is every row of the CRM tables and of botTables as text.
func matrixSnapshot(t *testing.T, e *bottest.Env) map[string][]string {
	t.Helper()
	out := crmtest.Dump(t, e.Store)
	maps.Copy(out, crmtest.DumpTables(t, e.Store, botTables...))
	return out
}

// settle waits for the work after the ack and for the outbox to deliver
// what it holds: a delivery writes message references back into the
// tables a snapshot compares.
func settle(t *testing.T, e *bottest.Env) {
	t.Helper()
	e.Bot.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for pendingNotes(t, e) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the outbox still holds %d notes", pendingNotes(t, e))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAuthorizationMatrix runs every row, spread over matrixParts bots.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	rows := matrixRows()
	// The rows run in matrixParts workspaces at once, each part's rows one
	// after another in the order written, so each row's "nothing changed"
	// snapshot sees only its own action.
	for part := range matrixParts {
		t.Run(fmt.Sprintf("part%d", part+1), func(t *testing.T) {
			t.Parallel()
			e := bottest.New(t, matrixEnv)
			for i := part; i < len(rows); i += matrixParts {
				runMatrixRow(t, e, rows[i])
			}
		})
	}
}

// matrixParts is how many workspaces the matrix's rows are spread over.
const matrixParts = 4

// runMatrixRow acts as the row's person and checks what they were told and
// that a refusal changed nothing.
func runMatrixRow(t *testing.T, e *bottest.Env, row matrixRow) {
	t.Run(row.name, func(t *testing.T) {
		var f matrixFixture
		if row.setup != nil {
			f = row.setup(t, e)
		}
		var before map[string][]string
		opens, updates, pushes := -1, 0, 0
		ready := func() {
			settle(t, e)
			before = matrixSnapshot(t, e)
			opens = len(e.Slack.Calls("views.open"))
			updates, pushes = len(e.Slack.Calls("views.update")), len(e.Slack.Calls("views.push"))
		}
		seen := row.act(t, e, row.who, f, ready)
		if opens < 0 {
			t.Fatal("the act never said it was ready")
		}
		settle(t, e)
		for _, c := range e.Slack.Calls("views.open")[opens:] {
			var v slack.View
			if err := json.Unmarshal([]byte(c.Params["view"]), &v); err != nil {
				t.Fatalf("decode opened view: %v", err)
			}
			seen.opened = append(seen.opened, v)
		}
		seen.replaced = append(e.Slack.Calls("views.update")[updates:], e.Slack.Calls("views.push")[pushes:]...)
		var problems []string
		if row.want.refused {
			want := strings.NewReplacer("{deletion}", f.deletion, "{request}", f.request.ID, "{other}", f.other).Replace(row.want.text)
			if seen.told != want && !(row.want.prefix && strings.HasPrefix(seen.told, want)) {
				problems = append(problems, fmt.Sprintf("told\n  %q\nwant\n  %q", seen.told, want))
			}
			if len(seen.opened) > 0 {
				problems = append(problems, fmt.Sprintf("a window opened: %q", seen.opened[0].CallbackID))
			}
			for _, c := range seen.replaced {
				problems = append(problems, fmt.Sprintf("%s of window %q: %q", c.Method, c.Params["view_id"], c.View()["callback_id"]))
			}
			if d := cmp.Diff(before, matrixSnapshot(t, e)); d != "" {
				problems = append(problems, "tables changed (-before +after):\n"+d)
			}
		} else if p := row.want.check(t, e, f, seen); p != "" {
			problems = append(problems, p+fmt.Sprintf(" (told %q)", seen.told))
		}
		switch {
		case len(problems) > 0 && row.pending != "":
			t.Skipf("pending rule: %s. Today: %s", row.pending, strings.Join(problems, "; "))
		case len(problems) > 0:
			t.Error(strings.Join(problems, "\n"))
		case row.pending != "":
			t.Errorf("the pending rule holds now (%s): remove the row's pending mark", row.pending)
		}
	})
}

// The people of the test workspace.
const (
	admin   = bottest.Admin
	admin2  = bottest.Admin2
	deleter = bottest.Deleter
	support = bottest.Support
)

// matrixRoles are the roles every action is tried with.
var matrixRoles = []struct{ name, id string }{{"Admin", admin}, {"Admin2", admin2}, {"Deleter", deleter}, {"Support", support}}

// Sentences people get, as the bot words them; "Title: text" is a window
// the submit turned into.
const (
	wrongTeamText      = "This contactbot serves another Slack workspace. Ask your admin which bot to use here."
	externalMemberText = "contactbot serves only members of the workspace it is installed in, and your account belongs to another organisation, so nothing was done. Ask a member of this workspace for help."
	notAdminDecide     = "Only admins can approve or reject delete requests, and you are not one. Nothing was changed."
	ownDelete          = "You asked for this delete, so you cannot decide on it: another admin must approve or reject it. Nothing was changed."
	ownErasure         = "You asked for this erasure, so you cannot decide on it: another admin must approve or reject it. Nothing was changed."
	notARequest        = "That button does not name a delete request contactbot knows, so nothing was done."
	notAdminRestore    = "Only admins can restore a deletion, so nothing was restored. Ask an admin in <#" + bottest.Incident + "> to press *Restore* on the incident."
	notAdminSuppress   = "Only admins can remove suppression entries, so nothing was removed."
	notAdminAck        = "Only admins can acknowledge a review, and you are not one. Nothing was changed."
	ownReview          = "You did this yourself, so another admin must acknowledge it. Nothing was changed."
	modeChanged        = "⚠️ *What this window does has changed since you opened it.* Nothing was deleted or sent. Check below and submit again."
	mergeModeChanged   = "⚠️ *What this window does has changed since you opened it.* Nothing was merged or sent. Check below and submit again."
	contactChanged     = "⚠️ *This contact changed since you opened this window*. Nothing was deleted. Check it again and confirm if it should still go."
	unreadableDelete   = "Not deleted: This window could not be read, so nothing was deleted. Close it and search for the contact again."
	unreadableAction   = "This window could not be read, so nothing was changed. Close it and search for the contact again."
	unreadableMerge    = "Not merged: This window could not be read, so nothing was merged. Close it and search for the contact again."
	unknownWindowText  = "Not understood: This window is not one contactbot knows, so nothing was done. Close it and start again from `/contact`."
	notYourWindow      = "That window is not one contactbot opened for you, so nothing was changed. Close it and start again from `/contact`."
)

// matrixRows are the rows, grouped by action.
func matrixRows() []matrixRow {
	var rows []matrixRow
	add := func(r ...matrixRow) { rows = append(rows, r...) }
	each := func(action string, setup func(t *testing.T, e *bottest.Env) matrixFixture, act matrixAct, want func(who string) matrixOutcome) {
		for _, r := range matrixRoles {
			add(matrixRow{name: action + "/" + r.name, who: r.id, setup: setup, act: act, want: want(r.id)})
		}
	}

	// Search and the search window: anyone on the support team.
	each("Search", lowRiskContact, commandOf(func(f matrixFixture) string { return emailOf(f.contact) }),
		func(string) matrixOutcome {
			return allowed(toldIs(func(f matrixFixture) string { return "1 contact for “" + emailOf(f.contact) + "”" }))
		})
	each("FindWindowOpen", nil, func(t *testing.T, e *bottest.Env, who string, f matrixFixture, ready func()) matrixSeen {
		ready()
		e.ClickHome(who, bot.ActionFindContact, "")
		return matrixSeen{}
	}, func(string) matrixOutcome { return allowed(opened(bot.CallbackFindModal, "Search")) })
	each("FindWindowSubmit", lowRiskContact, submitOf(findWindow, func(f matrixFixture) matrixInputs {
		return matrixInputs{typed: map[string]string{"find_query": emailOf(f.contact)}}
	}), func(string) matrixOutcome { return allowed(bodyHas(func(f matrixFixture) string { return f.contact })) })

	// Delete…: the window says what a submit does for this person; the
	// submit deletes for admins and for deleters on a low-risk contact, and
	// files a request for everyone else.
	for _, r := range []struct {
		name, who, submit string
		setup             func(t *testing.T, e *bottest.Env) matrixFixture
		done              matrixOutcome
	}{
		{"Admin", admin, "Delete", riskyContact, allowed(contactGone)},
		{"Admin2", admin2, "Delete", riskyContact, allowed(contactGone)},
		{"Deleter", deleter, "Delete", lowRiskContact, allowed(contactGone)},
		{"DeleterRiskyContact", deleter, "Request approval", riskyContact, allowed(requested(deleter, crm.KindDelete))},
		{"Support", support, "Request approval", lowRiskContact, allowed(requested(support, crm.KindDelete))},
	} {
		add(matrixRow{name: "DeleteOpen/" + r.name, who: r.who, setup: r.setup, act: pressOf(bot.ActionDelete, contactValue),
			want: allowed(opened(bot.CallbackDeleteModal, r.submit))})
		add(matrixRow{name: "DeleteSubmit/" + r.name, who: r.who, setup: r.setup, act: submitOf(deleteWindow, deleteInputs), want: r.done})
	}
	add(
		matrixRow{name: "DeleteSubmit/Support/ModeForgedDirect", who: support, setup: lowRiskContact,
			act: submitOf(deleteWindow, deleteInputs, editMeta(func(m map[string]any, f matrixFixture) { m["m"] = "direct" })), want: refused(modeChanged)},
		matrixRow{name: "DeleteSubmit/DeleterRiskyContact/ModeForgedDirect", who: deleter, setup: riskyContact,
			act: submitOf(deleteWindow, deleteInputs, editMeta(func(m map[string]any, f matrixFixture) { m["m"] = "direct" })), want: refused(modeChanged)},
		matrixRow{name: "DeleteSubmit/Support/ModeRemoved", who: support, setup: lowRiskContact,
			act:  submitOf(deleteWindow, deleteInputs, editMeta(func(m map[string]any, f matrixFixture) { delete(m, "m") })),
			want: allowed(requested(support, crm.KindDelete))},
		// Keys the server never wrote make the window unreadable.
		matrixRow{name: "DeleteSubmit/Support/UnknownKeysRefused", who: support, setup: lowRiskContact,
			act: submitOf(deleteWindow, deleteInputs, editMeta(func(m map[string]any, f matrixFixture) {
				m["admin"], m["approved_by"], m["role"] = true, admin, "admin"
			})),
			want: refused(unreadableDelete)},
		matrixRow{name: "DeleteSubmit/Admin/ContactIDSwapped", who: admin, setup: twoLowRiskContacts,
			act:  submitOf(deleteWindow, deleteInputs, editMeta(func(m map[string]any, f matrixFixture) { m["c"] = f.other })),
			want: refused(contactChanged)},
		matrixRow{name: "DeleteSubmit/Admin/FingerprintEdited", who: admin, setup: lowRiskContact,
			act:  submitOf(deleteWindow, deleteInputs, editMeta(func(m map[string]any, f matrixFixture) { m["f"] = "0123456789abcdef" })),
			want: refused(contactChanged)},
		matrixRow{name: "DeleteSubmit/Admin/FingerprintNotOne", who: admin, setup: lowRiskContact,
			act:  submitOf(deleteWindow, deleteInputs, editMeta(func(m map[string]any, f matrixFixture) { m["f"] = "0000" })),
			want: refused(unreadableDelete)},
		matrixRow{name: "DeleteSubmit/Admin/MetadataUnreadable", who: admin, setup: lowRiskContact,
			act:  submitOf(deleteWindow, deleteInputs, func(cb *slack.InteractionCallback, f matrixFixture) { cb.View.PrivateMetadata = `{"c":""}` }),
			want: refused(unreadableDelete)},
		// The window an admin opened, submitted as someone else: the
		// submitter's rights count, whoever opened it.
		matrixRow{name: "DeleteSubmit/SupportInAdminsWindow", who: support, setup: lowRiskContact,
			act: submitOf(windowAs(admin, deleteWindow), deleteInputs), want: refused(modeChanged)},
		// Another workspace's submit: the window says why.
		matrixRow{name: "DeleteSubmit/Admin/OtherTeam", who: admin, setup: lowRiskContact,
			act: submitOf(deleteWindow, deleteInputs, fromTeam), want: refused("Not served: " + wrongTeamText)},
		// Someone of another organisation (a Slack Connect member) in the
		// bot's own workspace.
		matrixRow{name: "DeleteSubmit/Admin/ExternalMember", who: admin, setup: lowRiskContact,
			act: submitOf(deleteWindow, deleteInputs, fromExternalMember), want: refused("Not served: " + externalMemberText)},
		matrixRow{name: "DeleteOpen/Support/ExternalMember", who: support, setup: lowRiskContact,
			act: pressOf(bot.ActionDelete, contactValue, fromExternalMember), want: refused(externalMemberText)},
		matrixRow{name: "DeleteSubmit/Admin/UnknownCallbackID", who: admin, setup: lowRiskContact,
			act:  submitOf(deleteWindow, deleteInputs, func(cb *slack.InteractionCallback, f matrixFixture) { cb.View.CallbackID = "contact.nuke.modal" }),
			want: refused(unknownWindowText)},
		matrixRow{name: "DeleteSubmit/Support/CallbackIDMerge", who: support, setup: lowRiskContact,
			act:  submitOf(deleteWindow, deleteInputs, func(cb *slack.InteractionCallback, f matrixFixture) { cb.View.CallbackID = bot.CallbackMergeModal }),
			want: refused(unreadableMerge)},
		matrixRow{name: "DeleteSubmit/Admin2/CallbackIDReject", who: admin2, setup: lowRiskContact,
			act:  submitOf(deleteWindow, deleteInputs, func(cb *slack.InteractionCallback, f matrixFixture) { cb.View.CallbackID = bot.CallbackRejectModal }),
			want: refused("Not rejected: " + notARequest)},
	)

	// Set DND and Remove follow-up: anyone; the contact stays.
	each("SetDNDOpen", lowRiskContact, pressOf(bot.ActionSetDND, contactValue), func(string) matrixOutcome { return allowed(opened(bot.CallbackDNDModal, "Set DND")) })
	each("SetDNDSubmit", lowRiskContact, submitOf(windowOf(bot.ActionSetDND), dndInputs), func(string) matrixOutcome { return allowed(smsDND(crm.DNDActive)) })
	each("RemoveFollowUpOpen", lowRiskContact, pressOf(bot.ActionRemoveFollowUp, contactValue),
		func(string) matrixOutcome { return allowed(opened(bot.CallbackFollowUpModal, "Stop follow-up")) })
	each("RemoveFollowUpSubmit", lowRiskContact, submitOf(windowOf(bot.ActionRemoveFollowUp), followUpInputs), func(string) matrixOutcome { return allowed(workflowStopped) })
	add(
		matrixRow{name: "SetDNDSubmit/Support/ContactIDNotAnID", who: support, setup: lowRiskContact,
			act:  submitOf(windowOf(bot.ActionSetDND), dndInputs, editMeta(func(m map[string]any, f matrixFixture) { m["c"] = "not an id" })),
			want: refused("DND not set: " + unreadableAction)},
		matrixRow{name: "RemoveFollowUpSubmit/Support/ContactIDNotAnID", who: support, setup: lowRiskContact,
			act:  submitOf(windowOf(bot.ActionRemoveFollowUp), followUpInputs, editMeta(func(m map[string]any, f matrixFixture) { m["c"] = "" })),
			want: refused("Nothing stopped: " + unreadableAction)},
		matrixRow{name: "SetDNDOpen/Support/OtherTeam", who: support, setup: lowRiskContact,
			act: pressOf(bot.ActionSetDND, contactValue, fromTeam), want: refused(wrongTeamText)},
	)

	// Merge…: the delete rule, applied to the duplicate that goes.
	for _, r := range []struct {
		name, who, submit string
		done              matrixOutcome
	}{
		{"Admin", admin, "Merge", allowed(otherGone)},
		{"Admin2", admin2, "Merge", allowed(otherGone)},
		{"Deleter", deleter, "Request approval", allowed(mergeRequested(deleter))},
		{"Support", support, "Request approval", allowed(mergeRequested(support))},
	} {
		add(matrixRow{name: "MergeOpen/" + r.name, who: r.who, setup: duplicatePair, act: pressOf(bot.ActionMerge, otherValue), want: allowed(opened(bot.CallbackMergeModal, r.submit))})
		add(matrixRow{name: "MergeSubmit/" + r.name, who: r.who, setup: duplicatePair, act: submitOf(windowOfOther(bot.ActionMerge), mergeInputs), want: r.done})
	}
	add(
		matrixRow{name: "MergeSubmit/Support/ModeForgedDirect", who: support, setup: duplicatePair,
			act:  submitOf(windowOfOther(bot.ActionMerge), mergeInputs, editMeta(func(m map[string]any, f matrixFixture) { m["m"] = "direct" })),
			want: refused(mergeModeChanged)},
		matrixRow{name: "MergeSubmit/Admin/OriginalSwappedToNoDuplicate", who: admin, setup: duplicatePairAndStranger,
			act: submitOf(windowOfOther(bot.ActionMerge), mergeInputs, editMeta(func(m map[string]any, f matrixFixture) {
				m["o"] = []map[string]string{{"i": f.request.ContactID, "f": fingerprintOf(f.request.ContactID)}}
			})),
			want: refused("original: Choose which contact stays. Nothing was merged.")},
		matrixRow{name: "MergeSubmit/Admin/FingerprintNotOne", who: admin, setup: duplicatePair,
			act:  submitOf(windowOfOther(bot.ActionMerge), mergeInputs, editMeta(func(m map[string]any, f matrixFixture) { m["f"] = "0000" })),
			want: refused(unreadableMerge)},
		matrixRow{name: "MergeSubmit/Admin/FingerprintEdited", who: admin, setup: duplicatePair,
			act:  submitOf(windowOfOther(bot.ActionMerge), mergeInputs, editMeta(func(m map[string]any, f matrixFixture) { m["f"] = "0123456789abcdef" })),
			want: refused("⚠️ *These contacts changed since you opened this window.* Nothing was merged. Check them again and confirm if they should still be merged.")},
	)

	// Privacy erasure: the window only ever files a request, whoever asks.
	each("ErasureSubmit", lowRiskContact, submitOf(erasureWindow, eraseInputs), func(who string) matrixOutcome { return allowed(requested(who, crm.KindErasure)) })
	add(matrixRow{name: "ErasureSubmit/Admin/TypedDELETE", who: admin, setup: lowRiskContact,
		act: submitOf(erasureWindow, func(matrixFixture) matrixInputs {
			return matrixInputs{typed: map[string]string{"confirm": "DELETE"}}
		}),
		want: refused("confirm: DELETE does not confirm a privacy erasure: type ERASE in capital letters. Nothing was erased.")})

	// Approve: an admin who is not the requester.
	add(
		matrixRow{name: "Approve/Admin", who: admin, setup: pendingDelete(support), act: pressOf(bot.ActionApprove, requestValue), want: allowed(approvedAndGone)},
		matrixRow{name: "Approve/Admin2", who: admin2, setup: pendingDelete(deleter), act: pressOf(bot.ActionApprove, requestValue), want: allowed(approvedAndGone)},
		matrixRow{name: "Approve/Deleter", who: deleter, setup: pendingDelete(support), act: pressOf(bot.ActionApprove, requestValue), want: refused(notAdminDecide)},
		matrixRow{name: "Approve/Support", who: support, setup: pendingDelete(deleter), act: pressOf(bot.ActionApprove, requestValue), want: refused(notAdminDecide)},
		matrixRow{name: "Approve/Support/OwnRequest", who: support, setup: pendingDelete(support), act: pressOf(bot.ActionApprove, requestValue), want: refused(ownDelete)},
		matrixRow{name: "Approve/Admin/OwnErasure", who: admin, setup: pendingErasure(admin), act: pressOf(bot.ActionApprove, requestValue), want: refused(ownErasure)},
		// An admin's erasure: another admin's Approve only opens the window
		// that asks for ERASE.
		matrixRow{name: "Approve/Admin2/AdminsErasure", who: admin2, setup: pendingErasure(admin), act: pressOf(bot.ActionApprove, requestValue),
			want: allowed(opened(bot.CallbackEraseApproveModal, "Erase"))},
		// On Support's request's message, the value swapped to a request
		// of the clicker's own.
		matrixRow{name: "Approve/Admin2/ValueSwappedToOwnRequest", who: admin2, setup: pendingDeleteAndOwn(support, admin2),
			act: pressOf(bot.ActionApprove, func(f matrixFixture) string { return f.own.ID }), want: refused(ownErasure)},
		matrixRow{name: "Approve/Admin2/ValueNotARequestID", who: admin2, setup: pendingDelete(support),
			act: pressOf(bot.ActionApprove, func(f matrixFixture) string { return f.request.ID + "X" }), want: refused(notARequest)},
		matrixRow{name: "Approve/Admin2/ValueUnknownRequest", who: admin2, setup: pendingDelete(support),
			act: pressOf(bot.ActionApprove, func(matrixFixture) string { return "RZZZZZZZZZZ" }), want: refused(crm.ErrNoApproval.Message + " Nothing was done.")},
		matrixRow{name: "ApproveAnyway/Admin2/FingerprintForged", who: admin2, setup: pendingDelete(support),
			act:  pressOf(bot.ActionApproveAnyway, func(f matrixFixture) string { return f.request.ID + ":forged" }),
			want: refused("Nothing was deleted: the contact changed since the request.")},
		matrixRow{name: "ApproveAnyway/Support/OwnRequest", who: support, setup: pendingDelete(support),
			act: pressOf(bot.ActionApproveAnyway, func(f matrixFixture) string { return f.request.ID + ":" + fingerprintOf(f.request.ContactID) }), want: refused(ownDelete)},
		matrixRow{name: "ApproveAnyway/Deleter", who: deleter, setup: pendingDelete(support),
			act: pressOf(bot.ActionApproveAnyway, func(f matrixFixture) string { return f.request.ID + ":" + fingerprintOf(f.request.ContactID) }), want: refused(notAdminDecide)},
		matrixRow{name: "Approve/Support/OwnRequestOnHome", who: support, setup: pendingDelete(support), act: pressOnHome(bot.ActionApprove, requestValue), want: refused(ownDelete)},
		matrixRow{name: "Approve/Deleter/OnHome", who: deleter, setup: pendingDelete(support), act: pressOnHome(bot.ActionApprove, requestValue), want: refused(notAdminDecide)},
		matrixRow{name: "Approve/Admin2/OtherTeam", who: admin2, setup: pendingDelete(support), act: pressOf(bot.ActionApprove, requestValue, fromTeam), want: refused(wrongTeamText)},
		// Two admins for an erasure anyone but an admin asks for.
		matrixRow{name: "Approve/Admin2/SupportsErasureAlone", who: admin2, setup: pendingErasure(support), act: pressOf(bot.ActionApprove, requestValue),
			want: allowed(firstApprovalOnly(admin2))},
		matrixRow{name: "Approve/Admin/SupportsErasureTwice", who: admin, setup: erasureApprovedOnceBy(support, admin), act: pressOf(bot.ActionApprove, requestValue),
			want: refused("You already approved this erasure: a second, different admin must approve it. Nothing was changed.")},
		matrixRow{name: "ApproveAnyway/Admin/SupportsErasureTwice", who: admin, setup: erasureApprovedOnceBy(support, admin),
			act:  pressOf(bot.ActionApproveAnyway, func(f matrixFixture) string { return f.request.ID + ":" + fingerprintOf(f.request.ContactID) }),
			want: refused("You already approved this erasure: a second, different admin must approve it. Nothing was changed.")},
		matrixRow{name: "Approve/Admin2/SupportsErasureSecond", who: admin2, setup: erasureApprovedOnceBy(support, admin), act: pressOf(bot.ActionApprove, requestValue),
			want: allowed(opened(bot.CallbackEraseApproveModal, "Erase"))},
	)

	// Reject: the same people as Approve; the window re-checks on submit.
	add(
		matrixRow{name: "RejectOpen/Admin2", who: admin2, setup: pendingDelete(support), act: pressOf(bot.ActionReject, requestValue), want: allowed(opened(bot.CallbackRejectModal, "Reject"))},
		matrixRow{name: "RejectOpen/Admin", who: admin, setup: pendingDelete(deleter), act: pressOf(bot.ActionReject, requestValue), want: allowed(opened(bot.CallbackRejectModal, "Reject"))},
		matrixRow{name: "RejectOpen/Deleter", who: deleter, setup: pendingDelete(support), act: pressOf(bot.ActionReject, requestValue), want: refused(notAdminDecide)},
		matrixRow{name: "RejectOpen/Support/OwnRequest", who: support, setup: pendingDelete(support), act: pressOf(bot.ActionReject, requestValue), want: refused(ownDelete)},
		matrixRow{name: "RejectSubmit/Admin2", who: admin2, setup: pendingDelete(support), act: submitOf(rejectWindow(admin2), rejectInputs), want: allowed(stateIs(crm.ApprovalRejected))},
		matrixRow{name: "RejectSubmit/Admin2/MetadataSwappedToOwnRequest", who: admin2, setup: pendingDeleteAndOwn(support, admin2),
			act:  submitOf(rejectWindow(admin2), rejectInputs, func(cb *slack.InteractionCallback, f matrixFixture) { cb.View.PrivateMetadata = f.own.ID }),
			want: refused("Not rejected: " + ownErasure)},
		matrixRow{name: "RejectSubmit/DeleterInAdmin2sWindow", who: deleter, setup: pendingDelete(support), act: submitOf(rejectWindow(admin2), rejectInputs),
			want: refused("Not rejected: " + notAdminDecide)},
		matrixRow{name: "RejectSubmit/SupportInAdmin2sWindow/OwnRequest", who: support, setup: pendingDelete(support), act: submitOf(rejectWindow(admin2), rejectInputs),
			want: refused("Not rejected: " + ownDelete)},
	)

	// Withdraw: the requester only.
	notRequester := "Only <@" + support + ">, who asked for this delete, can withdraw it; an admin can reject it instead. Nothing was changed."
	add(
		matrixRow{name: "Withdraw/Support/OwnRequest", who: support, setup: pendingDelete(support), act: pressOf(bot.ActionWithdraw, requestValue), want: allowed(stateIs(crm.ApprovalWithdrawn))},
		matrixRow{name: "Withdraw/Admin", who: admin, setup: pendingDelete(support), act: pressOf(bot.ActionWithdraw, requestValue), want: refused(notRequester)},
		matrixRow{name: "Withdraw/Admin2", who: admin2, setup: pendingDelete(support), act: pressOf(bot.ActionWithdraw, requestValue), want: refused(notRequester)},
		matrixRow{name: "Withdraw/Deleter", who: deleter, setup: pendingDelete(support), act: pressOf(bot.ActionWithdraw, requestValue), want: refused(notRequester)},
		matrixRow{name: "WithdrawCommand/Deleter", who: deleter, setup: pendingDelete(support),
			act: commandOf(func(f matrixFixture) string { return "withdraw " + f.request.ID }), want: refused(notRequester)},
	)

	// Report wrong deletion: anyone.
	each("ReportOpen", deletedContact, pressOf(bot.ActionReport, deletionValue), func(string) matrixOutcome { return allowed(opened(bot.CallbackReportModal, "Report")) })
	each("ReportSubmit", deletedContact, submitOf(reportWindow, reportInputs), func(string) matrixOutcome { return allowed(incidentOpened) })
	add(
		matrixRow{name: "ReportSubmit/Support/MetadataUnreadable", who: support, setup: deletedContact,
			act:  submitOf(reportWindow, reportInputs, editMeta(func(m map[string]any, f matrixFixture) { m["d"] = "not a deletion" })),
			want: refused("Not reported: This window could not be read, so nothing was reported. Press *Report wrong deletion* again, or use `/contact report` with the deletion id.")},
		matrixRow{name: "ReportSubmit/Support/DeletionSwappedToErasure", who: support, setup: deletedAndErased,
			act:  submitOf(reportWindow, reportInputs, editMeta(func(m map[string]any, f matrixFixture) { m["d"], m["ru"] = f.other, freshResponseURL })),
			want: matrixOutcome{refused: true, prefix: true, text: "Deletion `{other}` was a privacy erasure, approved "}},
	)

	// Restore: admins only, the button and the command alike.
	each("Restore", deletedContact, pressOf(bot.ActionRestore, deletionValue), func(who string) matrixOutcome {
		if who == admin || who == admin2 {
			return allowed(contactBack)
		}
		return refused(notAdminRestore)
	})
	add(
		matrixRow{name: "Restore/Admin/OwnDeletion", who: admin, setup: deletedByAdmin, act: pressOf(bot.ActionRestore, deletionValue), want: allowed(contactBack)},
		matrixRow{name: "Restore/Admin/ValueSwappedToErasure", who: admin, setup: erasedContact, act: pressOf(bot.ActionRestore, deletionValue),
			want: refusedStarting("Deletion `{deletion}` was a privacy erasure, approved ")},
		matrixRow{name: "Restore/Admin/ValueUnknownDeletion", who: admin, setup: nil, act: pressOf(bot.ActionRestore, func(matrixFixture) string { return "DZZZZZZZZZZ" }),
			want: refused("There is no deletion with id DZZZZZZZZZZ. Check the id in the delete summary.")},
		matrixRow{name: "Restore/Admin/OtherTeam", who: admin, setup: deletedContact, act: pressOf(bot.ActionRestore, deletionValue, fromTeam), want: refused(wrongTeamText)},
	)
	each("RestoreCommand", deletedContact, commandOf(func(f matrixFixture) string { return "restore " + f.deletion }), func(who string) matrixOutcome {
		if who == admin || who == admin2 {
			return allowed(contactBack)
		}
		return refused(notAdminRestore)
	})
	add(matrixRow{name: "RestoreCommand/Admin/OtherTeam", who: admin, setup: deletedContact,
		act: commandOf(func(f matrixFixture) string { return "restore " + f.deletion }, fromTeam), want: refused(wrongTeamText)})

	// Undo of Set DND: whoever set it, or an admin.
	each("Undo", dndSetByDeleter, pressOf(bot.ActionUndo, func(f matrixFixture) string { return f.undo }), func(who string) matrixOutcome {
		if who == support {
			return refused("Only <@" + deleter + ">, who made this change, or an admin can undo it. Nothing was changed.")
		}
		return allowed(smsDND(crm.DNDInactive))
	})
	add(matrixRow{name: "Undo/Admin/ValueUnknown", who: admin, act: pressOf(bot.ActionUndo, func(matrixFixture) string { return "UZZZZZZZZZZ" }),
		want: refused(crm.ErrUndoNotFound.Message)})

	// Remove a suppression entry: admins.
	each("SuppressionRemove", suppressedContact, pressOf(bot.ActionSuppressionRemove, func(f matrixFixture) string { return f.suppression }), func(who string) matrixOutcome {
		if who == admin || who == admin2 {
			return allowed(entryGone)
		}
		return refused(notAdminSuppress)
	})
	add(
		matrixRow{name: "SuppressionRemove/Admin/ValueNotAnEntry", who: admin, act: pressOf(bot.ActionSuppressionRemove, func(matrixFixture) string { return "D1234567890" }),
			want: refused("That button does not name a suppression entry contactbot knows, so nothing was removed.")},
		// An erased person's entry: one admin's Remove only asks a second.
		matrixRow{name: "SuppressionRemove/Admin/ErasedEntryAlone", who: admin, setup: erasedContact,
			act:  pressOf(bot.ActionSuppressionRemove, func(f matrixFixture) string { return f.suppression }),
			want: allowed(entryKept)},
	)

	// Approve the removal of an erased person's entry: an admin other than
	// the one who asked.
	each("SuppressionRemovalApprove", removalAskedBy(admin), pressOf(bot.ActionSuppressionRemovalApprove, func(f matrixFixture) string { return f.removal }),
		func(who string) matrixOutcome {
			switch who {
			case admin:
				return refused(crm.ErrOwnSuppressionRemoval.Message)
			case admin2:
				return allowed(entryGone)
			}
			return refused("Only admins can approve removing a suppression entry, and you are not one. Nothing was removed.")
		})

	// Acknowledge a review: an admin other than the one who acted alone.
	each("Acknowledge", deletedByAdmin, pressOf(bot.ActionAcknowledge, func(f matrixFixture) string { return f.review }), func(who string) matrixOutcome {
		switch who {
		case admin:
			return refused(ownReview)
		case admin2:
			return allowed(acknowledgedBy(admin2))
		}
		return refused(notAdminAck)
	})
	add(matrixRow{name: "Acknowledge/Admin2/ValueNotAReview", who: admin2, act: pressOf(bot.ActionAcknowledge, func(matrixFixture) string { return "VBAD" }),
		want: refused("That button does not name a review contactbot knows, so nothing was done.")})

	// The admins' commands.
	adminsOnly := func(verb string, setup func(t *testing.T, e *bottest.Env) matrixFixture, arg func(f matrixFixture) string, refusal string, ok func(who string) matrixOutcome) {
		each("Command"+verb, setup, commandOf(func(f matrixFixture) string { return strings.ToLower(verb) + " " + arg(f) }), func(who string) matrixOutcome {
			if who == admin || who == admin2 {
				return ok(who)
			}
			return refused(refusal)
		})
	}
	adminsOnly("History", dndSetByDeleter, func(f matrixFixture) string { return f.contact },
		"Only admins can see a contact's history. Ask an admin if you need to know who changed a contact.",
		func(string) matrixOutcome { return allowed(toldStarts("History of ")) })
	adminsOnly("Audit", nil, func(matrixFixture) string { return "1" }, "Only admins can export the audit trail. Ask an admin if an auditor needs it.",
		func(string) matrixOutcome {
			return allowed(toldStarts("📄 Exporting the audit trail of the last 1 day"))
		})
	adminsOnly("Suppression", suppressedContact, func(f matrixFixture) string { return emailOf(f.contact) },
		"Only admins can look at the suppression list. Ask an admin if a contact keeps getting its DND back.",
		func(string) matrixOutcome {
			return allowed(bodyHas(func(f matrixFixture) string { return f.suppression }))
		})
	// `/contact deletions` lists the requests waiting to admins, and to
	// everyone else only their own.
	each("CommandDeletions", newestRequests(deleter, support), commandOf(func(matrixFixture) string { return "deletions" }), func(who string) matrixOutcome {
		if who == admin || who == admin2 {
			return allowed(toldStarts("The 20 oldest requests waiting"))
		}
		return allowed(notListed(who))
	})

	// A click inside a window replaces only a window the bot opened for
	// the one clicking, and only the window it expects: a view id from
	// another person's window (with the sender's own choice of contact), or
	// from another of the sender's windows, replaces nothing.
	add(
		matrixRow{name: "ReasonSwitch/Admin/OwnWindow", who: admin, setup: windowOpenedBy(admin, deleteWindow),
			act: pressOf("reason", noValue, inWindow, choosing(bot.ReasonUnsubscribe)), want: allowed(windowBecame(bot.CallbackDNDModal))},
		matrixRow{name: "ReasonSwitch/Support/AdminsWindow", who: support, setup: windowOpenedBy(admin, deleteWindow),
			act:  pressOf("reason", noValue, inWindow, choosing(bot.ReasonUnsubscribe), editMeta(func(m map[string]any, f matrixFixture) { m["c"] = f.other })),
			want: refused(notYourWindow)},
		matrixRow{name: "ReasonSwitch/Admin2/AdminsWindowToErasure", who: admin2, setup: windowOpenedBy(admin, deleteWindow),
			act: pressOf("reason", noValue, inWindow, choosing(bot.ReasonErasure)), want: refused(notYourWindow)},
		matrixRow{name: "ReasonSwitch/Deleter/AdminsWindowToMerge", who: deleter, setup: windowOpenedBy(admin, windowOfOther(bot.ActionDelete), duplicatePair),
			act: pressOf("reason", noValue, inWindow, choosing(bot.ReasonDuplicate)), want: refused(notYourWindow)},
		matrixRow{name: "ReasonSwitch/Support/UnknownViewID", who: support, setup: windowOpenedBy(support, deleteWindow),
			act:  pressOf("reason", noValue, inWindow, choosing(bot.ReasonUnsubscribe), func(cb *slack.InteractionCallback, _ matrixFixture) { cb.View.ID = "VNEVEROPENED" }),
			want: refused(notYourWindow)},
		// Support's own search window, its callback id forged to the
		// delete window's.
		matrixRow{name: "ReasonSwitch/Support/OwnFindWindowAsDelete", who: support, setup: ownWindowAs(support, findWindow, deleteWindow),
			act: pressOf("reason", noValue, inWindow, choosing(bot.ReasonErasure)), want: refused(notYourWindow)},
		matrixRow{name: "MergeWay/Support/AdminsWindow", who: support, setup: windowOpenedBy(admin, windowOfOther(bot.ActionMerge), duplicatePair),
			act: pressOf("original", noValue, inWindow, func(cb *slack.InteractionCallback, f matrixFixture) {
				choosing(bot.MergeChoice(f.other, f.contact))(cb, f)
			}),
			want: refused(notYourWindow)},
		matrixRow{name: "FindNewSearch/Admin/OwnWindow", who: admin, setup: windowOpenedBy(admin, findWindow),
			act: pressOf(bot.ActionFindContact, noValue, inWindow), want: allowed(windowBecame(bot.CallbackFindModal))},
		matrixRow{name: "FindNewSearch/Support/AdminsWindow", who: support, setup: windowOpenedBy(admin, findWindow),
			act: pressOf(bot.ActionFindContact, noValue, inWindow), want: refused(notYourWindow)},
	)

	// A response_url that is not Slack's is never posted to; where an
	// action started is never the client's text; one click, one action.
	add(
		matrixRow{name: "ResponseURL/Support/ClickAnswerGoesElsewhere", who: support, setup: deletedContactAndHook,
			act:  pressOf(bot.ActionRestore, deletionValue, toHook),
			want: allowed(hookUntouched)},
		matrixRow{name: "ResponseURL/Support/SetDNDMetadataElsewhere", who: support, setup: lowRiskContactAndHook,
			act:  submitOf(windowOf(bot.ActionSetDND), dndInputs, editMeta(func(m map[string]any, f matrixFixture) { m["ru"] = f.hook.forgedURL() })),
			want: allowed(hookUntouched)},
		matrixRow{name: "DeleteSubmit/Support/WhereItStartedForged", who: support, setup: lowRiskContact,
			act:  submitOf(deleteWindow, deleteInputs, editMeta(func(m map[string]any, f matrixFixture) { m["v"] = "x\n" + forgedAuditLine })),
			want: allowed(forgedTextNowhere)},
		matrixRow{name: "Approve/Admin2/TwoActionsInOnePayload", who: admin2, setup: twoPendingDeletes(support),
			act: pressOf(bot.ActionApprove, requestValue, func(cb *slack.InteractionCallback, f matrixFixture) {
				cb.ActionCallback.BlockActions = append(cb.ActionCallback.BlockActions, &slack.BlockAction{ActionID: bot.ActionApprove, BlockID: "b", Value: f.own.ID})
			}),
			want: allowed(secondStillPending)},
	)
	return rows
}

// Setups. Each row gets contacts of its own.

// newMatrixContact writes a contact with a unique email.
func newMatrixContact(t *testing.T, e *bottest.Env, full crmtest.Full) string {
	t.Helper()
	key := strings.ToLower(crm.NewID("", 10))
	return crmtest.InsertFull(t, e.Store, crmtest.Contact{ID: "mx" + key, FirstName: "Mx", LastName: "Matrix", Email: key + "@matrix.example"}, full)
}

// emailOf is the email newMatrixContact gave id.
func emailOf(id string) string { return strings.TrimPrefix(id, "mx") + "@matrix.example" }

func lowRiskContact(t *testing.T, e *bottest.Env) matrixFixture {
	return matrixFixture{contact: newMatrixContact(t, e, crmtest.SmallLowRisk)}
}

// riskyContact has DND, an open opportunity and an upcoming appointment.
func riskyContact(t *testing.T, e *bottest.Env) matrixFixture {
	return matrixFixture{contact: newMatrixContact(t, e, crmtest.SmallFull)}
}

func twoLowRiskContacts(t *testing.T, e *bottest.Env) matrixFixture {
	return matrixFixture{contact: newMatrixContact(t, e, crmtest.SmallLowRisk), other: newMatrixContact(t, e, crmtest.SmallLowRisk)}
}

// duplicatePair: contact stays, other (risky) is its duplicate that goes.
func duplicatePair(t *testing.T, e *bottest.Env) matrixFixture {
	t.Helper()
	key := strings.ToLower(crm.NewID("", 10))
	orig := crmtest.InsertFull(t, e.Store, crmtest.Contact{ID: "mo" + key, FirstName: "Mo", LastName: "Matrix", Email: key + "@dup.example"}, crmtest.SmallLowRisk)
	dup := crmtest.InsertFull(t, e.Store, crmtest.Contact{ID: "md" + key, FirstName: "Mo", LastName: "Matrix", Email: strings.ToUpper(key) + "@dup.example"}, crmtest.SmallFull)
	return matrixFixture{contact: orig, other: dup}
}

// duplicatePairAndStranger adds a contact that is nobody's duplicate, as
// request.ContactID.
func duplicatePairAndStranger(t *testing.T, e *bottest.Env) matrixFixture {
	f := duplicatePair(t, e)
	f.request.ContactID = newMatrixContact(t, e, crmtest.SmallLowRisk)
	fingerprints.Store(f.request.ContactID, fingerprint(t, e, f.request.ContactID))
	return f
}

// fingerprint is the contact's state now, as a window records it.
func fingerprint(t *testing.T, e *bottest.Env, id string) string {
	t.Helper()
	_, l, err := e.Store.Linked(context.Background(), id)
	if err != nil {
		t.Fatalf("load %s: %v", id, err)
	}
	return l.Fingerprint
}

// fingerprints remembers fingerprints computed in setups, for values that
// carry one, by contact id (the parts of the matrix run at once).
var fingerprints sync.Map

func fingerprintOf(id string) string {
	fp, _ := fingerprints.Load(id)
	s, _ := fp.(string)
	return s
}

// file records a pending request of kind by requester for a contact.
func file(t *testing.T, e *bottest.Env, requester, contactID string, kind crm.Kind) crm.Approval {
	t.Helper()
	fp := fingerprint(t, e, contactID)
	fingerprints.Store(contactID, fp)
	req := crm.NewApproval{ContactID: contactID, Requester: requester, Reason: bot.ReasonTestContact, Fingerprint: fp, TTL: e.Config.ApprovalTTL, Kind: kind}
	if kind == crm.KindErasure {
		req.Reason = bot.ReasonErasure
		req.RequesterIsAdmin = requester == admin || requester == admin2
	}
	a, _, err := e.Store.RequestApproval(context.Background(), req)
	if err != nil {
		t.Fatalf("file request: %v", err)
	}
	return a
}

func pendingDelete(requester string) func(t *testing.T, e *bottest.Env) matrixFixture {
	return func(t *testing.T, e *bottest.Env) matrixFixture {
		id := newMatrixContact(t, e, crmtest.SmallLowRisk)
		return matrixFixture{contact: id, request: file(t, e, requester, id, crm.KindDelete)}
	}
}

func pendingErasure(requester string) func(t *testing.T, e *bottest.Env) matrixFixture {
	return func(t *testing.T, e *bottest.Env) matrixFixture {
		id := newMatrixContact(t, e, crmtest.SmallLowRisk)
		return matrixFixture{contact: id, request: file(t, e, requester, id, crm.KindErasure)}
	}
}

// pendingDeleteAndOwn: requester's delete request, and an erasure request
// of own's, for values swapped to a request of the one who acts.
func pendingDeleteAndOwn(requester, own string) func(t *testing.T, e *bottest.Env) matrixFixture {
	return func(t *testing.T, e *bottest.Env) matrixFixture {
		f := pendingDelete(requester)(t, e)
		f.own = file(t, e, own, newMatrixContact(t, e, crmtest.SmallLowRisk), crm.KindErasure)
		return f
	}
}

// twoPendingDeletes: two delete requests of requester's (request, own).
func twoPendingDeletes(requester string) func(t *testing.T, e *bottest.Env) matrixFixture {
	return func(t *testing.T, e *bottest.Env) matrixFixture {
		f := pendingDelete(requester)(t, e)
		f.own = pendingDelete(requester)(t, e).request
		return f
	}
}

// newestRequests is pendingDeleteAndOwn with both requests newer than any
// other (listings show the newest first, and only so many), filed after
// more requests than an admin's list shows (the 20 oldest): the rows of
// the matrix are spread over several bots, so the other rows' requests
// alone may not be that many.
func newestRequests(requester, own string) func(t *testing.T, e *bottest.Env) matrixFixture {
	return func(t *testing.T, e *bottest.Env) matrixFixture {
		for crmtest.CountRows(t, e.Store, "approval_requests", "state = 'pending'") <= 20 {
			pendingDelete(support)(t, e)
		}
		e.Clock.Advance(time.Second)
		return pendingDeleteAndOwn(requester, own)(t, e)
	}
}

// deleteAs deletes a contact as actor, as an approved or direct delete does.
func deleteAs(t *testing.T, e *bottest.Env, actor, id string, review bool) crm.Deleted {
	t.Helper()
	res, err := e.Store.Delete(context.Background(), crm.DeleteRequest{ContactID: id, Actor: actor, Reason: bot.ReasonTestContact, RestoreWindow: e.Config.RestoreWindow, Review: review})
	if err != nil {
		t.Fatalf("delete %s: %v", id, err)
	}
	return res
}

// deletedContact: a deleter's delete of a contact with DND.
func deletedContact(t *testing.T, e *bottest.Env) matrixFixture {
	id := newMatrixContact(t, e, crmtest.SmallFull)
	return matrixFixture{contact: id, deletion: deleteAs(t, e, deleter, id, false).Deletion.ID}
}

// deletedByAdmin: an admin's delete alone, which opened a review.
func deletedByAdmin(t *testing.T, e *bottest.Env) matrixFixture {
	id := newMatrixContact(t, e, crmtest.SmallFull)
	res := deleteAs(t, e, admin, id, true)
	if res.Review == nil {
		t.Fatal("an admin's delete alone opened no review")
	}
	return matrixFixture{contact: id, deletion: res.Deletion.ID, review: res.Review.ID}
}

// erasedContact: an erasure Admin asked for and Admin2 approved; its
// suppression entry (source erased) is suppression.
func erasedContact(t *testing.T, e *bottest.Env) matrixFixture {
	t.Helper()
	id := newMatrixContact(t, e, crmtest.SmallLowRisk)
	a := file(t, e, admin, id, crm.KindErasure)
	res, err := e.Store.Approve(context.Background(), crm.Decision{RequestID: a.ID, Admin: admin2, RestoreWindow: e.Config.RestoreWindow, Confirmed: true})
	if err != nil || res.Deleted == nil {
		t.Fatalf("approve erasure: %+v, %v", res, err)
	}
	f := matrixFixture{contact: id, deletion: res.Deleted.Deletion.ID}
	f.suppression = entryOf(t, e, f.deletion)
	return f
}

// deletedAndErased: a deletion to report, and an erasure's deletion id as other.
func deletedAndErased(t *testing.T, e *bottest.Env) matrixFixture {
	f := deletedContact(t, e)
	f.other = erasedContact(t, e).deletion
	return f
}

// suppressedContact: a contact with DND deleted, so its opt-out is kept.
func suppressedContact(t *testing.T, e *bottest.Env) matrixFixture {
	f := deletedContact(t, e)
	f.suppression = entryOf(t, e, f.deletion)
	return f
}

func entryOf(t *testing.T, e *bottest.Env, deletion string) string {
	t.Helper()
	var id string
	if err := e.Store.DB().Get(&id, `SELECT id FROM suppressions WHERE deletion_id = $1 AND kind = 'email'`, deletion); err != nil {
		t.Fatalf("no suppression entry for deletion %s: %v", deletion, err)
	}
	return id
}

func deletedContactAndHook(t *testing.T, e *bottest.Env) matrixFixture {
	f := deletedContact(t, e)
	f.hook = newHook(t)
	return f
}

func lowRiskContactAndHook(t *testing.T, e *bottest.Env) matrixFixture {
	f := lowRiskContact(t, e)
	f.hook = newHook(t)
	return f
}

// dndSetByDeleter: the deleter set SMS DND on a contact (undo id in undo).
func dndSetByDeleter(t *testing.T, e *bottest.Env) matrixFixture {
	t.Helper()
	id := newMatrixContact(t, e, crmtest.SmallLowRisk)
	res, err := e.Store.SetDND(context.Background(), crm.DNDRequest{ContactID: id, Channels: []string{"sms"}, Actor: deleter, Reason: bot.ReasonUnsubscribe})
	if err != nil || res.Undo == nil {
		t.Fatalf("set DND: %+v, %v", res, err)
	}
	return matrixFixture{contact: id, undo: res.Undo.ID}
}

// Acts.

// payloadEdit forges a field of a payload before it is signed and sent.
type payloadEdit func(cb *slack.InteractionCallback, f matrixFixture)

// fromTeam makes a payload come from another workspace.
func fromTeam(cb *slack.InteractionCallback, _ matrixFixture) { cb.Team.ID = "T0OTHER" }

// fromExternalMember makes the person one of another organisation, as a
// Slack Connect member of a shared channel is (user.team_id).
func fromExternalMember(cb *slack.InteractionCallback, _ matrixFixture) { cb.User.TeamID = "T0OTHER" }

// erasureApprovedOnceBy: requester's erasure request, approved once by first.
func erasureApprovedOnceBy(requester, first string) func(t *testing.T, e *bottest.Env) matrixFixture {
	return func(t *testing.T, e *bottest.Env) matrixFixture {
		f := pendingErasure(requester)(t, e)
		if _, err := e.Store.RecordErasureApproval(context.Background(), f.request.ID, first, nil); err != nil {
			t.Fatalf("first approval: %v", err)
		}
		return f
	}
}

// removalAskedBy: an erased person's suppression entry whose removal asker
// requested.
func removalAskedBy(asker string) func(t *testing.T, e *bottest.Env) matrixFixture {
	return func(t *testing.T, e *bottest.Env) matrixFixture {
		f := erasedContact(t, e)
		res, err := e.Store.RemoveSuppression(context.Background(), f.suppression, asker, nil)
		if err != nil || res.Request == nil {
			t.Fatalf("ask to remove %s: %+v, %v", f.suppression, res, err)
		}
		f.removal = res.Request.ID
		return f
	}
}

// firstApprovalOnly: the erasure is recorded as approved once, by who, and
// the contact is still there.
func firstApprovalOnly(who string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string {
		a, err := e.Store.Approval(context.Background(), f.request.ID)
		if err != nil {
			return err.Error()
		}
		if a.State != crm.ApprovalPending || a.FirstApprovedBy != who {
			return fmt.Sprintf("request %s, first approved by %q; want pending, first approved by %s", a.State, a.FirstApprovedBy, who)
		}
		return contactKept(t, e, f, seen)
	}
}

// editMeta edits a window's JSON private_metadata.
func editMeta(edit func(m map[string]any, f matrixFixture)) payloadEdit {
	return func(cb *slack.InteractionCallback, f matrixFixture) {
		m := map[string]any{}
		if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &m); err != nil {
			panic(fmt.Sprintf("private_metadata is not JSON: %q", cb.View.PrivateMetadata))
		}
		edit(m, f)
		b, _ := json.Marshal(m)
		cb.View.PrivateMetadata = string(b)
	}
}

// inWindow makes a click one inside the row's window f.view, as Slack
// sends it: the view (its id, callback id and private_metadata), no
// channel and no response_url.
func inWindow(cb *slack.InteractionCallback, f matrixFixture) {
	cb.View = f.view
	cb.View.Type = slack.VTModal
	cb.Container = slack.Container{Type: "view", ViewID: f.view.ID}
	cb.Channel, cb.ResponseURL = slack.Channel{}, ""
}

// choosing makes the click a select's choice of value (a dispatch_action
// select sends it at once).
func choosing(value string) payloadEdit {
	return func(cb *slack.InteractionCallback, _ matrixFixture) {
		a := cb.ActionCallback.BlockActions[0]
		a.BlockID, a.Type, a.SelectedOption = a.ActionID, "static_select", slack.OptionBlockObject{Value: value}
	}
}

// windowOpenedBy is the setup (lowRiskContact plus a second contact when
// none is given) with opener's window open, as f.view.
func windowOpenedBy(opener string, open windowFunc, setup ...func(t *testing.T, e *bottest.Env) matrixFixture) func(t *testing.T, e *bottest.Env) matrixFixture {
	return func(t *testing.T, e *bottest.Env) matrixFixture {
		f := twoLowRiskContacts(t, e)
		if len(setup) > 0 {
			f = setup[0](t, e)
		}
		f.view = open(t, e, opener, f)
		if f.view.ID == "" {
			t.Fatal("the window has no id")
		}
		return f
	}
}

// ownWindowAs: who opens two windows; f.view is the window as opens,
// under the id of the window under opens.
func ownWindowAs(who string, under, as windowFunc) func(t *testing.T, e *bottest.Env) matrixFixture {
	return func(t *testing.T, e *bottest.Env) matrixFixture {
		f := lowRiskContact(t, e)
		id := under(t, e, who, f).ID
		f.view = as(t, e, who, f)
		f.view.ID = id
		return f
	}
}

// windowBecame: the row's window, and only it, was replaced by the window
// callback.
func windowBecame(callback string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string {
		if len(seen.replaced) != 1 || seen.replaced[0].Params["view_id"] != f.view.ID || seen.replaced[0].View()["callback_id"] != callback {
			var got []string
			for _, c := range seen.replaced {
				got = append(got, fmt.Sprintf("%s %s → %v", c.Method, c.Params["view_id"], c.View()["callback_id"]))
			}
			return fmt.Sprintf("windows replaced: %q, want %s → %s", got, f.view.ID, callback)
		}
		return ""
	}
}

func noValue(matrixFixture) string { return "" }

// toHook points a click's response_url at the row's hook.
func toHook(cb *slack.InteractionCallback, f matrixFixture) { cb.ResponseURL = f.hook.forgedURL() }

// forgedAuditLine is what a forged "where it started" tries to slip into
// the audit trail.
const forgedAuditLine = "<@UADMIN2> approved this (a line the client wrote)"

// freshResponseURL stands for a response URL of the fake Slack made for the
// row (editMeta's values are made before the env is known).
const freshResponseURL = "{fresh response_url}"

func contactValue(f matrixFixture) string  { return f.contact }
func otherValue(f matrixFixture) string    { return f.other }
func requestValue(f matrixFixture) string  { return f.request.ID }
func deletionValue(f matrixFixture) string { return f.deletion }

// responsesTo is what was posted to the response URL u, as people read it.
func responsesTo(e *bottest.Env, u string) (told, body string) {
	p, err := url.Parse(u)
	if err != nil || u == "" {
		return "", ""
	}
	var texts, bodies []string
	for _, c := range e.Slack.Responses() {
		if c.Path == p.Path {
			texts, bodies = append(texts, c.Params["text"]), append(bodies, c.Text())
		}
	}
	return strings.Join(texts, "\n"), strings.Join(bodies, "\n")
}

// pressOf presses a button of a channel message as who; what the person
// is told is what reaches that click's response URL, or their DM for a
// click without one (inside a window).
func pressOf(action string, value func(f matrixFixture) string, edits ...payloadEdit) matrixAct {
	return func(t *testing.T, e *bottest.Env, who string, f matrixFixture, ready func()) matrixSeen {
		t.Helper()
		ready()
		cb := slack.InteractionCallback{
			Type: slack.InteractionTypeBlockActions, User: slack.User{ID: who}, Team: slack.Team{ID: bottest.Team},
			Channel:     slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: bottest.Channel}}},
			TriggerID:   "trigger-" + crm.NewID("", 6),
			ResponseURL: e.Slack.NewResponseURL(),
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
				{ActionID: action, BlockID: "b", Value: value(f)},
			}},
		}
		for _, edit := range edits {
			edit(&cb, f)
		}
		dms := len(dmTextsTo(e, who))
		if r := e.Interact(cb); r.Status != http.StatusOK {
			t.Fatalf("click %s: %d %s", action, r.Status, r.Body)
		}
		e.Bot.Wait()
		if cb.ResponseURL == "" {
			told := strings.Join(dmTextsTo(e, who)[dms:], "\n")
			return matrixSeen{told: told, body: told}
		}
		told, body := responsesTo(e, cb.ResponseURL)
		return matrixSeen{told: told, body: body}
	}
}

// pressOnHome presses a button on who's Home tab, where a click has no
// response_url: what the person is told comes by DM.
func pressOnHome(action string, value func(f matrixFixture) string) matrixAct {
	return func(t *testing.T, e *bottest.Env, who string, f matrixFixture, ready func()) matrixSeen {
		t.Helper()
		ready()
		n := len(dmTextsTo(e, who))
		if r := e.ClickHome(who, action, value(f)); r.Status != http.StatusOK {
			t.Fatalf("click %s on the Home tab: %d %s", action, r.Status, r.Body)
		}
		e.Bot.Wait()
		told := strings.Join(dmTextsTo(e, who)[n:], "\n")
		return matrixSeen{told: told, body: told}
	}
}

// commandOf sends `/contact text` as who.
func commandOf(line func(f matrixFixture) string, edits ...payloadEdit) matrixAct {
	return func(t *testing.T, e *bottest.Env, who string, f matrixFixture, ready func()) matrixSeen {
		t.Helper()
		ready()
		team := slack.InteractionCallback{Team: slack.Team{ID: bottest.Team}}
		for _, edit := range edits {
			edit(&team, f)
		}
		form := url.Values{"command": {"/contact"}, "text": {line(f)}, "user_id": {who}, "team_id": {team.Team.ID},
			"channel_id": {bottest.Channel}, "trigger_id": {"trigger-" + crm.NewID("", 6)}, "response_url": {e.Slack.NewResponseURL()}}
		r := e.PostSigned("/slack/commands", form.Encode())
		if r.Status != http.StatusOK {
			t.Fatalf("command: %d %s", r.Status, r.Body)
		}
		e.Bot.Wait()
		if strings.TrimSpace(r.Body) == "" {
			return matrixSeen{}
		}
		return matrixSeen{told: answerText(t, r), body: text(r)}
	}
}

// windowFunc opens a window as who and returns it, as Slack received it.
type windowFunc func(t *testing.T, e *bottest.Env, who string, f matrixFixture) slack.View

// windowPressing opens the window a button opens.
func windowPressing(action string, value func(f matrixFixture) string) windowFunc {
	return func(t *testing.T, e *bottest.Env, who string, f matrixFixture) slack.View {
		t.Helper()
		n := len(e.Slack.Calls("views.open"))
		if r := e.Click(who, action, value(f)); r.Status != http.StatusOK {
			t.Fatalf("click %s: %d %s", action, r.Status, r.Body)
		}
		e.Bot.Wait()
		if len(e.Slack.Calls("views.open")) == n {
			t.Fatalf("%s opened no window for %s: %v", action, who, e.Slack.Responses())
		}
		return e.LastView()
	}
}

func windowOf(action string) windowFunc      { return windowPressing(action, contactValue) }
func windowOfOther(action string) windowFunc { return windowPressing(action, otherValue) }

var (
	deleteWindow = windowOf(bot.ActionDelete)
	reportWindow = windowPressing(bot.ActionReport, deletionValue)
)

// rejectWindow is the reject window opened by opener.
func rejectWindow(opener string) windowFunc {
	return windowAs(opener, windowPressing(bot.ActionReject, requestValue))
}

// windowAs opens the window as opener, whoever submits it.
func windowAs(opener string, open windowFunc) windowFunc {
	return func(t *testing.T, e *bottest.Env, _ string, f matrixFixture) slack.View { return open(t, e, opener, f) }
}

// erasureWindow is the delete window turned into the erasure window by its reason.
func erasureWindow(t *testing.T, e *bottest.Env, who string, f matrixFixture) slack.View {
	t.Helper()
	v := deleteWindow(t, e, who, f)
	return updatedView(t, e.Submit(who, v, map[string]string{"reason": bot.ReasonErasure}))
}

// findWindow is the Home tab's search window.
func findWindow(t *testing.T, e *bottest.Env, who string, _ matrixFixture) slack.View {
	t.Helper()
	e.ClickHome(who, bot.ActionFindContact, "")
	return e.LastView()
}

// matrixInputs are what a person types and ticks in a window.
type matrixInputs struct {
	typed  map[string]string
	ticked map[string][]string
}

func deleteInputs(matrixFixture) matrixInputs {
	return matrixInputs{typed: map[string]string{"reason": bot.ReasonTestContact, "note": "matrix row", "confirm": "DELETE"}}
}
func dndInputs(matrixFixture) matrixInputs {
	return matrixInputs{ticked: map[string][]string{"channels": {"sms"}}}
}
func followUpInputs(f matrixFixture) matrixInputs {
	return matrixInputs{ticked: map[string][]string{"enrollments": {f.contact + "_w1"}}}
}
func mergeInputs(matrixFixture) matrixInputs {
	return matrixInputs{typed: map[string]string{"note": "same person", "confirm": "MERGE"}}
}
func eraseInputs(matrixFixture) matrixInputs {
	return matrixInputs{typed: map[string]string{"note": "ticket 1", "confirm": "ERASE"}}
}
func rejectInputs(matrixFixture) matrixInputs {
	return matrixInputs{typed: map[string]string{"reject_reason": "not now"}}
}
func reportInputs(matrixFixture) matrixInputs {
	return matrixInputs{typed: map[string]string{"report_note": "the wrong one"}}
}

// submitOf opens a window as who, fills it in, forges what edits forge and
// submits it as who. What the person is told is the window's answer: its
// inline errors ("block: error"), or the title and first section of the
// window it becomes ("Title: text", or the text alone for a window that
// goes on, such as the delete window with a banner); or, when the window
// just closes, what reaches a response URL given in its metadata.
func submitOf(open windowFunc, inputs func(f matrixFixture) matrixInputs, edits ...payloadEdit) matrixAct {
	return func(t *testing.T, e *bottest.Env, who string, f matrixFixture, ready func()) matrixSeen {
		t.Helper()
		v := open(t, e, who, f)
		ready() // opening the window is not what the row is about
		in := inputs(f)
		st := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}}
		for block, val := range in.typed {
			a := slack.BlockAction{ActionID: block, Value: val}
			if block == "reason" || block == "original" {
				a = slack.BlockAction{ActionID: block, Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: val}}
			}
			st.Values[block] = map[string]slack.BlockAction{block: a}
		}
		for block, vals := range in.ticked {
			a := slack.BlockAction{ActionID: block, Type: "checkboxes", SelectedOptions: []slack.OptionBlockObject{}}
			for _, val := range vals {
				a.SelectedOptions = append(a.SelectedOptions, slack.OptionBlockObject{Value: val})
			}
			st.Values[block] = map[string]slack.BlockAction{block: a}
		}
		v.State = st
		v.ID = "V" + crm.NewID("", 8)
		cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: who}, Team: slack.Team{ID: bottest.Team}, View: v}
		for _, edit := range edits {
			edit(&cb, f)
		}
		ru := ""
		if strings.Contains(cb.View.PrivateMetadata, freshResponseURL) {
			ru = e.Slack.NewResponseURL()
			cb.View.PrivateMetadata = strings.ReplaceAll(cb.View.PrivateMetadata, freshResponseURL, ru)
		}
		r := e.Interact(cb)
		if r.Status != http.StatusOK {
			t.Fatalf("submit %s: %d %s", v.CallbackID, r.Status, r.Body)
		}
		e.Bot.Wait()
		if strings.TrimSpace(r.Body) == "" {
			told, body := responsesTo(e, ru)
			return matrixSeen{told: told, body: body}
		}
		return matrixSeen{told: windowAnswer(t, r), body: text(r)}
	}
}

// windowAnswer is a view submission's answer as the person reads it.
func windowAnswer(t *testing.T, r bottest.Response) string {
	t.Helper()
	var m struct {
		Errors map[string]string `json:"errors"`
		View   *slack.View       `json:"view"`
	}
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("answer is not JSON: %q", r.Body)
	}
	if m.Errors != nil {
		var out []string
		for k, v := range m.Errors {
			out = append(out, k+": "+v)
		}
		return strings.Join(out, "; ")
	}
	if m.View == nil {
		return ""
	}
	first := ""
	for _, b := range m.View.Blocks.BlockSet {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
			first = s.Text.Text
			break
		}
	}
	if m.View.Submit == nil && m.View.Title != nil { // an info window: what it says, under its title
		return m.View.Title.Text + ": " + first
	}
	return first
}

// Checks of allowed rows.

type matrixCheck = func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string

func contactGone(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	if contactExists(t, e, f.contact) {
		return "the contact is still there"
	}
	return ""
}

func contactKept(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	if !contactExists(t, e, f.contact) {
		return "the contact is gone"
	}
	return ""
}

var contactBack = contactKept

func otherGone(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	if contactExists(t, e, f.other) {
		return "the duplicate is still there"
	}
	return ""
}

// requested: a pending request of kind by who for the row's contact, which
// is still there.
func requested(who string, kind crm.Kind) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
		return pendingOf(t, e, who, f.contact, kind)
	}
}

func mergeRequested(who string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
		return pendingOf(t, e, who, f.other, crm.KindMerge)
	}
}

func pendingOf(t *testing.T, e *bottest.Env, who, contactID string, kind crm.Kind) string {
	if !contactExists(t, e, contactID) {
		return "the contact is gone"
	}
	list, err := e.Store.ApprovalsBy(context.Background(), who, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.ContactID == contactID && a.State == crm.ApprovalPending && a.Kind() == kind {
			return ""
		}
	}
	return fmt.Sprintf("no pending %s request by %s", kind, who)
}

func stateIs(want crm.ApprovalState) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
		if got := state(t, e, f.request.ID).State; got != want {
			return fmt.Sprintf("request is %s, want %s", got, want)
		}
		return ""
	}
}

func approvedAndGone(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string {
	if p := stateIs(crm.ApprovalApproved)(t, e, f, seen); p != "" {
		return p
	}
	return contactGone(t, e, f, seen)
}

// opened: the act opened one window with this callback id and submit label.
func opened(callback, submit string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string {
		if len(seen.opened) != 1 {
			return fmt.Sprintf("%d windows opened, want 1", len(seen.opened))
		}
		v := seen.opened[0]
		if v.CallbackID != callback || v.Submit == nil || v.Submit.Text != submit {
			return fmt.Sprintf("opened %q submitting %+v, want %q submitting %q", v.CallbackID, v.Submit, callback, submit)
		}
		return ""
	}
}

func toldIs(want func(f matrixFixture) string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string {
		if seen.told != want(f) {
			return fmt.Sprintf("want %q", want(f))
		}
		return ""
	}
}

func toldStarts(prefix string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string {
		if !strings.HasPrefix(seen.told, prefix) {
			return fmt.Sprintf("want it to start with %q", prefix)
		}
		return ""
	}
}

func toldEnds(suffix string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string {
		if !strings.HasSuffix(seen.told, suffix) {
			return fmt.Sprintf("want it to end with %q", suffix)
		}
		return ""
	}
}

func bodyHas(want func(f matrixFixture) string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string {
		if !strings.Contains(seen.body, want(f)) {
			return fmt.Sprintf("the answer lacks %q: %s", want(f), seen.body)
		}
		return ""
	}
}

// notListed: a non-admin's `/contact deletions` is their own list, without
// the other person's request (the deleter's is request, Support's own).
func notListed(who string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, seen matrixSeen) string {
		mine, theirs := f.own.ID, f.request.ID
		if who == deleter {
			mine, theirs = theirs, mine
		}
		if !strings.Contains(seen.body, mine) || strings.Contains(seen.body, theirs) {
			return fmt.Sprintf("%s's list should have %s and not %s: %s", who, mine, theirs, seen.body)
		}
		return ""
	}
}

func smsDND(want string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
		if got := dndOf(t, e, f.contact)["sms"]; got != want {
			return fmt.Sprintf("SMS DND is %q, want %q", got, want)
		}
		return ""
	}
}

func workflowStopped(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	var status string
	if err := e.Store.DB().Get(&status, `SELECT status FROM workflow_enrollments WHERE id = $1`, f.contact+"_w1"); err != nil {
		t.Fatal(err)
	}
	if status != "stopped" {
		return "the workflow is " + status
	}
	return ""
}

func incidentOpened(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	if crmtest.CountRows(t, e.Store, "incidents", "deletion_id = $1", f.deletion) != 1 {
		return "no incident recorded"
	}
	return ""
}

func entryGone(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	if crmtest.CountRows(t, e.Store, "suppressions", "id = $1", f.suppression) != 0 {
		return "the suppression entry is still there"
	}
	return ""
}

func entryKept(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	if crmtest.CountRows(t, e.Store, "suppressions", "id = $1", f.suppression) != 1 {
		return "the suppression entry is gone"
	}
	return ""
}

func acknowledgedBy(who string) matrixCheck {
	return func(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
		if crmtest.CountRows(t, e.Store, "reviews", "id = $1 AND acknowledged_by = $2", f.review, who) != 1 {
			return "the review is not acknowledged by " + who
		}
		return ""
	}
}

func hookUntouched(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	if n := f.hook.posts.Load(); n > 0 {
		return fmt.Sprintf("the bot posted %d times to a response_url that is not Slack's", n)
	}
	return ""
}

func forgedTextNowhere(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	if found := crmtest.FindText(t, e.Store, forgedAuditLine); len(found) > 0 {
		return "the forged text was stored: " + strings.Join(found, "; ")
	}
	return ""
}

func secondStillPending(t *testing.T, e *bottest.Env, f matrixFixture, _ matrixSeen) string {
	if got := state(t, e, f.own.ID).State; got != crm.ApprovalPending {
		return "the payload's second action was handled too: its request is " + string(got)
	}
	return ""
}
