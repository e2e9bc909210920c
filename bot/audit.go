package bot

import (
	"context"
	"fmt"
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
