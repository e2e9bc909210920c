package crm

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// sweepSeenEvery is how many fresh keys MarkSeen records between two
// deletions of expired ones: rows only accumulate during a Redis outage.
const sweepSeenEvery = 200

var seenInserts atomic.Int64

// MarkSeen records key as seen for ttl and reports whether it was new (or
// its previous sighting had expired). It is the database's stand-in for
// Redis's SET NX while Redis cannot answer: every replica sees the same
// keys, so a replayed request or a redelivered envelope is still refused.
func (s *Store) MarkSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	now := s.now().UTC()
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO seen_keys (key, expires_at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_keys.expires_at <= ?`),
		key, now.Add(ttl), now)
	if err != nil {
		return false, fmt.Errorf("mark seen: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark seen: %w", err)
	}
	if n == 1 && seenInserts.Add(1)%sweepSeenEvery == 0 {
		// Best effort: a failed sweep is retried by a later one.
		_, _ = s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM seen_keys WHERE expires_at <= ?`), now)
	}
	return n == 1, nil
}

// DirectDeletesSince counts the deletes user made without an approval since
// the given time: what DELETE_RATE_LIMIT limits. Each contact of a batch
// counts; the batch's own record does not.
func (s *Store) DirectDeletesSince(ctx context.Context, user string, since time.Time) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM deletions
		WHERE deleted_by = ? AND approved_by IS NULL AND deleted_at >= ? AND batch_id <> id`), user, since.UTC()); err != nil {
		return 0, fmt.Errorf("count direct deletes: %w", err)
	}
	return n, nil
}
