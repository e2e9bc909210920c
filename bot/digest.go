package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// DigestPeriod is what the weekly digest covers: the week before it.
const DigestPeriod = 7 * 24 * time.Hour

// DigestMessage renders the digest of [from, to): deletions by reason and
// by person, restores, incidents, what waits, and archives whose restore
// window closes within a week. The weekly post and `contactbot digest`
// show the same message.
func DigestMessage(ctx context.Context, store *crm.Store, from, to time.Time) (Message, error) {
	d, err := store.Digest(ctx, from, to)
	if err != nil {
		return Message{}, err
	}
	title := "contactbot weekly digest"
	blocks := []slack.Block{header(title), section(fmt.Sprintf("From %s to %s.", slackDate(d.From), slackDate(d.To)))}
	for _, part := range []func(crm.DigestData) string{digestDeletions, digestRestores, digestWaiting, digestExpiring} {
		if text := part(d); text != "" {
			blocks = append(blocks, section(text))
		}
	}
	// Extension point (issue 13): merges, erasures and suppression hits
	// are parts of their own here once the store reports them.
	return Message{Text: fmt.Sprintf("%s: %s, %s", title, plural(d.Deletions, "deletion", "deletions"), plural(d.Restores, "restore", "restores")), Blocks: blocks}, nil
}

// digestDeletions: how many, one line per reason (its label and count),
// one per person.
func digestDeletions(d crm.DigestData) string {
	if d.Deletions == 0 {
		return "*Deletions:* none."
	}
	lines := []string{fmt.Sprintf("*Deletions:* %d", d.Deletions), "_By reason_"}
	for _, t := range d.DeletionsByReason {
		lines = append(lines, fmt.Sprintf("• %s: %d", esc(reasonLabel(t.Key)), t.N))
	}
	lines = append(lines, "_By person_")
	for _, t := range d.DeletionsByPerson {
		lines = append(lines, fmt.Sprintf("• %s: %d", mention(t.Key), t.N))
	}
	return strings.Join(lines, "\n")
}

func digestRestores(d crm.DigestData) string {
	return fmt.Sprintf("*Restores:* %d · *Wrong deletions reported:* %d", d.Restores, d.Incidents)
}

func digestWaiting(d crm.DigestData) string {
	return fmt.Sprintf("*Waiting now:* %s for an admin · %s of what an admin did alone (`%s deletions`, the Home tab)",
		plural(d.PendingRequests, "delete request", "delete requests"), plural(d.PendingReviews, "review", "reviews"), DefaultCommandName)
}

func digestExpiring(d crm.DigestData) string {
	if d.ExpiringTotal == 0 {
		return "*Archives expiring in the next 7 days:* none."
	}
	lines := []string{fmt.Sprintf("*Archives expiring in the next 7 days:* %d (after that they can no longer be restored)", d.ExpiringTotal)}
	for _, del := range d.Expiring {
		label := del.ContactLabel
		if label == "" {
			label = "(details purged)"
		}
		lines = append(lines, fmt.Sprintf("• *%s* · deletion `%s` · restorable until %s", esc(label), esc(del.ID), slackDate(del.RestoreUntil)))
	}
	if more := d.ExpiringTotal - len(d.Expiring); more > 0 {
		lines = append(lines, fmt.Sprintf("• and %d more", more))
	}
	return strings.Join(lines, "\n")
}

// PostDigest writes the digest of the week before now to DIGEST_CHANNEL
// (the approvals channel by default), through the outbox.
func (b *Bot) PostDigest(ctx context.Context) error {
	now := b.now()
	m, err := DigestMessage(ctx, b.store, now.Add(-DigestPeriod), now)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if err := b.store.Enqueue(ctx, note(b.cfg.DigestTo(), m)); err != nil {
		return fmt.Errorf("post digest: %w", err)
	}
	b.log.Info("weekly digest written", "channel", b.cfg.DigestTo())
	return nil
}

// DigestJob is the weekly digest as a periodic job: at DIGEST_AT, once per
// week across replicas. Its name carries the schedule, so that a new
// DIGEST_AT starts its own week rather than keep the old time.
func (b *Bot) DigestJob() crm.Job {
	at := b.cfg.DigestAt
	return crm.Job{Name: "digest " + at.String(), Next: at.Next, Run: b.PostDigest}
}
