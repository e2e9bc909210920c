package bot

import (
	"context"

	"github.com/slack-go/slack"
)

// maxValueLen bounds ids carried in button values; real ones are short.
const maxValueLen = 255

// HandleInteraction answers a button click or a modal submit. For a view
// submission it may return the response Slack shows in the modal (errors,
// update); nil means an empty acknowledgement.
func (b *Bot) HandleInteraction(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	if !b.teamAllowed(cb.Team.ID) {
		if cb.ResponseURL != "" {
			b.respond(ctx, cb.ResponseURL, wrongTeam)
		}
		return nil
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			b.handleAction(ctx, cb, a)
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		switch cb.View.CallbackID {
		case CallbackDeleteModal:
			return b.handleDeleteSubmit(ctx, cb)
		case CallbackDNDModal:
			return b.handleDNDSubmit(ctx, cb)
		case CallbackFollowUpModal:
			return b.handleFollowUpSubmit(ctx, cb)
		case CallbackRejectModal:
			return b.handleRejectSubmit(ctx, cb)
		case CallbackMergeModal:
			return b.handleMergeSubmit(ctx, cb)
		case CallbackEraseModal:
			return b.handleEraseSubmit(ctx, cb)
		}
		b.log.Warn("unknown view submission", "callback", cb.View.CallbackID, "user", cb.User.ID)
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not understood", "This window is not one contactbot knows, so nothing was done. Close it and start again from `/contact`."))
	case slack.InteractionTypeViewClosed:
		return nil
	}
	b.log.Warn("unknown interaction type", "type", cb.Type, "user", cb.User.ID)
	return nil
}

// handleAction answers one button press.
func (b *Bot) handleAction(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	user := cb.User.ID
	if len(a.Value) > maxValueLen {
		b.respond(ctx, cb.ResponseURL, *textMessage("That button carried more than contactbot accepts, so nothing was done. Search again with `/contact`."))
		return
	}
	b.log.Info("action", "user", user, "action", a.ActionID)
	switch a.ActionID {
	case ActionDelete:
		if err := b.openDeleteModal(ctx, user, cb.TriggerID, a.Value, cb.Channel.ID, cb.ResponseURL); err != nil {
			b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "open delete modal", "contact", a.Value)))
		} else {
			b.auditOpened(user, a.Value, windowDelete, viaButton)
		}
	case ActionSetDND:
		if err := b.openDNDModal(ctx, cb.TriggerID, a.Value, cb.ResponseURL, user, viaButton); err != nil {
			b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "open DND modal", "contact", a.Value)))
		}
	case ActionRemoveFollowUp:
		if err := b.openFollowUpModal(ctx, cb.TriggerID, a.Value, cb.ResponseURL, user, viaButton); err != nil {
			b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "open follow-up modal", "contact", a.Value)))
		}
	case ActionMerge:
		if err := b.openMergeModal(ctx, user, cb.TriggerID, a.Value, cb.Channel.ID, cb.ResponseURL); err != nil {
			b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "open merge modal", "contact", a.Value)))
		} else {
			b.auditOpened(user, a.Value, windowMerge, viaButton)
		}
	case ActionSuppressionRemove:
		b.suppressionRemoveClick(cb, a.Value)
	case ActionUndo:
		b.handleUndo(cb, a.Value)
	case ActionReport:
		b.reportClick(cb, a.Value)
	case ActionRestore:
		b.restoreClick(ctx, cb, a.Value)
	case ActionApprove, ActionApproveAnyway:
		b.handleApproveClick(cb, a)
	case ActionReject:
		b.openRejectModal(ctx, cb, a.Value)
	case ActionNoop:
	default:
		b.log.Warn("unknown action", "action", cut(a.ActionID, 100), "user", user)
		b.respond(ctx, cb.ResponseURL, *textMessage("That button is not one contactbot knows (it may be from an older message), so nothing was done. Search again with `/contact`."))
	}
}

// respond answers through a response URL as an ephemeral message.
func (b *Bot) respond(ctx context.Context, responseURL string, m Message) {
	if responseURL == "" {
		return
	}
	if err := b.slack.Respond(ctx, responseURL, m, false); err != nil {
		b.log.Error("respond", "err", err)
	}
}
