package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// Buttons of the suppression list.
const (
	// ActionSuppressionRemove is the Remove button of an entry; value: its id.
	ActionSuppressionRemove = "suppression.remove"
	// ActionSuppressionRemovalApprove approves a removal request of an
	// erasure's entry; value: the request's id.
	ActionSuppressionRemovalApprove = "suppression.removal.approve"
)

// suppressionIDRe is the shape of crm.NewID("S", 10), and
// suppressionRemovalIDRe of a removal request's crm.NewID("Q", 10).
var (
	suppressionIDRe        = regexp.MustCompile(`^S[A-Z2-9]{10}$`)
	suppressionRemovalIDRe = regexp.MustCompile(`^Q[A-Z2-9]{10}$`)
)

// suppressionShown bounds a listing: two blocks each stay under Slack's 50.
const suppressionShown = 20

// suppressionCommand answers `/contact suppression <email | phone>` for
// admins: the entries that would give a contact created with it its DND
// back, each with a Remove button.
func (b *Bot) suppressionCommand(ctx context.Context, name, user, query string) *Message {
	if !b.isAdmin(ctx, user) {
		return textMessage("Only admins can look at the suppression list. Ask an admin if a contact keeps getting its DND back.")
	}
	query = strings.TrimSpace(query)
	if query == "" {
		return textMessage(fmt.Sprintf("Say which email or phone number to look up: `%s suppression jane@example.com`.", name))
	}
	look, list, err := b.store.FindSuppressions(ctx, query)
	if err != nil {
		return textMessage(b.userMessage(err, "find suppression entries"))
	}
	what := "email"
	if look.Kind == crm.SuppressionPhone {
		what = "phone number"
	}
	if len(list) == 0 {
		return textMessage(fmt.Sprintf("No suppression entry matches *%s*: a contact created with this %s does not get DND re-applied.", esc(cut(query, 100)), what))
	}
	title := fmt.Sprintf("%s for “%s”", plural(len(list), "suppression entry", "suppression entries"), cut(query, 60))
	blocks := []slack.Block{header(title), section(fmt.Sprintf("A contact created with this %s gets this DND back at once, whatever creates it. The list keeps only keyed hashes, never the %s itself.", what, what))}
	if len(list) > suppressionShown {
		list = list[:suppressionShown]
	}
	for _, e := range list {
		blocks = append(blocks,
			section(suppressionLine(e)),
			slack.NewActionBlock("suppression:"+e.ID, button(ActionSuppressionRemove, e.ID, "Remove", slack.StyleDanger)))
	}
	blocks = append(blocks, contextBlock("Removing an entry stops it re-applying DND to contacts created later; contacts that already got it keep it. Every removal is in the audit trail."))
	return &Message{Text: esc(title), Blocks: limitBlocks(blocks, maxMessageBlocks, func(int) string { return "and more: look up a longer part of the number." })}
}

// suppressionLine describes one entry: what it is of, why, when, by whom,
// and the DND it re-applies.
func suppressionLine(e crm.Suppression) string {
	kind := "Email"
	if e.Kind == crm.SuppressionPhone {
		kind = "Phone"
	}
	why := "deleted with DND"
	switch e.Source {
	case crm.SuppressionMerged:
		why = "merged away with DND"
	case crm.SuppressionErased:
		why = "privacy erasure"
	}
	s := fmt.Sprintf("*%s entry* `%s` · %s %s by %s", kind, esc(e.ID), why, slackDay(e.DeletedAt), mention(e.CreatedBy))
	if e.DeletionID != "" {
		s += " (deletion `" + esc(e.DeletionID) + "`)"
	}
	var ch []string
	for _, d := range e.Channels() {
		st := "on"
		if d.Status == crm.DNDPermanent {
			st = "on (permanent)" // not necessarily a STOP reply: an erasure's are too
		}
		ch = append(ch, channelLabel(d.Channel)+" "+st)
	}
	if e.ContactDND {
		ch = append(ch, "contact DND on for all channels")
	}
	return s + "\nRe-applies: " + strings.Join(ch, ", ")
}

// suppressionRemoveClick answers Remove after the ack, re-checking that
// the clicker is an admin: an erasure's entry gets a removal request for a
// second admin, any other is removed and reviewed by another admin.
func (b *Bot) suppressionRemoveClick(cb slack.InteractionCallback, id string) {
	b.answerAfterAck("remove suppression", cb, func(ctx context.Context, user string) string { return b.removeSuppression(ctx, user, id) })
}

// removeSuppression is user's Remove of entry id; it returns what they are told.
func (b *Bot) removeSuppression(ctx context.Context, user, id string) string {
	if !b.isAdmin(ctx, user) {
		b.log.Info("suppression removal refused: not an admin", "user", user)
		return "Only admins can remove suppression entries, so nothing was removed."
	}
	if !suppressionIDRe.MatchString(id) {
		return "That button does not name a suppression entry contactbot knows, so nothing was removed."
	}
	// The audit line feeds AUDIT_CHANNEL through the outbox.
	res, err := b.store.RemoveSuppression(ctx, id, user, func(r crm.SuppressionRemoved) ([]outbox.Note, error) { return b.suppressionRemovedNotes(r), nil })
	switch {
	case errors.Is(err, crm.ErrSuppressionRemovalAsked) && res.Request != nil:
		return fmt.Sprintf("A removal of suppression entry `%s` is already waiting for a second admin in %s (asked by %s, request `%s`). Nothing more to do.",
			esc(id), channelRef(b.cfg.ApprovalsChannel), mention(res.Request.Requester), res.Request.ID)
	case err != nil:
		return b.userMessage(err, "remove suppression entry", "entry", id)
	case !res.Removed && res.Request != nil:
		b.log.Info("suppression removal requested", "user", user, "entry", id, "request", res.Request.ID)
		return fmt.Sprintf("📨 Suppression entry `%s` came from a privacy erasure, so a second admin must approve its removal: your request `%s` is in %s. Nothing was removed yet.",
			esc(id), res.Request.ID, channelRef(b.cfg.ApprovalsChannel))
	}
	b.log.Info("suppression entry removed", "user", user, "entry", res.Entry.ID)
	text := fmt.Sprintf("🗑️ Suppression entry `%s` removed by %s: a contact created later with this %s no longer gets its DND back. Contacts that already got it keep it.",
		esc(res.Entry.ID), mention(user), entryWhat(res.Entry.Kind))
	if res.Review != nil {
		text += fmt.Sprintf(" Another admin reviews this removal in %s.", channelRef(b.cfg.ApprovalsChannel))
	}
	return text
}

// entryWhat is what a suppression entry of kind k is a hash of.
func entryWhat(k string) string {
	if k == crm.SuppressionPhone {
		return "phone number"
	}
	return "email"
}

// suppressionRemovedNotes post what a Remove did to the approvals channel:
// the removal request of an erasure's entry, or the review of a removal
// one admin did alone.
func (b *Bot) suppressionRemovedNotes(r crm.SuppressionRemoved) []outbox.Note {
	if r.Request != nil && !r.Removed {
		return []outbox.Note{noteAs(outbox.SuppressionRemovalRef(r.Request.ID), b.cfg.ApprovalsChannel, suppressionRemovalMessage(*r.Request))}
	}
	return b.reviewNotes(r.Review)
}

// suppressionRemovalMessage is a removal request as the approvals channel
// shows it: with Approve while it waits, with the outcome after.
func suppressionRemovalMessage(r crm.SuppressionRemoval) Message {
	what := entryWhat(r.EntryKind)
	info := fmt.Sprintf("%s asks to remove the %s suppression entry `%s` that a privacy erasure wrote (contact `%s`, deletion `%s`). Once removed, a contact created later with this %s can be messaged again: the erasure's promise ends for it.",
		mention(r.Requester), what, esc(r.SuppressionID), esc(r.ContactID), esc(r.DeletionID), what)
	blocks := []slack.Block{header("Suppression removal request"), section(info)}
	when := dateAfter(r.DecidedAt)
	switch r.State {
	case crm.RemovalPending:
		blocks = append(blocks,
			slack.NewActionBlock("suppression-removal:"+r.ID, button(ActionSuppressionRemovalApprove, r.ID, "Approve removal", slack.StyleDanger)),
			contextBlock(fmt.Sprintf("Removal request `%s` · only an admin other than %s can approve it. Nothing is removed until then.", r.ID, mention(r.Requester))))
	case crm.RemovalApproved:
		blocks = append(blocks, section(fmt.Sprintf("✅ *Approved* by %s%s: the entry is removed.", mention(r.DecidedBy), when)))
	case crm.RemovalGone:
		blocks = append(blocks, section(fmt.Sprintf("✅ *Approved* by %s%s, but the entry was already gone.", mention(r.DecidedBy), when)))
	}
	return Message{Text: fmt.Sprintf("Suppression removal request %s: %s", r.ID, r.State), Blocks: blocks}
}

// suppressionRemovalApproveClick answers Approve removal after the ack:
// an admin other than the one who asked removes the entry.
func (b *Bot) suppressionRemovalApproveClick(cb slack.InteractionCallback, id string) {
	b.answerAfterAck("approve suppression removal", cb, func(ctx context.Context, user string) string {
		return b.approveSuppressionRemoval(ctx, user, id)
	})
}

// approveSuppressionRemoval is user's approval of removal request id; it
// returns what they are told.
func (b *Bot) approveSuppressionRemoval(ctx context.Context, user, id string) string {
	if !suppressionRemovalIDRe.MatchString(id) {
		return "That button does not name a suppression removal request contactbot knows, so nothing was removed."
	}
	if !b.isAdmin(ctx, user) {
		b.log.Info("suppression removal approval refused: not an admin", "user", user, "request", id)
		return "Only admins can approve removing a suppression entry, and you are not one. Nothing was removed."
	}
	res, err := b.store.ApproveSuppressionRemoval(ctx, id, user, func(r crm.SuppressionRemoved) ([]outbox.Note, error) {
		return []outbox.Note{replacing(outbox.SuppressionRemovalRef(r.Request.ID), b.cfg.ApprovalsChannel, suppressionRemovalMessage(*r.Request))}, nil
	})
	switch {
	case errors.Is(err, crm.ErrOwnSuppressionRemoval):
		b.log.Info("suppression removal approval refused: own request", "user", user, "request", id)
		return crm.ErrOwnSuppressionRemoval.Message
	case err != nil:
		return b.userMessage(err, "approve suppression removal", "request", id)
	case !res.Removed:
		return fmt.Sprintf("Suppression entry `%s` was already gone, so there was nothing to remove.", esc(res.Request.SuppressionID))
	}
	b.log.Info("suppression entry removed", "user", user, "entry", res.Entry.ID, "request", id)
	return fmt.Sprintf("🗑️ Suppression entry `%s` removed by %s, as %s asked: a contact created later with this %s no longer gets its DND back. Contacts that already got it keep it.",
		esc(res.Entry.ID), mention(user), mention(res.Request.Requester), entryWhat(res.Entry.Kind))
}
