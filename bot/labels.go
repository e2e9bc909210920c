package bot

import (
	"regexp"
	"time"

	"contactbot/crm"
)

// Labels: what people read instead of the codes the database keeps.

// actionLabels word each audit action as what the actor did, so that an
// audit line reads "@jane deleted contact `…`".
var actionLabels = map[string]string{
	crm.AuditFind:            "found",
	crm.AuditDeleteRefused:   "was stopped from deleting",
	crm.AuditDeleteRequested: "asked to delete",
	crm.AuditApproved:        "approved the delete of",
	crm.AuditRejected:        "rejected the delete of",
	crm.AuditExpired:         "expired the request to delete",
	crm.AuditDeleted:         "deleted",
	crm.AuditReported:        "reported a wrong deletion of",
	crm.AuditRestored:        "restored",
	crm.AuditDNDSet:          "set DND on",
	crm.AuditFollowUpRemoved: "removed follow-up from",
	crm.AuditUndone:          "undid a change to",
	crm.AuditPurged:          "purged the archive of",
	crm.AuditDecisionRefused: "was refused a decision on",
	crm.AuditApprovalHeld:    "held the delete of",
	crm.AuditApprovalFailed:  "approved but could not delete",
	crm.AuditWithdrawn:       "withdrew the request to delete",
}

// actionLabel words an audit action; an unknown one (from a newer version)
// is shown with spaces for underscores.
func actionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return spaced(action)
}

// changeLabels name the changes an undo reverts (stored as the reason of an
// undo's audit line).
var changeLabels = map[string]string{
	crm.AuditDNDSet:          "Set DND",
	crm.AuditFollowUpRemoved: "Remove follow-up",
}

// stateLabels word the states of a delete request.
var stateLabels = map[string]string{
	crm.ApprovalPending:   "waiting for an admin",
	crm.ApprovalApproved:  "approved and deleted",
	crm.ApprovalRejected:  "rejected",
	crm.ApprovalExpired:   "expired",
	crm.ApprovalFailed:    "approved, but the contact was gone",
	crm.ApprovalWithdrawn: "withdrawn by the requester",
}

func stateLabel(state string) string {
	if l, ok := stateLabels[state]; ok {
		return l
	}
	return spaced(state)
}

// workflowStatusLabel words a workflow enrollment's status.
func workflowStatusLabel(status string) string {
	switch status {
	case "active":
		return "running"
	case "finished":
		return "finished"
	case "stopped":
		return "stopped"
	}
	return spaced(status)
}

func spaced(code string) string {
	b := []byte(code)
	for i, c := range b {
		if c == '_' {
			b[i] = ' '
		}
	}
	return string(b)
}

// byUserRe finds "by U…" in the text contactbot itself writes into audit
// lines ("requested by U123", "already reported by U123"), escaped already.
var byUserRe = regexp.MustCompile(`\bby ([UW][A-Z0-9]{2,})\b`)

// mentionUsers shows the user ids of such phrases as mentions.
func mentionUsers(escaped string) string {
	return byUserRe.ReplaceAllString(escaped, "by <@$1>")
}

// rfc3339Re finds the machine times contactbot wrote into audit details
// ("expires 2026-01-02T15:04:05.123456Z").
var rfc3339Re = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)

// slackDates shows such times in the one date style, slackDate.
func slackDates(s string) string {
	return rfc3339Re.ReplaceAllStringFunc(s, func(m string) string {
		t, err := time.Parse(time.RFC3339Nano, m)
		if err != nil {
			return m
		}
		return slackDate(t)
	})
}
