package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// historyLimit is how many audit lines /contact history shows, newest last.
const historyLimit = 30

// historyCommand shows an admin the audit trail of one contact, found by a
// search, a contact id (also of a deleted contact) or a deletion id.
func (b *Bot) historyCommand(ctx context.Context, cmd slack.SlashCommand, name, query string) *Message {
	if !b.isAdmin(ctx, cmd.UserID) {
		return textMessage("Only admins can see a contact's history. Ask an admin if you need to know who changed a contact.")
	}
	query = strings.TrimSpace(query)
	if query == "" {
		return textMessage(fmt.Sprintf("Say which contact: `%s history jane@example.com`, a contact id, or a deletion id.", name))
	}
	contactID, label := "", ""
	if d, err := b.store.Deletion(ctx, normalID(query)); err == nil && d.IsBatch() {
		return b.batchHistory(ctx, d.ID)
	} else if err == nil {
		contactID, label = d.ContactID, d.ContactLabel
	} else if crm.ErrorCode(err) != crm.ENOTFOUND {
		return textMessage(b.userMessage(err, "history: load deletion"))
	}
	if contactID == "" {
		res, err := b.store.Search(ctx, query)
		if err != nil {
			return textMessage(b.userMessage(err, "history: search"))
		}
		switch len(res.Matches) {
		case 0:
			contactID = query // perhaps a deleted contact's id: its trail outlives it
		case 1:
			contactID, label = res.Matches[0].ID, res.Matches[0].Name()
		default:
			var lines []string
			for _, m := range res.Matches {
				lines = append(lines, contactLine(m.Contact))
			}
			return textMessage(fmt.Sprintf("%d contacts match: run `%s history` with one contact id.\n%s", res.Total, name, strings.Join(lines, "\n")))
		}
	}
	entries, total, err := b.store.ContactHistory(ctx, contactID, historyLimit)
	if err != nil {
		return textMessage(b.userMessage(err, "history: load trail", "contact", contactID))
	}
	if total == 0 && label != "" {
		return textMessage(fmt.Sprintf("No history for *%s* (`%s`) yet: nobody has acted on it through contactbot.", esc(label), esc(contactID)))
	}
	if total == 0 {
		return textMessage(fmt.Sprintf("No contact, deletion or history matches *%s*. Try the contact id or the deletion id.", esc(cut(query, 100))))
	}
	return historyMessage(contactID, label, entries, total)
}

// historyMessage renders the trail, one readable line per entry, in as few
// sections as fit.
func historyMessage(contactID, label string, entries []crm.AuditEntry, total int) *Message {
	title := "History of contact " + contactID
	if label != "" {
		title = "History of " + label
	}
	blocks := []slack.Block{header(title), contextBlock(fmt.Sprintf("Contact `%s` · %s, oldest first", esc(contactID), plural(total, "entry", "entries")))}
	if more := total - len(entries); more > 0 {
		blocks = append(blocks, contextBlock("and "+plural(more, "earlier entry", "earlier entries")+" not shown"))
	}
	var chunk []string
	size := 0
	flush := func() {
		if len(chunk) > 0 {
			blocks = append(blocks, section(strings.Join(chunk, "\n")))
			chunk, size = nil, 0
		}
	}
	for _, e := range entries {
		line := auditLine(e)
		if size+len(line)+1 > maxSectionText {
			flush()
		}
		chunk = append(chunk, line)
		size += len(line) + 1
	}
	flush()
	return &Message{Text: esc(title), Blocks: limitBlocks(blocks, maxMessageBlocks, func(int) string { return "and more: see the audit log." })}
}
