package kv

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestMemorySweepsExpired(t *testing.T) {
	t.Parallel()
	s := NewMemory()
	now := time.Unix(1_700_000_000, 0)
	s.now = func() time.Time { return now }
	s.lastSweep = now
	ctx := context.Background()
	for i := range 100 {
		if err := s.Set(ctx, fmt.Sprint("old", i), "x", time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set(ctx, "keep", "x", time.Hour); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Second)
	if err := s.Set(ctx, "trigger", "x", time.Hour); err != nil { // no sweep yet
		t.Fatal(err)
	}
	if len(s.m) != 102 {
		t.Fatalf("swept too early: %d entries", len(s.m))
	}
	now = now.Add(sweepEvery)
	if _, err := s.Incr(ctx, "hits", time.Hour); err != nil {
		t.Fatal(err)
	}
	if len(s.m) != 3 {
		t.Fatalf("after sweep: %d entries, want keep, trigger, hits", len(s.m))
	}
}

func TestMemoryIncrGivesTTLToKeyWithoutOne(t *testing.T) {
	t.Parallel()
	s := NewMemory()
	now := time.Unix(1_700_000_000, 0)
	s.now = func() time.Time { return now }
	ctx := context.Background()
	if err := s.Set(ctx, "c", "5", 0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Incr(ctx, "c", time.Second); err != nil || n != 6 {
		t.Fatalf("Incr = %d, %v", n, err)
	}
	now = now.Add(time.Second)
	if _, ok, _ := s.Get(ctx, "c"); ok {
		t.Fatal("counter without ttl did not get one from Incr (Redis PEXPIRE NX would)")
	}
}
