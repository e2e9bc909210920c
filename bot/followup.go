package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// Callback and block ids of Remove follow-up.
const (
	CallbackFollowUpModal = "contact.followup.modal" // the Remove follow-up modal's callback id
	blockEnrollments      = "enrollments"
)

// noActiveWorkflows is the answer when there is no follow-up to stop.
func noActiveWorkflows(c crm.Contact) error {
	return crm.Errorf(crm.ENOTFOUND, "%s has no active workflows, so there is no follow-up to stop. To stop all messages to them, use *Set DND*.", esc(c.Name()))
}

// openFollowUpModal loads the contact and opens Remove follow-up with the
// trigger id; with no active workflow it opens nothing and says so.
func (b *Bot) openFollowUpModal(ctx context.Context, triggerID, contactID, responseURL, user, origin string) error {
	c, l, err := b.store.Linked(ctx, contactID)
	if err != nil {
		return err
	}
	if l.ActiveWorkflowCount == 0 {
		return noActiveWorkflows(c)
	}
	view := b.followUpModal(c, l, actionMeta{ContactID: c.ID, ResponseURL: responseURL, Origin: origin}, "")
	if _, err := b.openView(ctx, user, triggerID, view); err != nil {
		return fmt.Errorf("open follow-up modal: %w", err)
	}
	b.auditOpened(ctx, user, c.ID, windowFollowUp, origin)
	return nil
}

// followUpModal lists the contact's active workflow enrollments, all ticked.
// Linked loads at most 10 by name, which is also Block Kit's limit of
// options in one checkbox group; the rest are counted.
func (b *Bot) followUpModal(c crm.Contact, l crm.Linked, meta actionMeta, banner string) slack.ModalViewRequest {
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	blocks = append(blocks, section(contactLine(c)+"\n"+plural(l.ActiveWorkflowCount, "active workflow", "active workflows")))
	var opts []*slack.OptionBlockObject
	for _, w := range l.ActiveWorkflows {
		o := option(w.ID, w.WorkflowName, "")
		o.Description = slack.NewTextBlockObject(slack.MarkdownType, "enrolled "+slackDay(w.EnrolledAt), false, false)
		opts = append(opts, o)
	}
	blocks = append(blocks, slack.NewInputBlock(blockEnrollments, plain("Stop these workflows"), plain("Untick a workflow to keep it running."),
		checkboxes(blockEnrollments, opts)))
	if more := l.ActiveWorkflowCount - len(opts); more > 0 {
		blocks = append(blocks, contextBlock(plural(more, "more active workflow is", "more active workflows are")+" not listed: stop these, then press *Remove follow-up* again."))
	}
	blocks = append(blocks, contextBlock(fmt.Sprintf("Only the ticked workflows stop. The contact, its DND, conversations and everything else stay as they are. You can undo this for %s.", durationWords(crm.UndoWindow))))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackFollowUpModal,
		Title:           plain("Remove follow-up"),
		Submit:          plain("Stop follow-up"),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: limitBlocks(blocks, maxModalBlocks, func(int) string { return "…" })},
		PrivateMetadata: meta.encode(),
	}
}

// handleFollowUpSubmit stops the ticked enrollments while Slack waits; the
// confirmation with Undo follows after the ack.
func (b *Bot) handleFollowUpSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	return b.handleActionSubmit(ctx, cb, actionSubmit{
		failTitle: "Nothing stopped", block: blockEnrollments, empty: "Tick at least one workflow, or press Cancel to keep them all.", what: "remove follow-up",
		run: func(ctx context.Context, meta actionMeta, user string, ids []string) (Message, []any, error) {
			res, err := b.store.RemoveFollowUp(ctx, crm.FollowUpRequest{ContactID: meta.ContactID, EnrollmentIDs: ids, Actor: user, Reason: ReasonStopFollowUp, Via: b.originText(ctx, user, meta.Origin)})
			if err != nil {
				return Message{}, nil, err
			}
			return followUpConfirmation(res), []any{"contact", res.Contact.ID, "stopped", len(res.Stopped), "skipped", res.Skipped}, nil
		},
	})
}

// followUpConfirmation tells which workflows stopped, with Undo.
func followUpConfirmation(res crm.FollowUpResult) Message {
	name := res.Contact.Name()
	if len(res.Stopped) == 0 {
		text := fmt.Sprintf("Nothing to stop for %s: the workflows you ticked had already finished or stopped. Nothing was changed.", esc(name))
		return Message{Text: text, Blocks: []slack.Block{section(contactLine(res.Contact) + "\n" + text)}}
	}
	title := "Follow-up removed for " + name
	var names []string
	for _, w := range res.Stopped {
		names = append(names, esc(w.WorkflowName))
	}
	text := contactLine(res.Contact) + "\nStopped: " + strings.Join(names, ", ")
	if res.Skipped > 0 {
		text += fmt.Sprintf("\n%s no longer active and left alone.", plural(res.Skipped, "workflow was", "workflows were"))
	}
	blocks := []slack.Block{header(title), section(text)}
	if res.Undo != nil {
		blocks = append(blocks,
			contextBlock(fmt.Sprintf("The contact, its DND and its history stay. Undo until %s (you or an admin).", slackDate(res.Undo.ExpiresAt))),
			slack.NewActionBlock("undo:"+res.Undo.ID, button(ActionUndo, res.Undo.ID, "Undo", "")),
		)
	}
	return Message{Text: esc(title), Blocks: blocks}
}
