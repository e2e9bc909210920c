package bot

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"contactbot/crm"
	"contactbot/internal/words"
)

// Labels: what people read instead of the codes the database keeps.

// actionLabels word each audit action as what the actor did, so that an
// audit line reads "@jane deleted contact `…`" (those about a request are
// in requestActionLabels).
var actionLabels = map[string]string{
	crm.AuditFind:                        "found",
	crm.AuditDeleteRefused:               "was stopped from deleting",
	crm.AuditDeleted:                     "deleted",
	crm.AuditBatchDeleted:                "deleted clean-up batch",
	crm.AuditBatchRestored:               "restored clean-up batch",
	crm.AuditReported:                    "reported a wrong deletion of",
	crm.AuditRestored:                    "restored",
	crm.AuditDNDSet:                      "set DND on",
	crm.AuditFollowUpRemoved:             "removed follow-up from",
	crm.AuditUndone:                      "undid a change to",
	crm.AuditPurged:                      "purged the archive of",
	crm.AuditDecisionRefused:             "was refused a decision on",
	crm.AuditReviewAcknowledged:          "acknowledged the review of",
	crm.AuditExported:                    "exported the audit trail",
	crm.AuditDNDReapplied:                "re-applied a deleted contact's DND to",
	crm.AuditMerged:                      "merged",
	crm.AuditErased:                      "erased",
	crm.AuditSuppressionRemoved:          "removed a suppression entry of",
	crm.AuditSuppressionRemovalRequested: "asked to remove a suppression entry of",
}

// requestActionLabels word the audit actions about a request by what it
// asks: "approved the merge of", "withdrew the request to erase".
var requestActionLabels = map[string]func(k crm.Kind) string{
	crm.AuditDeleteRequested: func(k crm.Kind) string { return "asked to " + wordsOf(k).verb },
	crm.AuditApproved:        func(k crm.Kind) string { return "approved the " + wordsOf(k).noun + " of" },
	crm.AuditFirstApproval:   func(k crm.Kind) string { return "gave the first of two approvals to the " + wordsOf(k).noun + " of" },
	crm.AuditRejected:        func(k crm.Kind) string { return "rejected the " + wordsOf(k).noun + " of" },
	crm.AuditExpired:         func(k crm.Kind) string { return "expired the request to " + wordsOf(k).verb },
	crm.AuditApprovalHeld:    func(k crm.Kind) string { return "held the " + wordsOf(k).noun + " of" },
	crm.AuditApprovalFailed:  func(k crm.Kind) string { return "approved but could not " + wordsOf(k).verb },
	crm.AuditWithdrawn:       func(k crm.Kind) string { return "withdrew the request to " + wordsOf(k).verb },
}

// actionLabel words an entry's audit action, one about a request by what
// the request asks; an unknown one (from a newer version) is shown with
// spaces for underscores.
func actionLabel(e crm.AuditEntry) string {
	if l, ok := requestActionLabels[e.Action]; ok {
		return l(e.RequestKind)
	}
	if l, ok := actionLabels[e.Action]; ok {
		return l
	}
	return spaced(e.Action)
}

// changeLabels name the changes an undo reverts (stored as the reason of an
// undo's audit line).
var changeLabels = map[string]string{
	crm.AuditDNDSet:          "Set DND",
	crm.AuditFollowUpRemoved: "Remove follow-up",
}

// stateLabels word the states of a request (an approved one says what was
// done: stateLabel).
var stateLabels = map[crm.ApprovalState]string{
	crm.ApprovalPending:   "waiting for an admin",
	crm.ApprovalRejected:  "rejected",
	crm.ApprovalExpired:   "expired",
	crm.ApprovalFailed:    "approved, but the contact was gone",
	crm.ApprovalWithdrawn: "withdrawn by the requester",
}

// stateLabel words the state of a request of kind k: "approved and merged".
func stateLabel(state crm.ApprovalState, k crm.Kind) string {
	if state == crm.ApprovalApproved {
		return "approved and " + wordsOf(k).done
	}
	if l, ok := stateLabels[state]; ok {
		return l
	}
	return spaced(string(state))
}

// purgedLabel is a deletion's contact label, or says the purge of its
// archive took it.
func purgedLabel(label string) string {
	if label == "" {
		return "(details purged)"
	}
	return label
}

// workflowStatusLabel words a workflow enrollment's status ("running").
func workflowStatusLabel(status string) string { return crm.WorkflowStatusLabel(status) }

// itemNames name what the CRM counts, one and many: the linked tables
// (crm.Counts.Kinds) and the figures of a request's summary (crm.Summary,
// by JSON name), as change lists and summaries show them.
var itemNames = map[string][2]string{
	"conversations": {"conversation", "conversations"}, "messages": {"message", "messages"},
	"notes": {"note", "notes"}, "opportunities": {"opportunity", "opportunities"},
	"tasks": {"task", "tasks"}, "appointments": {"appointment", "appointments"},
	"workflow_enrollments":  {"workflow enrollment", "workflow enrollments"},
	"dnd_settings":          {"DND setting", "DND settings"},
	"open_opportunities":    {"open opportunity", "open opportunities"},
	"open_tasks":            {"open task", "open tasks"},
	"upcoming_appointments": {"upcoming appointment", "upcoming appointments"},
	"active_workflows":      {"active workflow", "active workflows"},
}

// itemLabel names a counted item in the plural, as a change list's "messages
// 6 → 7" does.
func itemLabel(item string) string {
	if n, ok := itemNames[item]; ok {
		return n[1]
	}
	return spaced(item)
}

// changeText words one difference of a held approve, as mrkdwn: labels for
// items and DND channels, amounts in the contact's currency cur.
func changeText(c crm.Change, cur string) string {
	switch c.Kind {
	case crm.ChangeCount:
		return fmt.Sprintf("%s %s → %s", itemLabel(c.Item), esc(c.Before), esc(c.After))
	case crm.ChangeOpenValue:
		return fmt.Sprintf("open opportunity value %s → %s", esc(money(cur, c.Before)), esc(money(cur, c.After)))
	case crm.ChangeDND:
		return fmt.Sprintf("DND %s → %s", dndSummary(c.DNDBefore), dndSummary(c.DNDAfter))
	case crm.ChangeName:
		return fmt.Sprintf("name %s → %s", esc(c.Before), esc(c.After))
	case crm.ChangeEdited:
		return "the contact's details were edited"
	case crm.ChangeSinceConfirmed:
		return "the contact changed again since the state you confirmed"
	case crm.ChangeMergeTarget:
		return "the contact it merges into changed"
	}
	return "the contact's details changed"
}

// dndSummary words the opted-out channels of a request's summary: "off",
// "on for SMS, Calls", "on for all channels".
func dndSummary(chs []string) string {
	if len(chs) == 0 {
		return "off"
	}
	var on []string
	for _, ch := range chs {
		if ch == crm.SummaryDNDAll {
			on = append(on, "all channels")
		} else {
			on = append(on, esc(channelLabel(ch)))
		}
	}
	return "on for " + strings.Join(on, ", ")
}

// spaced shows a code it has no word for with spaces for underscores.
func spaced(code string) string { return words.Spaced(code) }

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
