package kv_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"contactbot/bot"
	"contactbot/bot/kv"
)

func randomPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "kvtest:" + hex.EncodeToString(b) + ":"
}

// TestMain says what does not run without TEST_REDIS_URL.
func TestMain(m *testing.M) {
	if os.Getenv("TEST_REDIS_URL") == "" {
		fmt.Println("contactbot tests: TEST_REDIS_URL is not set: tests that need Redis are skipped (bash .ci/run runs everything).")
	}
	os.Exit(m.Run())
}

// redisClient connects to TEST_REDIS_URL. With the variable unset the test
// is skipped; with it set, a Redis that does not answer fails the test.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	u := os.Getenv("TEST_REDIS_URL")
	if u == "" {
		t.Skip("Redis only: set TEST_REDIS_URL (bash .ci/run sets it) to run it")
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		t.Fatalf("redis at TEST_REDIS_URL: %v", err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// newRedis returns a Redis store under a random prefix whose keys are deleted
// when the test ends.
func newRedis(t *testing.T) bot.KV {
	client := redisClient(t)
	prefix := randomPrefix()
	t.Cleanup(func() { deleteKeys(t, client, prefix) })
	return kv.NewRedis(client, kv.Options{Prefix: prefix})
}

func deleteKeys(t *testing.T, client *redis.Client, prefix string) {
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s*: %v", prefix, err)
	}
	if len(keys) > 0 {
		if err := client.Del(ctx, keys...).Err(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
}

var stores = []struct {
	name string
	open func(t *testing.T) bot.KV
}{
	{"memory", func(*testing.T) bot.KV { return kv.NewMemory() }},
	{"redis", newRedis},
}

// forEach runs test against every implementation.
func forEach(t *testing.T, test func(t *testing.T, s bot.KV)) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			test(t, st.open(t))
		})
	}
}

// eventually polls cond every 5ms until it holds, failing after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func missing(t *testing.T, s bot.KV, key string) func() bool {
	return func() bool {
		_, ok, err := s.Get(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		return !ok
	}
}

func TestSetNXOnlyOnce(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		ctx := context.Background()
		if !must[bool](t)(s.SetNX(ctx, "k", "first", time.Minute)) {
			t.Fatal("first SetNX did not store")
		}
		if must[bool](t)(s.SetNX(ctx, "k", "second", time.Minute)) {
			t.Fatal("second SetNX stored")
		}
		v, ok, err := s.Get(ctx, "k")
		if err != nil || !ok || v != "first" {
			t.Fatalf("Get = %q, %v, %v", v, ok, err)
		}
	})
}

func TestSetNXExpires(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		ctx := context.Background()
		if !must[bool](t)(s.SetNX(ctx, "k", "v", 50*time.Millisecond)) {
			t.Fatal("SetNX did not store")
		}
		eventually(t, 2*time.Second, "key did not expire", missing(t, s, "k"))
		if !must[bool](t)(s.SetNX(ctx, "k", "again", time.Minute)) {
			t.Fatal("SetNX after expiry did not store")
		}
	})
}

func TestSetGetAndExpiry(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		ctx := context.Background()
		if err := s.Set(ctx, "k", "one", time.Minute); err != nil {
			t.Fatal(err)
		}
		// Long enough to read it back on a busy machine (tests run in
		// parallel), short enough to see it expire.
		if err := s.Set(ctx, "k", "two", 500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		v, ok, err := s.Get(ctx, "k")
		if err != nil || !ok || v != "two" {
			t.Fatalf("Get = %q, %v, %v", v, ok, err)
		}
		eventually(t, 2*time.Second, "key did not expire", missing(t, s, "k"))

		// ttl <= 0 means no expiry.
		if err := s.Set(ctx, "forever", "x", 0); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.Get(ctx, "forever"); !ok {
			t.Fatal("Set with ttl 0 stored nothing")
		}
	})
}

func TestGetMissing(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		v, ok, err := s.Get(context.Background(), "nope")
		if v != "" || ok || err != nil {
			t.Fatalf("Get = %q, %v, %v; want \"\", false, nil", v, ok, err)
		}
	})
}

func TestIncrCountsAndExpires(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		ctx := context.Background()
		for want := int64(1); want <= 3; want++ {
			if got := must[int64](t)(s.Incr(ctx, "c", 500*time.Millisecond)); got != want {
				t.Fatalf("Incr = %d, want %d", got, want)
			}
		}
		v, ok, _ := s.Get(ctx, "c")
		if !ok || v != "3" {
			t.Fatalf("Get counter = %q, %v", v, ok)
		}
		eventually(t, 2*time.Second, "counter did not expire", missing(t, s, "c"))
		if got := must[int64](t)(s.Incr(ctx, "c", time.Minute)); got != 1 {
			t.Fatalf("Incr after expiry = %d, want 1", got)
		}
	})
}

// The window starts at the first hit: hits keep coming, yet the count resets.
func TestIncrFixedWindow(t *testing.T) {
	forEach(t, func(t *testing.T, s bot.KV) {
		ctx := context.Background()
		start := time.Now()
		must[int64](t)(s.Incr(ctx, "w", 100*time.Millisecond))
		eventually(t, 2*time.Second, "later hits kept extending the window", func() bool {
			return must[int64](t)(s.Incr(ctx, "w", 100*time.Millisecond)) == 1
		})
		if since := time.Since(start); since < 90*time.Millisecond {
			t.Fatalf("window reset after %v, before its ttl", since)
		}
	})
}

func TestIncrConcurrent(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		var wg sync.WaitGroup
		results := make(chan int64, 20)
		for range 20 {
			wg.Go(func() {
				n, err := s.Incr(context.Background(), "c", time.Minute)
				if err != nil {
					t.Error(err)
				}
				results <- n
			})
		}
		wg.Wait()
		close(results)
		seen := map[int64]bool{}
		for n := range results {
			seen[n] = true
		}
		for n := int64(1); n <= 20; n++ {
			if !seen[n] {
				t.Errorf("no goroutine got %d: %v", n, seen)
			}
		}
	})
}

func TestIncrNotInteger(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		ctx := context.Background()
		if err := s.Set(ctx, "s", "hello", time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Incr(ctx, "s", time.Minute); err == nil {
			t.Fatal("Incr on a string succeeded")
		}
	})
}

func TestDel(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		ctx := context.Background()
		for _, k := range []string{"a", "b", "c"} {
			if err := s.Set(ctx, k, k, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Del(ctx, "a", "b", "never-set"); err != nil {
			t.Fatal(err)
		}
		if err := s.Del(ctx); err != nil {
			t.Fatalf("Del with no keys: %v", err)
		}
		for k, want := range map[string]bool{"a": false, "b": false, "c": true} {
			if _, ok, _ := s.Get(ctx, k); ok != want {
				t.Errorf("%s present = %v, want %v", k, ok, want)
			}
		}
		if !must[bool](t)(s.SetNX(ctx, "a", "new", time.Minute)) {
			t.Error("SetNX after Del did not store")
		}
	})
}

func TestPing(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConcurrentSetNXStoresOnce(t *testing.T) {
	t.Parallel()
	forEach(t, func(t *testing.T, s bot.KV) {
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []string
		)
		for i := range 20 {
			wg.Go(func() {
				v := fmt.Sprint("g", i)
				ok, err := s.SetNX(context.Background(), "once", v, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					winners = append(winners, v)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("%d goroutines stored: %v", len(winners), winners)
		}
		if v, _, _ := s.Get(context.Background(), "once"); v != winners[0] {
			t.Fatalf("stored %q, winner was %q", v, winners[0])
		}
	})
}

func TestRedisPrefix(t *testing.T) {
	t.Parallel()
	client := redisClient(t)
	ctx := context.Background()
	p1, p2 := randomPrefix(), randomPrefix()
	t.Cleanup(func() { deleteKeys(t, client, p1); deleteKeys(t, client, p2) })
	a, b := kv.NewRedis(client, kv.Options{Prefix: p1}), kv.NewRedis(client, kv.Options{Prefix: p2})
	if err := a.Set(ctx, "k", "from-a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b.Get(ctx, "k"); ok {
		t.Error("prefixes do not isolate")
	}
	if v, err := client.Get(ctx, p1+"k").Result(); err != nil || v != "from-a" {
		t.Errorf("raw key %sk = %q, %v", p1, v, err)
	}
	must[int64](t)(a.Incr(ctx, "n", time.Minute))
	if ttl := client.PTTL(ctx, p1+"n").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("counter PTTL = %v", ttl)
	}
	// Close does not close a client the caller owns.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.Ping(ctx).Err(); err != nil {
		t.Errorf("client closed by Close: %v", err)
	}
}

func TestOpenRedis(t *testing.T) {
	t.Parallel()
	redisClient(t) // skips without Redis
	u := os.Getenv("TEST_REDIS_URL")
	prefix := randomPrefix()
	r, err := kv.OpenRedis(u, kv.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Ping(context.Background()); err == nil {
		t.Error("Ping after Close succeeded")
	}
}

func TestOpenRedisErrorsHidePassword(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"redis://user:hunter2secret@127.0.0.1:1/x",   // bad db number
		"redis://user:hunter2secret@[::1%zz/0",       // unparsable
		"http://user:hunter2secret@127.0.0.1:6379/0", // wrong scheme
	} {
		_, err := kv.OpenRedis(u, kv.Options{Prefix: "p:"})
		if err == nil {
			t.Errorf("%q: no error", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("error echoes the password: %v", err)
		}
	}
	// Nothing listens on port 1: opening works (Redis may come later), the
	// ping says why it failed, without the password.
	r, err := kv.OpenRedis("redis://user:hunter2secret@127.0.0.1:1/0", kv.Options{Prefix: "p:"})
	if err != nil {
		t.Fatalf("OpenRedis of an unreachable Redis: %v", err)
	}
	defer r.Close()
	err = r.Ping(context.Background())
	if err == nil || strings.Contains(err.Error(), "hunter2secret") {
		t.Errorf("Ping of an unreachable Redis: %v", err)
	}
}
