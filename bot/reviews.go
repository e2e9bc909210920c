package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// ActionAcknowledge is a review's Acknowledge button; value: review id.
const ActionAcknowledge = "review.ack"

// reviewIDRe is the shape of a review id (crm.NewID("V", 10)).
var reviewIDRe = regexp.MustCompile(`^V[A-Z2-9]{10}$`)

// reviewLine says what an admin did alone: who, what, when, why.
func reviewLine(r crm.Review) string {
	label := reviewLabel(r)
	merge := r.DeletionKind == crm.KindMerge
	switch {
	case r.Kind == crm.ReviewSuppressionRemoval:
		return fmt.Sprintf("%s removed the %s suppression entry `%s` of *%s* (`%s`) without a second person %s · deletion `%s`",
			mention(r.Actor), entryWhat(r.EntryKind), esc(r.EntryID), esc(label), esc(r.ContactID), slackDate(r.CreatedAt), esc(r.DeletionID))
	case r.Kind == crm.ReviewRestore && merge:
		return fmt.Sprintf("%s restored *%s* (`%s`), undoing its merge into `%s` %s · deletion `%s`",
			mention(r.Actor), esc(label), esc(r.ContactID), esc(r.MergedInto), slackDate(r.CreatedAt), esc(r.DeletionID))
	case r.Kind == crm.ReviewRestore && r.ContactID == "": // a clean-up batch: no one contact
		return fmt.Sprintf("%s restored *%s* %s · clean-up batch `%s`", mention(r.Actor), esc(label), slackDate(r.CreatedAt), esc(r.DeletionID))
	case r.Kind == crm.ReviewRestore:
		return fmt.Sprintf("%s restored *%s* (`%s`) %s · deletion `%s`", mention(r.Actor), esc(label), esc(r.ContactID), slackDate(r.CreatedAt), esc(r.DeletionID))
	case r.ContactID == "":
		return fmt.Sprintf("%s deleted *%s* without a second person %s · *Reason:* %s · clean-up batch `%s`",
			mention(r.Actor), esc(label), slackDate(r.CreatedAt), esc(reasonLabel(r.Reason)), esc(r.DeletionID))
	}
	w := wordsOf(r.DeletionKind)
	what := fmt.Sprintf("%s *%s* (`%s`)", w.done, esc(label), esc(r.ContactID))
	if w.merges {
		what += fmt.Sprintf(" into `%s`", esc(r.MergedInto))
	}
	return fmt.Sprintf("%s %s without a second person %s · *Reason:* %s · deletion `%s`",
		mention(r.Actor), what, slackDate(r.CreatedAt), esc(reasonLabel(r.Reason)), esc(r.DeletionID))
}

// reviewWhat names what a review is of: "delete", "merge", "restore".
func reviewWhat(r crm.Review) string {
	switch {
	case r.Kind == crm.ReviewRestore:
		return "restore"
	case r.Kind == crm.ReviewSuppressionRemoval:
		return "suppression entry removal"
	}
	return wordsOf(r.DeletionKind).noun
}

// reviewMessage is a review as the approvals channel shows it: with
// Acknowledge while open, with who acknowledged after.
func reviewMessage(r crm.Review) Message {
	label := r.ContactLabel
	if label == "" {
		label = "a contact"
	}
	title := "Needs review: " + reviewWhat(r) + " of " + label
	blocks := []slack.Block{header(cut(title, 150)), section(reviewLine(r))}
	if r.Open() {
		blocks = append(blocks,
			slack.NewActionBlock("review:"+r.ID, button(ActionAcknowledge, r.ID, "Acknowledge", slack.StylePrimary)),
			contextBlock(fmt.Sprintf("An admin did this alone. Another admin looks at it and acknowledges it; %s cannot. Review `%s`.", mention(r.Actor), r.ID)))
	} else {
		title = "Reviewed: " + title[len("Needs review: "):]
		blocks[0] = header(cut(title, 150))
		blocks = append(blocks, section(fmt.Sprintf("✅ *Acknowledged* by %s %s.", mention(r.AcknowledgedBy), slackDate(deref(r.AcknowledgedAt)))))
	}
	return Message{Text: fmt.Sprintf("%s (review %s)", esc(title), r.ID), Blocks: blocks}
}

// reviewNotes post a new review to the approvals channel; none for nil.
func (b *Bot) reviewNotes(r *crm.Review) []outbox.Note {
	if r == nil {
		return nil
	}
	return []outbox.Note{noteAs(outbox.ReviewRef(r.ID), b.cfg.ApprovalsChannel, reviewMessage(*r))}
}

// acknowledgeClick answers Acknowledge after the ack: admins other than
// the one who did it, once.
func (b *Bot) acknowledgeClick(cb slack.InteractionCallback, reviewID string) {
	b.answerAfterAck("acknowledge review", cb, func(ctx context.Context, user string) string { return b.acknowledge(ctx, user, reviewID) })
}

// acknowledge records user's acknowledgement of a review and returns what
// they are told.
func (b *Bot) acknowledge(ctx context.Context, user, reviewID string) string {
	if !reviewIDRe.MatchString(reviewID) {
		return "That button does not name a review contactbot knows, so nothing was done."
	}
	if !b.isAdmin(ctx, user) {
		b.log.Info("acknowledgement refused: not an admin", "user", user, "review", reviewID)
		return "Only admins can acknowledge a review, and you are not one. Nothing was changed."
	}
	r, err := b.store.AcknowledgeReview(ctx, reviewID, user, func(r crm.Review) ([]outbox.Note, error) {
		return []outbox.Note{replacing(outbox.ReviewRef(r.ID), b.cfg.ApprovalsChannel, reviewMessage(r))}, nil
	})
	switch {
	case errors.Is(err, crm.ErrOwnReview):
		b.log.Info("acknowledgement refused: own review", "user", user, "review", reviewID)
		return "You did this yourself, so another admin must acknowledge it. Nothing was changed."
	case errors.Is(err, crm.ErrAlreadyAcknowledge):
		return fmt.Sprintf("Already acknowledged by %s %s. Nothing more to do.", mention(r.AcknowledgedBy), slackDate(deref(r.AcknowledgedAt)))
	case err != nil:
		return "Nothing was acknowledged. " + b.userMessage(err, "acknowledge review", "review", reviewID)
	}
	b.log.Info("review acknowledged", "user", user, "review", r.ID, "deletion", r.DeletionID)
	return fmt.Sprintf("✅ Acknowledged: %s", reviewLine(r))
}

// RunReviewJobs reminds the approvals channel, once, of each review that
// has waited a day, in the review's thread, and calls the admins when that
// is due (callAdmins). Every replica may run it: each review is claimed by
// one run.
func (b *Bot) RunReviewJobs(ctx context.Context) error {
	if due, err := b.store.ReviewJobsDue(ctx); err != nil || !due {
		return err
	}
	due, err := b.store.ClaimReviewReminders(ctx, func(r crm.Review) ([]outbox.Note, error) { return []outbox.Note{b.reviewReminder(r)}, nil })
	if err != nil {
		return fmt.Errorf("claim review reminders: %w", err)
	}
	for _, r := range due {
		b.log.Info("review reminder written", "review", r.ID)
	}
	return b.callAdmins(ctx)
}

// reviewedAct names what a review is of, as its nudges say it: "direct
// delete", "direct merge", "restore", "suppression entry removal".
func reviewedAct(r crm.Review) string {
	if r.Kind == crm.ReviewRestore || r.Kind == crm.ReviewSuppressionRemoval {
		return reviewWhat(r)
	}
	return "direct " + reviewWhat(r)
}

// reviewLabel is the reviewed contact's label, or says it was purged.
func reviewLabel(r crm.Review) string { return purgedLabel(r.ContactLabel) }

// reviewReminder is the one nudge, in its thread, of a review nobody
// acknowledged for a day. It calls nobody: the admins are called about
// everything waiting at once (adminCall).
func (b *Bot) reviewReminder(r crm.Review) outbox.Note {
	text := fmt.Sprintf("⏰ Admins: %s's %s of *%s* (deletion `%s`) has waited a day for another admin. Look at it and press *Acknowledge* above.",
		mention(r.Actor), reviewedAct(r), esc(reviewLabel(r)), esc(r.DeletionID))
	n := note(b.cfg.ApprovalsChannel, Message{Text: text})
	n.Thread = outbox.ReviewRef(r.ID)
	return n
}
