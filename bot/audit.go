package bot

import (
	"context"
	"strings"

	"contactbot/crm"
)

// audit appends e to the audit trail; its line for the audit channel is
// written with it and delivered by the outbox. A failure is logged, never
// shown: the action itself already happened.
func (b *Bot) audit(ctx context.Context, e crm.AuditEntry) {
	if _, err := b.store.Audit(ctx, e); err != nil {
		b.log.Error("write audit", "action", e.Action, "actor", e.Actor, "err", err)
	}
}

// batchRequestPrefix starts the contact id crm gives a clean-up request
// (one per filter), which is no contact.
const batchRequestPrefix = "batch:"

// auditLine is one readable line: when, who, what, on what, why, outcome.
// People are mentions and codes are labels, in entries written before this
// wording too: "requested by U123" in an outcome or detail becomes a mention.
func auditLine(e crm.AuditEntry) string {
	actor := mention(e.Actor)
	if e.Actor == "system" {
		actor = "contactbot"
	}
	parts := []string{slackDate(e.At), actor, actionLabel(e)}
	switch {
	case strings.HasPrefix(e.ContactID, batchRequestPrefix):
		// A clean-up request's stand-in for a contact: the request names it.
		parts = append(parts, "a batch of contacts,")
	case e.ContactID != "":
		parts = append(parts, "contact `"+esc(e.ContactID)+"`")
	}
	switch {
	case e.BatchID != "" && e.DeletionID == e.BatchID: // the batch's own line: "deleted clean-up batch `B…`"
		parts = append(parts, "`"+esc(e.BatchID)+"`")
	case e.DeletionID != "":
		parts = append(parts, "deletion `"+esc(e.DeletionID)+"`")
	}
	if e.BatchID != "" && e.DeletionID != e.BatchID {
		parts = append(parts, "of batch `"+esc(e.BatchID)+"`")
	}
	if e.RequestID != "" {
		parts = append(parts, "request `"+esc(e.RequestID)+"`")
	}
	line := strings.Join(parts, " ")
	switch {
	case e.Reason == "":
	case e.Action == crm.AuditUndone:
		line += " — undid: " + esc(reasonLabel(e.Reason))
	default:
		line += " — reason: " + esc(reasonLabel(e.Reason))
	}
	if e.Outcome != "" {
		line += " — " + mentionUsers(esc(e.Outcome))
	}
	if e.Detail != "" {
		detail := esc(e.Detail)
		switch e.Action { // "by U…" in contactbot's own words, not in a person's or the CRM's
		case crm.AuditApproved, crm.AuditFirstApproval, crm.AuditReviewAcknowledged, crm.AuditSuppressionRemoved:
			detail = mentionUsers(detail)
		case crm.AuditUndone:
			// "undid Set DND A… by U…: <what>": after the colon come
			// workflow names, which could hold "by U…" themselves.
			head, rest, found := strings.Cut(detail, ": ")
			detail = mentionUsers(head)
			if found {
				detail += ": " + rest
			}
		}
		line += " (" + slackDates(detail) + ")"
	}
	return line
}
