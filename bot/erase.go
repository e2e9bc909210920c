package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// The privacy erasure window: the delete window turns into it when the
// reason is "Privacy erasure request". Typing ERASE (never DELETE) files a
// request that another admin must approve when an admin asks, and two
// different admins when anyone else does (erase_approval.go).

// CallbackEraseModal is the privacy erasure window's callback id.
const CallbackEraseModal = "contact.erase.modal"

// eraseMeta travels in the window's private_metadata.
type eraseMeta struct {
	shownContact
	// Origin says where the delete window it came from started (a message
	// shortcut's message origin), for the request's and the erasure's audit
	// lines (originText).
	Origin string `json:"v,omitempty"`
}

func (m *eraseMeta) valid() bool {
	return m.shownContact.valid() && readOrigin(&m.Origin)
}

func (m eraseMeta) encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

// The erasure window's reference and confirmation.
var (
	eraseNote = textField{block: blockNote, label: "Reference", placeholder: "e.g. the ticket number of the request",
		hint: "It is replaced by “[erased]” too once the erasure is done.", maxLen: 200, it: "the reference"}
	eraseConfirm = confirmWord{word: "ERASE", done: wordsOf(crm.KindErasure).done, hint: "In capital letters. DELETE does not confirm an erasure."}
)

// erasureWhy is why an erasure waits: for another admin when an admin
// asks, for two different admins when anyone else does.
func erasureWhy(requesterIsAdmin bool) string {
	if requesterIsAdmin {
		return "A privacy erasure cannot be restored, so even an admin's needs another admin's approval, confirmed by typing ERASE."
	}
	return "A privacy erasure cannot be restored, so it needs the approvals of two different admins, the second confirmed by typing ERASE."
}

// erasureWaitsFor says who must approve before anything is erased.
func erasureWaitsFor(requesterIsAdmin bool) string {
	if requesterIsAdmin {
		return "another admin approves it"
	}
	return "two admins approve it"
}

// erasureView answers the delete window's "Privacy erasure request":
// nothing is deleted, and the window becomes the erasure window.
func (b *Bot) erasureView(ctx context.Context, user string, meta deleteMeta) *slack.ModalViewRequest {
	c, l, err := b.store.Linked(ctx, meta.ContactID)
	if err != nil {
		return infoModal("Not erased", "*Nothing was erased.* "+b.userMessage(err, "load contact for erasure", "contact", meta.ContactID))
	}
	b.log.Info("delete window: erasure reason, showing the erasure window", "user", user, "contact", c.ID)
	b.auditOpened(ctx, user, c.ID, windowErase, originDeleteWindow)
	v := b.eraseModal(c, l, eraseMeta{shownContact: shownContact{c.ID, l.Fingerprint}, Origin: meta.Origin}, b.isAdmin(ctx, user), "*Nothing was deleted.* A privacy erasure is not a delete: it keeps no archive, so it has its own window, confirmed with ERASE.")
	return &v
}

// eraseModal is the privacy erasure window.
// requesterIsAdmin says who must approve it.
func (b *Bot) eraseModal(c crm.Contact, l crm.Linked, meta eraseMeta, requesterIsAdmin bool, banner string) slack.ModalViewRequest {
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	blocks = append(blocks,
		section(contactLine(c)+"\n"+dndLine(c, l)),
		section("*Erasing removes, with no archive:*\n"+strings.Join(linkedLines(l, b.cfg.CurrencyOf(c.LocationID)), "\n")),
		section("*This cannot be restored.* The contact and every linked row are deleted and no archive is kept. Its name, email and phone are replaced by “[erased]” in contactbot's records (the request, the deletion record, the audit trail). "+erasureListsSentence(c)),
		section("🔒 *Nothing is erased until "+erasureWaitsFor(requesterIsAdmin)+"* in "+channelRef(b.cfg.ApprovalsChannel)+". "+erasureWhy(requesterIsAdmin)),
	)
	blocks = append(blocks, eraseNote.input(), eraseConfirm.input())
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackEraseModal,
		Title:           plain(cut("Privacy erasure", maxModalTitle)),
		Submit:          plain("Request erasure"),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: limitBlocks(blocks, maxModalBlocks, func(int) string { return "…" })},
		PrivateMetadata: meta.encode(),
	}
}

// handleEraseSubmit checks a submitted erasure window and files the request
// for a second admin.
func (b *Bot) handleEraseSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	return b.submitConfirmed(ctx, cb, &eraseSubmit{contactNow: contactNow{submitting: submitting{b, cb.User.ID}}})
}

// eraseSubmit is a submit of the erasure window (see submitConfirmed).
type eraseSubmit struct {
	contactNow
	meta          eraseMeta
	note, confirm string
}

func (s *eraseSubmit) words() submitWords {
	return submitWords{noun: "erasure", confirm: eraseConfirm, reloadFailedLead: "*Nothing was erased.* "}
}

func (s *eraseSubmit) metadata() windowMeta { return &s.meta }
func (s *eraseSubmit) shown() shownContact  { return s.meta.shownContact }

// shownMode is "": whoever submits, an erasure waits for admins, as its
// window says.
func (s *eraseSubmit) shownMode() string { return "" }

func (s *eraseSubmit) check(_ context.Context, v slack.View) *slack.ViewSubmissionResponse {
	s.note, s.confirm = typed(v, blockNote), typed(v, blockConfirm)
	errs := map[string]string{}
	if e := erasureConfirmProblem(s.confirm); e != "" {
		errs[blockConfirm] = e
	}
	if e := eraseNote.tooLong(s.note); e != "" {
		errs[blockNote] = e
	}
	if len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	return nil
}

func (s *eraseSubmit) changed(ctx context.Context) *slack.ViewSubmissionResponse {
	s.b.log.Info("erasure refused: contact changed", "user", s.user, "contact", s.c.ID)
	perm, _ := s.permission(ctx)
	return s.redraw(ctx, "⚠️ *This contact changed since you opened this window.* Nothing was sent. Check it again and confirm if it should still be erased.", perm)
}

// permission is always a request: for another admin's approval when an
// admin asks (perm.admin), for two admins' when anyone else does.
func (s *eraseSubmit) permission(ctx context.Context) (deletePermission, string) {
	admin := s.b.isAdmin(ctx, s.user)
	return deletePermission{Mode: modeApproval, Why: erasureWhy(admin), admin: admin}, s.c.ID
}

func (s *eraseSubmit) redraw(_ context.Context, banner string, perm deletePermission) *slack.ViewSubmissionResponse {
	v := s.b.eraseModal(s.c, s.l, eraseMeta{shownContact: shownContact{s.c.ID, s.l.Fingerprint}, Origin: s.meta.Origin}, perm.admin, banner)
	return slack.NewUpdateViewSubmissionResponse(&v)
}

func (s *eraseSubmit) act(ctx context.Context, perm deletePermission) *slack.ViewSubmissionResponse {
	b, user, c := s.b, s.user, s.c
	return b.fileRequest(ctx, user, c, s.l, nil, crm.NewApproval{ContactID: c.ID, Requester: user, Reason: ReasonErasure, Note: s.note,
		Fingerprint: s.l.Fingerprint, Kind: crm.KindErasure, Via: b.originText(ctx, user, s.meta.Origin), RequesterIsAdmin: perm.admin}, perm.Why)
}

// erasureListsSentence says what of c an erasure puts on the suppression
// list, before anything is done: the erasure window, the request and the
// approval that completes it (erasedSuppressed says what was listed).
func erasureListsSentence(c crm.Contact) string {
	const permanent = " on the suppression list with every channel permanent, so it is never messaged again."
	switch {
	case c.Email != "" && c.Phone != "":
		return "Its email and phone go" + permanent
	case c.Email != "":
		return "Its email goes" + permanent
	case c.Phone != "":
		return "Its phone goes" + permanent
	}
	return "It has no email or phone, so nothing goes on the suppression list."
}

// erasedSuppressed says what of an erased contact went on the suppression
// list: only what was listed (a contact without a phone has none listed).
func erasedSuppressed(list []crm.Suppression) string {
	var email, phone bool
	for _, e := range list {
		email = email || e.Kind == crm.SuppressionEmail
		phone = phone || e.Kind == crm.SuppressionPhone
	}
	switch {
	case email && phone:
		return "Its email and phone are on the suppression list with every channel permanent: it is never messaged again."
	case email:
		return "Its email is on the suppression list with every channel permanent: it is never messaged again."
	case phone:
		return "Its phone is on the suppression list with every channel permanent: it is never messaged again."
	}
	return "Nothing went on the suppression list: it had no email or phone that could be listed."
}

// erasureSummary tells the requester an erasure is done. It names the
// contact by id only: the DM outlives the erasure.
func erasureSummary(res crm.Deleted) Message {
	d := res.Deletion
	text := fmt.Sprintf("Contact `%s` is erased: %s deleted with no archive. *This cannot be restored.*", esc(d.ContactID), countsLine(d.Counts))
	text += "\n" + erasedSuppressed(res.Suppressed)
	if d.ApprovedBy != nil {
		text += "\nApproved by " + mention(*d.ApprovedBy)
	}
	text += fmt.Sprintf(" · deletion `%s`", d.ID)
	return Message{
		Text: fmt.Sprintf("Privacy erasure done (deletion %s)", d.ID),
		Blocks: []slack.Block{
			header("Privacy erasure done"),
			section(text),
			contextBlock("Its name, email and phone now read “[erased]” in contactbot's records."),
		},
	}
}
