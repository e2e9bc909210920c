package bot

import (
	"context"
	"strings"

	"contactbot/crm"
)

// audit appends e to the audit trail and posts it to the audit channel.
// A failure is logged, never shown: the action itself already happened.
func (b *Bot) audit(ctx context.Context, e crm.AuditEntry) {
	stored, err := b.store.Audit(ctx, e)
	if err != nil {
		b.log.Error("write audit", "action", e.Action, "actor", e.Actor, "err", err)
		return
	}
	b.postAudit(ctx, stored)
}

// postAudit posts an already stored entry to AUDIT_CHANNEL, when set.
func (b *Bot) postAudit(ctx context.Context, e crm.AuditEntry) {
	if b.cfg.AuditChannel == "" {
		return
	}
	line := auditLine(e)
	if _, err := b.slack.Post(ctx, b.cfg.AuditChannel, Message{Text: line, Blocks: nil}); err != nil {
		b.log.Error("post audit line", "action", e.Action, "err", err)
	}
}

// auditLine is one readable line: when, who, what, on what, why, outcome.
// People are mentions and codes are labels, in entries written before this
// wording too: "requested by U123" in an outcome or detail becomes a mention.
func auditLine(e crm.AuditEntry) string {
	actor := mention(e.Actor)
	if e.Actor == "system" {
		actor = "contactbot"
	}
	parts := []string{slackDate(e.At), actor, actionLabel(e.Action)}
	if e.ContactID != "" {
		parts = append(parts, "contact `"+esc(e.ContactID)+"`")
	}
	if e.DeletionID != "" {
		parts = append(parts, "deletion `"+esc(e.DeletionID)+"`")
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
		if e.Action == crm.AuditApproved || e.Action == crm.AuditUndone { // contactbot's words, not a person's
			detail = mentionUsers(detail)
		}
		line += " (" + slackDates(detail) + ")"
	}
	return line
}
