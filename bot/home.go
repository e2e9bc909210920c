package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// The App Home tab: what waits for the person who opens it. Admins see the
// requests, incidents and reviews that wait for an admin; everyone sees
// their own open requests (with Withdraw) and their deletions of the last 30 days, and a
// button to find a contact. Its buttons are the same as in the channels
// (same action ids, same handlers, same checks); their answers go by DM, as
// the Home tab has no response_url.

// Home tab bounds: each list shows at most homeListShown entries (two
// blocks each), so that five such lists and the admins' suppression hits
// (one block for all) stay within Slack's 100 blocks.
const (
	homeListShown   = 7
	maxHomeBlocks   = 100
	homeRecentSince = 30 * 24 * time.Hour
)

// homeStream prefixes the outbox streams of Home tab refreshes: one per
// user ("home:U123"), and homeFanoutStream for changes whose readers are
// resolved at delivery.
const (
	homeStream       = "home:"
	homeFanoutStream = "home:*"
)

// isHomeStream reports whether an outbox note is a Home tab refresh.
func isHomeStream(channel string) bool { return strings.HasPrefix(channel, homeStream) }

// homeNote asks for user's Home tab to be published again, from the data as
// it is when the note is delivered; refreshes of one user coalesce.
func homeNote(user string) outbox.Note {
	return outbox.Note{Channel: homeStream + user, Payload: []byte(`{"home":` + jsonString(user) + `}`), Coalesce: true}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// homeFanout names whose Home tabs a change concerns, by what is known when
// it is written; delivery resolves it to users (the requester of a request,
// who deleted, approved and reported a deletion, the admins).
type homeFanout struct {
	Users     []string `json:"users,omitempty"`
	Requests  []string `json:"requests,omitempty"`
	Deletions []string `json:"deletions,omitempty"`
	Admins    bool     `json:"admins,omitempty"`
}

// homeRefreshNotes are the Home tab refreshes an audit entry calls for,
// written in the entry's transaction: every change the bot makes is
// audited, so every change reaches the tabs that show it.
func homeRefreshNotes(e crm.AuditEntry) []outbox.Note {
	var f homeFanout
	if e.Actor != "" && e.Actor != "system" {
		f.Users = []string{e.Actor}
	}
	switch e.Action {
	case crm.AuditDeleteRequested:
		f.Admins = true
	case crm.AuditApproved, crm.AuditFirstApproval, crm.AuditRejected, crm.AuditExpired, crm.AuditApprovalFailed, crm.AuditWithdrawn:
		f.Requests, f.Admins = []string{e.RequestID}, true
	case crm.AuditDeleted, crm.AuditMerged:
		// Admins too when an admin deleted or merged alone: the review
		// waits for them.
		f.Deletions = []string{e.DeletionID}
	case crm.AuditReported, crm.AuditRestored, crm.AuditPurged, crm.AuditErased:
		f.Deletions, f.Admins = []string{e.DeletionID}, true
	case crm.AuditDNDReapplied:
		// Written by the database's triggers: its line reaches the bot
		// through Store.FeedReapplied, which writes these notes too.
		f.Admins = true
	case crm.AuditReviewAcknowledged, crm.AuditSuppressionRemoved:
		// A removal one admin did alone opens a review.
		f.Admins = true
	default:
		return nil
	}
	b2, err := json.Marshal(f)
	if err != nil {
		return nil
	}
	return []outbox.Note{{Channel: homeFanoutStream, Payload: b2}}
}

// sendHome delivers a Home tab note: a fan-out becomes one refresh per
// user it concerns who has a Home tab; a refresh publishes that tab.
func (b *Bot) sendHome(ctx context.Context, o outbox.Outgoing) (outbox.Sent, error) {
	if o.Channel == homeFanoutStream {
		var f homeFanout
		if err := json.Unmarshal(o.Payload, &f); err != nil {
			return outbox.Sent{}, &outbox.DeliveryError{Err: fmt.Errorf("decode Home fan-out: %w", err), GiveUp: true}
		}
		users, err := b.homeReaders(ctx, f)
		if err != nil {
			return outbox.Sent{}, &outbox.DeliveryError{Err: err, RetryIn: time.Second}
		}
		var notes []outbox.Note
		for _, u := range users {
			notes = append(notes, homeNote(u))
		}
		if err := b.store.Enqueue(ctx, notes...); err != nil {
			return outbox.Sent{}, &outbox.DeliveryError{Err: err, RetryIn: time.Second}
		}
		return outbox.Sent{}, nil
	}
	user := strings.TrimPrefix(o.Channel, homeStream)
	has, err := b.store.HasHome(ctx, user)
	if err != nil {
		return outbox.Sent{}, &outbox.DeliveryError{Err: err, RetryIn: time.Second}
	}
	if !has {
		return outbox.Sent{}, nil // never opened: published when they first open it
	}
	v, err := b.homeView(ctx, user)
	if err != nil {
		return outbox.Sent{}, &outbox.DeliveryError{Err: err, RetryIn: backoff(o.Attempts)}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return outbox.Sent{}, b.classify(b.slack.PublishHome(ctx, user, v), o)
}

// homeReaders resolves a fan-out to the users with a Home tab it concerns.
func (b *Bot) homeReaders(ctx context.Context, f homeFanout) ([]string, error) {
	want := map[string]bool{}
	for _, u := range f.Users {
		want[u] = true
	}
	for _, id := range f.Requests {
		a, err := b.store.Approval(ctx, id)
		if err != nil {
			if crm.ErrorCode(err) == crm.ENOTFOUND {
				continue
			}
			return nil, err
		}
		want[a.Requester] = true
	}
	for _, id := range f.Deletions {
		d, err := b.store.DeletionItemOf(ctx, id)
		if err != nil {
			if crm.ErrorCode(err) == crm.ENOTFOUND {
				continue
			}
			return nil, err
		}
		want[d.DeletedBy] = true
		if d.ApprovedBy != nil {
			want[*d.ApprovedBy] = true
		}
		if d.Reported {
			want[d.ReportedBy] = true
		}
		if _, reviewed, err := b.store.ReviewOf(ctx, crm.ReviewDelete, id); err != nil {
			return nil, err
		} else if reviewed {
			f.Admins = true
		}
	}
	users, err := b.store.HomeUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range users {
		if want[u] || (f.Admins && b.isAdmin(ctx, u)) {
			out = append(out, u)
		}
	}
	return out, nil
}

// openHome records that user opened the Home tab and has it published
// through the outbox (at once, by this replica's worker).
func (b *Bot) openHome(ctx context.Context, user string) {
	if err := b.store.HomeOpened(ctx, user); err != nil {
		b.log.Error("record Home tab", "user", user, "err", err)
		return
	}
	if err := b.store.Enqueue(ctx, homeNote(user)); err != nil {
		b.log.Error("publish Home tab", "user", user, "err", err)
	}
}

// homeView renders user's Home tab: for admins what waits for an admin,
// for everyone their own requests and deletions.
func (b *Bot) homeView(ctx context.Context, user string) (slack.HomeTabViewRequest, error) {
	admin := b.isAdmin(ctx, user)
	intro := "Find a contact and see everything a delete would take, or pick up what waits for you below. Buttons here do what they do in the channels; answers come by DM."
	blocks := []slack.Block{
		header("contactbot"),
		section(intro),
		slack.NewActionBlock("home:find", button(ActionFindContact, "", "Find a contact", slack.StylePrimary)),
	}
	var sections []homeSection
	if admin {
		sections = append(sections, b.homeRequests, b.homeIncidents, b.homeReviews, b.homeSuppressionHits)
	}
	sections = append(sections, b.homeOwnRequests, b.homeOwnDeletions)
	for _, s := range sections {
		more, err := s(ctx, user)
		if err != nil {
			return slack.HomeTabViewRequest{}, err
		}
		blocks = append(blocks, slack.NewDividerBlock())
		blocks = append(blocks, more...)
	}
	blocks = append(blocks, contextBlock(fmt.Sprintf("Updated %s. This tab refreshes when something in it changes.", slackDate(b.now()))))
	blocks = limitBlocks(blocks, maxHomeBlocks, func(int) string {
		return fmt.Sprintf("and more: see `%s deletions`.", DefaultCommandName)
	})
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}, nil
}

// homeSection renders one list of the Home tab for user.
type homeSection func(ctx context.Context, user string) ([]slack.Block, error)

// listTail closes a list: "None." when empty, and how many more there are.
func listTail(blocks []slack.Block, shown, total int, empty, more string) []slack.Block {
	switch {
	case total == 0:
		return append(blocks, contextBlock(empty))
	case total > shown:
		return append(blocks, contextBlock(fmt.Sprintf("%d more: %s", total-shown, more)))
	}
	return blocks
}

// homeRequests: every request waiting for an admin, oldest first, with
// Approve and Reject (or a note on the admin's own request).
func (b *Bot) homeRequests(ctx context.Context, user string) ([]slack.Block, error) {
	list, err := b.store.PendingApprovals(ctx, homeListShown)
	if err != nil {
		return nil, err
	}
	total, err := b.store.CountPendingApprovals(ctx)
	if err != nil {
		return nil, err
	}
	blocks := []slack.Block{header(fmt.Sprintf("Requests waiting for an admin (%d)", total))}
	now := b.now()
	for _, a := range list {
		blocks = append(blocks, section(waitingLine(a)))
		switch {
		case !now.Before(a.ExpiresAt):
			blocks = append(blocks, contextBlock(expiredClosing))
		case a.Requester == user:
			blocks = append(blocks, contextBlock("This is your request: another admin decides on it."))
		default:
			blocks = append(blocks, slack.NewActionBlock("approval:"+a.ID,
				button(ActionApprove, a.ID, "Approve", slack.StylePrimary),
				button(ActionReject, a.ID, "Reject", slack.StyleDanger)))
		}
	}
	return listTail(blocks, len(list), total, "None waiting. 🎉",
		fmt.Sprintf("see `%s deletions` or %s.", DefaultCommandName, channelRef(b.cfg.ApprovalsChannel))), nil
}

// homeIncidents: deletions reported as wrong that can still be restored.
func (b *Bot) homeIncidents(ctx context.Context, _ string) ([]slack.Block, error) {
	list, total, err := b.store.OpenIncidents(ctx, homeListShown)
	if err != nil {
		return nil, err
	}
	blocks := []slack.Block{header(fmt.Sprintf("Wrong deletions reported (%d)", total))}
	for _, d := range list {
		record, restore := "deletion", "Restore"
		if d.IsBatch() {
			record, restore = "batch", fmt.Sprintf("Restore all %d", d.BatchDeleted)
		}
		text := fmt.Sprintf("*%s* · %s `%s`\nReported by %s %s · deleted by %s %s · restorable until %s",
			esc(d.ContactLabel), record, esc(d.ID), mention(d.ReportedBy), slackDate(deref(d.ReportedAt)), mention(d.DeletedBy), slackDate(d.DeletedAt), slackDate(d.RestoreUntil))
		blocks = append(blocks, section(text),
			slack.NewActionBlock("incident:"+cut(d.ID, 200), button(ActionRestore, d.ID, restore, slack.StylePrimary)))
	}
	return listTail(blocks, len(list), total, "None open.", "see "+channelRef(b.cfg.IncidentChannel)+"."), nil
}

// homeReviews: what an admin did alone, waiting for another admin.
func (b *Bot) homeReviews(ctx context.Context, user string) ([]slack.Block, error) {
	list, total, err := b.store.OpenReviews(ctx, homeListShown)
	if err != nil {
		return nil, err
	}
	blocks := []slack.Block{reviewsHeader(total)}
	for _, r := range list {
		blocks = append(blocks, reviewEntry(r, user)...)
	}
	return listTail(blocks, len(list), total, "Nothing to review.", "see "+channelRef(b.cfg.ApprovalsChannel)+"."), nil
}

// reviewsHeader heads a list of reviews waiting, on the Home tab and in
// `/contact deletions`.
func reviewsHeader(total int) slack.Block {
	return header(fmt.Sprintf("Done by an admin alone, to review (%d)", total))
}

// reviewEntry is one review waiting, as user sees it: what was done, and
// Acknowledge, or a note when user did it.
func reviewEntry(r crm.Review, user string) []slack.Block {
	if r.Actor == user {
		return []slack.Block{section(reviewLine(r)), contextBlock("You did this: another admin acknowledges it.")}
	}
	return []slack.Block{section(reviewLine(r)), slack.NewActionBlock("review:"+r.ID, button(ActionAcknowledge, r.ID, "Acknowledge", slack.StylePrimary))}
}

// homeOwnRequests: the person's own requests still waiting.
func (b *Bot) homeOwnRequests(ctx context.Context, user string) ([]slack.Block, error) {
	list, total, err := b.store.PendingApprovalsOf(ctx, user, homeListShown)
	if err != nil {
		return nil, err
	}
	blocks := []slack.Block{header(fmt.Sprintf("Your requests waiting (%d)", total))}
	for _, a := range list {
		blocks = append(blocks,
			section(requestLine(a)+fmt.Sprintf("\nAsked %s · expires %s · waiting for %s in %s",
				slackDate(a.CreatedAt), slackDate(a.ExpiresAt), awaitedAdmins(a), channelRef(b.cfg.ApprovalsChannel))),
			slack.NewActionBlock("withdraw:"+a.ID, withdrawButton(a.ID)))
	}
	return listTail(blocks, len(list), total, "None: when a delete, merge or erasure needs an admin's approval, your request shows here.",
		fmt.Sprintf("see `%s deletions mine`.", DefaultCommandName)), nil
}

// homeOwnDeletions: what the person deleted in the last 30 days, with the
// restore deadline and Report wrong deletion while it can be restored.
func (b *Bot) homeOwnDeletions(ctx context.Context, user string) ([]slack.Block, error) {
	now := b.now()
	list, total, err := b.store.DeletionsBy(ctx, user, now.Add(-homeRecentSince), homeListShown)
	if err != nil {
		return nil, err
	}
	blocks := []slack.Block{header(fmt.Sprintf("Your deletions, last 30 days (%d)", total))}
	for _, d := range list {
		text, button := ownDeletionLine(d, user, now)
		blocks = append(blocks, section(text))
		if button != nil {
			blocks = append(blocks, slack.NewActionBlock("deletion:"+cut(d.ID, 200), button))
		}
	}
	return listTail(blocks, len(list), total, "None in the last 30 days.",
		fmt.Sprintf("`%s report` _deletion id_ reports any of them.", DefaultCommandName)), nil
}

// ownDeletionLine is one of user's recent deletions on their Home tab: a
// delete, a merge (Report wrong merge) or a privacy erasure they asked for
// or approved (never restorable, no personal data), with the button that
// reports it while it can be restored (nil otherwise).
func ownDeletionLine(d crm.DeletionItem, user string, now time.Time) (string, *slack.ButtonBlockElement) {
	label := purgedLabel(d.ContactLabel)
	if d.Kind == crm.KindErasure {
		text := fmt.Sprintf("*%s* · privacy erasure `%s` · erased %s", esc(label), esc(d.ID), slackDate(d.DeletedAt))
		if d.DeletedBy != user {
			text += " · requested by " + mention(d.DeletedBy)
		}
		if d.ApprovedBy != nil {
			text += " · approved by " + mention(*d.ApprovedBy)
		}
		return text + "\nNot restorable: nothing was archived. Its name, email and phone are " + crm.ErasedText + " everywhere; its email and phone stay on the suppression list.", nil
	}
	w := deletionWords(d.Deletion)
	text := fmt.Sprintf("*%s* · deletion `%s`", esc(label), esc(d.ID))
	if d.IsBatch() {
		text = fmt.Sprintf("*%s* · clean-up batch `%s`", esc(label), esc(d.ID))
	}
	if w.merges {
		text = fmt.Sprintf("*%s* · merged into `%s` · deletion `%s`", esc(label), esc(d.MergedInto), esc(d.ID))
	}
	text += fmt.Sprintf(" · %s %s", w.done, slackDate(d.DeletedAt))
	if d.ApprovedBy != nil {
		text += " · approved by " + mention(*d.ApprovedBy)
	}
	text += " · " + esc(reasonLabel(d.Reason))
	switch {
	case d.RestoredAt != nil:
		return text + fmt.Sprintf("\n✅ Restored by %s %s", mention(deref(d.RestoredBy)), slackDate(*d.RestoredAt)), nil
	case d.WindowClosed(now):
		return text + "\n" + restoreWindow(d.Deletion, now), nil
	case d.Reported:
		return text + fmt.Sprintf("\n⚠️ Reported as wrong by %s %s · an admin can restore it until %s", mention(d.ReportedBy), slackDate(deref(d.ReportedAt)), slackDate(d.RestoreUntil)), nil
	}
	return text + "\n" + restoreWindow(d.Deletion, now), button(ActionReport, d.ID, w.reportWrong(), slack.StyleDanger)
}

// homeSuppressionHits (admins): contacts created again with the email or
// phone of an opted-out contact that was deleted, merged or erased, whose
// DND the database re-applied from the suppression list, last 30 days,
// newest first, in one block.
func (b *Bot) homeSuppressionHits(ctx context.Context, _ string) ([]slack.Block, error) {
	list, total, err := b.store.SuppressionHits(ctx, b.now().Add(-homeRecentSince), homeListShown)
	if err != nil {
		return nil, err
	}
	blocks := []slack.Block{header(fmt.Sprintf("Opted-out contacts back, DND re-applied, last 30 days (%d)", total))}
	var lines []string
	for _, h := range list {
		lines = append(lines, fmt.Sprintf("⛔ *%s* `%s` · %s · %s", esc(h.Name()), esc(h.ContactID), slackDate(h.At), slackDates(esc(h.Detail))))
	}
	if len(lines) > 0 {
		blocks = append(blocks, section(strings.Join(lines, "\n")))
	}
	return listTail(blocks, len(list), total,
		"None: a contact created with the email or phone of a deleted contact that had opted out gets its DND back at once, and shows here.",
		fmt.Sprintf("see `%s audit` or the audit channel.", DefaultCommandName)), nil
}
