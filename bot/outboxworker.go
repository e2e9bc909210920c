package bot

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"contactbot/crm"
	"contactbot/outbox"
)

// outboxWorker delivers the outbox of this process's store: woken by the
// store's NotesWritten signal after each commit that wrote notes, or
// delivering then and there when it is not running (the shell).
type outboxWorker struct {
	// bot is whose notes these are: it sends each (Bot.send) and tells what
	// became of it (Bot.logDelivery: logs, and the admins when a
	// conversation was given up on).
	bot   *Bot
	store *crm.Store
	log   *slog.Logger
	now   func() time.Time
	// bgCtx bounds the deliveries a commit starts when the worker is not running.
	bgCtx context.Context

	// running is set while start's loop runs; wake nudges it after a commit.
	running atomic.Bool
	wake    chan struct{}
	// delivering is held by whoever delivers in this process (the loop, a
	// flush), one at a time.
	delivering sync.Mutex
	// dbDown is set while the outbox cannot reach the database, so that
	// the outage is logged once.
	dbDown atomic.Bool
}

// newOutboxWorker returns the worker of b's store's outbox, listening to
// its NotesWritten signal.
func newOutboxWorker(b *Bot) *outboxWorker {
	w := &outboxWorker{bot: b, store: b.store, log: b.log, now: b.now, bgCtx: b.bgCtx, wake: make(chan struct{}, 1)}
	w.store.NotesWritten().Listen(w.notesWritten)
	return w
}

// start delivers the outbox until ctx ends: at once when this process
// commits notes, else every second (notes of other replicas, retries).
// Every replica runs one; they share the outbox. Until it runs (the shell
// never starts it), notes are delivered synchronously right after each
// commit.
func (w *outboxWorker) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w.running.Store(true)
	go func() {
		defer close(done)
		w.run(ctx)
	}()
	return func() {
		cancel()
		<-done
		w.running.Store(false)
	}
}

func (w *outboxWorker) run(ctx context.Context) {
	for {
		w.delivering.Lock()
		w.deliverDue(ctx)
		w.delivering.Unlock()
		wait := outboxPoll
		if next, err := w.store.NextDue(ctx); err == nil && !next.IsZero() {
			if d := next.Sub(w.now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// notesWritten listens to the store's NotesWritten signal: wake the loop,
// or deliver now when it is not running.
func (w *outboxWorker) notesWritten() {
	if w.running.Load() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
		return
	}
	// Not running (the shell): deliver now, unless a delivery in progress
	// on this process will pick these notes up as well.
	if w.delivering.TryLock() {
		defer w.delivering.Unlock()
		w.deliverAll(w.bgCtx)
	}
}

// deliverDue delivers what is due until nothing is, or another worker has it.
func (w *outboxWorker) deliverDue(ctx context.Context) outbox.DeliveryResult {
	for {
		res, err := w.store.DeliverNext(ctx, w.bot.send)
		switch {
		case err != nil && ctx.Err() != nil:
			return outbox.DeliveryResult{Status: outbox.DeliveryIdle}
		case crm.ErrorCode(err) == crm.EUNAVAILABLE:
			// The database is down: an outage, logged once, not a bug each poll.
			if !w.dbDown.Swap(true) {
				w.log.Warn("outbox waits: the database is not answering", "err", err)
			}
			return outbox.DeliveryResult{Status: outbox.DeliveryIdle}
		case err != nil:
			w.log.Error("outbox delivery", "err", err)
			return outbox.DeliveryResult{Status: outbox.DeliveryIdle}
		}
		if w.dbDown.Swap(false) {
			w.log.Info("outbox: the database answers again")
		}
		w.bot.logDelivery(ctx, res)
		if res.Status == outbox.DeliveryIdle || res.Status == outbox.DeliveryBusy {
			return res
		}
	}
}

// flush delivers every note that is due now, after this process's loop
// has finished what it is delivering: for the shell after each input, for
// tests, and at shutdown. Notes waiting for a retry stay.
func (w *outboxWorker) flush(ctx context.Context) {
	w.delivering.Lock()
	defer w.delivering.Unlock()
	w.deliverAll(ctx)
}

// deliverAll delivers until nothing is due, waiting while another replica
// holds a conversation; delivering must be held.
func (w *outboxWorker) deliverAll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if w.deliverDue(ctx).Status == outbox.DeliveryIdle {
			return
		}
		time.Sleep(5 * time.Millisecond) // another replica holds a conversation
	}
}
