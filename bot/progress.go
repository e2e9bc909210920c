package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"contactbot/crm"
	"contactbot/outbox"
)

// progressEvery is how often a long delete or restore shows how far it got;
// the first report comes only once the work has taken that long.
const progressEvery = time.Second

// lockNotice is how long a delete or restore waits for another change to
// the same contact before the person is told it is waiting.
const lockNotice = 3 * time.Second

// progress shows a user how far a long delete or restore got: nothing for
// work that ends within a second, then one DM updated in place at most once a
// second, which the outcome (an outbox note written with the work's commit)
// finally replaces. Counts come from inside the transaction; Slack is only
// called from progress's own goroutine, so a slow Slack never holds database
// locks. Where the DM landed is recorded with the operation, so that a
// restarted process can say what became of it.
type progress struct {
	b     *Bot
	op    crm.Operation
	user  string
	label string // "Deleting contact `ID`"
	verb  string // "archiving"
	name  string // what waits, for "Waiting for another change to NAME to finish…"
	// counted, when set, words how far the work got instead ("12 done…").
	counted func(done, total int) string
	start   time.Time

	mu          sync.Mutex
	done, total int
	locked      bool // the work holds its rows: counts follow
	stop        chan struct{}
	stopped     chan struct{}
	stopOnce    sync.Once
}

// startProgress begins watching op; call update from the work and end when
// it is over.
func (b *Bot) startProgress(ctx context.Context, op crm.Operation, user, label, verb, name string) *progress {
	return b.runProgress(ctx, &progress{b: b, op: op, user: user, label: label, verb: verb, name: name})
}

// startCountedProgress is startProgress for work counted in its own words
// ("Deleting 37 contacts: 12 done…").
func (b *Bot) startCountedProgress(ctx context.Context, op crm.Operation, user, label, name string, counted func(done, total int) string) *progress {
	return b.runProgress(ctx, &progress{b: b, op: op, user: user, label: label, name: name, counted: counted})
}

// startBatchProgress watches the delete of a batch of n contacts
// ("Deleting 37 contacts: 12 done…").
func (b *Bot) startBatchProgress(ctx context.Context, op crm.Operation, user string, n int) *progress {
	return b.startCountedProgress(ctx, op, user, "Deleting "+plural(n, "contact", "contacts"), "these contacts",
		func(done, _ int) string { return thousands(done) + " done…" })
}

func (b *Bot) runProgress(ctx context.Context, p *progress) *progress {
	p.start, p.stop, p.stopped = time.Now(), make(chan struct{}), make(chan struct{})
	go p.run(ctx)
	return p
}

// update records how far the work got; its first call says the work holds
// its rows.
func (p *progress) update(done, total int) {
	p.mu.Lock()
	p.done, p.total, p.locked = done, total, true
	p.mu.Unlock()
}

// text is what the progress DM says now.
func (p *progress) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.locked && time.Since(p.start) >= lockNotice:
		return fmt.Sprintf("⏳ Waiting for another change to %s to finish…", p.name)
	case p.total == 0:
		return p.label + ": starting…"
	}
	if p.counted != nil {
		return p.label + ": " + p.counted(p.done, p.total)
	}
	return fmt.Sprintf("%s: %s %s of %s %s…", p.label, p.verb, thousands(p.done), thousands(p.total), pluralNoun(p.total, "row", "rows"))
}

func (p *progress) run(ctx context.Context) {
	defer close(p.stopped)
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	last := ""
	for {
		select {
		case <-p.stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		text := p.text()
		if text == last {
			continue
		}
		m := *textMessage(text)
		err := p.b.store.ShowProgress(ctx, p.op.ID, p.user, func(ctx context.Context, at outbox.Sent, posted bool) (outbox.Sent, error) {
			if !posted {
				ts, err := p.b.slack.Post(ctx, p.user, m)
				return outbox.Sent{Channel: p.user, TS: ts}, err
			}
			return at, p.b.slack.Update(ctx, at.Channel, at.TS, m)
		})
		if err != nil {
			p.b.log.Warn("show progress", "user", p.user, "operation", p.op.ID, "err", err)
			continue
		}
		last = text
	}
}

// end stops the reports.
func (p *progress) end() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.stopped
}

// outcome is the note that puts m in place of the progress DM, once that
// has landed. Without a progress DM, post decides: a new DM, or nothing
// (the answer went where it was asked for).
func (p *progress) outcome(m Message, post bool) outbox.Note {
	n := replacing(outbox.OperationRef(p.op.ID), p.user, m)
	if post {
		n.Missing = outbox.MissingPost
	}
	return n
}

// fail records the operation failed, with m in place of the progress DM;
// when even that cannot be recorded, m goes to the user as a plain DM.
func (p *progress) fail(ctx context.Context, m Message) {
	if err := p.b.store.FinishOperation(ctx, p.op.ID, crm.OperationFailed, []outbox.Note{p.outcome(m, true)}); err != nil {
		p.b.log.Error("record failed operation", "operation", p.op.ID, "kind", p.op.Kind, "err", err)
		p.b.dm(ctx, p.user, m)
	}
}

// recoveryNotes tell the person what became of an operation whose process
// died before it committed: nothing changed.
func (b *Bot) recoveryNotes(op crm.Operation) ([]outbox.Note, error) {
	var text string
	switch op.Kind {
	case crm.OperationDelete:
		text = fmt.Sprintf("The delete of %s did not complete: nothing was deleted. Try again.", esc(op.Label))
	case crm.OperationDeleteBatch:
		text = batchRecoveryText(op)
	case crm.OperationRestore:
		text = fmt.Sprintf("The restore of deletion `%s` did not complete: nothing was restored. Try again.", esc(op.Subject))
	default:
		return nil, nil
	}
	n := replacing(outbox.OperationRef(op.ID), op.Actor, *textMessage(text))
	n.Missing = outbox.MissingPost
	return []outbox.Note{n}, nil
}

// RecoverOperations resolves deletes and restores that a killed process
// left unfinished: each person's progress DM is replaced by what actually
// happened. It returns how many are still held by a live transaction
// (PostgreSQL ends a dead process's transaction once its statement ends).
func (b *Bot) RecoverOperations(ctx context.Context) (held int, err error) {
	resolved, held, err := b.store.RecoverOperations(ctx, b.recoveryNotes)
	for _, op := range resolved {
		b.log.Warn("resolved an operation a stopped process left unfinished: nothing was changed", "operation", op.ID, "kind", op.Kind, "user", op.Actor)
	}
	return held, err
}

// RecoverOnStart runs RecoverOperations now and, while operations are still
// held, every two seconds for up to two minutes: a restarted process
// resolves what its predecessor left as soon as the database lets go.
func (b *Bot) RecoverOnStart(ctx context.Context) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		held, err := b.RecoverOperations(ctx)
		if err != nil {
			b.log.Error("recover unfinished operations", "err", err)
		}
		if (err == nil && held == 0) || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}

// thousands writes n with thousands separators: 12,400.
func thousands(n int) string { return groupDigits(fmt.Sprint(n)) }

// groupDigits puts separators into a string of digits: "12400" → "12,400".
func groupDigits(digits string) string {
	s := digits
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
