package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// The Merge duplicate window: the contact whose Merge… was pressed (or
// whose delete window said "Duplicate created by mistake") is the duplicate
// that goes; it merges into the contact that stays, the other contact
// sharing its email or phone (a choice when there are several). Typing
// MERGE confirms. The same permission rules as a delete apply.

// CallbackMergeModal is the Merge duplicate window's callback id.
const CallbackMergeModal = "contact.merge.modal"

// blockOriginal is the window's choice of the contact that stays.
const blockOriginal = "original"

// The Merge duplicate window's note and confirmation.
var (
	mergeNote    = textField{block: blockNote, label: "Note", placeholder: "Why are these the same person?", multiline: true, maxLen: maxNoteLen, it: "the note"}
	mergeConfirm = confirmWord{word: "MERGE", done: "merged", hint: "In capital letters. Stop here if you are unsure these are the same person."}
)

// mergeMeta travels in the window's private_metadata: what the person saw.
type mergeMeta struct {
	ContactID   string        `json:"c"` // the duplicate
	Fingerprint string        `json:"f"`
	Originals   []mergeChoice `json:"o"`
	Mode        string        `json:"m,omitempty"`
	Channel     string        `json:"ch,omitempty"`
	ResponseURL string        `json:"ru,omitempty"`
	// Origin says where the merge started when not from a search (a
	// message shortcut's message origin), for its audit line (originText).
	Origin string `json:"v,omitempty"`
}

func (m *mergeMeta) valid() bool {
	if !readOrigin(&m.Origin) || !metaFieldsValid(m.ContactID, m.Fingerprint, m.Channel, m.Mode) || m.Fingerprint == "" || len(m.Originals) == 0 || len(m.Originals) > maxMergeChoices {
		return false
	}
	for _, o := range m.Originals {
		if !validID(o.ID) || !fingerprintRe.MatchString(o.Fingerprint) {
			return false
		}
	}
	return true
}

// maxMergeChoices bounds the contacts a merge window offers to keep, as its
// metadata must fit Slack's 3000 characters.
const maxMergeChoices = 50

// mergeChoice is one contact the duplicate may merge into, as shown.
type mergeChoice struct {
	ID          string `json:"i"`
	Fingerprint string `json:"f"`
}

func (m mergeMeta) encode() string {
	b, _ := json.Marshal(m)
	if len(b) > maxMetadata && m.ResponseURL != "" {
		m.ResponseURL = ""
		b, _ = json.Marshal(m)
	}
	return string(b)
}

// linkedContact is a contact with what it has.
type linkedContact struct {
	C crm.Contact
	L crm.Linked
}

// ErrNothingToMergeInto answers a merge of a contact that shares its email
// or phone with no other contact of its location.
var ErrNothingToMergeInto = &crm.Error{Code: crm.EINVALID, Message: "This contact shares its email and phone with no other contact of its location now, so there is nothing to merge it into. Nothing was changed: search again to see the current contacts."}

// mergeCandidates loads a duplicate and the contacts it may merge into.
func (b *Bot) mergeCandidates(ctx context.Context, contactID string) (linkedContact, []linkedContact, error) {
	c, l, err := b.store.Linked(ctx, contactID)
	if err != nil {
		return linkedContact{}, nil, err
	}
	refs, err := b.store.Duplicates(ctx, c)
	if err != nil {
		return linkedContact{}, nil, err
	}
	var out []linkedContact
	for _, r := range refs {
		oc, ol, err := b.store.Linked(ctx, r.ID)
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			continue
		}
		if err != nil {
			return linkedContact{}, nil, err
		}
		if b.store.SameContactData(c, oc) {
			out = append(out, linkedContact{oc, ol})
		}
	}
	return linkedContact{c, l}, out, nil
}

// openMergeModal opens the Merge duplicate window for the contact that goes.
func (b *Bot) openMergeModal(ctx context.Context, user, triggerID, contactID, channel, responseURL string) error {
	dup, origs, err := b.mergeCandidates(ctx, contactID)
	if err != nil {
		return err
	}
	if len(origs) == 0 {
		return ErrNothingToMergeInto
	}
	perm := b.deletePermission(ctx, user, dup.C, dup.L)
	meta := newMergeMeta(dup, origs, perm.Mode, channel, responseURL)
	meta.Origin = surfaceOf(ctx).origin
	view := b.mergeModal(dup, origs, meta, "", perm)
	if _, err := b.openView(ctx, triggerID, view); err != nil {
		return fmt.Errorf("open merge modal: %w", err)
	}
	b.log.Info("merge modal opened", "contact", dup.C.ID, "originals", len(origs))
	return nil
}

// again is the metadata of the window shown again after a refused submit:
// the contacts as they are now, the same channel, response URL and origin.
func (m mergeMeta) again(dup linkedContact, origs []linkedContact, mode string) mergeMeta {
	next := newMergeMeta(dup, origs, mode, m.Channel, m.ResponseURL)
	next.Origin = m.Origin
	return next
}

func newMergeMeta(dup linkedContact, origs []linkedContact, mode, channel, responseURL string) mergeMeta {
	m := mergeMeta{ContactID: dup.C.ID, Fingerprint: dup.L.Fingerprint, Mode: mode, Channel: channel, ResponseURL: responseURL}
	for _, o := range origs {
		m.Originals = append(m.Originals, mergeChoice{o.C.ID, o.L.Fingerprint})
	}
	return m
}

// mergeView answers the delete window's "Duplicate created by mistake":
// the window becomes the Merge duplicate window when there is a contact to
// merge into; nil means there is none, and the delete goes on as asked.
func (b *Bot) mergeView(ctx context.Context, user string, meta deleteMeta) *slack.ModalViewRequest {
	dup, origs, err := b.mergeCandidates(ctx, meta.ContactID)
	if err != nil || len(origs) == 0 {
		return nil // the delete's own checks answer (a gone contact, a failure)
	}
	b.log.Info("delete window: duplicate reason, showing Merge duplicate", "user", user, "contact", dup.C.ID)
	b.auditOpened(user, dup.C.ID, windowMerge, originDeleteWindow)
	perm := b.deletePermission(ctx, user, dup.C, dup.L)
	next := newMergeMeta(dup, origs, perm.Mode, meta.Channel, meta.ResponseURL)
	next.Origin = meta.Origin
	v := b.mergeModal(dup, origs, next,
		"*Nothing was deleted.* A duplicate is merged rather than deleted: its conversations, notes and deals move to the contact that stays, and a merge can be restored like a delete.", perm)
	return &v
}

// mergeModal is the Merge duplicate window.
func (b *Bot) mergeModal(dup linkedContact, origs []linkedContact, meta mergeMeta, banner string, perm deletePermission) slack.ModalViewRequest {
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	blocks = append(blocks, section("*This contact goes:* "+contactLine(dup.C)+"\n"+dndLine(dup.C, dup.L)))
	var choice *slack.InputBlock
	if len(origs) == 1 {
		o := origs[0]
		blocks = append(blocks, section("*It merges into the contact that stays:* "+contactLine(o.C)+"\n"+dndLine(o.C, o.L)))
		if p := mergePreview(dup, o); p != "" {
			blocks = append(blocks, contextBlock(p))
		}
	} else {
		var opts []*slack.OptionBlockObject
		for _, o := range origs {
			opts = append(opts, slack.NewOptionBlockObject(o.C.ID, plain(cut(contactOption(o.C), maxButtonText)), nil))
		}
		choice = slack.NewInputBlock(blockOriginal, plain("The contact that stays"), nil,
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose the contact that stays"), blockOriginal, opts...))
	}
	blocks = append(blocks,
		section("*Moves to the contact that stays:*\n"+strings.Join(movedLines(dup.L), "\n")),
		contextBlock("The contact that stays gets this one's email, phone and company where its own are empty, and the stricter DND of the two (permanent is never lowered). Then this contact, emptied, is deleted through the archive: the merge can be restored like a delete, putting both contacts back as they were."),
	)
	title, submit := "Merge duplicate", "Merge"
	if perm.Direct() {
		blocks = append(blocks, contextBlock("✅ "+mergeWhy(perm)))
	} else {
		submit = "Request approval"
		blocks = append(blocks, section("🔒 *Submitting asks an admin; nothing is merged until one approves.* "+perm.Why))
	}
	if choice != nil {
		blocks = append(blocks, choice)
	}
	blocks = append(blocks, mergeNote.input(), mergeConfirm.input())
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackMergeModal,
		Title:           plain(cut(title, maxModalTitle)),
		Submit:          plain(submit),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: limitBlocks(blocks, maxModalBlocks, func(int) string { return "…" })},
		PrivateMetadata: meta.encode(),
	}
}

// mergeWhy says why a merge happens at once, in the words of a merge.
func mergeWhy(perm deletePermission) string {
	if perm.rated {
		return "You are a deleter and this contact is low-risk: it is merged when you confirm."
	}
	return "You are an admin: the contact is merged when you confirm."
}

// contactOption names a contact in a select's option (75 characters).
func contactOption(c crm.Contact) string {
	parts := []string{c.Name()}
	if c.Email != "" {
		parts = append(parts, c.Email)
	}
	if c.Phone != "" {
		parts = append(parts, c.Phone)
	}
	return strings.Join(append(parts, c.ID), " · ")
}

// movedLines says what a merge moves, one line per kind.
func movedLines(l crm.Linked) []string {
	return []string{
		fmt.Sprintf("💬 %s (%s)", plural(l.Conversations, "conversation", "conversations"), plural(l.Messages, "message", "messages")),
		"📝 " + plural(l.Notes, "note", "notes"),
		fmt.Sprintf("💼 %s (%d open)", plural(l.Opportunities, "opportunity", "opportunities"), l.OpenOpportunityCount),
		fmt.Sprintf("✅ %s (%d open)", plural(l.Tasks, "task", "tasks"), l.OpenTasks),
		fmt.Sprintf("📅 %s (%d upcoming)", plural(l.Appointments, "appointment", "appointments"), l.UpcomingCount),
		fmt.Sprintf("⚙️ %s (%d active)", plural(l.WorkflowEnrollments, "workflow enrollment", "workflow enrollments"), l.ActiveWorkflowCount),
	}
}

// mergePreview says what merging dup into o changes on o: fields filled,
// DND raised. Empty when nothing.
func mergePreview(dup, o linkedContact) string {
	var fills []string
	if o.C.Email == "" && dup.C.Email != "" {
		fills = append(fills, "email "+esc(dup.C.Email))
	}
	if o.C.Phone == "" && dup.C.Phone != "" {
		fills = append(fills, "phone "+esc(dup.C.Phone))
	}
	if o.C.CompanyName == "" && dup.C.CompanyName != "" {
		fills = append(fills, "company "+esc(dup.C.CompanyName))
	}
	was := map[string]string{}
	for _, d := range o.L.DND {
		was[d.Channel] = d.Status
	}
	now := map[string]string{}
	for _, d := range dup.L.DND {
		now[d.Channel] = d.Status
	}
	var raised []string
	for _, ch := range crm.DNDChannels { // the order the merge reports them in
		if dndStrictness(now[ch]) > dndStrictness(was[ch]) {
			raised = append(raised, channelLabel(ch)+" "+statusLabel(now[ch]))
		}
	}
	if dup.C.DND && !o.C.DND {
		raised = append(raised, "all channels")
	}
	var parts []string
	if len(fills) > 0 {
		parts = append(parts, "*Fills in:* "+strings.Join(fills, ", "))
	}
	if len(raised) > 0 {
		parts = append(parts, "*DND it takes from this contact:* "+strings.Join(raised, ", "))
	}
	return strings.Join(parts, "\n")
}

// dndStrictness orders DND statuses: permanent over active over off or none.
func dndStrictness(st string) int {
	switch st {
	case crm.DNDPermanent:
		return 2
	case crm.DNDActive:
		return 1
	}
	return 0
}

// mergeForm is what the person typed into the Merge duplicate window.
type mergeForm struct {
	Original, Note, Confirm string
}

func readMergeForm(v slack.View, meta mergeMeta) mergeForm {
	f := mergeForm{Note: typed(v, blockNote), Confirm: typed(v, blockConfirm)}
	if v.State != nil {
		f.Original = v.State.Values[blockOriginal][blockOriginal].SelectedOption.Value
	}
	if len(meta.Originals) == 1 {
		f.Original = meta.Originals[0].ID // shown, not chosen
	}
	return f
}

// handleMergeSubmit checks a submitted Merge duplicate window on the server
// and merges after the ack (or files a request for an admin).
func (b *Bot) handleMergeSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	var meta mergeMeta
	if !readMeta(cb.View.PrivateMetadata, &meta) {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not merged", "This window could not be read, so nothing was merged. Close it and search for the contact again."))
	}
	user := cb.User.ID
	form := readMergeForm(cb.View, meta)
	errs := map[string]string{}
	chosen := slices.IndexFunc(meta.Originals, func(o mergeChoice) bool { return o.ID == form.Original })
	if chosen < 0 {
		errs[blockOriginal] = "Choose the contact that stays."
	}
	if e := mergeNote.tooLong(form.Note); e != "" {
		errs[blockNote] = e
	}
	if e := mergeConfirm.problem(form.Confirm); e != "" {
		errs[blockConfirm] = e
	}
	if len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	notMerged := func(err error, what string) *slack.ViewSubmissionResponse {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not merged", "*Nothing was merged.* "+b.userMessage(err, what, "contact", meta.ContactID)))
	}
	dup, origs, err := b.mergeCandidates(ctx, meta.ContactID)
	if err != nil {
		return notMerged(err, "load contact for merge")
	}
	oi := slices.IndexFunc(origs, func(o linkedContact) bool { return o.C.ID == form.Original })
	if oi < 0 {
		return notMerged(ErrNothingToMergeInto, "merge")
	}
	orig := origs[oi]
	if dup.L.Fingerprint != meta.Fingerprint || orig.L.Fingerprint != meta.Originals[chosen].Fingerprint {
		b.log.Info("merge refused: contacts changed", "user", user, "contact", dup.C.ID, "original", orig.C.ID)
		perm := b.deletePermission(ctx, user, dup.C, dup.L)
		v := b.mergeModal(dup, origs, meta.again(dup, origs, perm.Mode),
			"⚠️ *These contacts changed since you opened this window.* Nothing was merged. Check them again and confirm if they should still be merged.", perm)
		return slack.NewUpdateViewSubmissionResponse(&v)
	}
	// The delete rule, applied to the contact that goes.
	perm := b.submitPermission(ctx, user, dup.C, dup.L, meta.Mode)
	if meta.Mode != "" && meta.Mode != perm.Mode {
		b.log.Info("merge modal outdated: permission changed", "user", user, "contact", dup.C.ID, "mode", perm.Mode)
		v := b.mergeModal(dup, origs, meta.again(dup, origs, perm.Mode),
			"⚠️ *What this window does has changed since you opened it.* Nothing was merged or sent. Check below and submit again.", perm)
		return slack.NewUpdateViewSubmissionResponse(&v)
	}
	fp := crm.MergeFingerprint(dup.L.Fingerprint, orig.L.Fingerprint)
	if !perm.Direct() {
		return b.fileRequest(ctx, user, dup.C, dup.L, &orig.C, crm.NewApproval{ContactID: dup.C.ID, Requester: user, Reason: ReasonDuplicate,
			Note: form.Note, Fingerprint: fp, Kind: crm.KindMerge, MergeInto: orig.C.ID, Via: b.originText(ctx, user, meta.Origin)}, perm.Why)
	}
	// An admin's merge, like an admin's delete, is reviewed by another admin.
	req := crm.MergeRequest{DuplicateID: dup.C.ID, OriginalID: orig.C.ID, Actor: user, Reason: ReasonDuplicate, Note: form.Note,
		ExpectFingerprint: fp, RestoreWindow: b.cfg.RestoreWindow, Review: perm.admin, Via: b.originText(ctx, user, meta.Origin)}
	b.goBackground("merge", func(ctx context.Context) { b.runMerge(ctx, req) })
	return nil // closes the window; the outcome arrives by DM
}

// runMerge merges and tells the person how it went: the summary is written
// to the outbox with the merge's commit, a failure once it rolled back.
func (b *Bot) runMerge(ctx context.Context, req crm.MergeRequest) {
	req.Notify = func(res crm.Deleted) ([]crm.Note, error) {
		return append([]crm.Note{note(req.Actor, mergeSummary(res))}, b.reviewNotes(res.Review)...), nil
	}
	res, err := b.store.Merge(ctx, req)
	if err != nil {
		b.log.Info("merge failed", "user", req.Actor, "contact", req.DuplicateID, "code", crm.ErrorCode(err))
		failed := *textMessage("*The contacts were not merged.* " + b.userMessage(err, "merge", "contact", req.DuplicateID))
		if err := b.store.Enqueue(ctx, note(req.Actor, failed)); err != nil {
			b.log.Error("record failed merge", "contact", req.DuplicateID, "err", err)
			b.dm(ctx, req.Actor, failed)
		}
		return
	}
	b.log.Info("contact merged", "user", req.Actor, "contact", req.DuplicateID, "into", req.OriginalID, "deletion", res.Deletion.ID)
}

// mergeSummary is what the person who merged (or asked for the merge) is
// told: both contacts, what moved, and how to report a wrong merge.
func mergeSummary(res crm.Deleted) Message {
	d, m := res.Deletion, res.Merge
	title := "Merged " + res.Contact.Name() + " into " + m.Original.Name()
	text := "*Gone:* " + contactLine(res.Contact) + "\n*Stays:* " + contactLine(m.Original)
	text += "\n*Moved:* " + movedLine(m.Moved)
	if len(m.Filled) > 0 {
		text += "\n*Filled in:* " + strings.Join(m.Filled, ", ")
	}
	var raised []string
	for _, c := range m.DNDRaised {
		raised = append(raised, channelLabel(c.Channel)+" "+statusLabel(c.After))
	}
	if m.ContactDNDRaised {
		raised = append(raised, "all channels")
	}
	if len(raised) > 0 {
		text += "\n*DND taken from the duplicate:* " + strings.Join(raised, ", ")
	}
	text += "\nReason: " + esc(reasonLabel(d.Reason))
	if d.Note != "" {
		text += " — " + esc(d.Note)
	}
	if d.ApprovedBy != nil {
		text += "\nApproved by " + mention(*d.ApprovedBy)
	}
	text += fmt.Sprintf("\nDeletion id `%s` · restorable until %s", d.ID, slackDate(d.RestoreUntil))
	return Message{
		Text: esc(fmt.Sprintf("%s (deletion %s)", title, d.ID)),
		Blocks: []slack.Block{
			header(title),
			section(text),
			contextBlock("Merged the wrong contacts? Report it now: an admin can put both back, row for row, until the deadline."),
			slack.NewActionBlock("deletion:"+d.ID, button(ActionReport, d.ID, "Report wrong merge", slack.StyleDanger)),
		},
	}
}

// movedLine lists what a merge moved, e.g. "2 conversations (6 messages), 2 notes".
func movedLine(c crm.Counts) string {
	var parts []string
	for _, k := range c.Kinds() {
		switch {
		// Messages move with their conversations; DND is not moved but
		// combined (the summary says what the duplicate's raised).
		case k.N == 0, k.Table == "messages", k.Table == "dnd_settings":
		case k.Table == "conversations":
			parts = append(parts, fmt.Sprintf("%s (%s)", plural(k.N, "conversation", "conversations"), plural(c.Messages, "message", "messages")))
		default:
			parts = append(parts, plural(k.N, itemNames[k.Table][0], itemNames[k.Table][1]))
		}
	}
	if len(parts) == 0 {
		return "nothing: the duplicate had no conversations, notes, deals, tasks, appointments or workflows"
	}
	return strings.Join(parts, ", ")
}
