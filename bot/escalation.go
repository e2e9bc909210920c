package bot

import (
	"fmt"
	"strings"

	"contactbot/crm"
	"contactbot/outbox"
)

// adminsWho is how the call to the admins names them: the admin user group
// when one is configured, else each admin by name (but except, who asked
// for or did everything listed), else "Admins".
func (b *Bot) adminsWho(except string) string {
	if b.cfg.AdminUsergroupID != "" {
		return "<!subteam^" + b.cfg.AdminUsergroupID + ">"
	}
	var names []string
	for _, a := range b.cfg.AdminUserIDs {
		if a != except {
			names = append(names, mention(a))
		}
	}
	if len(names) == 0 {
		return "Admins"
	}
	return strings.Join(names, " ")
}

// escalationNotes escalate a request still open at three quarters of its
// time: a word to the admins in its thread (at the top level of the
// approvals channel when it was never posted), which calls nobody (the
// admins are called about every waiting request at once, adminCall), and
// a word to the requester.
func (b *Bot) escalationNotes(a crm.Approval) []outbox.Note {
	waited := durationWords(crm.EscalateAt(a.CreatedAt, a.ExpiresAt).Sub(a.CreatedAt))
	// The requester's DMs outlive an erasure: no contact details in them.
	told := requesterAsksRef(a, fmt.Sprintf(", request `%s`", a.ID))
	text := fmt.Sprintf("🔺 Admins: %s's request to %s has waited %s without a decision and expires %s. Approve or reject it above.",
		mention(a.Requester), requestAsks(a), waited, slackDate(a.ExpiresAt))
	channel := a.Channel
	if channel == "" {
		channel = b.cfg.ApprovalsChannel
		text += fmt.Sprintf(" (request `%s`; see `%s deletions`)", a.ID, DefaultCommandName)
	}
	call := note(channel, Message{Text: text})
	call.Thread = outbox.ApprovalRef(a.ID)
	dm := note(a.Requester, *textMessage(fmt.Sprintf("🔺 No admin has decided on your request to %s in %s, so it was escalated to the admins. It expires %s; you will hear the outcome here.",
		told, waited, slackDate(a.ExpiresAt))))
	return []outbox.Note{call, dm}
}

// adminCallLines bounds the requests, and the reviews, one call lists; the
// rest are counted.
const adminCallLines = 30

// adminCall is the one message, at most hourly, that calls the admins (the
// user group, else each admin) about every request waiting for a decision
// and every review waiting for an acknowledgement, oldest first, when a
// reminder or escalation is due: fourteen of them are one mention, not
// fourteen.
func (b *Bot) adminCall(call crm.AdminCall) outbox.Note {
	// An admin who asked for every request listed and did alone everything
	// to review can neither decide nor acknowledge any of it.
	except := ""
	if len(call.Requests) > 0 {
		except = call.Requests[0].Requester
	} else if len(call.Reviews) > 0 {
		except = call.Reviews[0].Actor
	}
	for _, a := range call.Requests {
		if a.Requester != except {
			except = ""
		}
	}
	for _, r := range call.Reviews {
		if r.Actor != except {
			except = ""
		}
	}
	var lines []string
	// listed writes one group of n things waiting: its sentence (the
	// call's first names the admins), then its first adminCallLines lines
	// and a count of the rest.
	listed := func(n int, sentence string, line func(i int) string) {
		if n == 0 {
			return
		}
		if len(lines) == 0 {
			sentence = fmt.Sprintf("🔔 %s: %s", b.adminsWho(except), sentence)
		}
		lines = append(lines, sentence)
		for i := range min(n, adminCallLines) {
			lines = append(lines, line(i))
		}
		if n > adminCallLines {
			lines = append(lines, fmt.Sprintf("• and %d more: see `%s deletions`.", n-adminCallLines, DefaultCommandName))
		}
	}
	n := len(call.Requests)
	listed(n, fmt.Sprintf("%s for a decision. Approve or reject each in its thread in this channel, or see `%s deletions`.",
		pluralNoun(n, "1 request is waiting", fmt.Sprintf("%d requests are waiting", n)), DefaultCommandName),
		func(i int) string {
			a := call.Requests[i]
			// An erasure by contact id only: this message lists other
			// requests too, and must not keep an erased person's name.
			return fmt.Sprintf("• %s's request to %s (request `%s`), waiting since %s, expires %s",
				mention(a.Requester), requestAsksRequester(a), a.ID, slackDate(a.CreatedAt), slackDate(a.ExpiresAt))
		})
	n = len(call.Reviews)
	listed(n, fmt.Sprintf("%s for another admin. Look at each in this channel and press *Acknowledge* (not on your own), or see `%s deletions`.",
		pluralNoun(n, "1 review of what an admin did alone is waiting", fmt.Sprintf("%d reviews of what an admin did alone are waiting", n)), DefaultCommandName),
		func(i int) string {
			r := call.Reviews[i]
			return fmt.Sprintf("• %s's %s of *%s* (`%s`) (deletion `%s`), waiting since %s",
				mention(r.Actor), reviewedAct(r), esc(reviewLabel(r)), esc(r.ContactID), esc(r.DeletionID), slackDate(r.CreatedAt))
		})
	return note(b.cfg.ApprovalsChannel, Message{Text: strings.Join(lines, "\n")})
}
