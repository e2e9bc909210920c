package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/outbox"
)

// DigestPeriod is what the weekly digest covers: the week before it.
const DigestPeriod = 7 * 24 * time.Hour

// DigestMessage renders the digest of [from, to): deletions by reason and
// by person, merges, privacy erasures, restores (of merges too),
// incidents, suppression hits, what waits, and archives whose restore
// window closes within a week. The weekly post and `contactbot digest`
// show the same message.
func DigestMessage(ctx context.Context, store *crm.Store, from, to time.Time) (Message, error) {
	d, err := store.Digest(ctx, from, to)
	if err != nil {
		return Message{}, err
	}
	title := "contactbot weekly digest"
	blocks := []slack.Block{header(title), section(fmt.Sprintf("From %s to %s.", slackDate(d.From), slackDate(d.To)))}
	for _, part := range []func(crm.DigestData) string{digestDeletions, digestMerges, digestErasures, digestRestores, digestSuppressionHits, digestWaiting, digestExpiring} {
		if text := part(d); text != "" {
			blocks = append(blocks, section(text))
		}
	}
	counts := []string{plural(d.Deletions, "deletion", "deletions")}
	for _, c := range []struct {
		n         int
		one, many string
	}{{d.Merges, "merge", "merges"}, {d.Erasures, "privacy erasure", "privacy erasures"}} {
		if c.n > 0 {
			counts = append(counts, plural(c.n, c.one, c.many))
		}
	}
	counts = append(counts, plural(d.Restores, "restore", "restores"))
	if d.SuppressionHits > 0 {
		counts = append(counts, plural(d.SuppressionHits, "suppression hit", "suppression hits"))
	}
	return Message{Text: title + ": " + strings.Join(counts, ", "), Blocks: blocks}, nil
}

// digestDeletions: how many, one line per reason (its label and count),
// one per person.
func digestDeletions(d crm.DigestData) string {
	if d.Deletions == 0 {
		return "*Deletions:* none."
	}
	lines := digestTallies([]string{fmt.Sprintf("*Deletions:* %d", d.Deletions)}, "By reason", d.DeletionsByReason,
		func(k string) string { return esc(reasonLabel(k)) })
	lines = digestTallies(lines, "By person", d.DeletionsByPerson, mention)
	if d.Batches > 0 {
		// The contacts of batches are among the deletions above.
		lines = append(lines, fmt.Sprintf("Of them in clean-up batches: %s in %s", plural(d.BatchContacts, "contact", "contacts"), plural(d.Batches, "batch", "batches")))
		lines = digestTallies(lines, "Batches by person", d.BatchesByPerson, mention)
	}
	return strings.Join(lines, "\n")
}

// digestTallies lists tallies one a line under a heading, each key worded
// by word.
func digestTallies(lines []string, heading string, list []crm.Tally, word func(string) string) []string {
	lines = append(lines, "_"+heading+"_")
	for _, t := range list {
		lines = append(lines, fmt.Sprintf("• %s: %d", word(t.Key), t.N))
	}
	return lines
}

// digestMerges: duplicates merged into the contact that stays, by person.
func digestMerges(d crm.DigestData) string {
	if d.Merges == 0 {
		return "*Merges:* none."
	}
	return strings.Join(digestTallies([]string{fmt.Sprintf("*Merges:* %d (duplicates merged into the contact that stays; restorable like a delete)", d.Merges)},
		"By person", d.MergesByPerson, mention), "\n")
}

// digestErasures: privacy erasures, by who asked for them.
func digestErasures(d crm.DigestData) string {
	if d.Erasures == 0 {
		return "*Privacy erasures:* none."
	}
	return strings.Join(digestTallies([]string{fmt.Sprintf("*Privacy erasures:* %d (nothing archived: they cannot be restored)", d.Erasures)},
		"Requested by", d.ErasuresByPerson, mention), "\n")
}

func digestRestores(d crm.DigestData) string {
	restores := strconv.Itoa(d.Restores)
	if d.MergeRestores > 0 {
		restores += fmt.Sprintf(" (%s undone)", plural(d.MergeRestores, "merge", "merges"))
	}
	return fmt.Sprintf("*Restores:* %s · *Wrong deletions reported:* %d", restores, d.Incidents)
}

// digestSuppressionHits: contacts created again with an opted-out email or
// phone, whose DND the database re-applied, by where the opt-out was kept
// from.
func digestSuppressionHits(d crm.DigestData) string {
	if d.SuppressionHits == 0 {
		return "*Suppression hits:* none (no contact was created again with an opted-out email or phone)."
	}
	return strings.Join(digestTallies([]string{fmt.Sprintf("*Suppression hits:* %d (DND re-applied to a contact created again with an opted-out email or phone)", d.SuppressionHits)},
		"Opted out before in", d.SuppressionHitsBySource, suppressionSourceLabel), "\n")
}

// suppressionSourceLabel words the kind of deletion an opt-out was kept from.
func suppressionSourceLabel(kind string) string { return wordsOf(crm.Kind(kind)).optedOutIn }

func digestWaiting(d crm.DigestData) string {
	return fmt.Sprintf("*Waiting now:* %s for an admin · %s of what an admin did alone (`%s deletions`, the Home tab)",
		plural(d.PendingRequests, "request", "requests"), plural(d.PendingReviews, "review", "reviews"), DefaultCommandName)
}

func digestExpiring(d crm.DigestData) string {
	if d.ExpiringTotal == 0 {
		return "*Archives expiring in the next 7 days:* none."
	}
	lines := []string{fmt.Sprintf("*Archives expiring in the next 7 days:* %d (after that they can no longer be restored)", d.ExpiringTotal)}
	for _, del := range d.Expiring {
		label := purgedLabel(del.ContactLabel)
		lines = append(lines, fmt.Sprintf("• *%s* · %s `%s` · restorable until %s", esc(label), wordsOf(del.Kind).record, esc(del.ID), slackDate(del.RestoreUntil)))
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
func (b *Bot) DigestJob() outbox.Job {
	at := b.cfg.DigestAt
	return outbox.Job{Name: "digest " + at.String(), Next: at.Next, Run: b.PostDigest}
}
