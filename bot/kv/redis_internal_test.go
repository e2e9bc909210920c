package kv

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestOpenRedisFailsFast: a store opened as serve opens it bounds what a
// Redis that is down or hung costs a call: go-redis's defaults (5 s dials,
// 3 s reads, each retried) would make every request wait seconds.
func TestOpenRedisFailsFast(t *testing.T) {
	t.Parallel()
	r, err := OpenRedis("redis://127.0.0.1:1/0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	o := r.client.Options()
	for name, got := range map[string]time.Duration{"dial": o.DialTimeout, "read": o.ReadTimeout, "write": o.WriteTimeout, "pool": o.PoolTimeout} {
		if got <= 0 || got > DialTimeout {
			t.Errorf("%s timeout %s, want at most %s", name, got, DialTimeout)
		}
	}
	if o.MaxRetries != 0 || o.DialerRetries != 1 { // go-redis keeps "none" (-1) as 0
		t.Errorf("retries %d, dial retries %d; want none and one attempt", o.MaxRetries, o.DialerRetries)
	}
}

// TestBreakerOpensAndProbesByItsClock: TripAfter failures open the breaker;
// it then fails calls without trying them until its clock has moved OpenFor,
// when one call probes: a failed probe opens it again, an answer closes it.
func TestBreakerOpensAndProbesByItsClock(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	var changes []string
	b := &breaker{now: func() time.Time { return now }, openFor: OpenFor, tripAfter: TripAfter,
		isSuccessful: func(err error) bool { return err == nil },
		isExcluded:   func(err error) bool { return err == errLate },
		onChange:     func(from, to breakerState) { changes = append(changes, stateNames[from]+">"+stateNames[to]) }}
	tried := 0
	try := func(outcome error) error { return b.do(func() error { tried++; return outcome }) }
	for range TripAfter + 2 {
		try(errLate) // not counted
	}
	for i := range TripAfter {
		if err := try(errDown); err != errDown {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	tried = 0
	if err := try(nil); err != errBreakerOpen || tried != 0 {
		t.Fatalf("open: %v after %d calls tried", err, tried)
	}
	now = now.Add(OpenFor - time.Nanosecond)
	if err := try(nil); err != errBreakerOpen || tried != 0 {
		t.Fatalf("open, just before OpenFor: %v after %d calls tried", err, tried)
	}
	now = now.Add(time.Nanosecond)
	if err := try(errDown); err != errDown || tried != 1 {
		t.Fatalf("the probe: %v after %d calls tried", err, tried)
	}
	if err := try(nil); err != errBreakerOpen {
		t.Fatalf("after a failed probe: %v", err)
	}
	now = now.Add(OpenFor)
	// While the probe is out, other calls are not tried.
	b.do(func() error {
		if err := try(nil); err != errBreakerOpen {
			t.Errorf("a second call while the probe is out: %v", err)
		}
		return nil
	})
	if err := try(nil); err != nil {
		t.Fatalf("closed again: %v", err)
	}
	want := "closed>open open>halfOpen halfOpen>open open>halfOpen halfOpen>closed"
	if got := strings.Join(changes, " "); got != want {
		t.Errorf("changes %q, want %q", got, want)
	}
}

var (
	errDown    = errors.New("down")
	errLate    = errors.New("caller gave up")
	stateNames = map[breakerState]string{closed: "closed", open: "open", halfOpen: "halfOpen"}
)
