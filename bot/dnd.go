package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// Callback, block and action ids of Set DND.
const (
	CallbackDNDModal = "contact.dnd.modal" // the Set DND modal's callback id
	blockChannels    = "channels"
)

// channelLabel names a DND channel as Leadgains shows it; the words are
// crm's, which writes them into audit details too.
func channelLabel(ch string) string { return crm.ChannelLabel(ch) }

// statusLabel says a DND status in words ("not set" for no row).
func statusLabel(st string) string { return crm.DNDStatusLabel(st) }

// openDNDModal loads the contact and opens Set DND with the trigger id.
func (b *Bot) openDNDModal(ctx context.Context, triggerID, contactID, responseURL, user, origin string) error {
	c, l, err := b.store.Linked(ctx, contactID)
	if err != nil {
		return err
	}
	view := b.dndModal(c, l, actionMeta{ContactID: c.ID, ResponseURL: responseURL, Origin: origin}, "")
	if _, err := b.openView(ctx, user, triggerID, view); err != nil {
		return fmt.Errorf("open DND modal: %w", err)
	}
	b.auditOpened(ctx, user, c.ID, windowDND, origin)
	return nil
}

// dndModal is the Set DND window: the six channels, all ticked, each with
// its current status. banner, when set, leads the modal (the SOP's reason).
func (b *Bot) dndModal(c crm.Contact, l crm.Linked, meta actionMeta, banner string) slack.ModalViewRequest {
	status := map[string]string{}
	for _, d := range l.DND {
		status[d.Channel] = d.Status
	}
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	blocks = append(blocks, section(contactLine(c)+"\n"+dndLine(c, l)))
	var opts []*slack.OptionBlockObject
	for _, ch := range crm.DNDChannels {
		desc := "now " + statusLabel(status[ch])
		switch {
		case status[ch] == crm.DNDPermanent:
			desc += ": stays on whatever you choose"
		case c.DND && status[ch] != crm.DNDActive:
			// The contact-wide flag covers every channel, whatever its own row says.
			desc = "now on: the contact has DND on for all channels"
		}
		opts = append(opts, option(ch, channelLabel(ch), desc))
	}
	blocks = append(blocks,
		slack.NewInputBlock(blockChannels, plain("Set DND on"), plain("Untick a channel to leave it as it is. contactbot only turns DND on; it never lowers it."),
			checkboxes(blockChannels, opts)),
		contextBlock(fmt.Sprintf("The contact stays, with its conversations and history. When all six channels are on, the contact's DND is on too. You can undo this for %s.", durationWords(crm.UndoWindow))),
	)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackDNDModal,
		Title:           plain("Set DND"),
		Submit:          plain("Set DND"),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: limitBlocks(blocks, maxModalBlocks, func(int) string { return "…" })},
		PrivateMetadata: meta.encode(),
	}
}

// handleDNDSubmit sets DND while Slack waits, so a failure shows in the
// modal; the confirmation with Undo follows after the ack.
func (b *Bot) handleDNDSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	return b.handleActionSubmit(ctx, cb, actionSubmit{
		failTitle: "DND not set", block: blockChannels, empty: "Tick at least one channel.", what: "set DND",
		run: func(ctx context.Context, meta actionMeta, user string, channels []string) (Message, []any, error) {
			res, err := b.store.SetDND(ctx, crm.DNDRequest{ContactID: meta.ContactID, Channels: channels, Actor: user, Reason: ReasonUnsubscribe, Via: b.originText(ctx, user, meta.Origin)})
			if err != nil {
				return Message{}, nil, err
			}
			undo := ""
			if res.Undo != nil {
				undo = res.Undo.ID
			}
			return dndConfirmation(res), []any{"contact", res.Contact.ID, "changed", len(res.Changed), "undo", undo}, nil
		},
	})
}

// dndConfirmation tells what Set DND changed, with Undo.
func dndConfirmation(res crm.DNDResult) Message {
	name := res.Contact.Name()
	title := "DND set for " + name
	if res.Undo == nil {
		title = "DND was already on for " + name
	}
	var lines []string
	for _, c := range res.Changed {
		lines = append(lines, fmt.Sprintf("%s: %s → *%s*", channelLabel(c.Channel), statusLabel(c.Before), statusLabel(c.After)))
	}
	for _, k := range res.Kept {
		lines = append(lines, fmt.Sprintf("%s: already %s, unchanged", channelLabel(k.Channel), statusLabel(k.Status)))
	}
	if res.ContactDNDChanged {
		lines = append(lines, "Contact DND: off → *on for all channels*")
	}
	text := contactLine(res.Contact) + "\n" + strings.Join(lines, "\n")
	blocks := []slack.Block{header(title), section(text)}
	if res.Undo != nil {
		blocks = append(blocks,
			contextBlock(fmt.Sprintf("The contact stays. Set by you: undo until %s (you or an admin).", slackDate(res.Undo.ExpiresAt))),
			slack.NewActionBlock("undo:"+res.Undo.ID, button(ActionUndo, res.Undo.ID, "Undo", "")),
		)
	}
	return Message{Text: esc(title), Blocks: blocks}
}
