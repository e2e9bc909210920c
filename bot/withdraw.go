package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// ActionWithdraw is the requester's Withdraw button on their own pending
// request (in `/contact deletions` and in the DM that confirms the
// request); value: request id.
const ActionWithdraw = "approval.withdraw"

// withdrawButton is the Withdraw button of request id.
func withdrawButton(id string) *slack.ButtonBlockElement {
	return button(ActionWithdraw, id, "Withdraw request", "")
}

// withdrawCommand answers `/contact withdraw <request id>`.
func (b *Bot) withdrawCommand(ctx context.Context, name, user, arg string) *Message {
	if strings.TrimSpace(arg) == "" {
		return textMessage(fmt.Sprintf("Say which request to withdraw: `%[1]s withdraw` followed by the request id, or press *Withdraw request* in `%[1]s deletions`.", name))
	}
	return b.withdraw(ctx, user, arg)
}

// withdrawClick withdraws after the ack. On a listing (ephemeral: /contact
// deletions) the outcome replaces the listing; the request's DM is updated
// through the outbox like any decided request's (requestDMDecided), so the
// outcome is answered beside it, as is a refusal.
func (b *Bot) withdrawClick(cb slack.InteractionCallback, requestID string) {
	user, responseURL, listing := cb.User.ID, cb.ResponseURL, cb.Container.IsEphemeral
	b.goBackground("withdraw", func(ctx context.Context) {
		m, done := b.withdrawn(ctx, user, requestID)
		if done && listing {
			b.respondReplace(ctx, responseURL, *m)
			return
		}
		b.respond(ctx, responseURL, *m)
	})
}

// withdraw takes back user's pending request and returns their answer.
func (b *Bot) withdraw(ctx context.Context, user, requestID string) *Message {
	m, _ := b.withdrawn(ctx, user, requestID)
	return m
}

// withdrawn is withdraw, also reporting whether the request was withdrawn
// by this call. The request's message in the approvals channel then says so
// and loses its buttons (through the outbox, written in the same
// transaction); admins pressing them are told it was withdrawn.
func (b *Bot) withdrawn(ctx context.Context, user, requestID string) (*Message, bool) {
	id := strings.ToUpper(strings.TrimSpace(requestID))
	if !requestIDRe.MatchString(id) {
		return textMessage(fmt.Sprintf("*%s* is not a request id: they look like `RK7Q2M9XW4T`, as in `/contact deletions`. Nothing was withdrawn.", esc(cut(requestID, 40)))), false
	}
	// The approvals message's update goes through the outbox, written with
	// the withdraw; the audit line too.
	a, _, err := b.store.Withdraw(ctx, id, user, func(a crm.Approval) ([]outbox.Note, error) { return b.decisionNotes(a, nil), nil })
	switch {
	case err == nil:
	case errors.Is(err, crm.ErrNoApproval):
		return textMessage(crm.ErrNoApproval.Message + " Nothing was withdrawn."), false
	case errors.Is(err, crm.ErrNotYourRequest):
		b.log.Info("withdraw refused: not the requester", "user", user, "request", id)
		b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditDecisionRefused, ContactID: a.ContactID, RequestID: id, Outcome: "refused", Detail: "withdraw: not the requester"})
		return textMessage(fmt.Sprintf("Only %s, who asked for this %s, can withdraw it; an admin can reject it instead. Nothing was changed.", mention(a.Requester), wordsOf(a.Kind()).noun)), false
	case errors.Is(err, crm.ErrAlreadyDecided):
		return textMessage(decidedText(a)), false
	case errors.Is(err, crm.ErrApprovalExpired):
		return textMessage(fmt.Sprintf("This request expired %s: there is nothing to withdraw, and nothing was %s.", slackDate(a.ExpiresAt), wordsOf(a.Kind()).done)), false
	default:
		return textMessage("*Nothing was withdrawn.* " + b.userMessage(err, "withdraw", "request", id)), false
	}
	b.log.Info("approval withdrawn", "user", user, "request", a.ID, "contact", a.ContactID)
	return textMessage(fmt.Sprintf("↩️ You withdrew your request `%s` to %s. Nothing was %s, and admins can no longer approve it.",
		a.ID, requestAsksRequester(a), wordsOf(a.Kind()).done)), true
}
