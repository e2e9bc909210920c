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
	// What happens before the answer gets the ack budget, so that a locked
	// row or a slow database never makes it late; work continued after the
	// answer has its own deadline (goBackground).
	ctx, cancel := context.WithTimeout(ctx, b.ackBudget)
	defer cancel()
	// The response URL is checked first: even a refusal is posted only
	// to Slack's own URLs.
	cb.ResponseURL = b.slackURL(cb.ResponseURL, "interaction payload")
	if !b.teamAllowed(cb.Team.ID, cb.Enterprise.ID) {
		b.log.Warn("interaction from another workspace refused", "team", cut(cb.Team.ID, 64), "enterprise", cut(cb.Enterprise.ID, 64))
		return b.refuseInteraction(ctx, cb, "Not served", wrongTeam.Text)
	}
	if !b.memberOfHome(cb.User.TeamID) {
		b.log.Warn("interaction from another organisation's member refused", "user", cut(cb.User.ID, 64), "user_team", cut(cb.User.TeamID, 64))
		return b.refuseInteraction(ctx, cb, "Not served", externalMember)
	}
	if answer, inputs := interactionProblem(cb); answer != "" || len(inputs) > 0 {
		b.log.Warn("interaction refused: unusable values", "type", cb.Type, "user", cut(cb.User.ID, 64))
		if cb.Type != slack.InteractionTypeViewSubmission {
			b.respond(ctx, cb.ResponseURL, *textMessage(answer))
			return nil
		}
		if answer != "" {
			return slack.NewUpdateViewSubmissionResponse(infoModal("Not understood", answer))
		}
		return slack.NewErrorsViewSubmissionResponse(inputs)
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		// Clicks on the Home tab and in modals have no response_url: their
		// answers go by DM.
		cb.ResponseURL = replyTo(cb)
		// Slack sends one action per click; a payload with more is forged,
		// and one click must not do several things.
		actions := cb.ActionCallback.BlockActions
		if len(actions) > 1 {
			b.log.Warn("click carried several actions: only the first is handled", "user", cb.User.ID, "actions", len(actions))
		}
		if len(actions) > 0 {
			b.handleAction(withSurface(ctx, surfaceOfClick(cb, actions[0])), cb, actions[0])
		}
		return nil
	case slack.InteractionTypeMessageAction:
		b.handleShortcut(ctx, cb)
		return nil
	case slack.InteractionTypeViewSubmission:
		resp := b.handleSubmission(ctx, cb)
		if resp != nil && resp.ResponseAction == slack.RAUpdate && resp.View != nil && resp.View.CallbackID != cb.View.CallbackID {
			// The window became another (the delete window the Merge
			// duplicate window, say): a click in it expects that one.
			b.viewBecame(ctx, cb.User.ID, cb.View.ID, resp.View.CallbackID)
		}
		return resp
	case slack.InteractionTypeViewClosed:
		return nil
	}
	b.log.Warn("unknown interaction type", "type", cb.Type, "user", cb.User.ID)
	return nil
}

// handleSubmission answers a window's submit, by the window's callback id.
func (b *Bot) handleSubmission(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	switch cb.View.CallbackID {
	case CallbackDeleteModal:
		return b.handleDeleteSubmit(ctx, cb)
	case CallbackCleanupModal:
		return b.handleCleanupSubmit(ctx, cb)
	case CallbackBatchApproveModal:
		return b.handleBatchApproveSubmit(ctx, cb)
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
	case CallbackEraseApproveModal:
		return b.handleEraseApproveSubmit(ctx, cb)
	case CallbackReportModal:
		return b.handleReportSubmit(ctx, cb)
	case CallbackFindModal:
		return b.handleFindSubmit(ctx, cb)
	}
	b.log.Warn("unknown view submission", "callback", cb.View.CallbackID, "user", cb.User.ID)
	return slack.NewUpdateViewSubmissionResponse(infoModal("Not understood", "This window is not one contactbot knows, so nothing was done. Close it and start again from `/contact`."))
}

// refuseInteraction answers an interaction that is not served at all with
// text: in the window for a window's submit, else through the response URL
// (never by DM: the person may not be in this workspace).
func (b *Bot) refuseInteraction(ctx context.Context, cb slack.InteractionCallback, title, text string) *slack.ViewSubmissionResponse {
	if cb.Type == slack.InteractionTypeViewSubmission {
		return slack.NewUpdateViewSubmissionResponse(infoModal(title, text))
	}
	b.respond(ctx, cb.ResponseURL, *textMessage(text))
	return nil
}

// handleAction answers one button press.
func (b *Bot) handleAction(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	user := cb.User.ID
	if len(a.Value) > maxValueLen {
		b.respond(ctx, cb.ResponseURL, *textMessage("That button carried more than contactbot accepts, so nothing was done. Search again with `/contact`."))
		return
	}
	if problem := clickProblem(a.ActionID, a.Value, cb.TriggerID); problem != "" {
		b.log.Info("click refused: not an id", "user", user, "action", a.ActionID)
		b.respond(ctx, cb.ResponseURL, *textMessage(problem))
		return
	}
	b.log.Info("action", "user", user, "action", a.ActionID)
	origin := originOfClick(ctx)
	switch a.ActionID {
	case ActionDelete:
		if err := b.openDeleteModal(ctx, user, cb.TriggerID, a.Value, cb.Channel.ID, cb.ResponseURL); err != nil {
			b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "open delete modal", "contact", a.Value)))
		} else {
			b.auditOpened(ctx, user, a.Value, windowDelete, origin)
		}
	case ActionSetDND:
		if err := b.openDNDModal(ctx, cb.TriggerID, a.Value, cb.ResponseURL, user, origin); err != nil {
			b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "open DND modal", "contact", a.Value)))
		}
	case ActionRemoveFollowUp:
		if err := b.openFollowUpModal(ctx, cb.TriggerID, a.Value, cb.ResponseURL, user, origin); err != nil {
			b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "open follow-up modal", "contact", a.Value)))
		}
	case ActionMerge:
		if err := b.openMergeModal(ctx, user, cb.TriggerID, a.Value, cb.Channel.ID, cb.ResponseURL); err != nil {
			b.respond(ctx, cb.ResponseURL, *textMessage(b.userMessage(err, "open merge modal", "contact", a.Value)))
		} else {
			b.auditOpened(ctx, user, a.Value, windowMerge, origin)
		}
	case ActionSuppressionRemove:
		b.suppressionRemoveClick(cb, a.Value)
	case ActionSuppressionRemovalApprove:
		b.suppressionRemovalApproveClick(cb, a.Value)
	case ActionUndo:
		b.handleUndo(cb, a.Value)
	case ActionReport:
		b.reportClick(ctx, cb, a.Value)
	case ActionWithdraw:
		b.withdrawClick(cb, a.Value)
	case ActionRestore:
		b.restoreClick(ctx, cb, a.Value)
	case ActionApprove, ActionApproveAnyway:
		b.handleApproveClick(ctx, cb, a)
	case ActionReject:
		b.openRejectModal(ctx, cb, a.Value)
	case blockReason:
		if cb.View.CallbackID == CallbackDeleteModal {
			b.reasonChosen(ctx, cb, a)
			return
		}
		b.log.Warn("reason chosen outside the delete window", "user", user)
	case blockIncludeRisky:
		b.includeRiskyChosen(ctx, cb)
	case blockOriginal:
		if cb.View.CallbackID == CallbackMergeModal {
			b.mergeWayChosen(ctx, cb, a)
			return
		}
		b.log.Warn("merge choice outside the merge window", "user", user)
	case ActionFindContact:
		b.openFindModal(ctx, cb)
	case ActionAcknowledge:
		b.acknowledgeClick(cb, a.Value)
	case ActionNoop:
	default:
		b.log.Warn("unknown action", "action", cut(a.ActionID, 100), "user", user)
		b.respond(ctx, cb.ResponseURL, *textMessage("That button is not one contactbot knows (it may be from an older message), so nothing was done. Search again with `/contact`."))
	}
}

// respond answers through a response URL as an ephemeral message. When ctx
// has run out (the ack budget went on a database that did not answer), the
// answer is sent after the ack instead.
func (b *Bot) respond(ctx context.Context, responseURL string, m Message) {
	if responseURL == "" {
		return
	}
	if ctx.Err() != nil {
		b.goBackground("respond", func(ctx context.Context) { b.respond(ctx, responseURL, m) })
		return
	}
	if err := b.slack.Respond(ctx, responseURL, m, false); err != nil {
		b.log.Error("respond", "err", err)
	}
}
