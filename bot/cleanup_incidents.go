package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// A batch reported as wrong is one incident, restored with one click
// (Restore all), row for row; one contact of it stays restorable alone
// with `/contact restore` and its deletion id.

// batchDetails describes a batch: its filter, who deleted it, when, why,
// who approved, and what went.
func batchDetails(bt crm.Batch) string {
	d := bt.Deletion
	text := fmt.Sprintf("*Batch:* %s matching `%s`", plural(bt.Deleted, "contact", "contacts"), esc(bt.Filter))
	text += fmt.Sprintf("\n*Deleted by* %s %s · *Reason:* %s", mention(d.DeletedBy), slackDate(d.DeletedAt), esc(reasonLabel(d.Reason)))
	if d.Note != "" {
		text += " — " + esc(d.Note)
	}
	if d.ApprovedBy != nil {
		text += "\n*Approved by* " + mention(*d.ApprovedBy)
	}
	text += "\n*Removed:* " + batchCountsLine(bt.Deleted, d.Counts)
	text += fmt.Sprintf("\n*Batch* `%s`", esc(d.ID))
	return text
}

// batchIncidentMessage is a batch reported as wrong, as posted to
// INCIDENT_CHANNEL, with its Restore all button.
func batchIncidentMessage(rep crm.Report) Message {
	bt := *rep.Batch
	d := rep.Deletion
	title := "Wrong batch reported: " + plural(bt.Deleted, "contact", "contacts")
	return Message{
		Text: fmt.Sprintf("%s (batch %s)", esc(title), d.ID),
		Blocks: []slack.Block{
			header(title),
			section(reportedLine(rep.Incident)),
			section(batchDetails(bt) + fmt.Sprintf("\n*Restorable until* %s", slackDate(d.RestoreUntil))),
			slack.NewActionBlock("incident:"+cut(d.ID, 200), button(ActionRestore, d.ID, fmt.Sprintf("Restore all %d", bt.Deleted), slack.StylePrimary)),
			contextBlock(wordsOf(crm.KindBatch).restoreButton),
		},
	}
}

// batchRestoredText says a batch is back: to the restorer (actor "") or
// to those told.
func batchRestoredText(res crm.Restored, actor string) string {
	br := res.Batch
	text := fmt.Sprintf("✅ Restored all %s of batch `%s`: %s put back with the same ids and values.", plural(len(br.Restored), "contact", "contacts"), esc(br.Batch.ID), plural(br.Rows, "row", "rows"))
	if actor != "" {
		text = fmt.Sprintf("✅ The batch `%s` (%s matching `%s`) was restored by %s: %s back with the same ids and values.",
			esc(br.Batch.ID), plural(len(br.Restored), "contact", "contacts"), esc(br.Batch.Filter), mention(actor), plural(br.Rows, "row", "rows"))
	}
	if n := len(br.Already); n > 0 {
		text += fmt.Sprintf(" (%s had been restored one by one before: left as %s.)", plural(n, "contact", "contacts"), pluralNoun(n, "it is", "they are"))
	}
	return text
}

// batchRestoredMessage is a batch's incident once the batch is restored:
// who restored it, when, how many rows, and no button.
func batchRestoredMessage(res crm.Restored, inc crm.Incident, reported bool) Message {
	br := res.Batch
	d := res.Deletion
	title := "Restored: " + plural(len(br.Restored)+len(br.Already), "contact", "contacts")
	restored := fmt.Sprintf("✅ *Restored* by %s %s: %s of %s put back with the same ids and values.",
		mention(deref(d.RestoredBy)), slackDate(deref(d.RestoredAt)), plural(br.Rows, "row", "rows"), plural(len(br.Restored), "contact", "contacts"))
	if reported {
		restored += fmt.Sprintf("\nReported by %s %s.", mention(inc.ReportedBy), slackDate(inc.ReportedAt))
		if inc.Note != "" {
			restored += " *What was wrong:* " + esc(inc.Note)
		}
	}
	return Message{Text: fmt.Sprintf("%s (batch %s)", esc(title), d.ID), Blocks: []slack.Block{header(title), section(restored), section(batchDetails(br.Batch))}}
}

// batchHistory is `/contact history` of a batch id: the batch, and what
// became of each of its contacts (deleted, with the deletion id that
// restores it alone; skipped, and why; untouched; restored).
func (b *Bot) batchHistory(ctx context.Context, id string) *Message {
	bt, items, err := b.store.Batch(ctx, id)
	if err != nil {
		return textMessage(b.userMessage(err, "history: load batch", "batch", id))
	}
	title := "History of batch " + bt.ID
	blocks := []slack.Block{header(title), section(batchDetails(bt) + "\n" + restoreWindow(bt.Deletion, b.now()) + "\n" + batchStateLine(bt))}
	var lines []string
	for _, it := range items {
		label := "*" + esc(purgedLabel(it.ContactLabel)) + "* `" + esc(it.ContactID) + "`"
		switch {
		case it.Restored:
			lines = append(lines, fmt.Sprintf("↩️ %s: restored (deletion `%s`)", label, esc(it.DeletionID)))
		case it.State == crm.ItemDeleted:
			lines = append(lines, fmt.Sprintf("🗑️ %s: deleted (deletion `%s`)", label, esc(it.DeletionID)))
		case it.State == crm.ItemSkipped:
			lines = append(lines, fmt.Sprintf("⏭️ %s: skipped, %s", label, esc(lowerFirst(it.Why))))
		default:
			lines = append(lines, fmt.Sprintf("▫️ %s: untouched", label))
		}
	}
	for chunk := range slices.Chunk(lines, 25) {
		blocks = append(blocks, section(strings.Join(chunk, "\n")))
	}
	blocks = append(blocks, contextBlock(fmt.Sprintf("Restore one contact alone: `%s restore` with its deletion id. All of them: `%s restore %s`.", DefaultCommandName, DefaultCommandName, esc(bt.ID))))
	return &Message{Text: esc(title), Blocks: limitBlocks(blocks, maxMessageBlocks, func(n int) string { return fmt.Sprintf("and %d more blocks not shown", n) })}
}

// batchStateLine says how far a batch got.
func batchStateLine(bt crm.Batch) string {
	switch bt.State {
	case crm.BatchRunning:
		return fmt.Sprintf("⏳ Running: %d of %d done so far.", bt.Deleted+bt.Skipped, bt.Count)
	case crm.BatchInterrupted:
		return fmt.Sprintf("⚠️ Stopped part-way: %d of %d deleted, %d skipped, the rest untouched.", bt.Deleted, bt.Count, bt.Skipped)
	}
	s := fmt.Sprintf("✅ Done: %d of %d deleted", bt.Deleted, bt.Count)
	if bt.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped (changed since the preview)", bt.Skipped)
	}
	if bt.Restored > 0 {
		s += fmt.Sprintf("; %d restored since", bt.Restored)
	}
	return s + "."
}
