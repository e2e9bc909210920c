package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// An erasure is never approved by a click. Approve on an erasure request
// is the first of two approvals when someone who is not an admin asked
// (recorded on the request: the message shows "1 of 2 admins approved");
// the approval that completes it opens a window asking for ERASE typed, and
// only that window's submit erases.

// CallbackEraseApproveModal is the window that confirms the approval that
// completes an erasure.
const CallbackEraseApproveModal = "approval.erase.modal"

// eraseApproveMeta travels in that window's private_metadata: which
// request, and the contact's state the approver was shown after a change
// (empty: as requested). Both are re-checked under the request's lock.
type eraseApproveMeta struct {
	RequestID   string `json:"r"`
	Fingerprint string `json:"f,omitempty"`
}

// valid: a request id, and the state the approver was shown (a crm
// fingerprint), none, or "-" for a state that never matches.
func (m *eraseApproveMeta) valid() bool {
	return requestIDRe.MatchString(m.RequestID) && (m.Fingerprint == "" || m.Fingerprint == "-" || fingerprintRe.MatchString(m.Fingerprint))
}

func (m eraseApproveMeta) encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

// erasureConfirmProblem is the inline error for a confirmation typed into
// an erasure window (the request's or the approval's), or "".
func erasureConfirmProblem(confirm string) string {
	if confirm == "DELETE" {
		return "DELETE does not confirm a privacy erasure: type ERASE in capital letters. Nothing was erased."
	}
	return eraseConfirm.problem(confirm)
}

// erasureApproveClick answers Approve (or "Approve as it is now") on an
// erasure request, before the ack: it records the first of two approvals,
// or opens the window that confirms the completing one. fingerprint is the
// state an "as it is now" click confirms.
func (b *Bot) erasureApproveClick(ctx context.Context, cb slack.InteractionCallback, a crm.Approval, fingerprint string) {
	user := cb.User.ID
	if detail, text, ok := b.mayDecide(ctx, user, a); !ok {
		b.refuseDecision(ctx, user, cb.ResponseURL, a, a.ID, detail, text)
		return
	}
	res, err := b.store.RecordErasureApproval(ctx, a.ID, user, func(r crm.ErasureApproval) ([]outbox.Note, error) { return b.firstApprovalNotes(r), nil })
	if detail, text, ok := erasureRefusal(res.Approval, err); ok {
		b.refuseDecision(ctx, user, cb.ResponseURL, res.Approval, a.ID, detail, text)
		return
	}
	if err != nil {
		b.respond(ctx, cb.ResponseURL, *textMessage("*Nothing was erased.* " + b.userMessage(err, "approve erasure", "request", a.ID)))
		return
	}
	a = res.Approval
	if !res.Completes {
		b.log.Info("erasure: first approval recorded", "user", user, "request", a.ID)
		b.respond(ctx, cb.ResponseURL, *textMessage(fmt.Sprintf("✅ Your approval is recorded: 1 of 2 admins approved (%s). Nothing is erased until a second, different admin approves it and types ERASE.", mention(user))))
		return
	}
	var c *crm.Contact
	var l *crm.Linked
	if cc, ll, err := b.store.Linked(ctx, a.ContactID); err == nil {
		c, l = &cc, &ll
	}
	if fingerprint != "" && !fingerprintRe.MatchString(fingerprint) {
		fingerprint = "-" // a state of no shape (a forged "anyway") never matches
	}
	view := b.eraseApproveModal(a, c, l, eraseApproveMeta{RequestID: a.ID, Fingerprint: fingerprint}, "")
	if _, err := b.openView(ctx, user, cb.TriggerID, view); err != nil {
		b.log.Error("open erasure approval window", "request", a.ID, "err", err)
		b.respond(ctx, cb.ResponseURL, *textMessage("The window that confirms the erasure could not be opened in time. Press *Approve* again. Nothing was erased."))
	}
}

// erasureRefusal words the refusals of an erasure's approval: those of any
// decision, and the two-admin rules; ok is false for other errors.
func erasureRefusal(a crm.Approval, err error) (detail, text string, ok bool) {
	if detail, text, ok := closedRefusal(a, err); ok {
		return detail, text, true
	}
	switch {
	case errors.Is(err, crm.ErrAlreadyApproved):
		return "already approved by them", crm.ErrAlreadyApproved.Message, true
	case errors.Is(err, crm.ErrErasureNeedsFirst):
		return "no first approval", crm.ErrErasureNeedsFirst.Message, true
	case errors.Is(err, crm.ErrErasureUnconfirmed):
		return "not confirmed", crm.ErrErasureUnconfirmed.Message, true
	}
	return "", "", false
}

// firstApprovalNotes update the request's message in the approvals channel
// after its first approval: it says who approved and keeps its buttons.
func (b *Bot) firstApprovalNotes(r crm.ErasureApproval) []outbox.Note {
	cur := ""
	if r.Contact != nil {
		cur = b.cfg.CurrencyOf(r.Contact.LocationID)
	}
	return []outbox.Note{b.requestPostReplaced(r.Approval, approvalMessage(r.Approval, r.Contact, r.Linked, cur, ""))}
}

// eraseApproveModal is the window that confirms the approval completing
// an erasure: who asked, who approved first, what goes, and ERASE typed.
// c and l are the contact as it is now, when it is still there.
func (b *Bot) eraseApproveModal(a crm.Approval, c *crm.Contact, l *crm.Linked, meta eraseApproveMeta, banner string) slack.ModalViewRequest {
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	who := "*" + esc(a.ContactLabel) + "* `" + esc(a.ContactID) + "`"
	if c != nil {
		who = contactLine(*c)
	}
	blocks = append(blocks, section(fmt.Sprintf("%s asks to *erase* %s (privacy erasure). *This cannot be restored.*", mention(a.Requester), who)))
	if a.FirstApprovedBy != "" {
		blocks = append(blocks, section(fmt.Sprintf("%s approved it first: yours is the second approval, and it erases the contact.", mention(a.FirstApprovedBy))))
	}
	if c != nil && l != nil {
		blocks = append(blocks, section("*Erasing removes, with no archive:*\n"+strings.Join(linkedLines(*l, b.cfg.CurrencyOf(c.LocationID)), "\n")))
	}
	listed := "The contact and every linked row are deleted with no archive."
	if c != nil {
		listed += " " + erasureListsSentence(*c)
	}
	blocks = append(blocks,
		contextBlock(listed+" Its name, email and phone become “[erased]” in contactbot's records."),
		eraseConfirm.input())
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackEraseApproveModal,
		Title:           plain(cut("Approve erasure", maxModalTitle)),
		Submit:          plain("Erase"),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: limitBlocks(blocks, maxModalBlocks, func(int) string { return "…" })},
		PrivateMetadata: meta.encode(),
	}
}

// handleEraseApproveSubmit checks the confirming window on the server and,
// when ERASE was typed and the submitter may complete the erasure, erases
// after the ack; how it went reaches the approver by DM when it did not.
func (b *Bot) handleEraseApproveSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	notErased := func(text string) *slack.ViewSubmissionResponse {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not erased", text))
	}
	var meta eraseApproveMeta
	if !readMeta(cb.View.PrivateMetadata, &meta) {
		return notErased("This window could not be read, so nothing was erased. Close it and press *Approve* on the request again.")
	}
	user := cb.User.ID
	if e := erasureConfirmProblem(typed(cb.View, blockConfirm)); e != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockConfirm: e})
	}
	a, detail, text, err := b.checkDecision(ctx, user, meta.RequestID)
	if err != nil {
		return notErased("*Nothing was erased.* " + b.userMessage(err, "load approval request", "request", meta.RequestID))
	}
	if text == "" && a.Kind() != crm.KindErasure {
		detail, text = "not an erasure", "This window confirms privacy erasures only, and that request is not one. Nothing was done."
	}
	if text == "" {
		detail, text = b.closedNow(a)
	}
	if text == "" {
		if err := a.ErasureCompletableBy(user); err != nil {
			detail, text, _ = erasureRefusal(a, err)
		}
	}
	if text != "" {
		b.refuseDecision(ctx, user, "", a, meta.RequestID, detail, text)
		return notErased(text)
	}
	b.goBackground("approve erasure", func(ctx context.Context) { b.completeErasure(ctx, user, a, meta.Fingerprint) })
	return nil // closes the window; the approvals message and the requester's DM say it is done
}

// completeErasure approves the erasure as confirmed by user. A refusal, a
// failure or a change of the contact reaches them by DM.
func (b *Bot) completeErasure(ctx context.Context, user string, a crm.Approval, fingerprint string) {
	res, err := b.store.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: user, ExpectFingerprint: fingerprint, RestoreWindow: b.cfg.RestoreWindow, Confirmed: true,
		Notify: func(r crm.ApproveResult) ([]outbox.Note, error) { return b.decisionNotes(r.Approval, r.Deleted), nil }})
	if detail, text, ok := erasureRefusal(res.Approval, err); ok {
		b.refuseDecision(ctx, user, "", res.Approval, a.ID, detail, text)
		b.dm(ctx, user, *textMessage(text))
		return
	}
	if err != nil {
		b.dm(ctx, user, *textMessage("*Nothing was erased.* " + b.userMessage(err, "approve erasure", "request", a.ID)))
		return
	}
	if res.Changed {
		b.log.Info("erasure held: contact changed", "user", user, "request", a.ID)
		b.dm(ctx, user, changedMessage(res.Approval, res, b.cfg.CurrencyOf(res.Contact.LocationID)))
		b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditApprovalHeld, ContactID: a.ContactID, RequestID: a.ID, RequestKind: a.Summary.Kind, Reason: a.Reason,
			Outcome: "held", Detail: "contact changed since the request; " + plural(len(res.Changes), "difference", "differences") + " shown"})
		return
	}
	b.log.Info("approval decided", "user", user, "request", a.ID, "state", res.Approval.State, "deletion", res.Approval.DeletionID)
}
