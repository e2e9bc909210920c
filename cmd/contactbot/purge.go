package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

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

// startPurging purges now and then every interval, until the returned stop
// is called (stop waits for a purge in progress). Every replica runs it:
// each purge claims its deletions with SKIP LOCKED, so they never collide.
func startPurging(ctx context.Context, store *crm.Store, interval time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			n, err := store.Purge(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Error("purge expired deletions", "err", err)
			case n > 0:
				log.Info("purged expired deletions", "deletions", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}
