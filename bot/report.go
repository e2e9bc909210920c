package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// The modal that asks what was wrong with a deletion before reporting it.
const (
	CallbackReportModal = "deletion.report.modal" // private_metadata: reportMeta
	blockReportNote     = "report_note"
)

// reportNote is the report window's "What was wrong?".
var reportNote = textField{block: blockReportNote, label: "What was wrong?", placeholder: "e.g. she is a customer, not a duplicate",
	hint: "Shown to the admins in the incident.", multiline: true, maxLen: crm.MaxReportNote, it: "it"}

// deletionIDRe is the shape of crm.NewID("D", 10), or of a batch's id
// (its own deletion record, "B"), in any case: people type ids as they
// read them.
var deletionIDRe = regexp.MustCompile(`^[DdBb][A-Za-z2-9]{10}$`)

// normalID puts a deletion or request id typed in any case into the case
// contactbot issues it in; anything else (an email, a phone number, a
// contact id, whose case matters) is returned as it is.
func normalID(s string) string {
	s = strings.TrimSpace(s)
	if deletionIDRe.MatchString(s) || requestIDRe.MatchString(strings.ToUpper(s)) {
		return strings.ToUpper(s)
	}
	return s
}

// reportMeta travels in the report modal's private_metadata.
type reportMeta struct {
	DeletionID  string `json:"d"`
	ResponseURL string `json:"ru,omitempty"`
}

func (m *reportMeta) valid() bool { return deletionIDRe.MatchString(m.DeletionID) }

// openReportModal answers Report wrong deletion (button or command): it
// checks the deletion can still be reported and opens the small window that
// asks what was wrong. A deletion that cannot be reported, or that was
// reported already, is answered at once instead. The answer to the report
// itself goes to responseURL, or by DM.
func (b *Bot) openReportModal(ctx context.Context, user, triggerID, deletionID, responseURL string) *Message {
	deletionID = normalID(deletionID)
	d, err := b.store.Deletion(ctx, deletionID)
	if err != nil {
		return textMessage(b.refusal(err, d, "load deletion to report"))
	}
	if d.RestoredAt != nil || d.WindowClosed(b.now()) {
		return b.report(ctx, user, d.ID, "") // words the refusal, audited as before
	}
	if _, found, err := b.store.Incident(ctx, d.ID); err == nil && found {
		return b.report(ctx, user, d.ID, "") // points to the incident already posted
	}
	label := purgedLabel(d.ContactLabel)
	meta, _ := json.Marshal(reportMeta{DeletionID: d.ID, ResponseURL: responseURL})
	if len(meta) > maxMetadata {
		meta, _ = json.Marshal(reportMeta{DeletionID: d.ID})
	}
	w := deletionWords(d)
	ask := fmt.Sprintf("Report the %s of *%s* (deletion `%s`, %s by %s %s) as wrong? It is posted in %s, where an admin can %s until %s.",
		w.record, esc(label), esc(d.ID), w.done, mention(d.DeletedBy), slackDate(d.DeletedAt), channelMention(b.cfg.IncidentChannel), w.restore, slackDate(d.RestoreUntil))
	view := slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackReportModal,
		Title:      plain(cut(w.reportWrong(), maxModalTitle)),
		Submit:     plain("Report"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section(ask),
			reportNote.input(),
		}},
		PrivateMetadata: string(meta),
	}
	if _, err := b.openView(ctx, user, triggerID, view); err != nil {
		// Reporting matters more than the note: report without one.
		b.log.Warn("open report modal failed; reporting without a note", "deletion", d.ID, "err", err)
		return b.report(ctx, user, d.ID, "")
	}
	return nil
}

// handleReportSubmit reports the deletion with what the person said was
// wrong; the incident is posted after the ack and the answer follows.
func (b *Bot) handleReportSubmit(_ context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	var meta reportMeta
	if !readMeta(cb.View.PrivateMetadata, &meta) {
		return slack.NewUpdateViewSubmissionResponse(infoModal("Not reported", "This window could not be read, so nothing was reported. Press *Report wrong deletion* again, or use `/contact report` with the deletion id."))
	}
	meta.ResponseURL = b.slackURL(meta.ResponseURL, "report window")
	note := typed(cb.View, blockReportNote)
	if e := reportNote.tooLong(note); e != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockReportNote: e})
	}
	user := cb.User.ID
	b.goBackground("report", func(ctx context.Context) {
		answer := b.report(ctx, user, meta.DeletionID, note)
		if meta.ResponseURL != "" && b.slack.Respond(ctx, meta.ResponseURL, *answer, false) == nil {
			return
		}
		b.dm(ctx, user, *answer)
	})
	return nil // closes the window
}
