package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// maxCommandText bounds what a slash command may carry; longer text is refused.
const maxCommandText = 1000

// Action ids of buttons. Values carry the object they act on.
const (
	ActionDelete         = "contact.delete"       // value: contact id
	ActionSetDND         = "contact.dnd"          // value: contact id
	ActionRemoveFollowUp = "contact.followup"     // value: contact id
	ActionMerge          = "contact.merge"        // value: contact id of the duplicate
	ActionReport         = "deletion.report"      // value: deletion id
	ActionNoop           = "contactbot.noop"      // links and other buttons with nothing to do
	CallbackDeleteModal  = "contact.delete.modal" // the delete modal's callback id
)

// HandleCommand answers a slash command. The returned message is the
// immediate (ephemeral) answer; nil means an empty acknowledgement. Work that
// outlasts the ack budget answers later through the response URL.
func (b *Bot) HandleCommand(ctx context.Context, cmd slack.SlashCommand) *Message {
	if !b.teamAllowed(cmd.TeamID) {
		return &wrongTeam
	}
	if utf8.RuneCountInString(cmd.Text) > maxCommandText {
		return textMessage(fmt.Sprintf("That is too long to search for (%d characters). Type a name, email, phone number or contact id.", utf8.RuneCountInString(cmd.Text)))
	}
	if problem := commandProblem(cmd); problem != "" {
		b.log.Warn("command refused: unusable values", "user", cut(cmd.UserID, 64))
		return textMessage(problem)
	}
	cmd.ResponseURL = usableURL(cmd.ResponseURL)
	name := cmd.Command
	if name == "" {
		name = "/contact"
	}
	verb, rest := splitVerb(cmd.Text)
	b.log.Info("command", "user", cmd.UserID, "team", cmd.TeamID, "verb", verb)

	var run func(ctx context.Context) *Message
	switch verb {
	case "", "help":
		return b.help(name)
	case "find":
		run = func(ctx context.Context) *Message { return b.find(ctx, name, rest) }
	case "delete":
		run = func(ctx context.Context) *Message { return b.deleteCommand(ctx, cmd, name, rest) }
	case "report":
		run = func(ctx context.Context) *Message { return b.reportCommand(ctx, cmd, name, cmd.UserID, rest) }
	case "restore":
		run = func(ctx context.Context) *Message { return b.restoreCommand(ctx, name, cmd.UserID, rest) }
	case "dnd":
		run = func(ctx context.Context) *Message {
			return b.commandForOne(ctx, cmd, name, verb, rest, "Set DND", b.openDNDModal)
		}
	case "stop-followup":
		run = func(ctx context.Context) *Message {
			return b.commandForOne(ctx, cmd, name, verb, rest, "Remove follow-up", b.openFollowUpModal)
		}
	case "history":
		run = func(ctx context.Context) *Message { return b.historyCommand(ctx, cmd, name, rest) }
	case "deletions":
		run = func(ctx context.Context) *Message { return b.deletionsCommand(ctx, name, cmd.UserID, rest) }
	case "withdraw":
		run = func(ctx context.Context) *Message { return b.withdrawCommand(ctx, name, cmd.UserID, rest) }
	case "audit":
		run = func(ctx context.Context) *Message {
			return b.auditCommand(ctx, name, cmd.UserID, rest, cmd.ResponseURL)
		}
	case "suppression":
		run = func(ctx context.Context) *Message { return b.suppressionCommand(ctx, name, cmd.UserID, rest) }
	default:
		run = func(ctx context.Context) *Message { return b.find(ctx, name, cmd.Text) }
	}
	return b.withinAck(ctx, cmd.ResponseURL, run)
}

// withinAck runs fn and returns its answer if it comes within the ack budget;
// otherwise it answers "working on it" and sends fn's answer to responseURL.
func (b *Bot) withinAck(ctx context.Context, responseURL string, fn func(ctx context.Context) *Message) *Message {
	done := make(chan *Message, 1) // buffered: fn never waits for a reader
	b.goBackground("command", func(bg context.Context) { done <- fn(bg) })
	timer := time.NewTimer(b.ackBudget)
	defer timer.Stop()
	select {
	case m := <-done:
		return m
	case <-timer.C:
	case <-ctx.Done():
	}
	b.goBackground("late answer", func(bg context.Context) {
		m := <-done
		if m == nil || responseURL == "" {
			return
		}
		if err := b.slack.Respond(bg, responseURL, *m, true); err != nil {
			b.log.Error("send late answer", "err", err)
		}
	})
	return textMessage("Working on it… the answer will appear here in a moment.")
}

// Verbs are the words after the slash command that name a subcommand ("" is
// none, which is help); any other text is a search.
var Verbs = []string{"", "find", "delete", "dnd", "stop-followup", "report", "restore", "deletions", "withdraw", "history", "suppression", "audit", "help"}

// splitVerb separates a known subcommand from the rest of the text.
func splitVerb(text string) (verb, rest string) {
	text = strings.TrimSpace(text)
	first, rest, _ := strings.Cut(text, " ")
	if v := strings.ToLower(first); slices.Contains(Verbs, v) {
		return v, strings.TrimSpace(rest)
	}
	return "search", text
}

// help lists the commands and the SOP's rules.
func (b *Bot) help(name string) *Message {
	// Slack reads <…> as links and mentions, so placeholders are in italics.
	text := fmt.Sprintf("*%[1]s* finds Leadgains contacts, stops messages to them, and deletes them safely.\n"+
		"• `%[1]s` _name, email, phone or id_: find a contact and see what a delete would take\n"+
		"• `%[1]s dnd` _contact_: Set DND, for an unsubscribe, STOP or \"stop messaging them\"\n"+
		"• `%[1]s stop-followup` _contact_: Remove follow-up: stop the contact's active workflows, keep everything else\n"+
		"• `%[1]s delete` _contact_: open the delete window for the one contact that matches\n"+
		"• `%[1]s report` _deletion id, email or phone_: report a wrong deletion so an admin can restore it\n"+
		"• `%[1]s deletions`: approval requests waiting for you, and your own (`%[1]s deletions mine`: only your own); withdraw one of yours there\n"+
		"• `%[1]s withdraw` _request id_: take back a delete request of yours that is still waiting\n"+
		"• `%[1]s restore` _deletion id_ (admins): put a deleted contact back whole\n"+
		"• `%[1]s history` _contact or deletion id_ (admins): who did what to a contact, and why\n"+
		"• `%[1]s suppression` _email or phone_ (admins): the opt-outs of deleted contacts kept for it, and remove one\n"+
		"• `%[1]s audit` _days_ (admins): the audit trail of the last days (30 by default) as a CSV file in your DM\n"+
		"• `%[1]s help`: this message\n"+
		"_contact_ is a name, email, phone number or contact id, as for a search.\n\n"+
		"*Before you delete*\n"+
		"1. Deleting is not the same as stopping follow-up. Never delete to process an unsubscribe, STOP or DND: use Set DND, or Remove follow-up.\n"+
		"2. Check the name, phone number and email first: a delete takes conversations, notes, opportunities, tasks, appointments and workflows with it.\n"+
		"3. Deleted the wrong contact? Press *Report wrong deletion* on the delete summary straight away: it can be restored.", name)
	return &Message{Text: text, Blocks: []slack.Block{section(text)}}
}

// find runs a search and renders the find message.
func (b *Bot) find(ctx context.Context, name, query string) *Message {
	query = strings.TrimSpace(query)
	if query == "" {
		return b.help(name)
	}
	res, err := b.store.Search(ctx, query)
	if err != nil {
		return textMessage(b.userMessage(err, "search failed"))
	}
	if len(res.Matches) == 0 {
		return textMessage(fmt.Sprintf("No contact matches *%s*. Try the email address, the phone number with or without its country code, part of the name (\"jane do\"), or the contact id from Leadgains.", esc(cut(query, 100))))
	}
	msg, err := b.findMessage(ctx, res)
	if err != nil {
		return textMessage(b.userMessage(err, "render find message"))
	}
	return msg
}

// findMessage shows each match with what a delete would take and its buttons.
func (b *Bot) findMessage(ctx context.Context, res crm.SearchResult) (*Message, error) {
	title := fmt.Sprintf("%s for “%s”", plural(res.Total, "contact", "contacts"), cut(res.Query, 60))
	total, more := fmt.Sprint(res.Total), fmt.Sprint(res.More())
	if res.Capped() {
		total, more = total+"+", more+"+"
	}
	if res.More() > 0 {
		title = fmt.Sprintf("%d of %s contacts for “%s”", len(res.Matches), total, cut(res.Query, 60))
	}
	found, err := b.matchBlocks(ctx, res.Matches, nil)
	if err != nil {
		return nil, err
	}
	blocks := append([]slack.Block{header(title)}, found...)
	if res.More() > 0 {
		blocks = append(blocks, contextBlock(more+" more: refine your search (add a last name, or use the email or phone)."))
	}
	blocks = limitBlocks(blocks, maxMessageBlocks, func(n int) string {
		return fmt.Sprintf("and more not shown (%d blocks): refine your search.", n)
	})
	return &Message{Text: esc(title), Blocks: blocks}, nil
}

// matchBlocks renders matches as a search result does, in their order,
// loading them in one round of statements for all, not one per contact; a
// contact deleted between the search and now is left out. blockID, when
// set, names each contact's buttons block (a shortcut's names the message).
func (b *Bot) matchBlocks(ctx context.Context, matches []crm.Match, blockID func(contactID string) string) ([]slack.Block, error) {
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.ID
	}
	all, err := b.store.LinkedMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	var blocks []slack.Block
	for _, cl := range all {
		c := cl.Contact
		m := matches[slices.IndexFunc(matches, func(m crm.Match) bool { return m.ID == c.ID })]
		for _, blk := range contactBlocks(c, cl.Linked, m, b.cfg.CurrencyOf(c.LocationID)) {
			if ab, ok := blk.(*slack.ActionBlock); ok && blockID != nil {
				ab.BlockID = blockID(c.ID)
			}
			blocks = append(blocks, blk)
		}
	}
	return blocks, nil
}

// contactBlocks renders one found contact: identity, what a delete would
// take, warnings, and the buttons; cur is the currency of its opportunities.
func contactBlocks(c crm.Contact, l crm.Linked, m crm.Match, cur string) []slack.Block {
	id := contactLine(c)
	if m.Exact {
		id += "  _exact match_"
	}
	info := fmt.Sprintf("%s\nLocation `%s` · created %s · %s", id, esc(c.LocationID), slackDate(c.CreatedAt), dndLine(c, l))
	body := info + "\n*A delete would take:* " + strings.Join(linkedLines(l, cur), " · ")
	blocks := []slack.Block{section(body)}
	if m.OptedOutBefore != nil {
		// A line of its own: DND that came back from the suppression list.
		blocks = append(blocks, contextBlock("⛔ opted out before (deleted "+slackDay(*m.OptedOutBefore)+"): DND re-applied"))
	}
	var warn []string
	if c.DND || l.HasDND() {
		warn = append(warn, "⚠️ This contact has opted out (DND). To stop messages, use *Set DND*, never Delete.")
	}
	if dup := duplicateWarning(c, m.Duplicates); dup != "" {
		warn = append(warn, dup)
	}
	if len(warn) > 0 {
		blocks = append(blocks, contextBlock(warn...))
	}
	buttons := []slack.BlockElement{
		button(ActionDelete, c.ID, "Delete…", slack.StyleDanger),
		button(ActionSetDND, c.ID, "Set DND", ""),
		button(ActionRemoveFollowUp, c.ID, "Remove follow-up", ""),
	}
	if len(m.Duplicates) > 0 {
		// The window lets the person choose which of the two stays.
		buttons = append(buttons, button(ActionMerge, c.ID, "Merge…", ""))
	}
	blocks = append(blocks, slack.NewActionBlock("contact:"+cut(c.ID, 200), buttons...), slack.NewDividerBlock())
	return blocks
}

// deleteCommand searches and, when exactly one contact matches, opens the
// delete modal straight away with the command's trigger id.
func (b *Bot) deleteCommand(ctx context.Context, cmd slack.SlashCommand, name, query string) *Message {
	return b.commandForOne(ctx, cmd, name, "delete", query, "Delete…",
		func(ctx context.Context, triggerID, contactID, responseURL, user, via string) error {
			if err := b.openDeleteModal(ctx, user, triggerID, contactID, cmd.ChannelID, responseURL); err != nil {
				return err
			}
			b.auditOpened(user, contactID, windowDelete, via)
			return nil
		})
}
