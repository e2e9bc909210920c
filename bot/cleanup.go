package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// The clean-up window: test contacts deleted as one batch, confirmed by
// typing how many go. What the window shows is a preview; every submit
// previews again on the server, and only the batch the person saw and
// counted is deleted.
const (
	CallbackCleanupModal = "contact.cleanup.modal"
	// blockIncludeRisky is the admins' checkbox that takes the kept
	// contacts into the batch.
	blockIncludeRisky = "include_risky"
	includeRiskyValue = "include"
	// cleanupListed is how many contacts the window lists, of those the
	// batch deletes and of those it keeps out.
	cleanupListed = 20
	// cleanupPerSection keeps a list's section within Slack's 3,000
	// characters.
	cleanupPerSection = 10
)

// cleanupReasons are the reasons a batch may give: the SOP deletes only
// test contacts and duplicates in bulk.
var cleanupReasons = []string{ReasonTestContact, ReasonDuplicate, ReasonOther}

// cleanupExample shows a filter that works.
const cleanupExample = "`%[1]s cleanup email:*@qa.example.com created:2026-11-01..2026-11-28`"

// cleanupMeta travels in the clean-up window's private_metadata: the
// filter and what the person saw. None of it is trusted: the filter is
// parsed again and the batch previewed again on every submit.
type cleanupMeta struct {
	Filter      string `json:"q"`
	Fingerprint string `json:"f"`
	Count       int    `json:"n"`
	// Include says the window showed the kept contacts taken in.
	Include bool   `json:"i,omitempty"`
	Mode    string `json:"m,omitempty"`
	Channel string `json:"ch,omitempty"`
}

func (m *cleanupMeta) valid() bool {
	return m.Filter != "" && len(m.Filter) <= maxCommandText && !badChars(m.Filter) &&
		batchFingerprintRe.MatchString(m.Fingerprint) && m.Count >= 0 && channelModeValid(m.Channel, m.Mode)
}

func (m cleanupMeta) encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

// batchFingerprintRe is the shape of a batch preview's fingerprint.
var batchFingerprintRe = regexp.MustCompile(`^[0-9a-f]{16,64}$`)

// riskWords are the reasons a contact is kept out of a batch, as the
// window lists them.
var riskWords = map[crm.BatchRisk]string{
	crm.RiskOpenOpportunity:     "open opportunity",
	crm.RiskUpcomingAppointment: "upcoming appointment",
	crm.RiskActiveWorkflow:      "active workflow",
	crm.RiskDND:                 "opted out (DND)",
	crm.RiskRecentInbound:       "inbound message in the last 30 days",
}

func risksText(risks []crm.BatchRisk) string {
	var out []string
	for _, r := range risks {
		w, ok := riskWords[r]
		if !ok {
			w = spaced(string(r))
		}
		out = append(out, w)
	}
	return strings.Join(out, ", ")
}

// cleanupCommand answers `/contact cleanup <filter>`: the filter is
// checked and previewed, and the clean-up window opens with the command's
// trigger id.
func (b *Bot) cleanupCommand(ctx context.Context, cmd slack.SlashCommand, name, text string) *Message {
	user := cmd.UserID
	if strings.TrimSpace(text) == "" {
		return textMessage(fmt.Sprintf("Say which contacts to clean up, e.g. "+cleanupExample+". Terms: `email:`, `name:`, `source:`, `created:`, `location:`; all must match.", name))
	}
	f, err := crm.ParseBatchFilter(text)
	if err != nil {
		return textMessage(b.userMessage(err, "parse clean-up filter") + " " + fmt.Sprintf("For example: "+cleanupExample+".", name))
	}
	admin := b.isAdmin(ctx, user)
	p, err := b.previewBatch(ctx, f, false)
	if m := b.previewRefusal(name, f, p, err); m != "" {
		return textMessage(m)
	}
	if len(p.Deletes) == 0 && !admin {
		return textMessage(fmt.Sprintf("Every contact that matches `%s` needs checking one by one, so there is nothing to clean up in a batch:\n%s",
			esc(f.String()), strings.Join(contactList(p.Kept, true), "\n")))
	}
	if cmd.TriggerID == "" {
		return textMessage("The clean-up window needs a slash command typed in Slack. Type the command again.")
	}
	perm := b.cleanupPermission(ctx, user, p)
	meta := cleanupMeta{Filter: f.String(), Fingerprint: p.Fingerprint, Count: len(p.Deletes), Mode: perm.Mode, Channel: cmd.ChannelID}
	if _, err := b.openView(ctx, user, cmd.TriggerID, b.cleanupModal(p, meta, admin, "", perm)); err != nil {
		return textMessage(b.userMessage(fmt.Errorf("open clean-up window: %w", err), "open clean-up window"))
	}
	b.log.Info("clean-up window opened", "user", user, "matched", p.Matched, "deletes", len(p.Deletes), "kept", len(p.Kept))
	return nil
}

// previewBatch previews the batch f names, within BULK_LIMIT.
func (b *Bot) previewBatch(ctx context.Context, f crm.BatchFilter, include bool) (crm.BatchPreview, error) {
	return b.store.PreviewBatch(ctx, f, crm.BatchOptions{Limit: b.cfg.BulkLimit, IncludeRisky: include})
}

// previewRefusal is why a preview cannot become a batch (nothing matches,
// too many do, it failed), or "".
func (b *Bot) previewRefusal(name string, f crm.BatchFilter, p crm.BatchPreview, err error) string {
	switch {
	case err != nil:
		return b.userMessage(err, "preview clean-up") + " Nothing was deleted."
	case p.OverLimit:
		return fmt.Sprintf("More than %s match `%s`, and a batch deletes at most %s (BULK_LIMIT): narrow the filter, e.g. add `created:` or `source:`. Nothing was deleted.",
			plural(b.cfg.BulkLimit, "contact", "contacts"), esc(f.String()), thousands(b.cfg.BulkLimit))
	case p.Matched == 0:
		return fmt.Sprintf("No contact matches `%s`. Check the filter, e.g. "+cleanupExample+".", esc(f.String()), name)
	}
	return ""
}

// cleanupPermission is what a submit of the clean-up window does for user:
// admins delete directly; a deleter directly when every contact of the
// batch passes the deleter's rule (the risky are kept out, and only admins
// take them in) and the batch fits in what is left of their hourly limit,
// each contact counting as one delete; everyone else asks an admin, with
// one request for the batch.
func (b *Bot) cleanupPermission(ctx context.Context, user string, p crm.BatchPreview) deletePermission {
	if b.isAdmin(ctx, user) {
		return deletePermission{Mode: modeDirect, admin: true, Why: "You are an admin: the contacts are deleted when you confirm."}
	}
	if !b.isDeleter(ctx, user) {
		return b.needsApproval("Deleting contacts needs an admin's approval: you are not an admin or a deleter.")
	}
	for _, c := range p.Deletes {
		if risky := c.Risks; len(risky) > 0 {
			return b.needsApproval(fmt.Sprintf("You may delete low-risk contacts directly, but %s has %s.", esc(c.Contact.Name()), risksText(risky)))
		}
	}
	n, err := b.recentDirectDeletes(ctx, user)
	if err != nil {
		b.log.Error("read delete rate", "user", user, "err", err)
		return b.needsApproval("Your recent deletes cannot be counted right now, so this batch needs an admin's approval.")
	}
	if n+float64(len(p.Deletes)) > float64(b.cfg.DeleteRateLimit) {
		return b.needsApproval(batchRateWhy(n, len(p.Deletes), b.cfg.DeleteRateLimit))
	}
	return deletePermission{Mode: modeDirect, rated: true, Why: "You are a deleter and these contacts are low-risk: they are deleted when you confirm, each counting toward your hourly limit."}
}

func batchRateWhy(n float64, batch, limit int) string {
	return fmt.Sprintf("This batch counts as %d deletes toward your hourly limit of %d, and you made about %d in the last hour, so it needs an admin's approval.",
		batch, limit, int(n+0.5))
}

// cleanupModal is the clean-up window: what the filter matches, what the
// batch takes, the contacts it deletes and those it keeps out, then a
// reason, a note and the typed count.
func (b *Bot) cleanupModal(p crm.BatchPreview, meta cleanupMeta, admin bool, banner string, perm deletePermission) slack.ModalViewRequest {
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	n := len(p.Deletes)
	blocks = append(blocks, section(previewHead(p)))
	if n > 0 {
		blocks = append(blocks, section(fmt.Sprintf("*Deleting these %s removes:*\n%s", plural(n, "contact", "contacts"), strings.Join(totalsLines(p.Totals, p.Count()), "\n"))))
		blocks = append(blocks, listSections(fmt.Sprintf("*The %s:*", firstOf(n)), contactList(p.Deletes, false))...)
	}
	if len(p.Kept) > 0 {
		blocks = append(blocks, listSections(fmt.Sprintf("*Kept: check these one by one* (%s, not in this batch)", plural(len(p.Kept), "contact", "contacts")), contactList(p.Kept, true))...)
	}
	if admin && (len(p.Kept) > 0 || meta.Include) {
		opt := option(includeRiskyValue, "Include the kept contacts in this batch", "Admins only. Opted-out contacts go to the suppression list.")
		el := slack.NewCheckboxGroupsBlockElement(blockIncludeRisky, opt)
		if meta.Include {
			el.InitialOptions = []*slack.OptionBlockObject{opt}
		}
		in := slack.NewInputBlock(blockIncludeRisky, plain("Kept contacts"), nil, el)
		in.Optional = true
		in.DispatchAction = true
		blocks = append(blocks, in)
	}
	title, submit := "Clean up contacts", "Delete"
	if perm.Direct() {
		blocks = append(blocks, contextBlock("✅ "+perm.Why))
	} else {
		title, submit = "Request a clean-up", "Request approval"
		blocks = append(blocks, section("🔒 *Submitting asks an admin; nothing is deleted until one approves.* "+perm.Why))
	}
	var opts []*slack.OptionBlockObject
	for _, r := range cleanupReasons {
		opts = append(opts, slack.NewOptionBlockObject(r, plain(reasonLabel(r)), nil))
	}
	reason := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a reason"), blockReason, opts...)
	blocks = append(blocks,
		slack.NewInputBlock(blockReason, plain("Why delete these contacts?"), nil, reason),
		deleteNote.input(),
		countInput(n),
	)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackCleanupModal,
		Title:           plain(cut(title, maxModalTitle)),
		Submit:          plain(submit),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: limitBlocks(blocks, maxModalBlocks, func(int) string { return "…" })},
		PrivateMetadata: meta.encode(),
	}
}

// countInput asks for the number of contacts the batch deletes.
func countInput(n int) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain(strconv.Itoa(n)), blockConfirm)
	el.MaxLength = 10
	return slack.NewInputBlock(blockConfirm, plain(countPrompt(n)), plain("The number of contacts this batch deletes. Stop here if you are unsure they may be removed."), el)
}

func countPrompt(n int) string {
	return fmt.Sprintf("Type %d to delete %s", n, plural(n, "contact", "contacts"))
}

// countProblem is the inline error for a typed count, or "".
func countProblem(typed string, n int) string {
	if typed == strconv.Itoa(n) {
		return ""
	}
	return fmt.Sprintf("This batch deletes exactly %s: type %d. Nothing was deleted.", plural(n, "contact", "contacts"), n)
}

// previewHead says what the filter matches and what the batch does with it.
func previewHead(p crm.BatchPreview) string {
	head := fmt.Sprintf("*Filter:* `%s`\n", esc(p.Filter.String()))
	n, kept := len(p.Deletes), len(p.Kept)
	switch {
	case kept == 0:
		head += fmt.Sprintf("*%s match*; this batch deletes all of them.", plural(p.Matched, "contact", "contacts"))
	case n == 0:
		head += fmt.Sprintf("*%s match*; all are kept out, to check one by one.", plural(p.Matched, "contact", "contacts"))
	default:
		head += fmt.Sprintf("*%s match*; this batch deletes %d and keeps %d out, to check one by one.", plural(p.Matched, "contact", "contacts"), n, kept)
	}
	return head
}

// firstOf names the listed part of n contacts: "22 contacts", "first 20
// of 37 contacts".
func firstOf(n int) string {
	if n <= cleanupListed {
		return plural(n, "contact", "contacts")
	}
	return fmt.Sprintf("first %d of %d contacts", cleanupListed, n)
}

// contactList is one line per contact, the first cleanupListed: who it is
// and what it has, or, for the kept, why it is kept.
func contactList(cs []crm.BatchContact, why bool) []string {
	var lines []string
	for _, c := range cs[:min(len(cs), cleanupListed)] {
		line := "• " + contactLine(c.Contact)
		if why {
			line += ": " + risksText(c.Risks)
		} else {
			line += " · " + shortCounts(c.Linked.Counts)
		}
		lines = append(lines, line)
	}
	if len(cs) > cleanupListed {
		lines = append(lines, fmt.Sprintf("…and %d more", len(cs)-cleanupListed))
	}
	return lines
}

// listSections puts lead and lines into sections of cleanupPerSection
// lines each.
func listSections(lead string, lines []string) []slack.Block {
	var blocks []slack.Block
	for chunk := range slices.Chunk(lines, cleanupPerSection) {
		text := strings.Join(chunk, "\n")
		if len(blocks) == 0 {
			text = lead + "\n" + text
		}
		blocks = append(blocks, section(text))
	}
	return blocks
}

// shortCounts is what one contact has, kinds it has none of left out.
func shortCounts(c crm.Counts) string {
	var parts []string
	for _, k := range c.Kinds() {
		// DND settings say nothing here: the kept list names opt-outs.
		if k.N > 0 && k.Table != "dnd_settings" {
			parts = append(parts, plural(k.N, itemNames[k.Table][0], itemNames[k.Table][1]))
		}
	}
	if len(parts) == 0 {
		return "nothing linked"
	}
	return strings.Join(parts, ", ")
}

// totalsLines are the totals t of n contacts, one line per kind.
func totalsLines(t crm.Counts, n int) []string {
	rows := t.Total() - 1 + n
	return []string{
		fmt.Sprintf("💬 %s (%s)", plural(t.Conversations, "conversation", "conversations"), plural(t.Messages, "message", "messages")),
		"📝 " + plural(t.Notes, "note", "notes"),
		"💼 " + plural(t.Opportunities, "opportunity", "opportunities"),
		"✅ " + plural(t.Tasks, "task", "tasks"),
		"📅 " + plural(t.Appointments, "appointment", "appointments"),
		"⚙️ " + plural(t.WorkflowEnrollments, "workflow enrollment", "workflow enrollments"),
		fmt.Sprintf("%s in all, the contacts included", plural(rows, "row", "rows")),
	}
}

// cleanupForm is what the person typed into the clean-up window.
type cleanupForm struct {
	deleteForm
	Include bool
}

func readCleanupForm(v slack.View) cleanupForm {
	return cleanupForm{deleteForm: readDeleteForm(v), Include: slices.Contains(checked(v, blockIncludeRisky), includeRiskyValue)}
}

// validate returns inline errors for the reason and the note.
func (f cleanupForm) validate() map[string]string {
	errs := map[string]string{}
	if !slices.Contains(cleanupReasons, f.Reason) {
		errs[blockReason] = "Choose why these contacts should be deleted: a batch deletes test contacts or duplicates."
	}
	if f.Reason == ReasonOther && f.Note == "" {
		errs[blockNote] = "Explain in a few words why these contacts must go: “Other” needs a note."
	}
	if e := deleteNote.tooLong(f.Note); e != "" {
		errs[blockNote] = e
	}
	return errs
}

// handleCleanupSubmit checks a submitted clean-up window on the server:
// the kept contacts taken in only by an admin, the batch previewed again
// and unchanged since the window showed it, the typed count exactly what
// it deletes, the permission applied again; then it deletes after the
// ack, or files one request for the batch.
func (b *Bot) handleCleanupSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	user := cb.User.ID
	var meta cleanupMeta
	if !readMeta(cb.View.PrivateMetadata, &meta) {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not deleted", "This window could not be read, so nothing was deleted. Close it and run `/contact cleanup` again."))
	}
	form := readCleanupForm(cb.View)
	admin := b.isAdmin(ctx, user)
	if form.Include && !admin {
		b.log.Warn("clean-up refused: kept contacts included by someone not an admin", "user", user)
		b.auditBatchRefusal(user, meta.Filter, form.Reason, "not deleted: only admins may include the kept contacts")
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not deleted", "Only admins can include the kept contacts in a batch, and you are not one. Nothing was deleted. Run `/contact cleanup` again to delete the others."))
	}
	if errs := form.validate(); len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	f, err := crm.ParseBatchFilter(meta.Filter)
	if err != nil {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not deleted", "*Nothing was deleted.* "+b.userMessage(err, "parse clean-up filter")))
	}
	shown, err := b.previewBatch(ctx, f, meta.Include)
	if m := b.previewRefusal(DefaultCommandName, f, shown, err); m != "" {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not deleted", m))
	}
	if shown.Fingerprint != meta.Fingerprint {
		b.log.Info("clean-up refused: contacts changed", "user", user, "was", meta.Count, "now", len(shown.Deletes))
		b.auditBatchRefusal(user, meta.Filter, form.Reason, "not deleted: contacts changed since the window opened")
		perm := b.cleanupPermission(ctx, user, shown)
		banner := fmt.Sprintf("⚠️ *These contacts changed since you opened this window* (%d to delete then, %d now). Nothing was deleted. Check the list again and type the new count.", meta.Count, shown.Count())
		meta.Fingerprint, meta.Count, meta.Mode = shown.Fingerprint, shown.Count(), perm.Mode
		v := b.cleanupModal(shown, meta, admin, banner, perm)
		return slack.NewUpdateViewSubmissionResponse(&v)
	}
	p := shown
	if form.Include != meta.Include {
		if p, err = b.previewBatch(ctx, f, form.Include); err != nil || p.OverLimit {
			return slack.NewUpdateViewSubmissionResponse(infoModal("Not deleted", b.previewRefusal(DefaultCommandName, f, p, err)))
		}
	}
	n := len(p.Deletes)
	if n == 0 {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockConfirm: "This batch deletes no contact: every one that matches is kept out. Nothing was deleted."})
	}
	if e := countProblem(form.Confirm, n); e != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockConfirm: e})
	}
	perm := b.cleanupPermission(ctx, user, p)
	if perm.Direct() && perm.rated && meta.Mode != modeApproval {
		if ok, est := b.reserveDirectDeletes(ctx, user, n); !ok {
			perm = b.needsApproval(batchRateWhy(est, n, b.cfg.DeleteRateLimit))
		}
	}
	if meta.Mode != perm.Mode {
		b.log.Info("clean-up window outdated: permission changed", "user", user, "mode", perm.Mode)
		meta.Mode, meta.Include = perm.Mode, form.Include
		meta.Fingerprint, meta.Count = p.Fingerprint, n
		v := b.cleanupModal(p, meta, admin, "⚠️ *What this window does has changed since you opened it.* Nothing was deleted or sent. Check below and submit again.", perm)
		return slack.NewUpdateViewSubmissionResponse(&v)
	}
	req := crm.BatchRequest{Filter: f, IncludeRisky: form.Include, Limit: b.cfg.BulkLimit, ExpectCount: n, ExpectFingerprint: p.Fingerprint,
		Actor: user, Reason: form.Reason, Note: form.Note, RestoreWindow: b.cfg.RestoreWindow, Review: perm.admin}
	if !perm.Direct() {
		return b.requestBatchApproval(ctx, user, p, req, perm.Why)
	}
	b.goBackground("clean-up", func(ctx context.Context) { b.runBatch(ctx, req) })
	return nil // the window closes; progress and the summary arrive by DM
}

// includeRiskyChosen redraws the clean-up window when an admin ticks or
// unticks the kept contacts: the list, the totals and the count to type
// follow. Nothing is deleted; the submit checks everything again.
func (b *Bot) includeRiskyChosen(ctx context.Context, cb slack.InteractionCallback) {
	user := cb.User.ID
	if !b.ownWindow(ctx, cb, CallbackCleanupModal) {
		return
	}
	var meta cleanupMeta
	if !readMeta(cb.View.PrivateMetadata, &meta) {
		return
	}
	include := slices.Contains(checked(cb.View, blockIncludeRisky), includeRiskyValue)
	if include && !b.isAdmin(ctx, user) {
		b.log.Warn("kept contacts ticked by someone not an admin: window unchanged", "user", user)
		return
	}
	f, err := crm.ParseBatchFilter(meta.Filter)
	if err != nil {
		return
	}
	p, err := b.previewBatch(ctx, f, include)
	if m := b.previewRefusal(DefaultCommandName, f, p, err); m != "" {
		b.respond(ctx, cb.ResponseURL, *textMessage(m))
		return
	}
	perm := b.cleanupPermission(ctx, user, p)
	meta.Fingerprint, meta.Count, meta.Include, meta.Mode = p.Fingerprint, len(p.Deletes), include, perm.Mode
	// The kept contacts, now in the batch, are listed with why they were kept.
	if err := b.updateView(ctx, cb, b.cleanupModal(p, meta, true, "", perm)); err != nil {
		b.log.Warn("redraw clean-up window", "user", user, "err", err)
	}
}

// auditBatchRefusal records a refused clean-up submit.
func (b *Bot) auditBatchRefusal(user, filter, reason, outcome string) {
	b.goBackground("audit refusal", func(ctx context.Context) {
		b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditDeleteRefused, Reason: reason, Outcome: outcome, Detail: "filter " + cut(filter, 200)})
	})
}

// runBatch deletes a batch and tells the person how it went: progress in a
// DM, replaced by the summary written with the last contact's commit. A
// process killed meanwhile leaves the operation for RecoverOperations,
// which says which contacts went and which did not.
func (b *Bot) runBatch(ctx context.Context, req crm.BatchRequest) {
	notDeleted := func(err error) Message {
		if errors.Is(err, crm.ErrBatchChanged) {
			return *textMessage(fmt.Sprintf("*Nothing was deleted:* the contacts that match `%s` changed just before the clean-up started. Run `%s cleanup %s` again and check the new list.",
				esc(req.Filter.String()), DefaultCommandName, esc(req.Filter.String())))
		}
		return *textMessage("*Nothing was deleted.* " + b.userMessage(err, "delete batch", "filter", req.Filter.String()))
	}
	label := fmt.Sprintf("%s (%s)", plural(req.ExpectCount, "contact", "contacts"), req.Filter.String())
	op, err := b.store.StartOperation(ctx, crm.OperationDeleteBatch, req.Actor, "", label)
	if err != nil {
		b.dm(ctx, req.Actor, notDeleted(err))
		return
	}
	prog := b.startBatchProgress(ctx, op, req.Actor, req.ExpectCount)
	defer prog.end()
	req.Progress, req.Operation = prog.update, op.ID
	req.Notify = func(res crm.BatchDeleted) ([]outbox.Note, error) {
		return append([]outbox.Note{prog.outcome(batchSummary(res), true)}, b.reviewNotes(res.Review)...), nil
	}
	res, err := b.store.DeleteBatch(ctx, req)
	if err != nil {
		b.log.Info("batch delete failed", "user", req.Actor, "code", crm.ErrorCode(err))
		prog.fail(ctx, notDeleted(err))
		return
	}
	b.log.Info("batch deleted", "user", req.Actor, "batch", res.Batch.ID, "contacts", res.Batch.Deleted, "skipped", len(res.Skipped))
}

// batchSummary is what the person who deleted a batch is told.
func batchSummary(res crm.BatchDeleted) Message {
	bt := res.Batch
	title := "Deleted " + plural(bt.Deleted, "contact", "contacts")
	text := fmt.Sprintf("*Filter:* `%s`\nReason: %s", esc(bt.Filter), esc(reasonLabel(bt.Reason)))
	if bt.Note != "" {
		text += " — " + esc(bt.Note)
	}
	if bt.ApprovedBy != nil {
		text += "\nApproved by " + mention(*bt.ApprovedBy)
	}
	text += "\n*Removed:* " + batchCountsLine(bt.Deleted, bt.Counts)
	text += fmt.Sprintf("\nBatch id `%s` · restorable until %s", bt.ID, slackDate(bt.RestoreUntil))
	blocks := []slack.Block{header(title), section(text)}
	if len(res.Skipped) > 0 {
		var lines []string
		for _, s := range res.Skipped[:min(len(res.Skipped), cleanupListed)] {
			lines = append(lines, fmt.Sprintf("• *%s* `%s`: %s", esc(s.ContactLabel), esc(s.ContactID), esc(s.Why)))
		}
		if len(res.Skipped) > cleanupListed {
			lines = append(lines, fmt.Sprintf("…and %d more", len(res.Skipped)-cleanupListed))
		}
		blocks = append(blocks, section(fmt.Sprintf("*Skipped, not deleted (%d): they changed since the preview.* Check them one by one.\n%s", len(res.Skipped), strings.Join(lines, "\n"))))
	}
	blocks = append(blocks,
		contextBlock("Deleted the wrong contacts? Report it now: an admin can restore the whole batch, or one contact of it, until the deadline."),
		slack.NewActionBlock("batch:"+bt.ID, button(ActionReport, bt.ID, "Report wrong deletion", slack.StyleDanger)),
	)
	return Message{Text: fmt.Sprintf("%s (batch %s)", title, bt.ID), Blocks: blocks}
}

// batchCountsLine lists what a batch of contacts (or one) removed: "22
// contacts, 44 conversations, … (N rows)"; c holds the linked rows of all.
func batchCountsLine(contacts int, c crm.Counts) string {
	parts := []string{plural(contacts, "contact", "contacts")}
	for _, k := range c.Kinds() {
		if k.N > 0 {
			parts = append(parts, plural(k.N, itemNames[k.Table][0], itemNames[k.Table][1]))
		}
	}
	return strings.Join(parts, ", ") + " (" + plural(c.Total()-1+contacts, "row", "rows") + ")"
}

// batchRecoveryText tells the person what became of a clean-up whose
// process died: each contact is deleted whole or untouched, and the DM
// says how many of each, and where to see which.
func batchRecoveryText(op crm.Operation) string {
	bt := op.Batch
	if bt == nil || bt.Deleted == 0 {
		return fmt.Sprintf("The clean-up of %s did not complete: nothing was deleted. Run it again.", esc(op.Label))
	}
	return fmt.Sprintf("⚠️ The clean-up of %s stopped part-way: %d of %d contacts were deleted and archived (batch `%s`, restorable until %s); the other %d are untouched. No contact was deleted in part. `%s history %s` lists which went; run the clean-up again for the rest.",
		esc(op.Label), bt.Deleted, bt.Count, esc(bt.ID), slackDate(bt.RestoreUntil), bt.Count-bt.Deleted, DefaultCommandName, esc(bt.ID))
}
