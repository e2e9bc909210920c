package kv_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/kv"
	"contactbot/internal/testsvc"
)

// openPrivate opens a store on a private redis-server, with a short breaker.
func openPrivate(t *testing.T, rd *testsvc.Redis) *kv.Redis {
	t.Helper()
	r, err := kv.OpenRedis(rd.URL(), kv.Options{Prefix: "t:", OpenFor: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// call times one SetNX.
func call(r *kv.Redis, key string) (time.Duration, error) {
	start := time.Now()
	_, err := r.SetNX(context.Background(), key, "1", time.Minute)
	return time.Since(start), err
}

// TestRedisDownFailsFast: with the server killed, calls fail in
// milliseconds (no 5-second dial, no retries); after TripAfter failures they
// fail without trying, wrapping bot.ErrKVUnavailable; when the server is
// back, the same store uses it again.
func TestRedisDownFailsFast(t *testing.T) {
	rd := testsvc.StartRedis(t)
	r := openPrivate(t, rd)
	if _, err := call(r, "before"); err != nil {
		t.Fatalf("Redis up: %v", err)
	}
	rd.Stop(t)
	for i := range kv.TripAfter + 2 {
		took, err := call(r, "during")
		if err == nil {
			t.Fatalf("call %d succeeded with Redis down", i)
		}
		if took > time.Second { // go-redis's defaults: 5 s dials, retried
			t.Errorf("call %d with Redis down took %s", i, took)
		}
		if tripped := errors.Is(err, bot.ErrKVUnavailable); tripped != (i >= kv.TripAfter) {
			t.Errorf("call %d: breaker open = %v (err %v)", i, tripped, err)
		}
	}
	rd.Start(t)
	time.Sleep(150 * time.Millisecond) // past OpenFor: the next call probes
	if _, err := call(r, "after"); err != nil {
		t.Fatalf("Redis back: %v", err)
	}
	if fresh, err := r.SetNX(context.Background(), "after", "1", time.Minute); err != nil || fresh {
		t.Errorf("Redis back: second SetNX = %v, %v; want false, nil", fresh, err)
	}
}

// TestRedisHungFailsFast: a server that accepts connections but never
// answers costs one IOTimeout per call until the breaker opens, then nothing.
// (The bounds are loose: the machine is shared; BenchmarkRedisOutage in
// bot measures.)
func TestRedisHungFailsFast(t *testing.T) {
	rd := testsvc.StartRedis(t)
	r := openPrivate(t, rd)
	if _, err := call(r, "before"); err != nil {
		t.Fatalf("Redis up: %v", err)
	}
	rd.Pause(t)
	for i := range kv.TripAfter {
		took, err := call(r, "hung")
		if err == nil {
			t.Fatalf("call %d succeeded with Redis hung", i)
		}
		if took > time.Second { // go-redis's defaults: 3 s reads, retried
			t.Errorf("call %d with Redis hung took %s", i, took)
		}
	}
	took, err := call(r, "hung")
	if !errors.Is(err, bot.ErrKVUnavailable) || took > 50*time.Millisecond {
		t.Errorf("after %d timeouts: %s, %v; want an immediate ErrKVUnavailable", kv.TripAfter, took, err)
	}
	rd.Resume(t)
	time.Sleep(150 * time.Millisecond)
	var lastErr error
	for range 10 { // the probe may still meet a connection the pause spoiled
		if _, lastErr = call(r, "after"); lastErr == nil {
			break
		}
		time.Sleep(150 * time.Millisecond)
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
	r := openPrivate(t, rd)
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
