package kv

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"contactbot/bot"
)

// sweepEvery is how often a write also drops every expired entry; between
// sweeps, entries expire lazily when read.
const sweepEvery = time.Minute

// ErrNotInteger is Incr's error when the key holds something other than a
// counter (Redis answers the same case with an error too).
var ErrNotInteger = errors.New("kv: value is not an integer")

// Memory is an in-process bot.KV with the same semantics as Redis, for one
// process on a laptop or in tests.
type Memory struct {
	mu        sync.Mutex
	m         map[string]entry
	lastSweep time.Time
	now       func() time.Time
}

type entry struct {
	value   string
	expires time.Time // zero: never
}

var _ bot.KV = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{m: map[string]entry{}, now: time.Now, lastSweep: time.Now()}
}

func (e entry) expired(now time.Time) bool {
	return !e.expires.IsZero() && !now.Before(e.expires)
}

func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

// lookupLocked returns the live entry under key, dropping it if expired.
func (s *Memory) lookupLocked(key string, now time.Time) (entry, bool) {
	e, ok := s.m[key]
	if !ok {
		return entry{}, false
	}
	if e.expired(now) {
		delete(s.m, key)
		return entry{}, false
	}
	return e, true
}

// storeLocked writes key and, now and then, sweeps expired entries.
func (s *Memory) storeLocked(key string, e entry, now time.Time) {
	s.m[key] = e
	if now.Sub(s.lastSweep) >= sweepEvery {
		for k, e := range s.m {
			if e.expired(now) {
				delete(s.m, k)
			}
		}
		s.lastSweep = now
	}
}

// SetNX stores value under key only if key is absent or expired.
func (s *Memory) SetNX(_ context.Context, key, value string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if _, ok := s.lookupLocked(key, now); ok {
		return false, nil
	}
	s.storeLocked(key, entry{value: value, expires: expiry(now, ttl)}, now)
	return true, nil
}

// Get returns the value under key, and false when there is none.
func (s *Memory) Get(_ context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lookupLocked(key, s.now())
	return e.value, ok, nil
}

// Set stores value under key for ttl (ttl <= 0: no expiry).
func (s *Memory) Set(_ context.Context, key, value string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.storeLocked(key, entry{value: value, expires: expiry(now, ttl)}, now)
	return nil
}

// Incr adds one to the counter under key. A new counter lives for ttl from
// this first hit; later hits do not extend it. A missing or expired key
// counts from zero.
func (s *Memory) Incr(_ context.Context, key string, ttl time.Duration) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.lookupLocked(key, now)
	var n int64
	if ok {
		var err error
		if n, err = strconv.ParseInt(e.value, 10, 64); err != nil {
			return 0, ErrNotInteger
		}
	}
	if e.expires.IsZero() { // as PEXPIRE … NX: only a key without expiry gets one
		e.expires = expiry(now, ttl)
	}
	n++
	e.value = strconv.FormatInt(n, 10)
	s.storeLocked(key, e, now)
	return n, nil
}

// Del removes keys.
func (s *Memory) Del(_ context.Context, keys ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.m, k)
	}
	return nil
}

// Ping always succeeds.
func (s *Memory) Ping(context.Context) error { return nil }

// Close does nothing; it mirrors Redis.Close.
func (s *Memory) Close() error { return nil }
