package crm_test

import (
	"context"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestMessageOrigins: an origin is read back only by the person it was
// issued to, and is pruned after a week.
func TestMessageOrigins(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		id, err := s.RecordMessageOrigin(ctx, "U1", "CSUPPORT", "1795895340.000200")
		if err != nil {
			t.Fatal(err)
		}
		if o, found, err := s.MessageOriginOf(ctx, id, "U1"); err != nil || !found || o.Channel != "CSUPPORT" || o.MessageTS != "1795895340.000200" {
			t.Errorf("own origin = %+v, %v, %v", o, found, err)
		}
		if _, found, err := s.MessageOriginOf(ctx, id, "U2"); err != nil || found {
			t.Errorf("someone else's origin found: %v, %v", found, err)
		}
		clock.Advance(6 * 24 * time.Hour)
		if n, err := s.PruneMessageOrigins(ctx); err != nil || n != 0 {
			t.Errorf("pruned %d, %v before a week", n, err)
		}
		clock.Advance(24*time.Hour + time.Second)
		if n, err := s.PruneMessageOrigins(ctx); err != nil || n != 1 {
			t.Errorf("pruned %d, %v after a week", n, err)
		}
		if _, found, _ := s.MessageOriginOf(ctx, id, "U1"); found {
			t.Error("pruned origin still found")
		}
	})
}
