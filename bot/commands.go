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
	if !b.teamAllowed(cmd.TeamID, cmd.EnterpriseID) {
		b.log.Warn("command from another workspace refused", "team", cut(cmd.TeamID, 64), "enterprise", cut(cmd.EnterpriseID, 64))
		return &wrongTeam
	}
	if utf8.RuneCountInString(cmd.Text) > maxCommandText {
		return textMessage(fmt.Sprintf("That is too long to search for (%d characters). Type a name, email, phone number or contact id.", utf8.RuneCountInString(cmd.Text)))
	}
	if problem := commandProblem(cmd); problem != "" {
		b.log.Warn("command refused: unusable values", "user", cut(cmd.UserID, 64))
		return textMessage(problem)
	}
	cmd.ResponseURL = b.slackURL(cmd.ResponseURL, "slash command")
	// Answers after the ack go to the response URL, or by DM when there is
	// none contactbot may use.
	reply := cmd.ResponseURL
	if reply == "" {
		reply = dmReply + cmd.UserID
	}
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
	case "cleanup":
		run = func(ctx context.Context) *Message { return b.cleanupCommand(ctx, cmd, name, rest) }
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
			return b.auditCommand(ctx, name, cmd.UserID, rest, reply)
		}
	case "suppression":
		run = func(ctx context.Context) *Message { return b.suppressionCommand(ctx, name, cmd.UserID, rest) }
	default:
		run = func(ctx context.Context) *Message { return b.search(ctx, name, cmd.Text) }
	}
	return b.withinAck(ctx, reply, run)
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
	return textMessage(LateAnswerText)
}

// LateAnswerText is what a command answers when its work runs past the ack
// budget; the answer itself follows on the command's response URL.
const LateAnswerText = "Working on it… the answer will appear here in a moment."

// Verbs are the words after the slash command that name a subcommand ("" is
// none, which is help); any other text is a search.
var Verbs = []string{"", "find", "delete", "cleanup", "dnd", "stop-followup", "report", "restore", "deletions", "withdraw", "history", "suppression", "audit", "help"}

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
		"• `%[1]s cleanup` _filter_: delete test contacts in one batch, e.g. `email:*@qa.example.com created:2026-11-01..2026-11-28`\n"+
		"• `%[1]s report` _deletion id, email or phone_: report a wrong deletion so an admin can restore it\n"+
		"• `%[1]s deletions`: approval requests waiting for you, and your own (`%[1]s deletions mine`: only your own); withdraw one of yours there\n"+
		"• `%[1]s withdraw` _request id_: take back a delete request of yours that is still waiting\n"+
		"• `%[1]s restore` _deletion id_ (admins): put a deleted contact back whole\n"+
		"• `%[1]s history` _contact or deletion id_ (admins): who did what to a contact, and why\n"+
		"• `%[1]s suppression` _email or phone_ (admins): the opt-outs of deleted contacts kept for it, and remove one\n"+
		"• `%[1]s audit` _period_ (admins): the audit trail of the last `30` days, `2w`, `36h` (30 days by default) as a CSV file in your DM\n"+
		"• `%[1]s help`: this message\n"+
		"_contact_ is a name, email, phone number or contact id, as for a search.\n\n"+
		"*Before you delete*\n"+
		"1. Deleting is not the same as stopping follow-up. Never delete to process an unsubscribe, STOP or DND: use Set DND, or Remove follow-up.\n"+
		"2. Check the name, phone number and email first: a delete takes conversations, notes, opportunities, tasks, appointments and workflows with it.\n"+
		"3. Deleted the wrong contact? Press *Report wrong deletion* on the delete summary straight away: it can be restored.", name)
	return &Message{Text: text, Blocks: []slack.Block{section(text)}}
}

// searchTips follow "No contact matches": what a search finds. A name
// matches from the start of its words ("jane do" finds Jane Doe, "oe" does
// not).
const searchTips = "Try the email address, the phone number with or without its country code, the start of a name (“jane do”), or the contact id from Leadgains."

// find runs a search and renders the find message.
func (b *Bot) find(ctx context.Context, name, query string) *Message {
	query = strings.TrimSpace(query)
	if query == "" {
		return b.help(name)
	}
	res, err := b.store.SearchLinked(ctx, query)
	return b.found(ctx, query, res, err)
}

// search is the command's text without a verb: a search, with a note above
// it when the text looks like a command that does not exist (see
// notACommand).
func (b *Bot) search(ctx context.Context, name, text string) *Message {
	text = strings.TrimSpace(text)
	res, err := b.store.SearchLinked(ctx, text)
	msg := b.found(ctx, text, res, err)
	if err != nil || len(res.Matches) > 0 {
		return msg
	}
	note := b.notACommand(ctx, name, text)
	if note == "" {
		return msg
	}
	return &Message{Text: note + "\n" + msg.Text, Blocks: append([]slack.Block{section(note)}, msg.Blocks...)}
}

// notACommand is the note for a search whose first word was meant as a
// command: "`frobnicate` is not a `/contact` command …", or "" when the
// text reads as a search. Only a search that found nothing asks, and the
// note is given when
//   - the text has two words or more and the first is typed as verbs are:
//     lower-case letters and hyphens, and not a verb;
//   - that word alone finds no contact either, so it is not the start of a
//     name typed in lower case ("jane doe" with no Jane Doe);
//   - and it is a verb mistyped (one letter off, two for a verb of six
//     letters or more: "delte", "hisotry"), which the note then names, or
//     the rest of the text alone finds a contact ("frobnicate jane").
func (b *Bot) notACommand(ctx context.Context, name, text string) string {
	first, rest, _ := strings.Cut(text, " ")
	rest = strings.TrimSpace(rest)
	if rest == "" || !commandShaped(first) {
		return ""
	}
	if res, err := b.store.Search(ctx, first); err != nil || len(res.Matches) > 0 {
		return ""
	}
	if verb := nearVerb(first); verb != "" {
		return fmt.Sprintf("`%s` is not a `%s` command; did you mean `%s %s`? Searched for the whole text:", esc(first), esc(name), esc(name), verb)
	}
	if res, err := b.store.Search(ctx, rest); err != nil || len(res.Matches) == 0 {
		return ""
	}
	return fmt.Sprintf("`%s` is not a `%s` command (`%s help` lists them); searched for the whole text:", esc(first), esc(name), esc(name))
}

// commandShaped reports whether word is typed as the command's verbs are:
// two or more lower-case letters and hyphens, and not a verb.
func commandShaped(word string) bool {
	if len(word) < 2 || slices.Contains(Verbs, word) {
		return false
	}
	for _, r := range word {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}

// nearVerb is the verb word is a typo of, or "": at most one edit away (a
// letter added, dropped, changed, or two swapped), two for a verb of six
// letters or more.
func nearVerb(word string) string {
	best, bestDist := "", 3
	for _, v := range Verbs {
		if v == "" {
			continue
		}
		allowed := 1
		if len(v) >= 6 {
			allowed = 2
		}
		if d := editDistance(word, v); d <= allowed && d < bestDist {
			best, bestDist = v, d
		}
	}
	return best
}

// editDistance counts the edits from a to b (ASCII): letters inserted,
// deleted, replaced, or two neighbours swapped.
func editDistance(a, b string) int {
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// found renders what a search found: the find message, or what to try when
// nothing matched.
func (b *Bot) found(ctx context.Context, query string, res crm.SearchResult, err error) *Message {
	if err != nil {
		return textMessage(b.userMessage(err, "search failed"))
	}
	if len(res.Matches) == 0 {
		return textMessage(fmt.Sprintf("No contact matches *%s*. %s", esc(cut(query, 100)), searchTips))
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
	all, err := b.linkedOf(ctx, matches)
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

// linkedOf is what a delete of each match would take: as the search
// loaded it (crm.Store.SearchLinked, in the same round trip as the page),
// or else loaded now.
func (b *Bot) linkedOf(ctx context.Context, matches []crm.Match) ([]crm.ContactLinked, error) {
	all := make([]crm.ContactLinked, 0, len(matches))
	for _, m := range matches {
		if m.Linked == nil {
			ids := make([]string, len(matches))
			for i, m := range matches {
				ids[i] = m.ID
			}
			return b.store.LinkedMany(ctx, ids)
		}
		all = append(all, crm.ContactLinked{Contact: m.Contact, Linked: *m.Linked})
	}
	return all, nil
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
		func(ctx context.Context, triggerID, contactID, responseURL, user, origin string) error {
			if err := b.openDeleteModal(ctx, user, triggerID, contactID, cmd.ChannelID, responseURL); err != nil {
				return err
			}
			b.auditOpened(ctx, user, contactID, windowDelete, origin)
			return nil
		})
}
