package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/internal/words"
)

// Job is work done periodically (periodic_jobs), once per interval (or at each time of a
// schedule) across all replicas.
type Job struct {
	// Name identifies the job's row in periodic_jobs; keep it stable.
	Name  string
	Every time.Duration
	// Next, when set, schedules the job at fixed times instead of every
	// interval: it returns the first run time after now (a weekly digest).
	// A job never seen before is first due at Next(now), not at once.
	Next func(now time.Time) time.Time
	// Run does one round; its error is logged and kept on the job's row.
	Run func(ctx context.Context) error
}

// scheduledRunLimit bounds one run of a scheduled job.
const scheduledRunLimit = 5 * time.Minute

// limit bounds one run: the interval, or scheduledRunLimit.
func (j Job) limit() time.Duration {
	if j.Next != nil || j.Every <= 0 {
		return scheduledRunLimit
	}
	return j.Every
}

// next is when the job is due again after a run claimed at now.
func (j Job) next(now time.Time) time.Time {
	if j.Next != nil {
		return j.Next(now).UTC()
	}
	return now.Add(j.Every)
}

// first is when a job never seen before is first due.
func (j Job) first(now time.Time) time.Time {
	if j.Next != nil {
		return j.Next(now).UTC()
	}
	return now
}

// ClaimJob registers j (when new) and reports whether the caller should run
// it now: its next run is due, and this caller moved it on (one interval, or
// to the schedule's next time). Of any number of replicas asking at once,
// one gets true. A new interval job is due at once, a scheduled one at its
// first time.
func (o *Outbox) ClaimJob(ctx context.Context, j Job) (bool, error) {
	claimed := false
	err := o.InTx(ctx, func(tx *sqlx.Tx) error {
		now := o.now().UTC()
		if err := registerJob(ctx, tx, j, now); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE periodic_jobs SET next_run_at = ?, last_started_at = ? WHERE name = ? AND next_run_at <= ?`),
			j.next(now), now, j.Name, now)
		if err != nil {
			return fmt.Errorf("claim job %s: %w", j.Name, err)
		}
		n, err := r.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

// registerJob writes j's row when it has none.
func registerJob(ctx context.Context, tx *sqlx.Tx, j Job, now time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO periodic_jobs (name, next_run_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), j.Name, j.first(now)); err != nil {
		return fmt.Errorf("register job %s: %w", j.Name, err)
	}
	return nil
}

// DueJobs reads which of the jobs' rows are due (or missing), without
// writing: the scheduler asks every tick, and most ticks nothing is due.
func (o *Outbox) DueJobs(ctx context.Context) (map[string]bool, error) {
	var rows []struct {
		Name string    `db:"name"`
		Next time.Time `db:"next_run_at"`
	}
	if err := o.db.SelectContext(ctx, &rows, `SELECT name, next_run_at FROM periodic_jobs`); err != nil {
		return nil, fmt.Errorf("read periodic jobs: %w", err)
	}
	now := o.now()
	notDue := map[string]bool{}
	for _, r := range rows {
		notDue[r.Name] = r.Next.After(now)
	}
	return notDue, nil
}

// finishRun records how a run ended.
func (o *Outbox) finishRun(ctx context.Context, name string, runErr error) error {
	msg := ""
	if runErr != nil {
		msg = words.Cut(runErr.Error(), 500)
	}
	_, err := o.db.ExecContext(ctx, o.db.Rebind(`UPDATE periodic_jobs SET last_finished_at = ?, last_error = ? WHERE name = ?`), o.now().UTC(), msg, name)
	return err
}

// RunJobs checks every tick which jobs are due and runs those this process
// claims, until ctx ends; it returns after runs in progress have finished. A
// tick where nothing is due is one read of periodic_jobs; a claim is a
// write only for a job that is due. A run is bounded by its job's interval
// (scheduledRunLimit for a scheduled job) and is not cut short by ctx.
func (o *Outbox) RunJobs(ctx context.Context, jobs []Job, tick time.Duration, log *slog.Logger) {
	var wg sync.WaitGroup
	defer wg.Wait()
	running := map[string]bool{}
	var mu sync.Mutex
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		notDue, err := o.DueJobs(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("read periodic jobs", "err", err)
		}
		for _, j := range jobs {
			mu.Lock()
			busy := running[j.Name]
			mu.Unlock()
			if busy || err != nil || notDue[j.Name] {
				continue
			}
			ok, err := o.ClaimJob(ctx, j)
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
				run, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.limit())
				defer cancel()
				err := j.Run(run)
				if err != nil {
					log.Error("periodic job failed", "job", j.Name, "err", err)
				}
				if err := o.finishRun(run, j.Name, err); err != nil {
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
