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
)

// Action and callback ids of the approval flow.
const (
	ActionApprove       = "approval.approve"        // value: request id
	ActionApproveAnyway = "approval.approve_anyway" // value: request id ":" fingerprint the approver was shown
	ActionReject        = "approval.reject"         // value: request id
	CallbackRejectModal = "approval.reject.modal"   // private_metadata: request id
)

// Block id of the reject modal's reason input.
const (
	blockRejectReason = "reject_reason"
	maxRejectReason   = 500
)

// requestIDRe is the shape of crm.NewID("R", 10): anything else on a button
// did not come from contactbot.
var requestIDRe = regexp.MustCompile(`^R[A-Z2-9]{10}$`)

// requestApproval turns a submitted delete modal into an approval request:
// recorded in the database with its post to APPROVALS_CHANNEL and the
// requester's DM, which the outbox delivers. It returns what the modal shows.
func (b *Bot) requestApproval(ctx context.Context, user string, c crm.Contact, l crm.Linked, form deleteForm, meta deleteMeta, why string) *slack.ViewSubmissionResponse {
	a, _, err := b.store.RequestApproval(ctx, crm.NewApproval{ContactID: c.ID, Requester: user, Reason: form.Reason, Note: form.Note,
		Fingerprint: meta.Fingerprint, TTL: b.cfg.ApprovalTTL,
		Notify: func(a crm.Approval) ([]crm.Note, error) { return b.requestNotes(a, c, l), nil }})
	switch {
	case errors.Is(err, crm.ErrAlreadyRequested) && a.ID != "":
		who := mention(a.Requester)
		if a.Requester == user {
			who = "You"
		}
		return slack.NewUpdateViewSubmissionResponse(infoModal("Already requested", fmt.Sprintf(
			"*Nothing more to do.* %s already asked to delete %s %s (request `%s`). An admin decides in %s before %s; the requester hears the outcome.",
			who, contactLine(c), slackDate(a.CreatedAt), a.ID, channelRef(b.cfg.ApprovalsChannel), slackDate(a.ExpiresAt))))
	case err != nil:
		b.log.Info("approval request not recorded", "user", user, "contact", c.ID, "code", crm.ErrorCode(err))
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not sent", "*Nothing was sent or deleted.* "+b.userMessage(err, "record approval request", "contact", c.ID)))
	}
	b.log.Info("approval requested", "user", user, "contact", c.ID, "request", a.ID)
	return slack.NewUpdateViewSubmissionResponse(infoModal("Request sent", fmt.Sprintf(
		"*Nothing is deleted yet.* %s\n\nYour request to delete %s is in %s for an admin's approval (request `%s`). You will get a DM with the outcome; if nobody decides, it expires %s. Changed your mind? Withdraw it from the DM or from `/contact deletions`.",
		why, contactLine(c), channelRef(b.cfg.ApprovalsChannel), a.ID, slackDate(a.ExpiresAt))))
}

// requestNotes announce a recorded request: its post in the approvals
// channel, then the requester's DM that says where it is, with the button
// that withdraws it.
func (b *Bot) requestNotes(a crm.Approval, c crm.Contact, l crm.Linked) []crm.Note {
	text := fmt.Sprintf("📨 Your request to delete %s is waiting for an admin in %s (request `%s`). Nothing is deleted yet; you will hear the outcome here. It expires %s.",
		contactLine(c), channelRef(b.cfg.ApprovalsChannel), a.ID, slackDate(a.ExpiresAt))
	dm := note(a.Requester, Message{Text: text, Blocks: []slack.Block{
		section(text),
		slack.NewActionBlock("withdraw:"+a.ID, withdrawButton(a.ID)),
	}})
	dm.After = crm.ApprovalRef(a.ID)
	return []crm.Note{noteAs(crm.ApprovalRef(a.ID), b.cfg.ApprovalsChannel, approvalMessage(a, &c, &l, b.cfg.CurrencyOf(c.LocationID))), dm}
}

// approvalMessage is the request as the approvals channel shows it. c and l
// are the contact as requested; when nil (after the decision, the contact
// may be gone) the stored label and counts stand in. cur is the currency
// of the contact's opportunity values.
func approvalMessage(a crm.Approval, c *crm.Contact, l *crm.Linked, cur string) Message {
	who := "*" + esc(a.ContactLabel) + "* `" + esc(a.ContactID) + "`"
	if c != nil {
		who = contactLine(*c)
	}
	info := fmt.Sprintf("%s asks to delete %s\n*Reason:* %s", mention(a.Requester), who, esc(reasonLabel(a.Reason)))
	if a.Note != "" {
		info += " — " + esc(a.Note)
	}
	info += fmt.Sprintf("\n*Requested* %s · *expires* %s", slackDate(a.CreatedAt), slackDate(a.ExpiresAt))
	blocks := []slack.Block{header(cut("Delete request: "+a.ContactLabel, 150)), section(info)}
	if l != nil && c != nil {
		blocks = append(blocks, section("*Deleting removes:*\n"+strings.Join(linkedLines(*l, cur), "\n")))
		if risky := l.Risky(c.DND); len(risky) > 0 {
			blocks = append(blocks, contextBlock("⚠️ Look twice: "+strings.Join(risky, ", ")+"."))
		}
	} else {
		blocks = append(blocks, section("*Requested to remove:* "+countsLine(a.Counts)))
	}
	if a.State == crm.ApprovalPending {
		blocks = append(blocks,
			slack.NewActionBlock("approval:"+a.ID,
				button(ActionApprove, a.ID, "Approve", slack.StylePrimary),
				button(ActionReject, a.ID, "Reject", slack.StyleDanger),
			),
			contextBlock(fmt.Sprintf("Request `%s` · only an admin other than %s can decide.", a.ID, mention(a.Requester))),
		)
	} else {
		blocks = append(blocks, section(outcomeLine(a)))
	}
	return Message{Text: fmt.Sprintf("Delete request %s for %s: %s", a.ID, esc(a.ContactLabel), stateLabel(a.State)), Blocks: blocks}
}

// outcomeLine says how a decided request ended, who decided and when.
func outcomeLine(a crm.Approval) string {
	when := ""
	if a.DecidedAt != nil {
		when = " " + slackDate(*a.DecidedAt)
	}
	switch a.State {
	case crm.ApprovalApproved:
		return fmt.Sprintf("✅ *Approved* by %s%s: deleted (deletion `%s`).", mention(a.DecidedBy), when, esc(a.DeletionID))
	case crm.ApprovalRejected:
		s := fmt.Sprintf("❌ *Rejected* by %s%s. Nothing was deleted.", mention(a.DecidedBy), when)
		if a.RejectReason != "" {
			s += " Reason: " + esc(a.RejectReason)
		}
		return s
	case crm.ApprovalExpired:
		return fmt.Sprintf("⌛ *Expired*%s: no admin decided in time. Nothing was deleted.", when)
	case crm.ApprovalFailed:
		return fmt.Sprintf("⚠️ *Not deleted*: approved by %s%s, but %s", mention(a.DecidedBy), when, esc(lowerFirst(a.FailReason)))
	case crm.ApprovalWithdrawn:
		return fmt.Sprintf("↩️ *Withdrawn* by %s%s, who asked for it. Nothing was deleted.", mention(a.DecidedBy), when)
	}
	return "⏳ Waiting for an admin."
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
	when := ""
	if a.DecidedAt != nil {
		when = " " + slackDate(*a.DecidedAt)
	}
	switch a.State {
	case crm.ApprovalApproved:
		return fmt.Sprintf("Already approved by %s%s: the contact was deleted (deletion `%s`). Nothing more was done.", mention(a.DecidedBy), when, esc(a.DeletionID))
	case crm.ApprovalRejected:
		return fmt.Sprintf("Already rejected by %s%s. Nothing was deleted and nothing more was done.", mention(a.DecidedBy), when)
	case crm.ApprovalExpired:
		return fmt.Sprintf("This request expired%s without a decision. Nothing was deleted; the requester can ask again.", when)
	case crm.ApprovalFailed:
		return fmt.Sprintf("Already approved by %s%s, but the contact was gone. Nothing more was done.", mention(a.DecidedBy), when)
	case crm.ApprovalWithdrawn:
		return fmt.Sprintf("%s withdrew this request%s. Nothing was deleted and nothing more was done.", mention(a.DecidedBy), when)
	}
	return "This request is still open."
}

// decisionNotes show a request's current state in place of its message in
// the approvals channel (once that is posted; nothing when it never was),
// and DM the requester how it ended.
func (b *Bot) decisionNotes(a crm.Approval, deleted *crm.Deleted) []crm.Note {
	channel := a.Channel
	if channel == "" {
		channel = b.cfg.ApprovalsChannel
	}
	notes := []crm.Note{replacing(crm.ApprovalRef(a.ID), channel, approvalMessage(a, nil, nil, ""))}
	if m, ok := requesterOutcome(a, deleted); ok {
		notes = append(notes, note(a.Requester, m))
	}
	return notes
}

// requesterOutcome is the DM that tells the requester how their request ended.
func requesterOutcome(a crm.Approval, deleted *crm.Deleted) (Message, bool) {
	if deleted != nil {
		return deletionSummary(*deleted), true
	}
	what := fmt.Sprintf("your request to delete *%s* (`%s`, request `%s`)", esc(a.ContactLabel), esc(a.ContactID), a.ID)
	var text string
	switch a.State {
	case crm.ApprovalRejected:
		text = fmt.Sprintf("❌ %s rejected %s. Nothing was deleted.", mention(a.DecidedBy), what)
		if a.RejectReason != "" {
			text += " Reason: " + esc(a.RejectReason)
		} else {
			text += " Ask them why before asking again."
		}
	case crm.ApprovalExpired:
		text = fmt.Sprintf("⌛ No admin decided on %s in time, so it expired. Nothing was deleted. If it should still go, ask again with `/contact delete` or talk to an admin.", what)
	case crm.ApprovalFailed:
		text = fmt.Sprintf("⚠️ %s approved %s, but it was not deleted: %s", mention(a.DecidedBy), what, esc(lowerFirst(a.FailReason)))
	default:
		return Message{}, false
	}
	return *textMessage(text), true
}

// mayDecide checks on the server that user may decide on a: an admin who is
// not the requester. It returns the refusal's audit detail and sentence.
func (b *Bot) mayDecide(ctx context.Context, user string, a crm.Approval) (detail, text string, ok bool) {
	if user == a.Requester {
		return "own request", "You asked for this delete, so you cannot decide on it: another admin must approve or reject it. Nothing was changed.", false
	}
	if !b.isAdmin(ctx, user) {
		return "not an admin", "Only admins can approve or reject delete requests, and you are not one. Nothing was changed.", false
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
		return "already " + a.State, decidedText(a), true
	case errors.Is(err, crm.ErrApprovalExpired):
		return "expired", fmt.Sprintf("This request expired %s. Nothing was deleted; the requester can ask again.", slackDate(a.ExpiresAt)), true
	case errors.Is(err, crm.ErrOwnRequest):
		return "own request", crm.ErrOwnRequest.Message, true
	}
	return "", "", false
}

// openState reports, without locking, whether a can still be decided now.
func (b *Bot) openState(a crm.Approval) error {
	switch {
	case a.State != crm.ApprovalPending:
		return crm.ErrAlreadyDecided
	case !b.now().Before(a.ExpiresAt):
		return crm.ErrApprovalExpired
	}
	return nil
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

// handleApproveClick acknowledges at once and decides after the ack: the
// delete and the Slack updates may outlast Slack's 3 seconds.
func (b *Bot) handleApproveClick(cb slack.InteractionCallback, a *slack.BlockAction) {
	requestID, fingerprint := a.Value, ""
	if a.ActionID == ActionApproveAnyway {
		requestID, fingerprint, _ = strings.Cut(a.Value, ":")
		if fingerprint == "" {
			fingerprint = "-" // an "anyway" without a state never matches one
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
		Notify: func(r crm.ApproveResult) ([]crm.Note, error) { return b.decisionNotes(r.Approval, r.Deleted), nil }})
	if detail, text, ok := closedRefusal(res.Approval, err); ok {
		b.refuseDecision(ctx, user, responseURL, res.Approval, requestID, detail, text)
		return
	}
	if err != nil {
		b.respond(ctx, responseURL, *textMessage("*Nothing was deleted.* " + b.userMessage(err, "approve", "request", requestID)))
		return
	}
	a = res.Approval
	if res.Changed {
		b.log.Info("approval held: contact changed", "user", user, "request", a.ID, "contact", a.ContactID)
		b.respond(ctx, responseURL, changedMessage(a, res, b.cfg.CurrencyOf(res.Contact.LocationID)))
		b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditApprovalHeld, ContactID: a.ContactID, RequestID: a.ID, Reason: a.Reason,
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
	text := fmt.Sprintf("⚠️ *Nothing was deleted: %s changed since %s asked.*\n%s", contactLine(res.Contact), mention(a.Requester), strings.Join(diff, "\n"))
	blocks := []slack.Block{
		section(text),
		section("*Deleting it now removes:*\n" + strings.Join(linkedLines(res.Linked, cur), "\n")),
	}
	if risky := res.Linked.Risky(res.Contact.DND); len(risky) > 0 {
		blocks = append(blocks, contextBlock("⚠️ Look twice: "+strings.Join(risky, ", ")+"."))
	}
	blocks = append(blocks,
		slack.NewActionBlock("approval:"+a.ID+":changed",
			button(ActionApproveAnyway, a.ID+":"+res.Linked.Fingerprint, "Approve as it is now", slack.StyleDanger),
			button(ActionReject, a.ID, "Reject", ""),
		),
		contextBlock("Approve only if the contact should still go with what it has now. The request stays open until an admin decides."),
	)
	return Message{Text: "Nothing was deleted: the contact changed since the request.", Blocks: blocks}
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
		if err := b.openState(a); err != nil {
			detail, text, _ = closedRefusal(a, err)
		}
	}
	switch {
	case err != nil:
		b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "load approval request", "request", requestID)))
		return
	case text != "":
		b.refuseDecision(ctx, user, cb.ResponseURL, a, requestID, detail, text)
		return
	}
	reason := slack.NewPlainTextInputBlockElement(plain("e.g. it has an active deal; ask Sales first"), blockRejectReason)
	reason.Multiline = true
	reason.MaxLength = maxRejectReason
	input := slack.NewInputBlock(blockRejectReason, plain("Reason (optional, sent to the requester)"), nil, reason)
	input.Optional = true
	view := slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackRejectModal,
		Title:      plain(cut("Reject request", maxModalTitle)),
		Submit:     plain("Reject"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section(fmt.Sprintf("Reject %s's request to delete *%s* (`%s`)? Nothing is deleted; they will be told.", mention(a.Requester), esc(a.ContactLabel), esc(a.ContactID))),
			input,
		}},
		PrivateMetadata: a.ID,
	}
	if _, err := b.slack.OpenView(ctx, cb.TriggerID, view); err != nil {
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
	reason := ""
	if cb.View.State != nil {
		reason = strings.TrimSpace(cb.View.State.Values[blockRejectReason][blockRejectReason].Value)
	}
	if utf8.RuneCountInString(reason) > maxRejectReason {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockRejectReason: fmt.Sprintf("Keep the reason under %d characters.", maxRejectReason)})
	}
	a, _, err = b.store.Reject(ctx, requestID, user, reason, func(a crm.Approval) ([]crm.Note, error) { return b.decisionNotes(a, nil), nil })
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
// messages updated and requesters told, through the outbox) and reminds
// approvers, in the request's thread, of requests half-way to expiry. Every
// replica may run it: each request is claimed by exactly one run.
func (b *Bot) RunApprovalJobs(ctx context.Context) error {
	expired, _, err := b.store.ExpireDue(ctx, func(a crm.Approval) ([]crm.Note, error) { return b.decisionNotes(a, nil), nil })
	if err != nil {
		return fmt.Errorf("expire requests: %w", err)
	}
	for _, a := range expired {
		b.log.Info("approval expired", "request", a.ID, "contact", a.ContactID)
	}
	due, err := b.store.ClaimReminders(ctx, func(a crm.Approval) ([]crm.Note, error) { return []crm.Note{b.reminder(a)}, nil })
	if err != nil {
		return fmt.Errorf("claim reminders: %w", err)
	}
	for _, a := range due {
		b.log.Info("approval reminder written", "request", a.ID)
	}
	return nil
}

// reminder is a nudge in the request's thread (at the top level of the
// approvals channel when its message was never posted).
func (b *Bot) reminder(a crm.Approval) crm.Note {
	who := "Admins"
	if b.cfg.AdminUsergroupID != "" {
		who = "<!subteam^" + b.cfg.AdminUsergroupID + ">"
	}
	text := fmt.Sprintf("⏰ %s: %s's request to delete *%s* (`%s`) is still waiting and expires %s. Approve or reject it above.",
		who, mention(a.Requester), esc(a.ContactLabel), esc(a.ContactID), slackDate(a.ExpiresAt))
	channel := a.Channel
	if channel == "" {
		channel = b.cfg.ApprovalsChannel
		text += fmt.Sprintf(" (request `%s`; see `/contact deletions`)", a.ID)
	}
	n := note(channel, Message{Text: text})
	n.Thread = crm.ApprovalRef(a.ID)
	return n
}
