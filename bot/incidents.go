package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// ActionRestore is the incident message's Restore button; value: deletion id.
const ActionRestore = "deletion.restore"

// mayRestore reports whether user may restore deletions: admins only.
func (b *Bot) mayRestore(ctx context.Context, user string) bool { return b.isAdmin(ctx, user) }

// notAdminRestore is the answer to anyone else's restore.
func (b *Bot) notAdminRestore() *Message {
	return textMessage(fmt.Sprintf("Only admins can restore a deletion, so nothing was restored. Ask an admin in %s to press *Restore* on the incident.", channelMention(b.cfg.IncidentChannel)))
}

func channelMention(id string) string { return "<#" + id + ">" }

// reportCommand answers `/contact report <deletion id | email | phone>`:
// one deletion found opens the report window with the command's trigger id.
func (b *Bot) reportCommand(ctx context.Context, cmd slack.SlashCommand, name, user, query string) *Message {
	query = normalID(query)
	if strings.TrimSpace(query) == "" {
		return textMessage(fmt.Sprintf("Say which deletion to report: `%s report` followed by the deletion id from the delete summary, or by the deleted contact's email or phone number.", name))
	}
	ds, err := b.store.FindDeletions(ctx, query)
	if err != nil {
		return textMessage(b.userMessage(err, "find deletions"))
	}
	switch len(ds) {
	case 0:
		return textMessage(fmt.Sprintf("No deletion that can still be restored matches *%s*. Check the deletion id in the delete summary; if the contact was restored already, `%s %s` finds it.", esc(cut(query, 100)), name, esc(cut(query, 100))))
	case 1:
		return b.openReportModal(ctx, user, cmd.TriggerID, ds[0].ID, cmd.ResponseURL)
	}
	return b.deletionChoices(query, ds)
}

// deletionChoices lists several deletions that match a report, each with
// its own Report button.
func (b *Bot) deletionChoices(query string, ds []crm.Deletion) *Message {
	title := fmt.Sprintf("%d deletions match “%s”", len(ds), cut(query, 60))
	blocks := []slack.Block{header(title), section("Press *Report* on the one that was deleted by mistake.")}
	for _, d := range ds {
		label := purgedLabel(d.ContactLabel)
		text := fmt.Sprintf("*%s* · deletion `%s`\nDeleted by %s %s · %s · %s", esc(label), esc(d.ID), mention(d.DeletedBy), slackDate(d.DeletedAt),
			esc(reasonLabel(d.Reason)), countsLine(d.Counts))
		switch {
		case d.Kind == crm.KindErasure:
			text += "\nA privacy erasure: it cannot be restored"
		case d.RestoredAt != nil:
			text += "\nAlready restored " + slackDate(*d.RestoredAt)
		default:
			text += "\n" + restoreWindow(d, b.now())
		}
		blocks = append(blocks, section(text))
		if d.RestoredAt == nil && !d.WindowClosed(b.now()) {
			blocks = append(blocks, slack.NewActionBlock("deletion:"+cut(d.ID, 200), button(ActionReport, d.ID, "Report", slack.StyleDanger)))
		}
	}
	return &Message{Text: esc(title), Blocks: limitBlocks(blocks, maxMessageBlocks, func(int) string { return "and more: use the deletion id." })}
}

// reportClick answers the Report wrong deletion button: the window that
// asks what was wrong opens with the click's trigger id, before the ack.
func (b *Bot) reportClick(ctx context.Context, cb slack.InteractionCallback, deletionID string) {
	if m := b.openReportModal(ctx, cb.User.ID, cb.TriggerID, deletionID, cb.ResponseURL); m != nil {
		b.respond(ctx, cb.ResponseURL, *m)
	}
}

// report records a wrong deletion with the incident for INCIDENT_CHANNEL,
// posted once whoever reports it how often; wrong is what the reporter says
// was wrong (may be empty). It returns the reporter's answer.
func (b *Bot) report(ctx context.Context, reporter, deletionID, wrong string) *Message {
	var notes []outbox.Note // written with a new incident: its post, and the DMs of whoever is told
	rep, err := b.store.ReportDeletion(ctx, deletionID, reporter, wrong, func(rep crm.Report) ([]outbox.Note, error) {
		notes = b.reportNotes(rep, reporter)
		return notes, nil
	})
	if err != nil {
		b.log.Info("report refused", "user", reporter, "deletion", deletionID, "code", crm.ErrorCode(err))
		return textMessage(b.refusal(err, rep.Deletion, "report deletion"))
	}
	d, inc := rep.Deletion, rep.Incident
	w := deletionWords(d)
	if !rep.New {
		if inc.MessageTS == "" {
			return textMessage(fmt.Sprintf("%s is reporting this %s right now: the incident will appear in %s in a moment.", mention(inc.ReportedBy), w.record, channelMention(b.cfg.IncidentChannel)))
		}
		return textMessage(fmt.Sprintf("This %s was already reported by %s %s in %s. An admin can restore it from that message until %s.",
			w.record, mention(inc.ReportedBy), slackDate(inc.ReportedAt), channelMention(inc.Channel), slackDate(d.RestoreUntil)))
	}
	b.log.Info("deletion reported", "user", reporter, "deletion", d.ID)
	var told []string
	for _, n := range notes {
		if isUserChannel(n.Channel) {
			told = append(told, mention(n.Channel))
		}
	}
	text := fmt.Sprintf("Reported in %s: an admin can %s until %s.", channelMention(b.cfg.IncidentChannel), w.restore, slackDate(d.RestoreUntil))
	switch len(told) {
	case 0:
	case 1:
		text += " " + told[0] + " was told."
	default:
		text += " " + strings.Join(told, " and ") + " were told."
	}
	return textMessage(text)
}

// reportNotes announce a new incident: its message in INCIDENT_CHANNEL
// first, then a DM to whoever deleted and approved it (but the reporter).
func (b *Bot) reportNotes(rep crm.Report, reporter string) []outbox.Note {
	d := rep.Deletion
	notes := []outbox.Note{noteAs(outbox.IncidentRef(d.ID), b.cfg.IncidentChannel, incidentMessage(rep))}
	where := fmt.Sprintf("was reported as wrong by %s in %s. An admin can restore it until %s.", mention(reporter), channelMention(b.cfg.IncidentChannel), slackDate(d.RestoreUntil))
	what := fmt.Sprintf("*%s* (deletion `%s`, %s)", esc(rep.Contact.Name()), esc(d.ID), slackDate(d.DeletedAt))
	if rep.Batch != nil {
		what = fmt.Sprintf("*%s* (batch `%s`, %s)", esc(d.ContactLabel), esc(d.ID), slackDate(d.DeletedAt))
	}
	noun := deletionWords(d).record
	if d.DeletedBy != reporter {
		notes = append(notes, note(d.DeletedBy, *textMessage("⚠️ Your " + noun + " of " + what + " " + where)))
	}
	if a := d.ApprovedBy; a != nil && *a != reporter && *a != d.DeletedBy {
		notes = append(notes, note(*a, *textMessage("⚠️ A " + noun + " you approved, " + what + ", " + where)))
	}
	return notes
}

// refusal words why a deletion cannot be reported or restored: already
// restored (by whom, when) or past its window (since when); else err's sentence.
func (b *Bot) refusal(err error, d crm.Deletion, what string) string {
	switch code := crm.ErrorCode(err); {
	case errors.Is(err, crm.ErrErasureNotRestorable):
		return fmt.Sprintf("Deletion `%s` was a privacy erasure, approved %s: nothing was archived, so it cannot be restored. The contact's data is gone for good; its email and phone stay on the suppression list, so it is never messaged again.",
			esc(d.ID), slackDate(d.DeletedAt))
	case d.ID != "" && code == crm.ECONFLICT && d.RestoredAt != nil:
		by := ""
		if d.RestoredBy != nil {
			by = " by " + mention(*d.RestoredBy)
		}
		return fmt.Sprintf("This deletion (`%s`%s) was already restored%s %s: nothing more to do. Search for the contact to see it.", esc(d.ID), labelSuffix(d), by, slackDate(*d.RestoredAt))
	case d.ID != "" && code == crm.EINVALID && d.WindowClosed(b.now()):
		return fmt.Sprintf("The restore window of deletion `%s`%s closed at %s: it can no longer be restored.", esc(d.ID), labelSuffix(d), slackDate(d.RestoreUntil))
	}
	return b.userMessage(err, what, "deletion", d.ID)
}

// restoreWindow says until when d can be restored, or since when it no
// longer can.
func restoreWindow(d crm.Deletion, now time.Time) string {
	if d.WindowClosed(now) {
		return "The restore window closed " + slackDate(d.RestoreUntil)
	}
	return "Restorable until " + slackDate(d.RestoreUntil)
}

// restorableID names a deletion just done and how long it can be restored.
func restorableID(d crm.Deletion) string {
	return fmt.Sprintf("Deletion id `%s` · restorable until %s", d.ID, slackDate(d.RestoreUntil))
}

func labelSuffix(d crm.Deletion) string {
	if d.ContactLabel == "" {
		return ""
	}
	return ", " + esc(d.ContactLabel)
}

// incidentMessage is the incident as posted to INCIDENT_CHANNEL.
func incidentMessage(rep crm.Report) Message {
	if rep.Batch != nil {
		return batchIncidentMessage(rep)
	}
	d, c := rep.Deletion, rep.Contact
	title := "Wrong " + wordsOf(d.Kind).record + " reported: " + c.Name()
	return Message{
		Text: fmt.Sprintf("%s (deletion %s)", esc(title), d.ID),
		Blocks: []slack.Block{
			header(title),
			section(reportedLine(rep.Incident)),
			section(deletionDetails(d, c, rep.MergedInto) + fmt.Sprintf("\n*Restorable until* %s", slackDate(d.RestoreUntil))),
			slack.NewActionBlock("incident:"+cut(d.ID, 200), button(ActionRestore, d.ID, "Restore", slack.StylePrimary)),
			contextBlock(wordsOf(d.Kind).restoreButton),
		},
	}
}

// contactRef names a contact briefly: *Name* (`id`), or its id alone when
// its name is unknown (it is gone).
func contactRef(r crm.ContactRef) string {
	if r.FirstName == "" && r.LastName == "" {
		return "`" + esc(r.ID) + "`"
	}
	return contactRefs([]crm.ContactRef{r}, true)
}

// reportedLine says who reported a deletion as wrong, when, and what they
// said was wrong.
func reportedLine(inc crm.Incident) string {
	s := fmt.Sprintf("%s reported this deletion as wrong %s.", mention(inc.ReportedBy), slackDate(inc.ReportedAt))
	if inc.Note != "" {
		s += "\n*What was wrong:* " + esc(inc.Note)
	}
	return s
}

// deletionDetails describes a deletion: the contact, who deleted it, when,
// why, who approved, and what went. into is the contact a merge kept.
func deletionDetails(d crm.Deletion, c crm.Contact, into *crm.ContactRef) string {
	text := "*Contact:* " + contactLine(c)
	verb := "Deleted"
	if into != nil {
		text += "\n*Merged into* " + contactRef(*into)
		verb = "Merged"
	}
	text += fmt.Sprintf("\n*%s by* %s %s · *Reason:* %s", verb, mention(d.DeletedBy), slackDate(d.DeletedAt), esc(reasonLabel(d.Reason)))
	if d.Note != "" {
		text += " — " + esc(d.Note)
	}
	if d.ApprovedBy != nil {
		text += "\n*Approved by* " + mention(*d.ApprovedBy)
	}
	text += "\n*Removed:* " + countsLine(d.Counts)
	text += fmt.Sprintf("\n*Deletion* `%s`", esc(d.ID))
	return text
}

// restoreCommand answers `/contact restore <deletion id>`.
func (b *Bot) restoreCommand(ctx context.Context, name, user, arg string) *Message {
	if !b.mayRestore(ctx, user) {
		b.log.Info("restore refused: not an admin", "user", user)
		return b.notAdminRestore()
	}
	id := normalID(arg)
	if id == "" || strings.ContainsAny(id, " \t\n") || len(id) > 40 {
		return textMessage(fmt.Sprintf("Say which deletion to restore: `%s restore` followed by the deletion id from the delete summary or the incident.", name))
	}
	return b.restore(ctx, user, id)
}

// restoreClick answers the incident's Restore button: the permission check
// now, the restore (which can take a while for a large contact) after the ack.
func (b *Bot) restoreClick(ctx context.Context, cb slack.InteractionCallback, deletionID string) {
	user, responseURL := cb.User.ID, cb.ResponseURL
	if !b.mayRestore(ctx, user) {
		b.log.Info("restore refused: not an admin", "user", user, "deletion", deletionID)
		b.respond(ctx, responseURL, *b.notAdminRestore())
		return
	}
	b.goBackground("restore", func(ctx context.Context) {
		b.respond(ctx, responseURL, *b.restore(ctx, user, deletionID))
	})
}

// restore puts a deletion back, updates its incident message in place (or
// announces the restore in INCIDENT_CHANNEL when it was never reported),
// tells the reporter and the deleter, and returns the restorer's answer.
func (b *Bot) restore(ctx context.Context, actor, deletionID string) *Message {
	op, err := b.store.StartOperation(ctx, crm.OperationRestore, actor, deletionID, "")
	if err != nil {
		return textMessage("*Nothing was restored.* " + b.userMessage(err, "start restore", "deletion", deletionID))
	}
	// A restore that takes over a second shows its progress in a DM, which
	// the answer then replaces; the answer also goes where it was asked for.
	prog := b.startProgress(ctx, op, actor, "Restoring deletion `"+esc(deletionID)+"`", "putting back", "deletion `"+esc(deletionID)+"`")
	defer prog.end()
	var answer *Message
	// Only admins restore, and always alone: another admin reviews it.
	res, err := b.store.RestoreWith(ctx, crm.RestoreRequest{DeletionID: deletionID, Actor: actor, Progress: prog.update, Operation: op.ID, Review: true,
		Notify: func(res crm.Restored) ([]outbox.Note, error) {
			answer = restoredAnswer(res)
			return append(append(b.restoreNotes(res, actor), prog.outcome(*answer, false)), b.reviewNotes(res.Review)...), nil
		}})
	if err != nil {
		b.log.Info("restore refused", "user", actor, "deletion", deletionID, "code", crm.ErrorCode(err))
		var notes []outbox.Note
		if d := res.Deletion; crm.ErrorCode(err) == crm.EINVALID && d.ID != "" && d.WindowClosed(b.now()) {
			notes = b.closeIncident(ctx, d)
		}
		answer = textMessage(b.refusal(err, res.Deletion, "restore deletion"))
		if err := b.store.FinishOperation(ctx, op.ID, crm.OperationFailed, append(notes, prog.outcome(*answer, false))); err != nil {
			b.log.Error("record refused restore", "deletion", deletionID, "err", err)
		}
		return answer
	}
	d := res.Deletion
	b.log.Info("deletion restored", "user", actor, "deletion", d.ID, "contact", res.Contact.ID, "rows", res.Rows, "duplicates", len(res.Duplicates))
	return answer
}

// restoreNotes announce a restore: the incident message updated in place
// (or a new one when it was never reported), and the reporter and the
// deleter told.
func (b *Bot) restoreNotes(res crm.Restored, actor string) []outbox.Note {
	d, inc, reported := res.Deletion, res.Incident, res.Reported
	var notes []outbox.Note
	msg := restoredMessage(res, inc, reported)
	if reported {
		channel := inc.Channel
		if channel == "" {
			channel = b.cfg.IncidentChannel
		}
		n := replacing(outbox.IncidentRef(d.ID), channel, msg)
		n.Missing = outbox.MissingPost
		notes = append(notes, n)
	} else {
		notes = append(notes, note(b.cfg.IncidentChannel, msg))
	}
	dup := duplicatesLine(res.Contact, res.Duplicates)
	text := fmt.Sprintf("✅ *%s* (deletion `%s`) was restored by %s: every row is back with the same ids and values.", esc(res.Contact.Name()), esc(d.ID), mention(actor))
	if res.Batch != nil {
		text = batchRestoredText(res, actor)
	}
	if dup != "" {
		text += "\n" + dup
	}
	if reported && inc.ReportedBy != actor {
		notes = append(notes, note(inc.ReportedBy, *textMessage(text)))
	}
	if d.DeletedBy != actor && (!reported || d.DeletedBy != inc.ReportedBy) {
		notes = append(notes, note(d.DeletedBy, *textMessage(text)))
	}
	return notes
}

// restoredAnswer is what the restorer is told.
func restoredAnswer(res crm.Restored) *Message {
	if res.Batch != nil {
		return textMessage(batchRestoredText(res, ""))
	}
	dup := duplicatesLine(res.Contact, res.Duplicates)
	d := res.Deletion
	text := fmt.Sprintf("✅ Restored *%s*: %s put back with the same ids and values.\n*Put back:* %s", esc(res.Contact.Name()), plural(res.Rows, "row", "rows"), countsLine(d.Counts))
	if o := res.Original; o != nil {
		text = fmt.Sprintf("✅ Merge undone: *%s* (`%s`) is back with its %s, moved back from *%s* (`%s`), whose fields and DND are as before the merge.\n*Back with the duplicate:* %s",
			esc(res.Contact.Name()), esc(res.Contact.ID), plural(res.Rows, "row", "rows"), esc(o.Name()), esc(o.ID), countsLine(d.Counts))
		if len(res.Kept) > 0 {
			text += "\nKept as they are now (changed since the merge): " + esc(strings.Join(res.Kept, ", ")) + "."
		}
	}
	if dup != "" {
		text += "\n" + dup
	}
	return textMessage(text)
}

// duplicatesLine names contacts that share a restored contact's email or
// phone, and what each shares; empty when none.
func duplicatesLine(c crm.Contact, dups []crm.ContactRef) string {
	if len(dups) == 0 {
		return ""
	}
	var parts []string
	for _, g := range bySharedWords(c, dups) {
		parts = append(parts, contactRefs(g.refs, true)+" "+pluralNoun(len(g.refs), "has", "have")+" the "+g.words)
	}
	return "⚠️ Possible duplicate: " + strings.Join(parts, "; ") + " (perhaps re-created while this contact was deleted). Both remain: check them, and merge or delete one."
}

// restoredMessage is the incident message once the deletion is restored:
// who restored it, when, how many rows, and no button.
func restoredMessage(res crm.Restored, inc crm.Incident, reported bool) Message {
	if res.Batch != nil {
		return batchRestoredMessage(res, inc, reported)
	}
	d, c := res.Deletion, res.Contact
	title := "Restored: " + c.Name()
	restored := fmt.Sprintf("✅ *Restored* by %s %s: %s put back with the same ids and values.", mention(deref(d.RestoredBy)), slackDate(deref(d.RestoredAt)), plural(res.Rows, "row", "rows"))
	var into *crm.ContactRef
	if res.Original != nil {
		into = &crm.ContactRef{ID: res.Original.ID, FirstName: res.Original.FirstName, LastName: res.Original.LastName}
		restored = fmt.Sprintf("✅ *Merge undone* by %s %s: the duplicate is back with its %s, moved back from %s, whose fields and DND are as before the merge.",
			mention(deref(d.RestoredBy)), slackDate(deref(d.RestoredAt)), plural(res.Rows, "row", "rows"), contactRef(*into))
		if len(res.Kept) > 0 {
			restored += " Kept as they are now (changed since the merge): " + esc(strings.Join(res.Kept, ", ")) + "."
		}
	}
	if reported {
		restored += fmt.Sprintf("\nReported by %s %s.", mention(inc.ReportedBy), slackDate(inc.ReportedAt))
		if inc.Note != "" {
			restored += " *What was wrong:* " + esc(inc.Note)
		}
	}
	blocks := []slack.Block{header(title), section(restored), section(deletionDetails(d, c, into))}
	if dup := duplicatesLine(res.Contact, res.Duplicates); dup != "" {
		blocks = append(blocks, contextBlock(dup))
	}
	return Message{Text: fmt.Sprintf("%s (deletion %s)", esc(title), d.ID), Blocks: blocks}
}

// closeIncident is the note that replaces an incident's Restore button, once
// the window has closed, with a line that says so.
func (b *Bot) closeIncident(ctx context.Context, d crm.Deletion) []outbox.Note {
	inc, reported, err := b.store.Incident(ctx, d.ID)
	if err != nil || !reported {
		return nil
	}
	title := "Restore window closed"
	if d.ContactLabel != "" {
		title += ": " + d.ContactLabel
	}
	text := fmt.Sprintf("Deletion `%s` was reported as wrong by %s %s, but its restore window closed at %s before anyone restored it: it can no longer be restored.",
		esc(d.ID), mention(inc.ReportedBy), slackDate(inc.ReportedAt), slackDate(d.RestoreUntil))
	m := Message{Text: esc(title), Blocks: []slack.Block{header(title), section(text)}}
	channel := inc.Channel
	if channel == "" {
		channel = b.cfg.IncidentChannel
	}
	return []outbox.Note{replacing(outbox.IncidentRef(d.ID), channel, m)}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
