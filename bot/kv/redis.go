// Package kv implements bot.KV over Redis, and in memory for a laptop.
package kv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"

	"contactbot/bot"
)

// PingTimeout bounds the connection check in OpenRedis.
const PingTimeout = 3 * time.Second

// Redis is a bot.KV over Redis; every key is prefixed. Incr needs Redis 7.0 or
// later (PEXPIRE … NX).
type Redis struct {
	client *redis.Client
	prefix string
	owned  bool
}

var _ bot.KV = (*Redis)(nil)

// NewRedis wraps client; prefix (e.g. "contactbot:") goes before every key.
// The caller keeps ownership of client: Close does not close it.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// OpenRedis connects to the Redis at rawURL (redis:// or rediss://) and checks
// it answers. Errors never echo the URL, which may hold a password.
func OpenRedis(rawURL, prefix string) (*Redis, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL
		}
		return nil, fmt.Errorf("kv: invalid redis URL: %w", err)
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("kv: ping redis at %s: %w", opts.Addr, err)
	}
	r := NewRedis(client, prefix)
	r.owned = true
	return r, nil
}

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
	err := r.client.Do(ctx, args...).Err()
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
	v, err := r.client.Get(ctx, r.key(key)).Result()
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
	if err := r.client.Do(ctx, args...).Err(); err != nil {
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
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, k)
		if ttl > 0 {
			// Not EXPIRE: it takes whole seconds, and 0 would delete the key.
			p.Do(ctx, "pexpire", k, ms(ttl), "nx")
		}
		return nil
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
	if err := r.client.Del(ctx, full...).Err(); err != nil {
		return fmt.Errorf("kv: del: %w", err)
	}
	return nil
}

// Ping reports whether Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("kv: ping: %w", err)
	}
	return nil
}
