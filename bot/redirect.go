package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"time"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// The delete window leads someone who wants to stop messages to the SOP's
// right answer instead of deleting.

// optOutNote matches a note that describes an opt-out rather than a reason to
// delete: unsubscribe, STOP, opt out / opt-out, DND, do not disturb, stop
// messages. Whole words, any case.
var optOutNote = regexp.MustCompile(`(?i)\b(unsubscrib\w*|stop(ped|s)?|opt(ed|s)?[\s-]*out|dnd|do[\s-]*not[\s-]*disturb)\b`)

// noteWarnTTL is how long a shown warning counts as read: submitting the same
// note again within it deletes.
const noteWarnTTL = time.Hour

// noteWarning is the inline error on a note that mentions an opt-out. It
// follows any delete reason ("Test contact", "Other"…), so its last words
// name none.
const noteWarning = "This note sounds like an opt-out (unsubscribe, STOP, DND). Deleting loses it: close this and use Set DND, or Remove follow-up to only stop workflows. Nothing was deleted. Still want it deleted? Submit again."

// redirectFromDelete answers the two "not a delete" reasons: nothing is
// deleted and the window becomes the right action's, for the same contact,
// with the SOP's line on why.
func (b *Bot) redirectFromDelete(ctx context.Context, user string, meta deleteMeta, reason string) *slack.ViewSubmissionResponse {
	return slack.NewUpdateViewSubmissionResponse(b.redirectView(ctx, user, meta, reason))
}

// redirectView is the window that replaces the delete window for one of
// the two "not a delete" reasons, and records that nothing was deleted.
func (b *Bot) redirectView(ctx context.Context, user string, meta deleteMeta, reason string) *slack.ModalViewRequest {
	c, l, err := b.store.Linked(ctx, meta.ContactID)
	if err != nil {
		return infoModal("Not deleted", "*Nothing was deleted.* "+b.userMessage(err, "load contact for redirect", "contact", meta.ContactID))
	}
	next := actionMeta{ContactID: c.ID, ResponseURL: meta.ResponseURL, Origin: originDeleteWindow}
	if reason == ReasonUnsubscribe {
		b.log.Info("delete refused: unsubscribe reason, showing Set DND", "user", user, "contact", c.ID)
		b.auditRefusal(user, c.ID, reason, "not deleted: "+windowDND+" offered")
		v := b.dndModal(c, l, next, "*Nothing was deleted.* "+sopUnsubscribe)
		return &v
	}
	b.log.Info("delete refused: stop follow-up reason, showing Remove follow-up", "user", user, "contact", c.ID)
	if l.ActiveWorkflowCount == 0 {
		b.auditRefusal(user, c.ID, reason, "not deleted: no active workflow to stop")
		return infoModal("Not deleted", "*Nothing was deleted.* "+sopStopFollowUp+"\n\n"+crm.ErrorMessage(noActiveWorkflows(c)))
	}
	b.auditRefusal(user, c.ID, reason, "not deleted: "+windowFollowUp+" offered")
	v := b.followUpModal(c, l, next, "*Nothing was deleted.* "+sopStopFollowUp)
	return &v
}

// reasonChosen answers a reason picked in the delete window (the select
// dispatches its action at once): the two "not a delete" reasons switch the
// window to Set DND or Remove follow-up straight away, before anyone types
// DELETE; "Duplicate created by mistake" to Merge duplicate (when there is a
// contact to merge into) and "Privacy erasure request" to the erasure
// window; the others change nothing.
func (b *Bot) reasonChosen(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	reason := a.SelectedOption.Value
	switch reason {
	case ReasonUnsubscribe, ReasonStopFollowUp, ReasonErasure, ReasonDuplicate:
	default:
		return
	}
	var meta deleteMeta
	if !readMeta(cb.View.PrivateMetadata, &meta) {
		b.log.Warn("reason chosen in an unreadable delete window", "user", cb.User.ID)
		return
	}
	// Before anything is built or audited: the window named must be this
	// person's delete window.
	if !b.ownWindow(ctx, cb, CallbackDeleteModal) {
		return
	}
	var v *slack.ModalViewRequest
	switch reason {
	case ReasonErasure:
		v = b.erasureView(ctx, cb.User.ID, meta)
	case ReasonDuplicate:
		if v = b.mergeView(ctx, cb.User.ID, meta); v == nil {
			return // nothing to merge into: it stays a delete
		}
	default:
		v = b.redirectView(ctx, cb.User.ID, meta, reason)
	}
	if err := b.updateView(ctx, cb, *v); err != nil {
		// The submit still redirects: nothing is lost but a step.
		b.log.Error("switch delete window", "user", cb.User.ID, "contact", meta.ContactID, "err", err)
	}
}

// warnOptOutNote returns the warning for a note that mentions an opt-out,
// the first time this user submits this note for this contact; submitting
// the same note again means they read it, and returns "".
func (b *Bot) warnOptOutNote(ctx context.Context, user, contactID, reason, note string) string {
	if !optOutNote.MatchString(note) {
		return ""
	}
	sum := sha256.Sum256([]byte(note))
	key := "notewarn:" + user + ":" + contactID + ":" + hex.EncodeToString(sum[:8])
	first, err := b.FirstSeen(ctx, key, noteWarnTTL)
	if err != nil {
		// Without either store we cannot tell a second submit: warn, the safe side.
		b.log.Warn("note warning: cannot tell a second submit", "err", err)
		first = true
	}
	if !first {
		return ""
	}
	b.log.Info("delete paused: note mentions an opt-out", "user", user, "contact", contactID)
	b.auditRefusal(user, contactID, reason, "not deleted: note sounds like an opt-out, warned")
	return noteWarning
}
