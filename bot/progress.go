package bot

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// progressEvery is how often a long delete or restore shows how far it got;
// the first report comes only once the work has taken that long.
const progressEvery = time.Second

// progress shows a user how far a long delete or restore got: nothing for
// work that ends within a second, then one DM updated in place at most once a
// second, which the outcome finally replaces. Counts come from inside the
// transaction; Slack is only called from progress's own goroutine, so a slow
// Slack never holds database locks.
type progress struct {
	b     *Bot
	user  string
	label string // "Deleting contact `ID`"
	verb  string // "archiving"

	mu          sync.Mutex
	done, total int
	ts          string // the progress DM, once posted
	stop        chan struct{}
	stopped     chan struct{}
}

// startProgress begins watching; call update from the work and finish at the end.
func (b *Bot) startProgress(ctx context.Context, user, label, verb string) *progress {
	p := &progress{b: b, user: user, label: label, verb: verb, stop: make(chan struct{}), stopped: make(chan struct{})}
	go p.run(ctx)
	return p
}

// update records how far the work got.
func (p *progress) update(done, total int) {
	p.mu.Lock()
	p.done, p.total = done, total
	p.mu.Unlock()
}

func (p *progress) run(ctx context.Context) {
	defer close(p.stopped)
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			p.mu.Lock()
			done, total, ts := p.done, p.total, p.ts
			p.mu.Unlock()
			text := fmt.Sprintf("%s: %s %s of %s %s…", p.label, p.verb, thousandsInt(done), thousandsInt(total), pluralNoun(total, "row", "rows"))
			if total == 0 {
				text = p.label + ": starting…"
			}
			m := *textMessage(text)
			if ts == "" {
				posted, err := p.b.slack.Post(ctx, p.user, m)
				if err != nil {
					p.b.log.Error("post progress", "user", p.user, "err", err)
					continue
				}
				p.mu.Lock()
				p.ts = posted
				p.mu.Unlock()
			} else if err := p.b.slack.Update(ctx, p.user, ts, m); err != nil {
				p.b.log.Error("update progress", "user", p.user, "err", err)
			}
		}
	}
}

// finish stops the reports and delivers the outcome: in place of the
// progress message when there was one, else as a new DM.
func (p *progress) finish(ctx context.Context, outcome Message) {
	if !p.replace(ctx, outcome) {
		p.b.dm(ctx, p.user, outcome)
	}
}

// replace stops the reports and, when a progress message was shown, puts the
// outcome in its place; it reports whether it did.
func (p *progress) replace(ctx context.Context, outcome Message) bool {
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	ts := p.ts
	p.mu.Unlock()
	if ts == "" {
		return false
	}
	if err := p.b.slack.Update(ctx, p.user, ts, outcome); err != nil {
		p.b.log.Error("replace progress with outcome", "user", p.user, "err", err)
		return false
	}
	return true
}

// thousandsInt writes n with thousands separators: 12,400.
func thousandsInt(n int) string { return thousands(fmt.Sprint(n)) }

// thousands puts separators into a string of digits: "12400" → "12,400".
func thousands(digits string) string {
	s := digits
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
