package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// Delete reasons, as the modal's select offers them.
const (
	ReasonTestContact  = "test_contact"
	ReasonDuplicate    = "duplicate"
	ReasonUnsubscribe  = "unsubscribe"
	ReasonStopFollowUp = "stop_followup"
	ReasonErasure      = "erasure"
	ReasonOther        = "other"
)

// reasonLabels are the reasons in the order the modal lists them.
var reasonLabels = []struct{ Value, Label string }{
	{ReasonTestContact, "Test contact"},
	{ReasonDuplicate, "Duplicate created by mistake"},
	{ReasonUnsubscribe, "Unsubscribe / STOP / DND request"},
	{ReasonStopFollowUp, "Only stop follow-up"},
	{ReasonOther, "Other (explain in the note)"},
	{ReasonErasure, "Privacy erasure request"},
}

// reasonLabel returns the human label of a reason value, or of the change
// an undo reverts.
func reasonLabel(v string) string {
	for _, r := range reasonLabels {
		if r.Value == v {
			return r.Label
		}
	}
	if l, ok := changeLabels[v]; ok {
		return l
	}
	return spaced(v)
}

// Block and action ids of the delete modal's inputs.
const (
	blockReason  = "reason"
	blockNote    = "note"
	blockConfirm = "confirm"
	maxNoteLen   = 500
)

// The delete window's note and confirmation.
var (
	deleteNote    = textField{block: blockNote, label: "Note", placeholder: "What happened? Required for “Other”.", multiline: true, maxLen: maxNoteLen, it: "the note"}
	deleteConfirm = confirmWord{word: "DELETE", done: wordsOf(crm.KindDelete).done, hint: "In capital letters. Stop here if you are unsure this contact may be removed."}
)

// The SOP's words for the two "not a delete" reasons.
const (
	sopUnsubscribe  = "Deleting a contact is not the same as stopping follow-up. Do not use Delete to process an unsubscribe, STOP or DND: for a real unsubscribe, leave the contact in place and respect DND/opt-out. Use *Set DND* on the contact instead."
	sopStopFollowUp = "If you only want to stop follow-up without opt-out, use *Remove follow-up*: it stops the contact's active workflows and keeps the contact, its conversations and its history."
)

// deleteMeta travels in the modal's private_metadata: what the person saw.
type deleteMeta struct {
	shownContact
	Counts  crm.Counts `json:"n"`
	Channel string     `json:"ch,omitempty"`
	// Mode is what the window said a submit does (modeDirect or modeApproval).
	Mode        string `json:"m,omitempty"`
	ResponseURL string `json:"ru,omitempty"`
	// Origin says where the delete started when not from a search (a
	// message shortcut's message origin), for its audit line (originText).
	Origin string `json:"v,omitempty"`
}

func (m *deleteMeta) valid() bool {
	return m.shownContact.valid() && readOrigin(&m.Origin) && channelModeValid(m.Channel, m.Mode)
}

func (m deleteMeta) encode() string {
	b, _ := json.Marshal(m)
	if len(b) > maxMetadata && m.ResponseURL != "" {
		m.ResponseURL = "" // the only part that can be long, and the only one we can do without
		b, _ = json.Marshal(m)
	}
	return string(b)
}

// openDeleteModal loads the contact and opens the delete modal with the
// click's (or command's) trigger id, which Slack honours once, for 3 seconds.
func (b *Bot) openDeleteModal(ctx context.Context, user, triggerID, contactID, channel, responseURL string) error {
	c, l, err := b.store.Linked(ctx, contactID)
	if err != nil {
		return err
	}
	perm := b.deletePermission(ctx, user, c, l)
	view := b.deleteModal(ctx, c, l, deleteMeta{shownContact: shownContact{c.ID, l.Fingerprint}, Counts: l.Counts, Channel: channel, ResponseURL: responseURL, Mode: perm.Mode,
		Origin: surfaceOf(ctx).origin}, "", perm)
	if _, err := b.openView(ctx, user, triggerID, view); err != nil {
		return fmt.Errorf("open delete modal: %w", err)
	}
	b.log.Info("delete modal opened", "contact", c.ID)
	return nil
}

// deleteModal is the delete window: the contact and what it takes, a reason,
// a note, and "type DELETE". banner, when set, leads the modal. perm says
// whether submitting deletes or asks an admin, and the modal says why. It
// warns of possible duplicates, as the search result does.
func (b *Bot) deleteModal(ctx context.Context, c crm.Contact, l crm.Linked, meta deleteMeta, banner string, perm deletePermission) slack.ModalViewRequest {
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	blocks = append(blocks,
		section(contactLine(c)+"\n"+dndLine(c, l)),
		section("*Deleting removes:*\n"+strings.Join(linkedLines(l, b.cfg.CurrencyOf(c.LocationID)), "\n")),
	)
	var warn []string
	if c.DND || l.HasDND() {
		warn = append(warn, optOutKept)
	}
	dups, err := b.store.Duplicates(ctx, c)
	if err != nil {
		b.log.Error("delete window: look for duplicates", "contact", c.ID, "err", err) // the window opens without the warning
	}
	if dup := duplicateWarning(c, dups); dup != "" {
		warn = append(warn, dup+" Check that you are deleting the right one.")
	}
	if len(warn) > 0 {
		blocks = append(blocks, contextBlock(warn...))
	}
	title, submit := "Delete contact", "Delete"
	if perm.Direct() {
		blocks = append(blocks, contextBlock("✅ "+perm.Why))
	} else {
		title, submit = "Request a delete", "Request approval"
		blocks = append(blocks, section("🔒 *Submitting asks an admin; nothing is deleted until one approves.* "+perm.Why))
	}
	var opts []*slack.OptionBlockObject
	for _, r := range reasonLabels {
		opts = append(opts, slack.NewOptionBlockObject(r.Value, plain(r.Label), nil))
	}
	reason := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a reason"), blockReason, opts...)
	reasonBlock := slack.NewInputBlock(blockReason, plain("Why delete this contact?"), nil, reason)
	// Picking "Unsubscribe" or "Only stop follow-up" switches the window at
	// once (reasonChosen), instead of after DELETE is typed.
	reasonBlock.DispatchAction = true
	blocks = append(blocks,
		reasonBlock,
		deleteNote.input(),
		deleteConfirm.input(),
	)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackDeleteModal,
		Title:           plain(cut(title, maxModalTitle)),
		Submit:          plain(submit),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: limitBlocks(blocks, maxModalBlocks, func(int) string { return "…" })},
		PrivateMetadata: meta.encode(),
	}
}

// infoModal is a modal that only tells something, with a Close button.
func infoModal(title, text string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(cut(title, maxModalTitle)),
		Close:  plain("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{section(text)}},
	}
}

// deleteForm is what the person typed into the delete modal.
type deleteForm struct {
	Reason, Note, Confirm string
}

func readDeleteForm(v slack.View) deleteForm {
	f := deleteForm{Note: typed(v, blockNote), Confirm: typed(v, blockConfirm)}
	if v.State != nil {
		f.Reason = v.State.Values[blockReason][blockReason].SelectedOption.Value
	}
	return f
}

// validate returns inline errors by block id; empty means the form is usable.
func (f deleteForm) validate() map[string]string {
	errs := map[string]string{}
	valid := false
	for _, r := range reasonLabels {
		valid = valid || r.Value == f.Reason
	}
	if !valid {
		errs[blockReason] = "Choose why this contact should be deleted."
	}
	if f.Reason == ReasonOther && f.Note == "" {
		errs[blockNote] = "Explain in a few words why this contact must go: “Other” needs a note."
	}
	if e := deleteNote.tooLong(f.Note); e != "" {
		errs[blockNote] = e
	}
	if e := deleteConfirm.problem(f.Confirm); e != "" {
		errs[blockConfirm] = e
	}
	return errs
}

// handleDeleteSubmit checks a submitted delete modal on the server and, when
// everything holds, deletes after the ack and sends the summary.
func (b *Bot) handleDeleteSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	return b.submitConfirmed(ctx, cb, &deleteSubmit{contactNow: contactNow{submitting: submitting{b, cb.User.ID}}})
}

// deleteSubmit is a submit of the delete window (see submitConfirmed).
type deleteSubmit struct {
	contactNow
	meta deleteMeta
	form deleteForm
}

func (s *deleteSubmit) words() submitWords {
	return submitWords{noun: "delete", confirm: deleteConfirm}
}

func (s *deleteSubmit) metadata() windowMeta { return &s.meta }
func (s *deleteSubmit) shown() shownContact  { return s.meta.shownContact }
func (s *deleteSubmit) shownMode() string    { return s.meta.Mode }

func (s *deleteSubmit) check(ctx context.Context, v slack.View) *slack.ViewSubmissionResponse {
	b, user := s.b, s.user
	s.meta.ResponseURL = b.slackURL(s.meta.ResponseURL, "delete window")
	s.form = readDeleteForm(v)
	// The "not a delete" reasons win over every other check: they never delete.
	// They open the right action's window instead, for the same contact: a
	// duplicate is merged (when there is a contact to merge it into), a
	// privacy erasure has its own window, confirmed by ERASE.
	switch s.form.Reason {
	case ReasonUnsubscribe, ReasonStopFollowUp:
		return b.redirectFromDelete(ctx, user, s.meta, s.form.Reason)
	case ReasonErasure:
		return slack.NewUpdateViewSubmissionResponse(b.erasureView(ctx, user, s.meta))
	case ReasonDuplicate:
		if v := b.mergeView(ctx, user, s.meta); v != nil {
			return slack.NewUpdateViewSubmissionResponse(v)
		}
	}
	if errs := s.form.validate(); len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	if warn := b.warnOptOutNote(ctx, user, s.meta.ContactID, s.form.Reason, s.form.Note); warn != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockNote: warn})
	}
	return nil
}

func (s *deleteSubmit) changed(ctx context.Context) *slack.ViewSubmissionResponse {
	b, user := s.b, s.user
	b.log.Info("delete refused: contact changed", "user", user, "contact", s.c.ID)
	b.auditRefusal(user, s.c.ID, s.form.Reason, "not deleted: contact changed since the window opened")
	banner := "⚠️ *This contact changed since you opened this window*" + describeChange(s.meta.Counts, s.l.Counts) + ". Nothing was deleted. Check it again and confirm if it should still go."
	s.meta.Fingerprint, s.meta.Counts = s.l.Fingerprint, s.l.Counts
	return s.redraw(ctx, banner, b.deletePermission(ctx, user, s.c, s.l))
}

func (s *deleteSubmit) permission(ctx context.Context) (deletePermission, string) {
	return s.b.submitPermission(ctx, s.user, s.c, s.l, s.meta.Mode), s.c.ID
}

func (s *deleteSubmit) redraw(ctx context.Context, banner string, perm deletePermission) *slack.ViewSubmissionResponse {
	s.meta.Mode = perm.Mode
	v := s.b.deleteModal(ctx, s.c, s.l, s.meta, banner, perm)
	return slack.NewUpdateViewSubmissionResponse(&v)
}

func (s *deleteSubmit) act(ctx context.Context, perm deletePermission) *slack.ViewSubmissionResponse {
	b, user, c := s.b, s.user, s.c
	if !perm.Direct() {
		return b.requestApproval(ctx, user, c, s.l, s.form, s.meta, perm.Why)
	}
	req := crm.DeleteRequest{ContactID: c.ID, Actor: user, Reason: s.form.Reason, Note: s.form.Note,
		ExpectFingerprint: s.meta.Fingerprint, RestoreWindow: b.cfg.RestoreWindow, Review: perm.admin, Via: b.originText(ctx, user, s.meta.Origin)}
	name := c.Name()
	b.goBackground("delete", func(ctx context.Context) { b.runDelete(ctx, req, name) })
	return nil // an empty answer closes the modal; the summary arrives by DM
}

// describeChange says what changed between two counts, e.g. ": messages 6 → 7".
func describeChange(before, after crm.Counts) string {
	var parts []string
	b, a := before.Kinds(), after.Kinds()
	for i := range b {
		if b[i].N != a[i].N {
			parts = append(parts, fmt.Sprintf("%s %d → %d", itemLabel(b[i].Table), b[i].N, a[i].N))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

// runDelete performs the archived delete of the contact called name and
// tells the user how it went: the summary is written with the delete's
// commit, a failure once it rolled back, both in place of the progress DM
// when there is one. A process killed meanwhile leaves the operation for
// RecoverOperations.
func (b *Bot) runDelete(ctx context.Context, req crm.DeleteRequest, name string) {
	notDeleted := func(err error) Message {
		return *textMessage("*The contact was not deleted.* " + b.userMessage(err, "delete contact", "contact", req.ContactID))
	}
	op, err := b.store.StartOperation(ctx, crm.OperationDelete, req.Actor, req.ContactID, name)
	if err != nil {
		b.dm(ctx, req.Actor, notDeleted(err)) // the outbox is in that database too
		return
	}
	prog := b.startProgress(ctx, op, req.Actor, "Deleting contact `"+esc(req.ContactID)+"`", "archiving", esc(name))
	defer prog.end()
	req.Progress, req.Operation = prog.update, op.ID
	req.Notify = func(res crm.Deleted) ([]outbox.Note, error) {
		return append([]outbox.Note{prog.outcome(deletionSummary(res), true)}, b.reviewNotes(res.Review)...), nil
	}
	res, err := b.store.Delete(ctx, req)
	if err != nil {
		b.log.Info("delete failed", "user", req.Actor, "contact", req.ContactID, "code", crm.ErrorCode(err))
		prog.fail(ctx, notDeleted(err))
		return
	}
	b.log.Info("contact deleted", "user", req.Actor, "contact", req.ContactID, "deletion", res.Deletion.ID, "rows", res.Deletion.Counts.Total())
}

// optOutKept is the window's line on deleting a contact with DND.
const optOutKept = "⚠️ This contact has opted out (DND). If it goes, its opt-out is kept on the suppression list: a contact created later with the same email or phone gets the DND back. Everything else about it goes."

// outcomeSummary is what the person who deleted, merged or erased a
// contact is told afterwards.
func outcomeSummary(res crm.Deleted) Message {
	switch {
	case res.Merge != nil:
		return mergeSummary(res)
	case res.Deletion.Kind == crm.KindErasure:
		return erasureSummary(res)
	}
	return deletionSummary(res)
}

// deletionSummary is what the deleter gets after a delete.
func deletionSummary(res crm.Deleted) Message {
	d := res.Deletion
	title := "Deleted " + res.Contact.Name()
	text := fmt.Sprintf("%s\nReason: %s", contactLine(res.Contact), esc(reasonLabel(d.Reason)))
	if d.Note != "" {
		text += " — " + esc(d.Note)
	}
	if d.ApprovedBy != nil {
		text += "\nApproved by " + mention(*d.ApprovedBy)
	}
	text += "\n*Removed:* " + countsLine(d.Counts)
	text += "\n" + restorableID(d)
	return Message{
		Text: fmt.Sprintf("%s (deletion %s)", esc(title), d.ID),
		Blocks: []slack.Block{
			header(title),
			section(text),
			contextBlock("Deleted the wrong contact? Report it now: an admin can restore every row until the deadline."),
			slack.NewActionBlock("deletion:"+d.ID, button(ActionReport, d.ID, "Report wrong deletion", slack.StyleDanger)),
		},
	}
}

// dm sends a message to a user's DM with the bot, logging failures.
func (b *Bot) dm(ctx context.Context, user string, m Message) {
	if _, err := b.slack.Post(ctx, user, m); err != nil {
		b.log.Error("send DM", "user", user, "err", err)
	}
}
