package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// ActionUndo is the Undo button of a Set DND or Remove follow-up confirmation.
const ActionUndo = "contact.undo" // value: undo id

// handleUndo undoes a change after the ack: the store checks who may undo it
// (the same user, or an admin), the window, and that it happens once.
func (b *Bot) handleUndo(cb slack.InteractionCallback, undoID string) {
	user, responseURL := cb.User.ID, cb.ResponseURL
	b.goBackground("undo", func(ctx context.Context) {
		res, err := b.store.Undo(ctx, undoID, user, b.isAdmin(ctx, user))
		if err != nil {
			b.log.Info("undo refused", "user", user, "undo", undoID, "code", crm.ErrorCode(err))
			b.confirm(ctx, user, responseURL, *textMessage(b.undoRefusal(err, res.Action)))
			return
		}
		b.log.Info("undone", "user", user, "undo", undoID, "contact", res.Contact.ID)
		m := undoneMessage(res)
		if responseURL != "" && b.slack.Respond(ctx, responseURL, m, true) == nil {
			return // the confirmation now says it was undone, without its button
		}
		b.dm(ctx, user, m)
	})
}

// undoRefusal says why an undo did not happen, naming who and when where the
// store knows.
func (b *Bot) undoRefusal(err error, a crm.UndoAction) string {
	switch {
	case errors.Is(err, crm.ErrUndoNotYours):
		return fmt.Sprintf("Only %s, who made this change, or an admin can undo it. Nothing was changed.", mention(a.Actor))
	case errors.Is(err, crm.ErrUndoDone) && a.UndoneBy != nil && a.UndoneAt != nil:
		return fmt.Sprintf("%s already undid this change %s. Nothing was changed.", mention(*a.UndoneBy), slackDate(*a.UndoneAt))
	case errors.Is(err, crm.ErrUndoExpired):
		return fmt.Sprintf("The undo window closed %s. Nothing was changed; change it by hand in Leadgains if it is still wrong.", slackDate(a.ExpiresAt))
	}
	return b.userMessage(err, "undo", "undo", a.ID)
}

// undoneMessage replaces a confirmation once its change is undone.
func undoneMessage(res crm.UndoResult) Message {
	a := res.Action
	by := ""
	if a.UndoneBy != nil {
		by = " by " + mention(*a.UndoneBy)
	}
	var what []string
	for _, p := range a.Previous.DND {
		what = append(what, fmt.Sprintf("%s %s", channelLabel(p.Channel), statusLabel(p.Status)))
	}
	if a.Previous.Contact != nil {
		what = append(what, "contact DND off")
	}
	for _, e := range a.Previous.Enrollments {
		what = append(what, esc(e.WorkflowName)+" "+workflowStatusLabel(e.Status))
	}
	title := "Set DND undone"
	if a.Kind == crm.UndoKindFollowUp {
		title = "Remove follow-up undone"
	}
	text := fmt.Sprintf("↩️ *%s*%s: %s is back as it was: %s.", title, by, contactLine(res.Contact), strings.Join(what, ", "))
	return Message{Text: title, Blocks: []slack.Block{section(text)}}
}
