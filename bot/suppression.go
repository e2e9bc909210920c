package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// ActionSuppressionRemove is the Remove button of a suppression entry;
// value: the entry's id.
const ActionSuppressionRemove = "suppression.remove"

// suppressionIDRe is the shape of crm.NewID("S", 10).
var suppressionIDRe = regexp.MustCompile(`^S[A-Z2-9]{10}$`)

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

// suppressionRemoveClick removes one entry after the ack, re-checking that
// the clicker is an admin.
func (b *Bot) suppressionRemoveClick(cb slack.InteractionCallback, id string) {
	user, responseURL := cb.User.ID, cb.ResponseURL
	b.goBackground("remove suppression", func(ctx context.Context) {
		if !b.isAdmin(ctx, user) {
			b.log.Info("suppression removal refused: not an admin", "user", user)
			b.respond(ctx, responseURL, *textMessage("Only admins can remove suppression entries, so nothing was removed."))
			return
		}
		if !suppressionIDRe.MatchString(id) {
			b.respond(ctx, responseURL, *textMessage("That button does not name a suppression entry contactbot knows, so nothing was removed."))
			return
		}
		e, _, err := b.store.RemoveSuppression(ctx, id, user) // its audit line feeds AUDIT_CHANNEL through the outbox
		if err != nil {
			b.respond(ctx, responseURL, *textMessage(b.userMessage(err, "remove suppression entry", "entry", id)))
			return
		}
		b.log.Info("suppression entry removed", "user", user, "entry", e.ID)
		what := "email"
		if e.Kind == crm.SuppressionPhone {
			what = "phone number"
		}
		b.respond(ctx, responseURL, *textMessage(fmt.Sprintf("🗑️ Suppression entry `%s` removed by %s: a contact created later with this %s no longer gets its DND back. Contacts that already got it keep it.",
			esc(e.ID), mention(user), what)))
	})
}
