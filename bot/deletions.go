package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// deletionsShown bounds a listing of requests: two blocks each stay under
// Slack's 50. reviewsShown bounds the reviews below them; limitBlocks cuts
// what would still go over.
const (
	deletionsShown = 20
	reviewsShown   = 5
)

// deletionsCommand answers `/contact deletions [mine]`: for admins the
// requests waiting for a decision and the reviews waiting for them, with
// the buttons to decide and acknowledge; for everyone
// (and for admins with "mine") their own requests and how they ended.
func (b *Bot) deletionsCommand(ctx context.Context, name, user, rest string) *Message {
	arg := strings.ToLower(strings.TrimSpace(rest))
	if arg != "" && arg != "mine" {
		return textMessage(fmt.Sprintf("Use `%[1]s deletions` for the requests you can act on, or `%[1]s deletions mine` for your own.", name))
	}
	if arg == "" && b.isAdmin(ctx, user) {
		return b.pendingList(ctx, user)
	}
	return b.ownList(ctx, name, user)
}

// pendingList shows an admin what waits for them, oldest first: the open
// requests, then the reviews of what another admin did alone (their own
// wait for someone else), each with the buttons the Home tab has.
func (b *Bot) pendingList(ctx context.Context, admin string) *Message {
	list, err := b.store.PendingApprovals(ctx, deletionsShown+1)
	if err != nil {
		return textMessage(b.userMessage(err, "list pending requests"))
	}
	reviews, reviewTotal, err := b.store.ReviewsFor(ctx, admin, reviewsShown)
	if err != nil {
		return textMessage(b.userMessage(err, "list reviews waiting"))
	}
	if len(list) == 0 && reviewTotal == 0 {
		return textMessage("Nothing is waiting for you: no requests to decide and no reviews to acknowledge. 🎉")
	}
	more := len(list) > deletionsShown
	if more {
		list = list[:deletionsShown]
	}
	var titles []string
	var blocks []slack.Block
	if len(list) > 0 {
		title := plural(len(list), "request waiting", "requests waiting")
		if more {
			title = fmt.Sprintf("The %d oldest requests waiting", len(list))
		}
		titles = append(titles, title)
		blocks = append(blocks, header(title))
	}
	now := b.now()
	for _, a := range list {
		text := waitingLine(a)
		blocks = append(blocks, section(text))
		switch {
		case !now.Before(a.ExpiresAt):
			blocks = append(blocks, contextBlock(expiredClosing))
		case a.Requester == admin:
			blocks = append(blocks, contextBlock("This is your request: another admin decides on it."),
				slack.NewActionBlock("withdraw:"+a.ID, withdrawButton(a.ID)))
		default:
			blocks = append(blocks, slack.NewActionBlock("approval:"+a.ID,
				button(ActionApprove, a.ID, "Approve", slack.StylePrimary),
				button(ActionReject, a.ID, "Reject", slack.StyleDanger)))
		}
	}
	if more {
		blocks = append(blocks, contextBlock("More are waiting: decide on these first, or see "+channelRef(b.cfg.ApprovalsChannel)+"."))
	}
	if reviewTotal > 0 {
		titles = append(titles, plural(reviewTotal, "review to acknowledge", "reviews to acknowledge"))
		blocks = append(blocks, reviewsHeader(reviewTotal))
		for _, r := range reviews {
			blocks = append(blocks, reviewEntry(r, admin)...)
		}
		if reviewTotal > len(reviews) {
			blocks = append(blocks, contextBlock(fmt.Sprintf("%d more: see %s.", reviewTotal-len(reviews), channelRef(b.cfg.ApprovalsChannel))))
		}
	}
	return &Message{Text: strings.Join(titles, " · "), Blocks: limitBlocks(blocks, maxMessageBlocks, func(int) string { return "and more: see " + channelRef(b.cfg.ApprovalsChannel) + "." })}
}

// ownList shows a person's own requests, newest first.
func (b *Bot) ownList(ctx context.Context, name, user string) *Message {
	list, err := b.store.ApprovalsBy(ctx, user, deletionsShown)
	if err != nil {
		return textMessage(b.userMessage(err, "list own requests"))
	}
	if len(list) == 0 {
		return textMessage(fmt.Sprintf("You have not asked for any deletes. When `%s delete …` needs an admin's approval, your requests show here.", name))
	}
	title := "Your requests"
	blocks := []slack.Block{header(title)}
	now := b.now()
	for _, a := range list {
		status := outcomeLine(a)
		open := a.State == crm.ApprovalPending && now.Before(a.ExpiresAt)
		if a.State == crm.ApprovalPending {
			status = "⏳ Waiting for an admin in " + channelRef(b.cfg.ApprovalsChannel) + " · expires " + slackDate(a.ExpiresAt)
			if !open {
				status = expiredClosing
			}
		}
		blocks = append(blocks, section(requestLine(a)+fmt.Sprintf("\nAsked %s\n", slackDate(a.CreatedAt))+status))
		if open {
			blocks = append(blocks, slack.NewActionBlock("withdraw:"+a.ID, withdrawButton(a.ID)))
		}
	}
	return &Message{Text: title, Blocks: limitBlocks(blocks, maxMessageBlocks, func(int) string { return "and older ones not shown." })}
}

// waitingLine is a waiting request in an admin's list: what it asks, who
// asked when, when it expires.
func waitingLine(a crm.Approval) string {
	return requestLine(a) + fmt.Sprintf("\nAsked by %s %s · expires %s", mention(a.Requester), slackDate(a.CreatedAt), slackDate(a.ExpiresAt))
}

// expiredClosing says a request is past its time and the approval jobs
// (every few seconds) are about to close it.
const expiredClosing = "⌛ Expired; it closes in a few seconds."

// requestLine names a request: what it asks (a merge and an erasure say
// so), contact, reason, note, id.
func requestLine(a crm.Approval) string {
	who := fmt.Sprintf("*%s* `%s`", esc(a.ContactLabel), esc(a.ContactID))
	s := fmt.Sprintf(wordsOf(a.Kind()).listed, who, esc(a.Summary.MergeInto), esc(reasonLabel(a.Reason)))
	if a.Note != "" {
		s += " — " + esc(cut(a.Note, 200))
	}
	return s + " · request `" + a.ID + "`"
}
