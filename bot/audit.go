package bot

import (
	"context"
	"fmt"
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
func auditLine(e crm.AuditEntry) string {
	actor := mention(e.Actor)
	if e.Actor == "system" {
		actor = "contactbot"
	}
	parts := []string{slackDate(e.At), actor, strings.ReplaceAll(e.Action, "_", " ")}
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
	if e.Reason != "" {
		line += fmt.Sprintf(" — reason: %s", esc(reasonLabel(e.Reason)))
	}
	if e.Outcome != "" {
		line += " — " + esc(e.Outcome)
	}
	if e.Detail != "" {
		line += " (" + esc(e.Detail) + ")"
	}
	return line
}
