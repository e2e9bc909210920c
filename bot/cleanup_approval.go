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

// A clean-up by someone who may not delete the batch directly is one
// request for the whole batch. Approve on it is never a click alone: it
// opens a window that shows the batch as it is now and asks the admin to
// type the count too, and only that window's submit deletes.

// CallbackBatchApproveModal is the window that confirms a clean-up request.
const CallbackBatchApproveModal = "approval.batch.modal"

// batchApproveMeta travels in that window's private_metadata: which
// request, and the batch the approver was shown. Both are checked again
// under the request's lock.
type batchApproveMeta struct {
	RequestID   string `json:"r"`
	Fingerprint string `json:"f"`
	Count       int    `json:"n"`
}

func (m *batchApproveMeta) valid() bool {
	return requestIDRe.MatchString(m.RequestID) && batchFingerprintRe.MatchString(m.Fingerprint) && m.Count > 0
}

func (m batchApproveMeta) encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

// batchAsked names what a clean-up request deletes: "*22 contacts*
// matching `email:*@qa.example.com`", with ref (", request `R…`") in
// parentheses after it.
func batchAsked(a crm.Approval, ref string) string {
	s := fmt.Sprintf("*%s* matching `%s`", esc(a.ContactLabel), esc(batchOf(a).Filter))
	if ref != "" {
		s += " (" + strings.TrimPrefix(ref, ", ") + ")"
	}
	return s
}

// batchOf is what a clean-up request asks to delete (empty for a request
// of another kind).
func batchOf(a crm.Approval) crm.BatchSummary {
	if a.Summary.Batch == nil {
		return crm.BatchSummary{}
	}
	return *a.Summary.Batch
}

// requestBatchApproval files one request for the batch the person
// confirmed, with its post in APPROVALS_CHANNEL and the requester's DM.
// It returns what the window shows.
func (b *Bot) requestBatchApproval(ctx context.Context, user string, p crm.BatchPreview, req crm.BatchRequest, why string) *slack.ViewSubmissionResponse {
	a, _, err := b.store.RequestBatchApproval(ctx, crm.NewBatchApproval{Filter: req.Filter, IncludeRisky: req.IncludeRisky, Limit: req.Limit,
		ExpectCount: req.ExpectCount, Fingerprint: req.ExpectFingerprint, Requester: user, Reason: req.Reason, Note: req.Note,
		TTL: b.cfg.ApprovalTTL, RequestLimit: b.cfg.RequestLimit,
		Notify: func(a crm.Approval) ([]outbox.Note, error) { return b.batchRequestNotes(a), nil }})
	notSent := func(text string) *slack.ViewSubmissionResponse {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not sent", text))
	}
	switch {
	case errors.Is(err, crm.ErrAlreadyRequested) && a.ID != "":
		return b.alreadyRequested(user, a, "delete "+batchAsked(a, ""))
	case errors.Is(err, crm.ErrTooManyRequests):
		return notSent(tooManyRequests(b.cfg.RequestLimit))
	case errors.Is(err, crm.ErrBatchChanged):
		return notSent("*Nothing was sent or deleted:* the contacts that match changed a moment ago. Run `" + DefaultCommandName + " cleanup " + esc(req.Filter.String()) + "` again and check the new list.")
	case err != nil:
		b.log.Info("clean-up request not recorded", "user", user, "code", crm.ErrorCode(err))
		return notSent("*Nothing was sent or changed.* " + b.userMessage(err, "record clean-up request"))
	}
	b.log.Info("clean-up requested", "user", user, "request", a.ID, "contacts", p.Count())
	return slack.NewUpdateViewSubmissionResponse(infoModal("Request sent", fmt.Sprintf(
		"*Nothing is deleted yet.* %s\n\nYour request to delete %s is in %s for an admin's approval (request `%s`); the admin types the count too. You will get a DM with the outcome; if nobody decides, it expires %s. Changed your mind? Withdraw it from the DM or from `%s deletions`.",
		why, batchAsked(a, ""), channelRef(b.cfg.ApprovalsChannel), a.ID, slackDate(a.ExpiresAt), DefaultCommandName)))
}

// batchRequestNotes announce a recorded clean-up request: its post in the
// approvals channel, then the requester's DM with the Withdraw button.
func (b *Bot) batchRequestNotes(a crm.Approval) []outbox.Note {
	text := fmt.Sprintf("📨 Your request to delete %s is waiting for an admin in %s (request `%s`). Nothing is deleted yet; you will hear the outcome here. It expires %s.",
		batchAsked(a, ""), channelRef(b.cfg.ApprovalsChannel), a.ID, slackDate(a.ExpiresAt))
	dm := noteAs(outbox.RequestDMRef(a.ID), a.Requester, Message{Text: text, Blocks: []slack.Block{
		section(text),
		slack.NewActionBlock("withdraw:"+a.ID, withdrawButton(a.ID)),
	}})
	dm.After = outbox.ApprovalRef(a.ID)
	return []outbox.Note{noteAs(outbox.ApprovalRef(a.ID), b.cfg.ApprovalsChannel, batchApprovalMessage(a)), dm}
}

// batchApprovalMessage is a clean-up request as the approvals channel shows
// it: who asks, the filter, the count, the totals and the first contacts;
// Approve and Reject while it waits, the outcome once decided.
func batchApprovalMessage(a crm.Approval) Message {
	bs, w := batchOf(a), wordsOf(crm.KindBatch)
	info := fmt.Sprintf(w.asked, mention(a.Requester), batchAsked(a, ""))
	info += "\n*Reason:* " + esc(reasonLabel(a.Reason))
	if a.Note != "" {
		info += " — " + esc(a.Note)
	}
	info += fmt.Sprintf("\n*Requested* %s · *expires* %s", slackDate(a.CreatedAt), slackDate(a.ExpiresAt))
	blocks := []slack.Block{header(cut(w.request+": "+a.ContactLabel, 150)), section(info),
		section(w.removes + "\n" + strings.Join(totalsLines(bs.Totals, bs.Count), "\n"))}
	var lines []string
	for _, c := range bs.First {
		line := fmt.Sprintf("• *%s* `%s` · %s", esc(c.Label), esc(c.ContactID), shortCounts(c.Counts))
		if len(c.Risks) > 0 {
			line += " · ⚠️ " + risksText(c.Risks)
		}
		lines = append(lines, line)
	}
	if more := bs.Count - len(bs.First); more > 0 {
		lines = append(lines, fmt.Sprintf("…and %d more", more))
	}
	blocks = append(blocks, listSections(fmt.Sprintf("*The %s:*", firstOf(bs.Count)), lines)...)
	if bs.Kept > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf("%s more match but are kept out of this batch (open opportunity, upcoming appointment, active workflow, opted out or a recent inbound message): they are not deleted.", plural(bs.Kept, "contact", "contacts"))))
	}
	if a.State == crm.ApprovalPending {
		blocks = append(blocks,
			slack.NewActionBlock("approval:"+a.ID,
				button(ActionApprove, a.ID, "Approve…", slack.StylePrimary),
				button(ActionReject, a.ID, "Reject", slack.StyleDanger),
			),
			contextBlock(fmt.Sprintf("Request `%s` · only an admin other than %s can decide; Approve asks for the count.", a.ID, mention(a.Requester))),
		)
	} else {
		blocks = append(blocks, section(outcomeLine(a)))
	}
	blocks = limitBlocks(blocks, maxMessageBlocks, func(int) string { return "…" })
	return Message{Text: fmt.Sprintf("Clean-up request %s for %s: %s", a.ID, esc(a.ContactLabel), stateLabel(a.State, crm.KindBatch)), Blocks: blocks}
}

// batchApproveClick answers Approve on a clean-up request, before the ack:
// it checks the clicker and opens the window that shows the batch as it is
// now and asks for the count.
func (b *Bot) batchApproveClick(ctx context.Context, cb slack.InteractionCallback, a crm.Approval) {
	user := cb.User.ID
	detail, text, ok := b.mayDecide(ctx, user, a)
	if ok {
		detail, text = b.closedNow(a)
	}
	if text != "" {
		b.refuseDecision(ctx, user, cb.ResponseURL, a, a.ID, detail, text)
		return
	}
	p, err := b.requestPreview(ctx, a)
	if err != nil {
		b.respond(ctx, cb.ResponseURL, *textMessage("*Nothing was deleted.* " + b.userMessage(err, "preview clean-up request", "request", a.ID)))
		return
	}
	if p.Count() == 0 {
		b.respond(ctx, cb.ResponseURL, *textMessage("None of the contacts of this request can be deleted in a batch now (they are gone or kept out). Nothing was deleted; reject the request."))
		return
	}
	banner := ""
	if p.Fingerprint != a.Fingerprint {
		banner = fmt.Sprintf("⚠️ *These contacts changed since %s asked* (%d to delete then, %d now). Approving deletes them as they are now, listed below.", mention(a.Requester), batchOf(a).Count, p.Count())
	}
	view := b.batchApproveModal(a, p, batchApproveMeta{RequestID: a.ID, Fingerprint: p.Fingerprint, Count: p.Count()}, banner)
	if _, err := b.openView(ctx, user, cb.TriggerID, view); err != nil {
		b.log.Error("open clean-up approval window", "request", a.ID, "err", err)
		b.respond(ctx, cb.ResponseURL, *textMessage("The window that confirms the clean-up could not be opened in time. Press *Approve…* again. Nothing was deleted."))
	}
}

// requestPreview previews a clean-up request's filter as it is now.
func (b *Bot) requestPreview(ctx context.Context, a crm.Approval) (crm.BatchPreview, error) {
	bs := batchOf(a)
	f, err := crm.ParseBatchFilter(bs.Filter)
	if err != nil {
		return crm.BatchPreview{}, err
	}
	return b.store.PreviewBatch(ctx, f, crm.BatchOptions{Limit: bs.Limit, IncludeRisky: bs.IncludeRisky})
}

// batchApproveModal is the window that confirms a clean-up request: who
// asks, the batch as it is now, and the count typed.
func (b *Bot) batchApproveModal(a crm.Approval, p crm.BatchPreview, meta batchApproveMeta, banner string) slack.ModalViewRequest {
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	info := fmt.Sprintf("%s asks to delete %s.\n*Reason:* %s", mention(a.Requester), batchAsked(a, ""), esc(reasonLabel(a.Reason)))
	if a.Note != "" {
		info += " — " + esc(a.Note)
	}
	blocks = append(blocks, section(info),
		section(fmt.Sprintf("*Deleting these %s removes:*\n%s", plural(p.Count(), "contact", "contacts"), strings.Join(totalsLines(p.Totals, p.Count()), "\n"))))
	blocks = append(blocks, listSections(fmt.Sprintf("*The %s:*", firstOf(p.Count())), contactList(p.Deletes, false))...)
	blocks = append(blocks, countInput(p.Count()))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackBatchApproveModal,
		Title:           plain(cut("Approve clean-up", maxModalTitle)),
		Submit:          plain("Delete"),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: limitBlocks(blocks, maxModalBlocks, func(int) string { return "…" })},
		PrivateMetadata: meta.encode(),
	}
}

// handleBatchApproveSubmit checks the window on the server: the count
// typed, who submits (an admin, not the requester), the request still
// open; then it approves after the ack. A batch that changed since the
// window is left alone, and the approver told.
func (b *Bot) handleBatchApproveSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	notDeleted := func(text string) *slack.ViewSubmissionResponse {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not deleted", text))
	}
	var meta batchApproveMeta
	if !readMeta(cb.View.PrivateMetadata, &meta) {
		return notDeleted("This window could not be read, so nothing was deleted. Press *Approve…* on the request again.")
	}
	if e := countProblem(typed(cb.View, blockConfirm), meta.Count); e != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockConfirm: e})
	}
	user := cb.User.ID
	a, detail, text, err := b.checkDecision(ctx, user, meta.RequestID)
	if err != nil {
		return notDeleted("*Nothing was deleted.* " + b.userMessage(err, "load approval request", "request", meta.RequestID))
	}
	if text == "" && a.Kind() != crm.KindBatch {
		detail, text = "not a clean-up", "This window confirms clean-up requests only, and that request is not one. Nothing was done."
	}
	if text == "" {
		detail, text = b.closedNow(a)
	}
	if text != "" {
		b.refuseDecision(ctx, user, "", a, meta.RequestID, detail, text)
		return notDeleted(text)
	}
	b.goBackground("approve clean-up", func(ctx context.Context) { b.approveBatch(ctx, user, a, meta) })
	return nil // the window closes; progress and the outcome arrive by DM
}

// approveBatch approves a clean-up request as confirmed by user and runs
// the batch, with its progress in user's DM. The requester and the
// approver get the summary; a refusal or a change reaches the approver.
func (b *Bot) approveBatch(ctx context.Context, user string, a crm.Approval, meta batchApproveMeta) {
	notDeleted := func(text string) Message { return *textMessage("*Nothing was deleted.* " + text) }
	op, err := b.store.StartOperation(ctx, crm.OperationDeleteBatch, user, "", fmt.Sprintf("%s (%s)", a.ContactLabel, batchOf(a).Filter))
	if err != nil {
		b.dm(ctx, user, notDeleted(b.userMessage(err, "start clean-up", "request", a.ID)))
		return
	}
	prog := b.startBatchProgress(ctx, op, user, meta.Count)
	defer prog.end()
	res, err := b.store.Approve(ctx, crm.Decision{RequestID: a.ID, Admin: user, ExpectFingerprint: meta.Fingerprint, ExpectCount: meta.Count,
		RestoreWindow: b.cfg.RestoreWindow, Confirmed: true, Operation: op.ID, Progress: prog.update,
		Notify: func(r crm.ApproveResult) ([]outbox.Note, error) { return b.decisionNotes(r.Approval, nil), nil },
		BatchNotify: func(res crm.BatchDeleted) ([]outbox.Note, error) {
			sum := batchSummary(res)
			notes := []outbox.Note{prog.outcome(sum, true)}
			if res.Batch.DeletedBy != user {
				notes = append(notes, note(res.Batch.DeletedBy, sum))
			}
			return notes, nil
		}})
	if detail, text, ok := closedRefusal(res.Approval, err); ok {
		b.refuseDecision(ctx, user, "", res.Approval, a.ID, detail, text)
		prog.fail(ctx, *textMessage(text))
		return
	}
	if err != nil {
		prog.fail(ctx, notDeleted(b.userMessage(err, "approve clean-up", "request", a.ID)))
		return
	}
	if res.Changed {
		b.log.Info("clean-up approval held: contacts changed", "user", user, "request", a.ID)
		now := 0
		if res.BatchPreview != nil {
			now = res.BatchPreview.Count()
		}
		prog.fail(ctx, notDeleted(fmt.Sprintf("the contacts of request `%s` changed after you opened the window (%d to delete then, %d now). Press *Approve…* on the request again to see them as they are now.", a.ID, meta.Count, now)))
		b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditApprovalHeld, RequestID: a.ID, RequestKind: crm.KindBatch, Reason: a.Reason,
			Outcome: "held", Detail: "contacts changed since the approval window opened"})
		return
	}
	b.log.Info("approval decided", "user", user, "request", a.ID, "state", res.Approval.State, "deletion", res.Approval.DeletionID)
}
