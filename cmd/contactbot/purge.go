package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"contactbot/bot"
	"contactbot/crm"
	"contactbot/outbox"
)

// pruneInterval is how often serve prunes delivered outbox notes older
// than a week.
const pruneInterval = time.Hour

// purge is `contactbot purge`: it ends the restore window of every expired
// deletion (archived rows deleted, contact details blanked) and exits.
func purge(ctx context.Context, env cmdEnv) error {
	store, err := openConfigured(ctx, env.log)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.Purge(ctx)
	if err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	fmt.Fprintf(env.stdout, "purged %d deletions whose restore window had passed\n", n)
	return nil
}

// recoverEvery is how often serve looks for deletes and restores that a
// killed replica left unfinished (besides once at start).
const recoverEvery = 15 * time.Second

// checkEvery is how often serve looks for approvals to expire, remind or
// escalate and reviews to remind: every few seconds, so that a short
// APPROVAL_TTL behaves like a long one. When nothing is due a check is one
// indexed read.
const checkEvery = 3 * time.Second

// reapplyFeedEvery is how often the DND re-applies the database triggers
// recorded are posted to the audit channel: the re-apply itself is
// immediate, its line in the channel follows within this.
const reapplyFeedEvery = 10 * time.Second

// periodicJobs are serve's scheduled work, each run once per interval across
// every replica (crm.Store.RunJobs): approval expiry, reminders and
// escalation, review reminders, the weekly digest, the purge of expired
// archives, recovery of operations killed processes left, the suppression
// triggers' audit lines, and pruning delivered outbox notes and old message
// origins.
func periodicJobs(b *bot.Bot, store *crm.Store, log *slog.Logger) []outbox.Job {
	return []outbox.Job{
		{Name: "approvals", Every: checkEvery, Run: b.RunApprovalJobs},
		{Name: "reviews", Every: checkEvery, Run: b.RunReviewJobs},
		b.DigestJob(),
		purgeJob(store, log),
		{Name: "recover", Every: recoverEvery, Run: func(ctx context.Context) error {
			_, err := b.RecoverOperations(ctx)
			return err
		}},
		// The suppression triggers' audit lines, to the audit channel.
		{Name: "reapply-feed", Every: reapplyFeedEvery, Run: func(ctx context.Context) error {
			_, err := store.FeedReapplied(ctx)
			return err
		}},
		{Name: "prune-outbox", Every: pruneInterval, Run: func(ctx context.Context) error {
			_, err := store.PruneOutbox(ctx)
			return err
		}},
		{Name: "prune-message-origins", Every: pruneInterval, Run: func(ctx context.Context) error {
			_, err := store.PruneMessageOrigins(ctx)
			return err
		}},
	}
}

// purgeJob purges archives whose restore window has passed, checked every
// few seconds (one indexed read when none has).
func purgeJob(store *crm.Store, log *slog.Logger) outbox.Job {
	return outbox.Job{Name: "purge", Every: checkEvery, Run: func(ctx context.Context) error {
		if due, err := store.PurgeDue(ctx); err != nil || !due {
			return err
		}
		n, err := store.Purge(ctx)
		if n > 0 {
			log.Info("purged expired deletions", "deletions", n)
		}
		return err
	}}
}

// startJobs runs the periodic jobs until the returned stop is called (stop
// waits for runs in progress).
func startJobs(ctx context.Context, store *crm.Store, jobs []outbox.Job, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.RunJobs(ctx, jobs, jobTick, log)
	}()
	return func() {
		cancel()
		<-done
	}
}

// jobTick is how often serve checks which periodic jobs are due: one read
// of periodic_jobs per replica.
const jobTick = time.Second
