package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// The Merge duplicate window: the contact whose Merge… was pressed (or
// whose delete window said "Duplicate created by mistake") and another
// contact sharing its email or phone are merged, one into the other. The
// window lets the person choose which of the two stays, either way round
// (and which other contact, when several share it); the richer one (more
// linked items) or, on a tie, the older one is offered first and shown.
// Choosing another way redraws the window (views.update), so that what it
// says goes and stays is what submitting does. Typing MERGE confirms. The
// same permission rules as a delete apply to the contact that goes.

// CallbackMergeModal is the Merge duplicate window's callback id.
const CallbackMergeModal = "contact.merge.modal"

// blockOriginal is the window's choice of which contact stays (and so
// which goes): its options' values are MergeChoice's.
const blockOriginal = "original"

// The Merge duplicate window's note and confirmation.
var (
	mergeNote    = textField{block: blockNote, label: "Note", placeholder: "Why are these the same person?", multiline: true, maxLen: maxNoteLen, it: "the note"}
	mergeConfirm = confirmWord{word: "MERGE", done: wordsOf(crm.KindMerge).done, hint: "In capital letters. Stop here if you are unsure these are the same person."}
)

// mergeMeta travels in the window's private_metadata: what the person saw.
// Like every payload it comes back from the client, so a submit checks it
// against the contacts as they are now.
type mergeMeta struct {
	shownContact               // the contact whose button opened the window
	Others       []mergeChoice `json:"o"` // the contacts it may be merged with
	// Shown is the choice the window describes (MergeChoice's value).
	Shown       string `json:"s"`
	Mode        string `json:"m,omitempty"`
	Channel     string `json:"ch,omitempty"`
	ResponseURL string `json:"ru,omitempty"`
	// FromDelete is set when the delete window became this one: its banner
	// stays when the window is redrawn.
	FromDelete bool `json:"d,omitempty"`
	// Origin says where the merge started when not from a search (a
	// message shortcut's message origin), for its audit line (originText).
	Origin string `json:"v,omitempty"`
}

func (m *mergeMeta) valid() bool {
	if !m.shownContact.valid() || !readOrigin(&m.Origin) || !channelModeValid(m.Channel, m.Mode) ||
		len(m.Others) == 0 || len(m.Others) > maxMergeChoices || len(m.Shown) > 2*maxValueLen+1 {
		return false
	}
	for _, o := range m.Others {
		if !validID(o.ID) || !fingerprintRe.MatchString(o.Fingerprint) {
			return false
		}
	}
	return true
}

// maxMergeChoices bounds the contacts a merge window offers, as its
// metadata must fit Slack's 3000 characters.
const maxMergeChoices = 50

// mergeChoice is one contact the window's contact may be merged with, as shown.
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

// offers reports whether the window was opened for merging its contact
// with other.
func (m mergeMeta) offers(other string) (mergeChoice, bool) {
	i := slices.IndexFunc(m.Others, func(o mergeChoice) bool { return o.ID == other })
	if i < 0 {
		return mergeChoice{}, false
	}
	return m.Others[i], true
}

// linkedContact is a contact with what it has.
type linkedContact struct {
	C crm.Contact
	L crm.Linked
}

// linkedItems counts what a merge would move: conversations, notes,
// opportunities, tasks, appointments and workflow enrollments.
func (lc linkedContact) linkedItems() int {
	n := lc.L.Counts
	return n.Conversations + n.Notes + n.Opportunities + n.Tasks + n.Appointments + n.WorkflowEnrollments
}

// keptBefore reports whether a is the better contact to keep than b: the
// richer one, or on a tie the older one. On a full tie neither is.
func keptBefore(a, b linkedContact) bool {
	if x, y := a.linkedItems(), b.linkedItems(); x != y {
		return x > y
	}
	return a.C.CreatedAt.Before(b.C.CreatedAt)
}

// mergeWay is one way to merge two contacts: Goes merges into Stays.
type mergeWay struct {
	Stays, Goes linkedContact
}

// MergeChoice is the value of the Merge duplicate window's option that
// keeps stays and merges goes into it.
func MergeChoice(stays, goes string) string { return stays + ":" + goes }

func (w mergeWay) value() string { return MergeChoice(w.Stays.C.ID, w.Goes.C.ID) }

// mergeWays lists every way the window offers: with each other contact,
// both ways round, the one that keeps the richer (or older) contact first;
// on a full tie, the one where the contact whose button was pressed goes.
func mergeWays(c linkedContact, others []linkedContact) []mergeWay {
	var ways []mergeWay
	for _, o := range others {
		keepO, keepC := mergeWay{Stays: o, Goes: c}, mergeWay{Stays: c, Goes: o}
		if keptBefore(c, o) {
			ways = append(ways, keepC, keepO)
		} else {
			ways = append(ways, keepO, keepC)
		}
	}
	return ways
}

// wayOf finds the way with an option's value; -1 when none.
func wayOf(ways []mergeWay, value string) int {
	return slices.IndexFunc(ways, func(w mergeWay) bool { return w.value() == value })
}

// ErrNothingToMergeInto answers a merge of a contact that shares its email
// or phone with no other contact of its location.
var ErrNothingToMergeInto = &crm.Error{Code: crm.EINVALID, Message: "This contact shares its email and phone with no other contact of its location now, so there is nothing to merge it into. Nothing was changed: search again to see the current contacts."}

// mergeCandidates loads a contact and the contacts it may be merged with.
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

// openMergeModal opens the Merge duplicate window for a contact.
func (b *Bot) openMergeModal(ctx context.Context, user, triggerID, contactID, channel, responseURL string) error {
	c, others, err := b.mergeCandidates(ctx, contactID)
	if err != nil {
		return err
	}
	if len(others) == 0 {
		return ErrNothingToMergeInto
	}
	ways := mergeWays(c, others)
	perm := b.deletePermission(ctx, user, ways[0].Goes.C, ways[0].Goes.L)
	meta := newMergeMeta(c, others, ways[0], perm.Mode, channel, responseURL)
	meta.Origin = surfaceOf(ctx).origin
	view := b.mergeModal(ways, 0, meta, "", perm)
	if _, err := b.openView(ctx, user, triggerID, view); err != nil {
		return fmt.Errorf("open merge modal: %w", err)
	}
	b.log.Info("merge modal opened", "contact", c.C.ID, "others", len(others))
	return nil
}

// again is the metadata of the window shown again, describing way: the
// contacts as they are now, the same channel, response URL and origin.
func (m mergeMeta) again(c linkedContact, others []linkedContact, way mergeWay, mode string) mergeMeta {
	next := newMergeMeta(c, others, way, mode, m.Channel, m.ResponseURL)
	next.Origin, next.FromDelete = m.Origin, m.FromDelete
	return next
}

func newMergeMeta(c linkedContact, others []linkedContact, shown mergeWay, mode, channel, responseURL string) mergeMeta {
	m := mergeMeta{shownContact: shownContact{c.C.ID, c.L.Fingerprint}, Shown: shown.value(), Mode: mode, Channel: channel, ResponseURL: responseURL}
	for _, o := range others {
		m.Others = append(m.Others, mergeChoice{o.C.ID, o.L.Fingerprint})
	}
	return m
}

// mergeFromDeleteBanner leads the Merge duplicate window that replaced a
// delete window.
const mergeFromDeleteBanner = "*Nothing was deleted.* A duplicate is merged rather than deleted: its conversations, notes and deals move to the contact that stays, and a merge can be restored like a delete."

// mergeView answers the delete window's "Duplicate created by mistake":
// the window becomes the Merge duplicate window when there is a contact to
// merge with; nil means there is none, and the delete goes on as asked.
func (b *Bot) mergeView(ctx context.Context, user string, meta deleteMeta) *slack.ModalViewRequest {
	c, others, err := b.mergeCandidates(ctx, meta.ContactID)
	if err != nil || len(others) == 0 {
		return nil // the delete's own checks answer (a gone contact, a failure)
	}
	b.log.Info("delete window: duplicate reason, showing Merge duplicate", "user", user, "contact", c.C.ID)
	b.auditOpened(ctx, user, c.C.ID, windowMerge, originDeleteWindow)
	ways := mergeWays(c, others)
	perm := b.deletePermission(ctx, user, ways[0].Goes.C, ways[0].Goes.L)
	next := newMergeMeta(c, others, ways[0], perm.Mode, meta.Channel, meta.ResponseURL)
	next.Origin, next.FromDelete = meta.Origin, true
	v := b.mergeModal(ways, 0, next, "", perm)
	return &v
}

// mergeWayChosen answers a choice made in the Merge duplicate window (the
// select dispatches its action at once): the window is redrawn for the
// chosen way, from the contacts as they are now. A choice the window did
// not offer changes nothing.
func (b *Bot) mergeWayChosen(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	user := cb.User.ID
	var meta mergeMeta
	if !readMeta(cb.View.PrivateMetadata, &meta) {
		b.log.Warn("merge choice in an unreadable window", "user", user)
		return
	}
	value := a.SelectedOption.Value
	if value == meta.Shown {
		return
	}
	if !b.ownWindow(ctx, cb, CallbackMergeModal) {
		return
	}
	c, others, err := b.mergeCandidates(ctx, meta.ContactID)
	if err != nil {
		b.log.Info("merge choice: contacts not loaded; the submit answers", "user", user, "code", crm.ErrorCode(err))
		return
	}
	others = offered(meta, others)
	ways := mergeWays(c, others)
	i := wayOf(ways, value)
	if i < 0 {
		b.log.Warn("merge choice not offered by the window", "user", user, "contact", meta.ContactID)
		return
	}
	perm := b.deletePermission(ctx, user, ways[i].Goes.C, ways[i].Goes.L)
	v := b.mergeModal(ways, i, meta.again(c, others, ways[i], perm.Mode), "", perm)
	if err := b.updateView(ctx, cb, v); err != nil {
		// The submit sees the choice differs from what was shown and redraws.
		b.log.Error("redraw merge window", "user", user, "contact", meta.ContactID, "err", err)
	}
}

// offered keeps, of the contacts that may be merged with the window's
// contact now, those the window was opened for.
func offered(meta mergeMeta, others []linkedContact) []linkedContact {
	return slices.DeleteFunc(others, func(o linkedContact) bool {
		_, ok := meta.offers(o.C.ID)
		return !ok
	})
}

// mergeModal is the Merge duplicate window describing ways[shown].
func (b *Bot) mergeModal(ways []mergeWay, shown int, meta mergeMeta, banner string, perm deletePermission) slack.ModalViewRequest {
	way := ways[shown]
	goes, stays := way.Goes, way.Stays
	var blocks []slack.Block
	if meta.FromDelete {
		blocks = append(blocks, section(mergeFromDeleteBanner))
	}
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	var opts []*slack.OptionBlockObject
	for _, w := range ways {
		opts = append(opts, slack.NewOptionBlockObject(w.value(), plain(mergeOptionText(w, len(ways) > 2)), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose the contact that stays"), blockOriginal, opts...)
	sel.InitialOption = opts[shown]
	choice := slack.NewInputBlock(blockOriginal, plain("Which contact stays?"), plain("The other one merges into it and goes. Choosing another redraws this window."), sel)
	// Choosing redraws the window at once (mergeWayChosen), so that it
	// always says which contact goes and which stays.
	choice.DispatchAction = true
	blocks = append(blocks, choice,
		section("*This contact goes:* "+contactLine(goes.C)+"\n"+dndLine(goes.C, goes.L)),
		section("*It merges into the contact that stays:* "+contactLine(stays.C)+"\n"+dndLine(stays.C, stays.L)),
	)
	if p := mergePreview(goes, stays); p != "" {
		blocks = append(blocks, contextBlock(p))
	}
	warn := []string{"Flagged as possible duplicates: " + sharedWords(goes.C, b.store.SharedData(goes.C, stays.C)) + "."}
	if w := differentPeople(goes.C, stays.C); w != "" {
		warn = append(warn, w)
	}
	blocks = append(blocks,
		contextBlock(warn...),
		section("*Moves to the contact that stays:*\n"+strings.Join(movedLines(goes.L), "\n")),
		contextBlock("The contact that stays gets this one's email, phone and company where its own are empty, and the stricter DND of the two (permanent is never lowered). Then this contact, emptied, is deleted through the archive: the merge can be restored like a delete, putting both contacts back as they were."),
	)
	title, submit := "Merge duplicate", "Merge"
	if perm.Direct() {
		blocks = append(blocks, contextBlock("✅ "+mergeWhy(perm)))
	} else {
		submit = "Request approval"
		blocks = append(blocks, section("🔒 *Submitting asks an admin; nothing is merged until one approves.* "+perm.Why))
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

// mergeOptionText names a way in the window's select (75 characters):
// "Keep" and the contact kept, by name and id, then its email and phone
// where they fit whole; when the window offers several other contacts, the
// one that goes instead of the email and phone.
func mergeOptionText(w mergeWay, several bool) string {
	named := func(c crm.Contact, room int) string { return cut(c.Name(), room) + " (" + c.ID + ")" }
	if !several {
		text := cut("Keep "+named(w.Stays.C, maxButtonText), maxButtonText)
		for _, v := range []string{w.Stays.C.Email, w.Stays.C.Phone} {
			if v != "" && utf8.RuneCountInString(text+" · "+v) <= maxButtonText {
				text += " · " + v
			}
		}
		return text
	}
	room := (maxButtonText - len("Keep  (), merge  ()") - len(w.Stays.C.ID) - len(w.Goes.C.ID)) / 2
	return cut("Keep "+named(w.Stays.C, max(room, 1))+", merge "+named(w.Goes.C, max(room, 1)), maxButtonText)
}

// differentPeople warns when two contacts about to be merged look like two
// people: their first names differ (one is not the start of the other) or
// their emails do. "" when they do not.
func differentPeople(a, b crm.Contact) string {
	var differ []string
	fa, fb := strings.TrimSpace(a.FirstName), strings.TrimSpace(b.FirstName)
	// A short form is the same name (Sam, Samuel).
	if ka, kb := crm.Fold(fa), crm.Fold(fb); ka != "" && kb != "" && !strings.HasPrefix(ka, kb) && !strings.HasPrefix(kb, ka) {
		differ = append(differ, "the first names differ ("+esc(fa)+", "+esc(fb)+")")
	}
	if a.Email != "" && b.Email != "" && crm.EmailKey(a.Email) != crm.EmailKey(b.Email) {
		differ = append(differ, "the emails differ ("+esc(a.Email)+", "+esc(b.Email)+")")
	}
	if len(differ) == 0 {
		return ""
	}
	return "⚠️ *These may be two different people:* " + strings.Join(differ, " and ") + ". Merge only if they are the same person."
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
	Choice, Note, Confirm string
}

func readMergeForm(v slack.View, meta mergeMeta) mergeForm {
	f := mergeForm{Note: typed(v, blockNote), Confirm: typed(v, blockConfirm)}
	if v.State != nil {
		f.Choice = v.State.Values[blockOriginal][blockOriginal].SelectedOption.Value
	}
	if f.Choice == "" {
		f.Choice = meta.Shown // the select's initial option, left as shown
	}
	return f
}

// otherOf reads a choice as the window's contact and another it offered,
// and whether the window's contact stays; ok is false for any choice the
// window did not offer (a forged one included).
func (m mergeMeta) otherOf(choice string) (other mergeChoice, keepsOwn, ok bool) {
	stays, goes, cut := strings.Cut(choice, ":")
	if !cut {
		return mergeChoice{}, false, false
	}
	switch m.ContactID {
	case goes:
		other, ok = m.offers(stays)
	case stays:
		other, ok = m.offers(goes)
		keepsOwn = true
	}
	return other, keepsOwn, ok && stays != goes
}

// handleMergeSubmit checks a submitted Merge duplicate window on the server
// and merges after the ack (or files a request for an admin). The choice
// of which contact stays must be one the window offered, the two contacts
// must still be duplicates and as the person saw them, and the delete rule
// is applied to the contact that goes.
func (b *Bot) handleMergeSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	return b.submitConfirmed(ctx, cb, &mergeSubmit{submitting: submitting{b, cb.User.ID}})
}

// mergeSubmit is a submit of the Merge duplicate window (see submitConfirmed).
type mergeSubmit struct {
	submitting
	meta mergeMeta
	form mergeForm
	// chosen is the other contact of the choice, as the window showed it.
	chosen mergeChoice
	c      linkedContact
	others []linkedContact
	ways   []mergeWay
	// way is ways[i], the one chosen; other is its contact that is not c.
	i     int
	way   mergeWay
	other linkedContact
}

func (s *mergeSubmit) words() submitWords {
	return submitWords{noun: "merge", confirm: mergeConfirm, reloadFailedLead: "*Nothing was merged.* "}
}

func (s *mergeSubmit) metadata() windowMeta { return &s.meta }
func (s *mergeSubmit) shown() shownContact  { return s.meta.shownContact }
func (s *mergeSubmit) shownMode() string    { return s.meta.Mode }

func (s *mergeSubmit) check(_ context.Context, v slack.View) *slack.ViewSubmissionResponse {
	meta := &s.meta
	s.form = readMergeForm(v, *meta)
	if meta.Shown == "" {
		// A window opened before either contact could stay: its contact
		// goes, into the one it showed or the one chosen.
		if len(meta.Others) == 1 {
			s.form.Choice = MergeChoice(meta.Others[0].ID, meta.ContactID)
		} else if s.form.Choice != "" && !strings.Contains(s.form.Choice, ":") {
			s.form.Choice = MergeChoice(s.form.Choice, meta.ContactID)
		}
		meta.Shown = s.form.Choice
	}
	errs := map[string]string{}
	chosen, _, ok := meta.otherOf(s.form.Choice)
	if !ok {
		s.b.log.Warn("merge refused: a choice the window did not offer", "user", s.user, "contact", meta.ContactID)
		errs[blockOriginal] = "Choose which contact stays. Nothing was merged."
	}
	s.chosen = chosen
	if e := mergeNote.tooLong(s.form.Note); e != "" {
		errs[blockNote] = e
	}
	if e := mergeConfirm.problem(s.form.Confirm); e != "" {
		errs[blockConfirm] = e
	}
	if len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	return nil
}

func (s *mergeSubmit) reload(ctx context.Context, shown shownContact) error {
	c, others, err := s.b.mergeCandidates(ctx, shown.ContactID)
	if err != nil {
		return err
	}
	s.c, s.others = c, offered(s.meta, others)
	s.ways = mergeWays(s.c, s.others)
	if s.i = wayOf(s.ways, s.form.Choice); s.i < 0 {
		return ErrNothingToMergeInto
	}
	s.way = s.ways[s.i]
	s.other = s.way.Stays
	if s.other.C.ID == s.c.C.ID {
		s.other = s.way.Goes
	}
	return nil
}

// contactsChanged reports whether either contact is not as the window showed it.
func (s *mergeSubmit) contactsChanged() bool {
	return s.c.L.Fingerprint != s.meta.Fingerprint || s.other.L.Fingerprint != s.chosen.Fingerprint
}

// unchanged also asks that the window showed the way chosen.
func (s *mergeSubmit) unchanged(shownContact) bool {
	return !s.contactsChanged() && s.form.Choice == s.meta.Shown
}

func (s *mergeSubmit) changed(ctx context.Context) *slack.ViewSubmissionResponse {
	b, user, way := s.b, s.user, s.way
	if s.contactsChanged() {
		b.log.Info("merge refused: contacts changed", "user", user, "contact", s.c.C.ID, "other", s.other.C.ID)
		return s.redraw(ctx, "⚠️ *These contacts changed since you opened this window.* Nothing was merged. Check them again and confirm if they should still be merged.",
			b.deletePermission(ctx, user, way.Goes.C, way.Goes.L))
	}
	// The window still described another way (its redraw was lost).
	b.log.Info("merge refused: the window did not show the choice", "user", user, "contact", s.c.C.ID)
	return s.redraw(ctx, "⚠️ *This window had not caught up with your choice.* Nothing was merged. Check which contact goes and which stays below, and submit again.",
		b.deletePermission(ctx, user, way.Goes.C, way.Goes.L))
}

// permission is the delete rule, applied to the contact that goes.
func (s *mergeSubmit) permission(ctx context.Context) (deletePermission, string) {
	dup := s.way.Goes
	return s.b.submitPermission(ctx, s.user, dup.C, dup.L, s.meta.Mode), dup.C.ID
}

func (s *mergeSubmit) redraw(_ context.Context, banner string, perm deletePermission) *slack.ViewSubmissionResponse {
	v := s.b.mergeModal(s.ways, s.i, s.meta.again(s.c, s.others, s.way, perm.Mode), banner, perm)
	return slack.NewUpdateViewSubmissionResponse(&v)
}

func (s *mergeSubmit) act(ctx context.Context, perm deletePermission) *slack.ViewSubmissionResponse {
	b, user := s.b, s.user
	dup, orig := s.way.Goes, s.way.Stays
	fp := crm.MergeFingerprint(dup.L.Fingerprint, orig.L.Fingerprint)
	if !perm.Direct() {
		return b.fileRequest(ctx, user, dup.C, dup.L, &orig.C, crm.NewApproval{ContactID: dup.C.ID, Requester: user, Reason: ReasonDuplicate,
			Note: s.form.Note, Fingerprint: fp, Kind: crm.KindMerge, MergeInto: orig.C.ID, Via: b.originText(ctx, user, s.meta.Origin)}, perm.Why)
	}
	// An admin's merge, like an admin's delete, is reviewed by another admin.
	req := crm.MergeRequest{DuplicateID: dup.C.ID, OriginalID: orig.C.ID, Actor: user, Reason: ReasonDuplicate, Note: s.form.Note,
		ExpectFingerprint: fp, RestoreWindow: b.cfg.RestoreWindow, Review: perm.admin, Via: b.originText(ctx, user, s.meta.Origin)}
	b.goBackground("merge", func(ctx context.Context) { b.runMerge(ctx, req) })
	return nil // closes the window; the outcome arrives by DM
}

// runMerge merges and tells the person how it went: the summary is written
// to the outbox with the merge's commit, a failure once it rolled back.
func (b *Bot) runMerge(ctx context.Context, req crm.MergeRequest) {
	req.Notify = func(res crm.Deleted) ([]outbox.Note, error) {
		return append([]outbox.Note{note(req.Actor, mergeSummary(res))}, b.reviewNotes(res.Review)...), nil
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
	text += "\n" + restorableID(d)
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
