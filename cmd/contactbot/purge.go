package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"contactbot/bot"
	"contactbot/crm"
)

// purgeInterval is how often serve purges archives whose restore window has
// passed. Windows are days long; an hour late costs nothing.
const purgeInterval = time.Hour

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

// periodicJobs are serve's scheduled work, each run once per interval across
// every replica (crm.Store.RunJobs): approval expiry and reminders, the
// purge of expired archives, recovery of operations killed processes left,
// and pruning delivered outbox notes.
func periodicJobs(b *bot.Bot, store *crm.Store, log *slog.Logger) []crm.Job {
	return []crm.Job{
		{Name: "approvals", Every: time.Minute, Run: b.RunApprovalJobs},
		purgeJob(store, log),
		{Name: "recover", Every: recoverEvery, Run: func(ctx context.Context) error {
			_, err := b.RecoverOperations(ctx)
			return err
		}},
		{Name: "prune-outbox", Every: purgeInterval, Run: func(ctx context.Context) error {
			_, err := store.PruneOutbox(ctx)
			return err
		}},
	}
}

// purgeJob purges expired archives every purgeInterval.
func purgeJob(store *crm.Store, log *slog.Logger) crm.Job {
	return crm.Job{Name: "purge", Every: purgeInterval, Run: func(ctx context.Context) error {
		n, err := store.Purge(ctx)
		if n > 0 {
			log.Info("purged expired deletions", "deletions", n)
		}
		return err
	}}
}

// startJobs runs the periodic jobs until the returned stop is called (stop
// waits for runs in progress).
func startJobs(ctx context.Context, store *crm.Store, jobs []crm.Job, log *slog.Logger) (stop func()) {
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

// jobTick is how often serve checks which periodic jobs are due.
const jobTick = 5 * time.Second
