package crm

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// Job is work done periodically, once per interval across all replicas.
type Job struct {
	// Name identifies the job's row in periodic_jobs; keep it stable.
	Name  string
	Every time.Duration
	// Run does one round; its error is logged and kept on the job's row.
	Run func(ctx context.Context) error
}

// ClaimRun reports whether the caller should run the job now: its next run
// is due, and this caller moved it one interval on. Of any number of
// replicas asking at once, one gets true. A job never seen before is due.
func (s *Store) ClaimRun(ctx context.Context, name string, every time.Duration) (bool, error) {
	claimed := false
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO periodic_jobs (name, next_run_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), name, now); err != nil {
			return fmt.Errorf("register job %s: %w", name, err)
		}
		r, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE periodic_jobs SET next_run_at = ?, last_started_at = ? WHERE name = ? AND next_run_at <= ?`),
			now.Add(every), now, name, now)
		if err != nil {
			return fmt.Errorf("claim job %s: %w", name, err)
		}
		n, err := r.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

// finishRun records how a run ended.
func (s *Store) finishRun(ctx context.Context, name string, runErr error) error {
	msg := ""
	if runErr != nil {
		msg = cutText(runErr.Error(), 500)
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE periodic_jobs SET last_finished_at = ?, last_error = ? WHERE name = ?`), s.now().UTC(), msg, name)
	return err
}

// RunJobs checks every tick which jobs are due and runs those this process
// claims, until ctx ends; it returns after runs in progress have finished. A
// run is bounded by its job's interval and is not cut short by ctx.
func (s *Store) RunJobs(ctx context.Context, jobs []Job, tick time.Duration, log *slog.Logger) {
	var wg sync.WaitGroup
	defer wg.Wait()
	running := map[string]bool{}
	var mu sync.Mutex
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		for _, j := range jobs {
			mu.Lock()
			busy := running[j.Name]
			mu.Unlock()
			if busy {
				continue
			}
			ok, err := s.ClaimRun(ctx, j.Name, j.Every)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("claim periodic job", "job", j.Name, "err", err)
				}
				continue
			}
			if !ok {
				continue
			}
			mu.Lock()
			running[j.Name] = true
			mu.Unlock()
			wg.Add(1)
			go func(j Job) {
				defer wg.Done()
				defer func() {
					mu.Lock()
					delete(running, j.Name)
					mu.Unlock()
				}()
				run, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.Every)
				defer cancel()
				err := j.Run(run)
				if err != nil {
					log.Error("periodic job failed", "job", j.Name, "err", err)
				}
				if err := s.finishRun(run, j.Name, err); err != nil {
					log.Warn("record periodic job", "job", j.Name, "err", err)
				}
			}(j)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
