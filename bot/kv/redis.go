// Package kv implements bot.KV over Redis, and in memory for a laptop.
package kv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"contactbot/bot"
)

// How a Redis that does not answer is handled. Redis on the same network
// answers in well under a millisecond; a request makes a few calls, so these
// bound what an outage costs a request until the breaker opens, after which
// calls fail at once and callers use their fallbacks (docs/operations.md,
// "When things fail").
const (
	// DialTimeout bounds one connection attempt; go-redis's default (5 s, then
	// retried five times) is what made every request take 1.7 s.
	DialTimeout = 250 * time.Millisecond
	// IOTimeout bounds one command's write and read.
	IOTimeout = 200 * time.Millisecond
	// TripAfter consecutive failed calls open the breaker.
	TripAfter = 3
	// OpenFor is how long an open breaker fails calls without trying; then
	// one call probes Redis and, if it answers, closes the breaker.
	OpenFor = 2 * time.Second
)

// Redis is a bot.KV over Redis; every key is prefixed. Incr needs Redis 7.0 or
// later (PEXPIRE … NX). Calls go through a circuit breaker: while Redis does
// not answer they fail at once with an error wrapping bot.ErrKVUnavailable.
type Redis struct {
	client  *redis.Client
	prefix  string
	owned   bool
	breaker *breaker
}

var _ bot.KV = (*Redis)(nil)

// Options configure OpenRedis and NewRedis.
type Options struct {
	// Prefix goes before every key, e.g. "contactbot:".
	Prefix string
	// Log hears when Redis stops and starts answering; nil: slog.Default().
	Log *slog.Logger
	// OpenFor overrides the breaker's OpenFor (tests); zero: OpenFor.
	OpenFor time.Duration
	// Now is the breaker's clock; nil: time.Now. A test passes a clock it
	// moves past OpenFor instead of waiting.
	Now func() time.Time
}

// NewRedis wraps client; the caller keeps ownership of client: Close does
// not close it. The client's own timeouts and retries stay as they are.
func NewRedis(client *redis.Client, o Options) *Redis {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.OpenFor <= 0 {
		o.OpenFor = OpenFor
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Log
	return &Redis{client: client, prefix: o.Prefix, breaker: &breaker{
		now:       o.Now,
		openFor:   o.OpenFor,
		tripAfter: TripAfter,
		isSuccessful: func(err error) bool {
			// An answer is success, even an error reply (WRONGTYPE…) or a miss.
			var reply redis.Error
			return err == nil || errors.As(err, &reply)
		},
		// A caller that gave up or ran out of time says nothing about
		// Redis (do marks those failures).
		isExcluded: func(err error) bool {
			var late callerDone
			return errors.As(err, &late)
		},
		onChange: func(from, to breakerState) {
			switch to {
			case open:
				if from == closed {
					log.Warn("redis is not answering: running degraded (replay checks in the database, delete rate from the deletions table, no shared cache) until it answers again")
				}
			case closed:
				log.Info("redis answers again: shared store back in use")
			}
		},
	}}
}

// OpenRedis returns a store for the Redis at rawURL (redis:// or rediss://),
// configured to fail fast (DialTimeout, IOTimeout, no retries: the callers
// have fallbacks). Only a malformed URL is an error: a Redis that is down now
// is used once it answers (Ping tells). Errors never echo the URL, which may
// hold a password.
func OpenRedis(rawURL string, o Options) (*Redis, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL
		}
		return nil, fmt.Errorf("kv: invalid redis URL: %w", err)
	}
	// The URL's own settings (?dial_timeout=…) win.
	if opts.DialTimeout == 0 {
		opts.DialTimeout = DialTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = IOTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = IOTimeout
	}
	if opts.PoolTimeout == 0 {
		opts.PoolTimeout = IOTimeout
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = -1 // none: a retry of a dead server only doubles the wait
	}
	opts.DialerRetries = 1
	opts.ContextTimeoutEnabled = true
	quietRedis.Do(func() { redis.SetLogger(debugLogger{}) })
	r := NewRedis(redis.NewClient(opts), o)
	r.owned = true
	return r, nil
}

// quietRedis routes go-redis's own log lines ("failed to dial", on every
// attempt while Redis is down) to slog's debug level: the breaker logs the
// outage once. go-redis has one logger per process.
var quietRedis sync.Once

type debugLogger struct{}

func (debugLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.Default().DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}

// do runs one call made with ctx through the breaker.
func (r *Redis) do(ctx context.Context, fn func() error) error {
	err := r.breaker.do(func() error {
		err := fn()
		if err != nil && ctx.Err() != nil {
			// Cancelled, or out of time before Redis could answer (a
			// request whose budget a slow database used up): not counted.
			return callerDone{err}
		}
		return err
	})
	var late callerDone
	switch {
	case errors.Is(err, errBreakerOpen):
		return fmt.Errorf("kv: redis circuit open: %w", bot.ErrKVUnavailable)
	case errors.As(err, &late):
		return late.err
	}
	return err
}

// callerDone is a failed call whose context was done: the breaker does not
// count it.
type callerDone struct{ err error }

func (e callerDone) Error() string { return e.err.Error() }

// Close closes the client if OpenRedis opened it.
func (r *Redis) Close() error {
	if !r.owned {
		return nil
	}
	return r.client.Close()
}

func (r *Redis) key(k string) string { return r.prefix + k }

// ms converts a positive ttl to whole milliseconds, at least 1.
func ms(ttl time.Duration) int64 {
	return max(ttl.Milliseconds(), 1)
}

// SetNX is SET key value NX PX ttl; ttl <= 0 stores without expiry.
func (r *Redis) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	args := []any{"set", r.key(key), value, "nx"}
	if ttl > 0 {
		args = append(args, "px", ms(ttl))
	}
	err := r.do(ctx, func() error { return r.client.Do(ctx, args...).Err() })
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("kv: setnx: %w", err)
	}
	return true, nil
}

// Get returns the value under key, and false when there is none.
func (r *Redis) Get(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := r.do(ctx, func() (err error) {
		v, err = r.client.Get(ctx, r.key(key)).Result()
		return err
	})
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("kv: get: %w", err)
	}
	return v, true, nil
}

// Set is SET key value PX ttl; ttl <= 0 stores without expiry.
func (r *Redis) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	args := []any{"set", r.key(key), value}
	if ttl > 0 {
		args = append(args, "px", ms(ttl))
	}
	if err := r.do(ctx, func() error { return r.client.Do(ctx, args...).Err() }); err != nil {
		return fmt.Errorf("kv: set: %w", err)
	}
	return nil
}

// Incr is INCR then PEXPIRE … NX in one MULTI: the ttl is set by the first
// hit and later hits do not extend it (a fixed window). ttl <= 0 leaves the
// counter without expiry.
func (r *Redis) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	k := r.key(key)
	var incr *redis.IntCmd
	err := r.do(ctx, func() error {
		_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			incr = p.Incr(ctx, k)
			if ttl > 0 {
				// Not EXPIRE: it takes whole seconds, and 0 would delete the key.
				p.Do(ctx, "pexpire", k, ms(ttl), "nx")
			}
			return nil
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("kv: incr: %w", err)
	}
	return incr.Val(), nil
}

// Del removes keys; missing keys are not an error.
func (r *Redis) Del(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.key(k)
	}
	if err := r.do(ctx, func() error { return r.client.Del(ctx, full...).Err() }); err != nil {
		return fmt.Errorf("kv: del: %w", err)
	}
	return nil
}

// Ping reports whether Redis answers. It goes through the breaker too, so
// /readyz probing a dead Redis costs nothing and a ping that answers closes it.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.do(ctx, func() error { return r.client.Ping(ctx).Err() }); err != nil {
		return fmt.Errorf("kv: ping: %w", err)
	}
	return nil
}
