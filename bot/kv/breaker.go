package kv

import (
	"errors"
	"sync"
	"time"
)

// errBreakerOpen is what a call gets while the breaker is open, or while
// it is half-open and the one probe is out: it is not tried.
var errBreakerOpen = errors.New("circuit open")

// breaker is a circuit breaker that reads the time from a clock, so that a
// test moves it past the open period instead of sleeping through it.
//
// Closed, calls go through; tripAfter consecutive failures open it. Open,
// calls fail at once for openFor; then it is half-open: one call probes,
// and its success closes the breaker, its failure opens it again. A call
// that is excluded (its caller gave up) counts as neither.
type breaker struct {
	now          func() time.Time
	openFor      time.Duration
	tripAfter    int
	isSuccessful func(error) bool
	isExcluded   func(error) bool
	// onChange hears every change of state, under the breaker's lock.
	onChange func(from, to breakerState)

	mu       sync.Mutex
	state    breakerState
	failures int       // consecutive, while closed
	openedAt time.Time // while open
	probing  bool      // while half-open: the probe is out
	// generation counts changes of state: a call that started in an
	// earlier one says nothing about the present one.
	generation uint64
}

type breakerState int

const (
	closed breakerState = iota
	open
	halfOpen
)

// do runs call unless the breaker is open, and counts its outcome.
func (b *breaker) do(call func() error) error {
	gen, err := b.before()
	if err != nil {
		return err
	}
	err = call()
	b.after(gen, err)
	return err
}

func (b *breaker) before() (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == open && b.now().Sub(b.openedAt) >= b.openFor {
		b.set(halfOpen)
	}
	switch {
	case b.state == open, b.state == halfOpen && b.probing:
		return 0, errBreakerOpen
	case b.state == halfOpen:
		b.probing = true
	}
	return b.generation, nil
}

func (b *breaker) after(gen uint64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.generation {
		return
	}
	switch {
	case b.isExcluded(err):
		b.probing = false // the probe's slot is free again
	case b.isSuccessful(err):
		b.failures = 0
		if b.state == halfOpen {
			b.set(closed)
		}
	case b.state == halfOpen:
		b.set(open)
	default:
		b.failures++
		if b.failures >= b.tripAfter {
			b.set(open)
		}
	}
}

// set moves to state to, starting a new generation.
func (b *breaker) set(to breakerState) {
	from := b.state
	b.state = to
	b.generation++
	b.failures = 0
	b.probing = false
	if to == open {
		b.openedAt = b.now()
	}
	b.onChange(from, to)
}
