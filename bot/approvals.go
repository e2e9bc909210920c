package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// Action and callback ids of the approval flow.
const (
	ActionApprove       = "approval.approve"        // value: request id
	ActionApproveAnyway = "approval.approve_anyway" // value: request id ":" fingerprint the approver was shown
	ActionReject        = "approval.reject"         // value: request id
	CallbackRejectModal = "approval.reject.modal"   // private_metadata: request id
)

// The reject modal's reason input.
const blockRejectReason = "reject_reason"

var rejectReason = textField{block: blockRejectReason, label: "Reason, sent to the requester", placeholder: "e.g. it has an active deal; ask Sales first",
	multiline: true, maxLen: 500, it: "the reason"}

// requestIDRe is the shape of crm.NewID("R", 10): anything else on a button
// did not come from contactbot.
var requestIDRe = regexp.MustCompile(`^R[A-Z2-9]{10}$`)

// requestApproval turns a submitted delete modal into an approval request:
// recorded in the database with its post to APPROVALS_CHANNEL and the
// requester's DM, which the outbox delivers. It returns what the modal shows.
func (b *Bot) requestApproval(ctx context.Context, user string, c crm.Contact, l crm.Linked, form deleteForm, meta deleteMeta, why string) *slack.ViewSubmissionResponse {
	return b.fileRequest(ctx, user, c, l, nil, crm.NewApproval{ContactID: c.ID, Requester: user, Reason: form.Reason, Note: form.Note,
		Fingerprint: meta.Fingerprint, Via: b.originText(ctx, user, meta.Origin)}, why)
}

// fileRequest records a request for a delete, a merge (original is the
// contact that stays) or an erasure, with its post to APPROVALS_CHANNEL and
// the requester's DM, which the outbox delivers. It returns what the window
// shows.
func (b *Bot) fileRequest(ctx context.Context, user string, c crm.Contact, l crm.Linked, original *crm.Contact, req crm.NewApproval, why string) *slack.ViewSubmissionResponse {
	req.TTL = b.cfg.ApprovalTTL
	req.Limit = b.cfg.RequestLimit
	req.Notify = func(a crm.Approval) ([]outbox.Note, error) { return b.requestNotes(a, c, l, original), nil }
	a, _, err := b.store.RequestApproval(ctx, req)
	switch {
	case errors.Is(err, crm.ErrAlreadyRequested) && a.ID != "":
		return b.alreadyRequested(user, a, wordsOf(a.Kind()).verb+" "+contactLine(c))
	case errors.Is(err, crm.ErrTooManyRequests):
		b.log.Info("approval request refused: too many waiting", "user", user, "contact", c.ID, "limit", b.cfg.RequestLimit)
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not sent", tooManyRequests(b.cfg.RequestLimit)))
	case err != nil:
		b.log.Info("approval request not recorded", "user", user, "contact", c.ID, "code", crm.ErrorCode(err))
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not sent", "*Nothing was sent or changed.* "+b.userMessage(err, "record approval request", "contact", c.ID)))
	}
	b.log.Info("approval requested", "user", user, "contact", c.ID, "request", a.ID, "kind", a.Kind())
	return slack.NewUpdateViewSubmissionResponse(infoModal("Request sent", fmt.Sprintf(
		"*Nothing is %s yet.* %s\n\nYour request to %s is in %s for %s (request `%s`). You will get a DM with the outcome; if nobody decides, it expires %s. Changed your mind? Withdraw it from the DM or from `/contact deletions`.",
		wordsOf(a.Kind()).done, why, requestWhat(a, c, original), channelRef(b.cfg.ApprovalsChannel), approvalsAwaited(a), a.ID, slackDate(a.ExpiresAt))))
}

// approvalsAwaited says whose approval a new request waits for: two
// different admins' for an erasure someone other than an admin asked for,
// another admin's for an admin's erasure, else an admin's.
func approvalsAwaited(a crm.Approval) string {
	switch {
	case a.ApprovalsNeeded >= 2:
		return "two different admins' approval"
	case a.Kind() == crm.KindErasure:
		return "another admin's approval"
	}
	return "an admin's approval"
}

// awaitedAdmins says who a waiting request waits for: two admins for an
// erasure someone other than an admin asked for (a second one once the
// first approved), another admin for an admin's erasure, else an admin.
func awaitedAdmins(a crm.Approval) string {
	switch {
	case a.ApprovalsNeeded >= 2 && a.FirstApprovedBy != "":
		return "a second admin"
	case a.ApprovalsNeeded >= 2:
		return "two admins"
	case a.Kind() == crm.KindErasure:
		return "another admin"
	}
	return "an admin"
}

// alreadyRequested is the window's answer to a request someone (user, or
// another) already made and that still waits: asked is what it asks, e.g.
// "delete *Jane Doe* …".
func (b *Bot) alreadyRequested(user string, a crm.Approval, asked string) *slack.ViewSubmissionResponse {
	who := mention(a.Requester)
	if a.Requester == user {
		who = "You"
	}
	return slack.NewUpdateViewSubmissionResponse(infoModal("Already requested", fmt.Sprintf(
		"*Nothing more to do.* %s already asked to %s %s (request `%s`). It waits for %s in %s, until %s; the requester hears the outcome.",
		who, asked, slackDate(a.CreatedAt), a.ID, awaitedAdmins(a), channelRef(b.cfg.ApprovalsChannel), slackDate(a.ExpiresAt))))
}

// tooManyRequests answers a request from someone with limit requests
// already waiting (REQUEST_LIMIT).
func tooManyRequests(limit int) string {
	return fmt.Sprintf("You have %s waiting for an admin. Withdraw one (`%s deletions`) or wait for a decision; nothing was sent.",
		plural(limit, "request", "requests"), DefaultCommandName)
}

// requestLines list what a request of kind w takes from the contact: what
// moves for a merge, else what goes.
func requestLines(w kindWords, l crm.Linked, cur string) []string {
	if w.merges {
		return movedLines(l)
	}
	return linkedLines(l, cur)
}

// requestNotes announce a recorded request: its post in the approvals
// channel, then the requester's DM that says where it is, with the button
// that withdraws it. original is the contact a merge keeps.
func (b *Bot) requestNotes(a crm.Approval, c crm.Contact, l crm.Linked, original *crm.Contact) []outbox.Note {
	target := ""
	if original != nil {
		target = contactLine(*original)
	}
	what := requestWhat(a, c, original)
	if a.Kind() == crm.KindErasure {
		// The requester's DM outlives the erasure: no contact details in it.
		what = requestAsksRequester(a)
	}
	text := fmt.Sprintf("📨 Your request to %s is waiting for %s in %s (request `%s`). Nothing is %s yet; you will hear the outcome here. It expires %s.",
		what, awaitedAdmins(a), channelRef(b.cfg.ApprovalsChannel), a.ID, wordsOf(a.Kind()).done, slackDate(a.ExpiresAt))
	dm := noteAs(outbox.RequestDMRef(a.ID), a.Requester, Message{Text: text, Blocks: []slack.Block{
		section(text),
		slack.NewActionBlock("withdraw:"+a.ID, withdrawButton(a.ID)),
	}})
	dm.After = outbox.ApprovalRef(a.ID)
	return []outbox.Note{noteAs(outbox.ApprovalRef(a.ID), b.cfg.ApprovalsChannel, approvalMessage(a, &c, &l, b.cfg.CurrencyOf(c.LocationID), target)), dm}
}

// approvalMessage is the request as the approvals channel shows it. c and l
// are the contact as requested; when nil (after the decision, the contact
// may be gone) the stored label and counts stand in. cur is the currency
// of the contact's opportunity values; target names the contact a merge
// keeps.
func approvalMessage(a crm.Approval, c *crm.Contact, l *crm.Linked, cur, target string) Message {
	if a.Kind() == crm.KindBatch {
		return batchApprovalMessage(a)
	}
	who := "*" + esc(a.ContactLabel) + "* `" + esc(a.ContactID) + "`"
	if c != nil {
		who = contactLine(*c)
	}
	kind := a.Kind()
	w := wordsOf(kind)
	if target == "" {
		target = "`" + esc(a.Summary.MergeInto) + "`"
	}
	info := fmt.Sprintf(w.asked, mention(a.Requester), who, target)
	info += "\n*Reason:* " + esc(reasonLabel(a.Reason))
	if a.Note != "" {
		info += " — " + esc(a.Note)
	}
	info += fmt.Sprintf("\n*Requested* %s · *expires* %s", slackDate(a.CreatedAt), slackDate(a.ExpiresAt))
	blocks := []slack.Block{header(cut(w.request+": "+a.ContactLabel, 150)), section(info)}
	if l != nil && c != nil {
		blocks = append(blocks, section(w.removes+"\n"+strings.Join(requestLines(w, *l, cur), "\n")))
		if risky := l.Risky(c.DND); len(risky) > 0 && kind != crm.KindErasure {
			blocks = append(blocks, contextBlock("⚠️ Look twice: "+strings.Join(risky, ", ")+"."))
		}
		if kind == crm.KindErasure {
			blocks = append(blocks, contextBlock("Approving deletes the contact and every linked row with no archive. "+erasureListsSentence(*c)+" Its name, email and phone become “[erased]” in contactbot's records, this message included."))
		}
	} else {
		blocks = append(blocks, section(fmt.Sprintf("*Requested to %s:* %s", w.verb, countsLine(a.Counts))))
	}
	if a.State == crm.ApprovalPending {
		if a.FirstApprovedBy != "" {
			blocks = append(blocks, section(firstApprovalLine(a)))
		}
		who := fmt.Sprintf("Request `%s` · only an admin other than %s can decide.", a.ID, mention(a.Requester))
		if a.ApprovalsNeeded >= 2 {
			who = fmt.Sprintf("Request `%s` · two different admins other than %s must approve, the second by typing ERASE; one admin is enough to reject.", a.ID, mention(a.Requester))
		}
		blocks = append(blocks,
			slack.NewActionBlock("approval:"+a.ID,
				button(ActionApprove, a.ID, "Approve", slack.StylePrimary),
				button(ActionReject, a.ID, "Reject", slack.StyleDanger),
			),
			contextBlock(who),
		)
	} else {
		blocks = append(blocks, section(outcomeLine(a)))
	}
	return Message{Text: fmt.Sprintf("%s %s for %s: %s", w.request, a.ID, esc(a.ContactLabel), stateLabel(a.State, kind)), Blocks: blocks}
}

// outcomeLine says how a decided request ended, who decided and when.
func outcomeLine(a crm.Approval) string {
	when := dateAfter(a.DecidedAt)
	done := wordsOf(a.Kind()).done
	switch a.State {
	case crm.ApprovalApproved:
		if a.Kind() == crm.KindErasure {
			by := mention(a.DecidedBy)
			if a.FirstApprovedBy != "" {
				by = mention(a.FirstApprovedBy) + " and " + by
			}
			return fmt.Sprintf("✅ *Approved* by %s%s: erased (deletion `%s`). It cannot be restored.", by, when, esc(a.DeletionID))
		}
		return fmt.Sprintf("✅ *Approved* by %s%s: %s (%s `%s`).", mention(a.DecidedBy), when, done, deletionRecord(a), esc(a.DeletionID))
	case crm.ApprovalRejected:
		s := fmt.Sprintf("❌ *Rejected* by %s%s. Nothing was %s.", mention(a.DecidedBy), when, done)
		if a.RejectReason != "" {
			s += " Reason: " + esc(a.RejectReason)
		}
		return s
	case crm.ApprovalExpired:
		return fmt.Sprintf("⌛ *Expired*%s: no admin decided in time. Nothing was %s.", when, done)
	case crm.ApprovalFailed:
		return fmt.Sprintf("⚠️ *Not %s*: approved by %s%s, but %s", done, mention(a.DecidedBy), when, esc(lowerFirst(a.FailReason)))
	case crm.ApprovalWithdrawn:
		return fmt.Sprintf("↩️ *Withdrawn* by %s%s, who asked for it. Nothing was %s.", mention(a.DecidedBy), when, done)
	}
	return "⏳ Waiting for an admin."
}

// deletionRecord and approvedWhat name what an approved request made: a
// deletion of a contact, or a batch of contacts.
func deletionRecord(a crm.Approval) string {
	if a.Kind() == crm.KindBatch {
		return "batch"
	}
	return "deletion"
}

func approvedWhat(a crm.Approval) string {
	if a.Kind() == crm.KindBatch {
		return "contacts were"
	}
	return "contact was"
}

// firstApprovalLine says an erasure has the first of its two approvals.
func firstApprovalLine(a crm.Approval) string {
	return fmt.Sprintf("✅ 1 of 2 admins approved (%s). A second, different admin approves to erase it.", mention(a.FirstApprovedBy))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToLower(string(r)) + s[n:]
}

// decidedText answers a click on a request that is no longer open.
func decidedText(a crm.Approval) string {
	when := dateAfter(a.DecidedAt)
	done := wordsOf(a.Kind()).done
	switch a.State {
	case crm.ApprovalApproved:
		return fmt.Sprintf("Already approved by %s%s: the %s %s (%s `%s`). Nothing more was done.", mention(a.DecidedBy), when, approvedWhat(a), done, deletionRecord(a), esc(a.DeletionID))
	case crm.ApprovalRejected:
		return fmt.Sprintf("Already rejected by %s%s. Nothing was %s and nothing more was done.", mention(a.DecidedBy), when, done)
	case crm.ApprovalExpired:
		return fmt.Sprintf("This request expired%s without a decision. Nothing was %s; the requester can ask again.", when, done)
	case crm.ApprovalFailed:
		return fmt.Sprintf("Already approved by %s%s, but the contact was gone. Nothing more was done.", mention(a.DecidedBy), when)
	case crm.ApprovalWithdrawn:
		return fmt.Sprintf("%s withdrew this request%s. Nothing was %s and nothing more was done.", mention(a.DecidedBy), when, done)
	}
	return "This request is still open."
}

// decisionNotes show a request's current state in place of its message in
// the approvals channel (once that is posted; nothing when it never was),
// and DM the requester how it ended.
func (b *Bot) decisionNotes(a crm.Approval, deleted *crm.Deleted) []outbox.Note {
	target := ""
	if deleted != nil && deleted.Merge != nil {
		target = contactLine(deleted.Merge.Original)
	}
	notes := []outbox.Note{
		b.requestPostReplaced(a, approvalMessage(a, nil, nil, "", target)),
		// The DM that said it was waiting loses its Withdraw button.
		replacing(outbox.RequestDMRef(a.ID), a.Requester, requestDMDecided(a)),
	}
	if m, ok := requesterOutcome(a, deleted); ok {
		notes = append(notes, note(a.Requester, m))
	}
	return notes
}

// requestPostReplaced puts m in place of request a's message in the
// approvals channel it was posted in (the configured one when that is not
// recorded).
func (b *Bot) requestPostReplaced(a crm.Approval, m Message) outbox.Note {
	channel := a.Channel
	if channel == "" {
		channel = b.cfg.ApprovalsChannel
	}
	return replacing(outbox.ApprovalRef(a.ID), channel, m)
}

// requestDMDecided is the requester's "waiting for an admin" DM once the
// request is no longer waiting: what became of it, with no button.
func requestDMDecided(a crm.Approval) Message {
	when := dateAfter(a.DecidedAt)
	done := wordsOf(a.Kind()).done
	var how string
	switch a.State {
	case crm.ApprovalApproved:
		how = fmt.Sprintf("was approved by %s%s: the %s %s (%s `%s`).", mention(a.DecidedBy), when, approvedWhat(a), done, deletionRecord(a), esc(a.DeletionID))
	case crm.ApprovalRejected:
		how = fmt.Sprintf("was rejected by %s%s. Nothing was %s.", mention(a.DecidedBy), when, done)
	case crm.ApprovalExpired:
		how = fmt.Sprintf("expired%s without a decision. Nothing was %s.", when, done)
	case crm.ApprovalWithdrawn:
		how = fmt.Sprintf("was withdrawn%s. Nothing was %s.", when, done)
	case crm.ApprovalFailed:
		how = fmt.Sprintf("was approved by %s%s, but it could not be done. Nothing was %s.", mention(a.DecidedBy), when, done)
	default:
		how = "is waiting for " + awaitedAdmins(a) + "."
	}
	return *textMessage(fmt.Sprintf("📨 Your request `%s` to %s %s", a.ID, requestAsksRequester(a), how))
}

// requesterOutcome is the DM that tells the requester how their request ended.
func requesterOutcome(a crm.Approval, deleted *crm.Deleted) (Message, bool) {
	if deleted != nil {
		return outcomeSummary(*deleted), true
	}
	what := fmt.Sprintf("your request to %s *%s* (`%s`, request `%s`)", wordsOf(a.Kind()).verb, esc(a.ContactLabel), esc(a.ContactID), a.ID)
	if a.Kind() == crm.KindErasure || a.Kind() == crm.KindBatch {
		// As in the request's own DM: a DM stays in Slack, even when the
		// person is erased later, so it names the contact by id only.
		what = fmt.Sprintf("your request `%s` to %s", a.ID, requestAsksRequester(a))
	}
	done := wordsOf(a.Kind()).done
	var text string
	switch a.State {
	case crm.ApprovalRejected:
		text = fmt.Sprintf("❌ %s rejected %s. Nothing was %s.", mention(a.DecidedBy), what, done)
		if a.RejectReason != "" {
			text += " Reason: " + esc(a.RejectReason)
		} else {
			text += " Ask them why before asking again."
		}
	case crm.ApprovalExpired:
		text = fmt.Sprintf("⌛ No admin decided on %s in time, so it expired. Nothing was %s. If it should still go, ask again with `/contact delete` or talk to an admin.", what, done)
	case crm.ApprovalFailed:
		text = fmt.Sprintf("⚠️ %s approved %s, but it was not %s: %s", mention(a.DecidedBy), what, done, esc(lowerFirst(a.FailReason)))
	default:
		return Message{}, false
	}
	return *textMessage(text), true
}

// mayDecide checks on the server that user may decide on a: an admin who is
// not the requester. It returns the refusal's audit detail and sentence.
func (b *Bot) mayDecide(ctx context.Context, user string, a crm.Approval) (detail, text string, ok bool) {
	if user == a.Requester {
		return "own request", "You asked for this " + wordsOf(a.Kind()).noun + ", so you cannot decide on it: another admin must approve or reject it. Nothing was changed.", false
	}
	if !b.isAdmin(ctx, user) {
		return "not an admin", "Only admins can approve or reject " + wordsOf(a.Kind()).noun + " requests, and you are not one. Nothing was changed.", false
	}
	return "", "", true
}

// checkDecision reads the request a button names and checks who clicks.
// A refusal comes back as its audit detail and sentence; err is for failures
// on our side.
func (b *Bot) checkDecision(ctx context.Context, user, requestID string) (a crm.Approval, detail, text string, err error) {
	if !requestIDRe.MatchString(requestID) {
		return a, "malformed request id", "That button does not name a delete request contactbot knows, so nothing was done.", nil
	}
	a, err = b.store.Approval(ctx, requestID)
	if errors.Is(err, crm.ErrNoApproval) {
		return a, "unknown request", crm.ErrNoApproval.Message + " Nothing was done.", nil
	}
	if err != nil {
		return a, "", "", err
	}
	detail, text, _ = b.mayDecide(ctx, user, a)
	return a, detail, text, nil
}

// closedRefusal words the answer to a decision on a request that can no
// longer be decided; ok is false for other errors.
func closedRefusal(a crm.Approval, err error) (detail, text string, ok bool) {
	switch {
	case errors.Is(err, crm.ErrAlreadyDecided):
		return "already " + string(a.State), decidedText(a), true
	case errors.Is(err, crm.ErrApprovalExpired):
		return "expired", fmt.Sprintf("This request expired %s. Nothing was %s; the requester can ask again.", slackDate(a.ExpiresAt), wordsOf(a.Kind()).done), true
	case errors.Is(err, crm.ErrOwnRequest):
		return "own request", crm.ErrOwnRequest.Message, true
	}
	return "", "", false
}

// closedNow is, without locking, the refusal (closedRefusal's) when a can
// no longer be decided: decided already, or expired; "" while it can.
func (b *Bot) closedNow(a crm.Approval) (detail, text string) {
	var err error
	switch {
	case a.State != crm.ApprovalPending:
		err = crm.ErrAlreadyDecided
	case !b.now().Before(a.ExpiresAt):
		err = crm.ErrApprovalExpired
	default:
		return "", ""
	}
	detail, text, _ = closedRefusal(a, err)
	return detail, text
}

// refuseDecision tells a clicker (through responseURL, when there is one)
// why their decision was not taken, and records the refusal. Nothing else
// changes.
func (b *Bot) refuseDecision(ctx context.Context, user, responseURL string, a crm.Approval, requestID, detail, text string) {
	b.log.Info("decision refused", "user", user, "request", requestID, "why", detail)
	b.respond(ctx, responseURL, *textMessage(text))
	if !requestIDRe.MatchString(requestID) {
		requestID = "" // whatever a forged button carried stays out of the audit trail
	}
	b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditDecisionRefused, ContactID: a.ContactID, RequestID: requestID, Outcome: "refused", Detail: detail})
}

// handleApproveClick acknowledges at once and decides a delete or merge
// after the ack: the delete and the Slack updates may outlast Slack's 3
// seconds. An erasure's click is answered before the ack
// (erasureApproveClick): it may open a window.
func (b *Bot) handleApproveClick(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	requestID, fingerprint := a.Value, ""
	if a.ActionID == ActionApproveAnyway {
		requestID, fingerprint, _ = strings.Cut(a.Value, ":")
		if fingerprint == "" {
			fingerprint = "-" // an "anyway" without a state never matches one
		}
	}
	// An erasure is never approved by a click: the click is recorded as the
	// first of two approvals, or opens the window that asks for ERASE, which
	// needs the trigger id before the ack. The kind is the stored request's.
	if requestIDRe.MatchString(requestID) {
		if req, err := b.store.Approval(ctx, requestID); err == nil && req.Kind() == crm.KindErasure {
			b.erasureApproveClick(ctx, cb, req, fingerprint)
			return
		} else if err == nil && req.Kind() == crm.KindBatch {
			b.batchApproveClick(ctx, cb, req) // a clean-up is approved with its count typed
			return
		}
	}
	user, responseURL, ephemeral := cb.User.ID, cb.ResponseURL, cb.Container.IsEphemeral || a.ActionID == ActionApproveAnyway
	b.goBackground("approve", func(ctx context.Context) { b.approve(ctx, user, requestID, fingerprint, responseURL, ephemeral) })
}

// approve decides a request as approved by user. fingerprint, when set, is
// the contact's state user confirmed after being shown a change.
func (b *Bot) approve(ctx context.Context, user, requestID, fingerprint, responseURL string, fromEphemeral bool) {
	a, detail, text, err := b.checkDecision(ctx, user, requestID)
	if err != nil {
		b.respond(ctx, responseURL, *textMessage("*Nothing was deleted.* " + b.userMessage(err, "load approval request", "request", requestID)))
		return
	}
	if text != "" {
		b.refuseDecision(ctx, user, responseURL, a, requestID, detail, text)
		return
	}
	res, err := b.store.Approve(ctx, crm.Decision{RequestID: requestID, Admin: user, ExpectFingerprint: fingerprint, RestoreWindow: b.cfg.RestoreWindow,
		Notify: func(r crm.ApproveResult) ([]outbox.Note, error) { return b.decisionNotes(r.Approval, r.Deleted), nil }})
	if detail, text, ok := closedRefusal(res.Approval, err); ok {
		b.refuseDecision(ctx, user, responseURL, res.Approval, requestID, detail, text)
		return
	}
	if err != nil {
		b.respond(ctx, responseURL, *textMessage("*Nothing was " + wordsOf(a.Kind()).done + ".* " + b.userMessage(err, "approve", "request", requestID)))
		return
	}
	a = res.Approval
	if res.Changed {
		b.log.Info("approval held: contact changed", "user", user, "request", a.ID, "contact", a.ContactID)
		b.respond(ctx, responseURL, changedMessage(a, res, b.cfg.CurrencyOf(res.Contact.LocationID)))
		b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditApprovalHeld, ContactID: a.ContactID, RequestID: a.ID, RequestKind: a.Summary.Kind, Reason: a.Reason,
			Outcome: "held", Detail: "contact changed since the request; " + plural(len(res.Changes), "difference", "differences") + " shown"})
		return
	}
	b.log.Info("approval decided", "user", user, "request", a.ID, "state", a.State, "deletion", a.DeletionID)
	if fromEphemeral || a.Channel == "" {
		b.respondReplace(ctx, responseURL, *textMessage(outcomeLine(a)))
	}
}

// changedMessage shows an approver what changed since the request (or since
// they last confirmed), and offers to approve the contact as it is now.
// Nothing has been deleted.
func changedMessage(a crm.Approval, res crm.ApproveResult, cur string) Message {
	var diff []string
	for _, c := range res.Changes {
		diff = append(diff, "• "+changeText(c, cur))
	}
	text := fmt.Sprintf("⚠️ *Nothing was %s: %s changed since %s asked.*\n%s", wordsOf(a.Kind()).done, contactLine(res.Contact), mention(a.Requester), strings.Join(diff, "\n"))
	w := wordsOf(a.Kind())
	blocks := []slack.Block{
		section(text),
		section(w.removesNow + "\n" + strings.Join(requestLines(w, res.Linked, cur), "\n")),
	}
	if risky := res.Linked.Risky(res.Contact.DND); len(risky) > 0 {
		blocks = append(blocks, contextBlock("⚠️ Look twice: "+strings.Join(risky, ", ")+"."))
	}
	blocks = append(blocks,
		slack.NewActionBlock("approval:"+a.ID+":changed",
			button(ActionApproveAnyway, a.ID+":"+res.Fingerprint, "Approve as it is now", slack.StyleDanger),
			button(ActionReject, a.ID, "Reject", ""),
		),
		contextBlock("Approve only if the contact should still go with what it has now. The request stays open until an admin decides."),
	)
	return Message{Text: "Nothing was " + wordsOf(a.Kind()).done + ": the contact changed since the request.", Blocks: blocks}
}

// respondReplace replaces the message an interaction came from.
func (b *Bot) respondReplace(ctx context.Context, responseURL string, m Message) {
	if responseURL == "" {
		return
	}
	if err := b.slack.Respond(ctx, responseURL, m, true); err != nil {
		b.log.Error("respond", "err", err)
	}
}

// openRejectModal checks the clicker and opens the modal that asks for an
// optional reason. It runs before the ack: views.open needs the trigger id.
func (b *Bot) openRejectModal(ctx context.Context, cb slack.InteractionCallback, requestID string) {
	user := cb.User.ID
	a, detail, text, err := b.checkDecision(ctx, user, requestID)
	if err == nil && text == "" {
		detail, text = b.closedNow(a)
	}
	switch {
	case err != nil:
		b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "load approval request", "request", requestID)))
		return
	case text != "":
		b.refuseDecision(ctx, user, cb.ResponseURL, a, requestID, detail, text)
		return
	}
	view := slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackRejectModal,
		Title:      plain(cut("Reject request", maxModalTitle)),
		Submit:     plain("Reject"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section(fmt.Sprintf("Reject %s's request to %s? Nothing is %s; they will be told.", mention(a.Requester), requestAsks(a), wordsOf(a.Kind()).done)),
			rejectReason.input(),
		}},
		PrivateMetadata: a.ID,
	}
	if _, err := b.openView(ctx, user, cb.TriggerID, view); err != nil {
		b.log.Error("open reject modal", "request", a.ID, "err", err)
		b.respond(ctx, cb.ResponseURL, *textMessage("The reject window could not be opened in time. Press *Reject* again."))
	}
}

// handleRejectSubmit re-checks who submits and rejects the request; Slack
// updates follow after the ack.
func (b *Bot) handleRejectSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	user, requestID := cb.User.ID, cb.View.PrivateMetadata
	notRejected := func(text string) *slack.ViewSubmissionResponse {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not rejected", text))
	}
	a, detail, text, err := b.checkDecision(ctx, user, requestID)
	if err != nil {
		return notRejected(b.userMessage(err, "load approval request", "request", requestID))
	}
	if text != "" {
		b.refuseDecision(ctx, user, "", a, requestID, detail, text)
		return notRejected(text)
	}
	reason := typed(cb.View, blockRejectReason)
	if e := rejectReason.tooLong(reason); e != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockRejectReason: e})
	}
	a, _, err = b.store.Reject(ctx, requestID, user, reason, func(a crm.Approval) ([]outbox.Note, error) { return b.decisionNotes(a, nil), nil })
	if detail, text, ok := closedRefusal(a, err); ok {
		b.refuseDecision(ctx, user, "", a, requestID, detail, text)
		return notRejected(text)
	}
	if err != nil {
		return notRejected(b.userMessage(err, "reject", "request", requestID))
	}
	b.log.Info("approval decided", "user", user, "request", a.ID, "state", a.State)
	return nil // closes the modal; the channel message shows the outcome
}

// RunApprovalJobs expires requests whose APPROVAL_TTL has passed (their
// messages updated and requesters told, through the outbox), reminds
// approvers, in the request's thread, of requests half-way to expiry, and
// escalates those still open at three quarters, then calls the admins when
// that is due (callAdmins). Every replica may run it:
// each request is claimed by exactly one run. It runs every few seconds;
// when nothing is due it costs one indexed read.
func (b *Bot) RunApprovalJobs(ctx context.Context) error {
	if due, err := b.store.ApprovalJobsDue(ctx); err != nil || !due {
		return err
	}
	expired, _, err := b.store.ExpireDue(ctx, func(a crm.Approval) ([]outbox.Note, error) { return b.decisionNotes(a, nil), nil })
	if err != nil {
		return fmt.Errorf("expire requests: %w", err)
	}
	for _, a := range expired {
		b.log.Info("approval expired", "request", a.ID, "contact", a.ContactID)
	}
	due, err := b.store.ClaimReminders(ctx, func(a crm.Approval) ([]outbox.Note, error) { return []outbox.Note{b.reminder(a)}, nil })
	if err != nil {
		return fmt.Errorf("claim reminders: %w", err)
	}
	for _, a := range due {
		b.log.Info("approval reminder written", "request", a.ID)
	}
	escalated, err := b.store.ClaimEscalations(ctx, func(a crm.Approval) ([]outbox.Note, error) { return b.escalationNotes(a), nil })
	if err != nil {
		return fmt.Errorf("claim escalations: %w", err)
	}
	for _, a := range escalated {
		b.log.Info("approval escalated", "request", a.ID)
	}
	return b.callAdmins(ctx)
}

// callAdmins is the one place that calls the admins: when a reminder or
// escalation of a request or of a review wanted it and the last call is an
// hour old, one message lists everything waiting for them (adminCall),
// once across replicas.
func (b *Bot) callAdmins(ctx context.Context) error {
	listed, err := b.store.ClaimAdminCall(ctx, func(call crm.AdminCall) ([]outbox.Note, error) { return []outbox.Note{b.adminCall(call)}, nil })
	if err != nil {
		return fmt.Errorf("call the admins: %w", err)
	}
	if !listed.Empty() {
		b.log.Info("admins called about what waits", "requests", len(listed.Requests), "reviews", len(listed.Reviews))
	}
	return nil
}

// reminder is a nudge in the request's thread (at the top level of the
// approvals channel when its message was never posted). It calls nobody:
// the admins are called about every waiting request at once (adminCall).
func (b *Bot) reminder(a crm.Approval) outbox.Note {
	text := fmt.Sprintf("⏰ Admins: %s's request to %s is still waiting and expires %s. Approve or reject it above.",
		mention(a.Requester), requestAsks(a), slackDate(a.ExpiresAt))
	channel := a.Channel
	if channel == "" {
		channel = b.cfg.ApprovalsChannel
		text += fmt.Sprintf(" (request `%s`; see `/contact deletions`)", a.ID)
	}
	n := note(channel, Message{Text: text})
	n.Thread = outbox.ApprovalRef(a.ID)
	return n
}
