package kv_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/kv"
	"contactbot/crm/crmtest"
	"contactbot/internal/testsvc"
)

// openPrivate opens a store on a private redis-server whose breaker reads
// clock: the test moves it past kv.OpenFor to let the next call probe.
func openPrivate(t *testing.T, rd *testsvc.Redis, clock *crmtest.Clock) *kv.Redis {
	t.Helper()
	r, err := kv.OpenRedis(rd.URL(), kv.Options{Prefix: "t:", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// call makes one SetNX.
func call(r *kv.Redis, key string) error {
	_, err := r.SetNX(context.Background(), key, "1", time.Minute)
	return err
}

// TestRedisDownFailsFast: with the server killed, calls fail (in
// milliseconds: TestOpenRedisFailsFast checks the timeouts and retries);
// after TripAfter failures they fail without trying, wrapping
// bot.ErrKVUnavailable; when the server is back, the same store uses it
// again.
func TestRedisDownFailsFast(t *testing.T) {
	rd := testsvc.StartRedis(t)
	clock := crmtest.NewClock(time.Now())
	r := openPrivate(t, rd, clock)
	if err := call(r, "before"); err != nil {
		t.Fatalf("Redis up: %v", err)
	}
	rd.Stop(t)
	for i := range kv.TripAfter + 2 {
		err := call(r, "during")
		if err == nil {
			t.Fatalf("call %d succeeded with Redis down", i)
		}
		if tripped := errors.Is(err, bot.ErrKVUnavailable); tripped != (i >= kv.TripAfter) {
			t.Errorf("call %d: breaker open = %v (err %v)", i, tripped, err)
		}
	}
	rd.Start(t)
	clock.Advance(kv.OpenFor) // the next call probes
	if err := call(r, "after"); err != nil {
		t.Fatalf("Redis back: %v", err)
	}
	if fresh, err := r.SetNX(context.Background(), "after", "1", time.Minute); err != nil || fresh {
		t.Errorf("Redis back: second SetNX = %v, %v; want false, nil", fresh, err)
	}
}

// TestRedisHungFailsFast: a server that accepts connections but never
// answers fails each call (at its IOTimeout: TestOpenRedisFailsFast) until
// the breaker opens, then fails calls without trying them.
// (BenchmarkRedisOutage in bot measures what they cost.)
func TestRedisHungFailsFast(t *testing.T) {
	rd := testsvc.StartRedis(t)
	clock := crmtest.NewClock(time.Now())
	r := openPrivate(t, rd, clock)
	if err := call(r, "before"); err != nil {
		t.Fatalf("Redis up: %v", err)
	}
	rd.Pause(t)
	for i := range kv.TripAfter {
		err := call(r, "hung")
		if err == nil {
			t.Fatalf("call %d succeeded with Redis hung", i)
		}
		if errors.Is(err, bot.ErrKVUnavailable) {
			t.Errorf("call %d: the breaker opened before %d timeouts: %v", i, kv.TripAfter, err)
		}
	}
	// ErrKVUnavailable is the open breaker's answer, given without a call.
	if err := call(r, "hung"); !errors.Is(err, bot.ErrKVUnavailable) {
		t.Errorf("after %d timeouts: %v; want an immediate ErrKVUnavailable", kv.TripAfter, err)
	}
	rd.Resume(t)
	clock.Advance(kv.OpenFor)
	var lastErr error
	for range 10 { // the probe may still meet a connection the pause spoiled
		if lastErr = call(r, "after"); lastErr == nil {
			break
		}
		clock.Advance(kv.OpenFor) // a failed probe opened the breaker again
	}
	if lastErr != nil {
		t.Fatalf("Redis resumed: %v", lastErr)
	}
}

// TestCallerOutOfTimeKeepsBreakerClosed: calls whose caller ran out of time
// (a request whose budget a slow database used up) say nothing about Redis:
// however many there are, the breaker stays closed and the next call with
// time left reaches Redis.
func TestCallerOutOfTimeKeepsBreakerClosed(t *testing.T) {
	rd := testsvc.StartRedis(t)
	clock := crmtest.NewClock(time.Now())
	r := openPrivate(t, rd, clock)
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for i := range kv.TripAfter + 2 {
		if _, err := r.SetNX(expired, "late", "1", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call %d with its deadline past: %v, want context.DeadlineExceeded", i, err)
		}
	}
	if fresh, err := r.SetNX(context.Background(), "in-time", "1", time.Minute); err != nil || !fresh {
		t.Errorf("a call in time after %d late ones: %v, %v; want true, nil (the breaker closed)", kv.TripAfter+2, fresh, err)
	}
}
