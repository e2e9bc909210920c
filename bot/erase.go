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
// request that a second admin must approve, whoever asks.

// CallbackEraseModal is the privacy erasure window's callback id.
const CallbackEraseModal = "contact.erase.modal"

// eraseMeta travels in the window's private_metadata.
type eraseMeta struct {
	ContactID   string `json:"c"`
	Fingerprint string `json:"f"`
	// Origin says where the delete window it came from started (a message
	// shortcut's message origin), for the request's and the erasure's audit
	// lines (originText).
	Origin string `json:"v,omitempty"`
}

func (m *eraseMeta) valid() bool {
	return readOrigin(&m.Origin) && metaFieldsValid(m.ContactID, m.Fingerprint, "", "") && m.Fingerprint != ""
}

func (m eraseMeta) encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

// The erasure window's reference and confirmation.
var (
	eraseNote = textField{block: blockNote, label: "Reference", placeholder: "e.g. the ticket number of the request",
		hint: "It is replaced by “[erased]” too once the erasure is done.", maxLen: 200, it: "the reference"}
	eraseConfirm = confirmWord{word: "ERASE", done: "erased", hint: "In capital letters. DELETE does not confirm an erasure."}
)

// eraseWhy is why every erasure waits for a second admin.
const eraseWhy = "A privacy erasure always needs a second admin's approval, even when an admin asks: it cannot be restored."

// erasureView answers the delete window's "Privacy erasure request":
// nothing is deleted, and the window becomes the erasure window.
func (b *Bot) erasureView(ctx context.Context, user string, meta deleteMeta) *slack.ModalViewRequest {
	c, l, err := b.store.Linked(ctx, meta.ContactID)
	if err != nil {
		return infoModal("Not erased", "*Nothing was erased.* "+b.userMessage(err, "load contact for erasure", "contact", meta.ContactID))
	}
	b.log.Info("delete window: erasure reason, showing the erasure window", "user", user, "contact", c.ID)
	b.auditOpened(user, c.ID, windowErase, originDeleteWindow)
	v := b.eraseModal(c, l, eraseMeta{ContactID: c.ID, Fingerprint: l.Fingerprint, Origin: meta.Origin}, "*Nothing was deleted.* A privacy erasure is not a delete: it keeps no archive, so it has its own window, confirmed with ERASE.")
	return &v
}

// eraseModal is the privacy erasure window.
func (b *Bot) eraseModal(c crm.Contact, l crm.Linked, meta eraseMeta, banner string) slack.ModalViewRequest {
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	blocks = append(blocks,
		section(contactLine(c)+"\n"+dndLine(c, l)),
		section("*Erasing removes, with no archive:*\n"+strings.Join(linkedLines(l, b.cfg.CurrencyOf(c.LocationID)), "\n")),
		section("*This cannot be restored.* The contact and every linked row are deleted and no archive is kept. Its name, email and phone are replaced by “[erased]” in contactbot's records (the request, the deletion record, the audit trail). Its email and phone go on the suppression list with every channel permanent, so it is never messaged again."),
		section("🔒 *Nothing is erased until a second admin approves it* in "+channelRef(b.cfg.ApprovalsChannel)+". "+eraseWhy),
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
	var meta eraseMeta
	if !readMeta(cb.View.PrivateMetadata, &meta) {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not erased", "This window could not be read, so nothing was erased. Close it and search for the contact again."))
	}
	user := cb.User.ID
	note, confirm := typed(cb.View, blockNote), typed(cb.View, blockConfirm)
	errs := map[string]string{}
	if confirm == "DELETE" {
		errs[blockConfirm] = "DELETE does not confirm a privacy erasure: type ERASE in capital letters. Nothing was erased."
	} else if e := eraseConfirm.problem(confirm); e != "" {
		errs[blockConfirm] = e
	}
	if e := eraseNote.tooLong(note); e != "" {
		errs[blockNote] = e
	}
	if len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	c, l, err := b.store.Linked(ctx, meta.ContactID)
	if err != nil {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not erased", "*Nothing was erased.* "+b.userMessage(err, "load contact for erasure", "contact", meta.ContactID)))
	}
	if l.Fingerprint != meta.Fingerprint {
		b.log.Info("erasure refused: contact changed", "user", user, "contact", c.ID)
		v := b.eraseModal(c, l, eraseMeta{ContactID: c.ID, Fingerprint: l.Fingerprint, Origin: meta.Origin},
			"⚠️ *This contact changed since you opened this window.* Nothing was sent. Check it again and confirm if it should still be erased.")
		return slack.NewUpdateViewSubmissionResponse(&v)
	}
	return b.fileRequest(ctx, user, c, l, nil, crm.NewApproval{ContactID: c.ID, Requester: user, Reason: ReasonErasure, Note: note,
		Fingerprint: l.Fingerprint, Kind: crm.KindErasure, Via: b.originText(ctx, user, meta.Origin)}, eraseWhy)
}

// erasureSummary tells the requester an erasure is done. It names the
// contact by id only: the DM outlives the erasure.
func erasureSummary(res crm.Deleted) Message {
	d := res.Deletion
	text := fmt.Sprintf("Contact `%s` is erased: %s deleted with no archive. *This cannot be restored.*", esc(d.ContactID), countsLine(d.Counts))
	text += "\nIts email and phone are on the suppression list with every channel permanent: it is never messaged again."
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
