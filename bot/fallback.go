package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// What the bot does when the shared store (Redis) cannot answer: it is an
// accelerator, never a reason to refuse work. Each use has its fallback:
//   - FirstSeen (replays, redelivered envelopes, warnings already shown):
//     the database's seen_keys, shared by every replica;
//   - the delete rate limit: the deletions table (roles.go);
//   - the user-group cache: a copy in this process (groupMembers).

// maxSeenTTL is the longest ttl FirstSeen is used with (Socket Mode
// envelopes); after a fallback, sightings are checked in the database too
// for this long.
const maxSeenTTL = 10 * time.Minute

// kvFailed logs a shared-store error, unless the store already said it is
// down (it logged that once).
func (b *Bot) kvFailed(what string, err error, attrs ...any) {
	if errors.Is(err, ErrKVUnavailable) {
		return
	}
	b.log.Warn(what+": shared store failed; using the fallback", append(attrs, "err", err)...)
}

// FirstSeen reports whether key is seen for the first time within ttl, on
// any replica: a Slack delivery or click handled once. It asks the shared
// store and, when that cannot answer, the database. Keys recorded in the
// database during an outage are checked there too until they expire, so a
// request seen during the outage is not fresh again once Redis is back. An
// error means neither could answer.
func (b *Bot) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	fresh, err := b.kv.SetNX(ctx, key, "1", ttl)
	if err == nil {
		if !fresh || !b.fellBackWithin(maxSeenTTL) {
			return fresh, nil
		}
		// Back from an outage: the key may have been seen meanwhile.
		seenInDB, dbErr := b.store.MarkSeen(ctx, key, ttl)
		if dbErr != nil {
			return true, nil // Redis answered; the extra check is best effort
		}
		return seenInDB, nil
	}
	b.kvFailed("dedupe", err, "key", keyKind(key))
	b.lastFallback.Store(b.now().UnixNano())
	fresh, dbErr := b.store.MarkSeen(ctx, key, ttl)
	if dbErr != nil {
		return false, fmt.Errorf("first seen: shared store: %v; database: %w", err, dbErr)
	}
	return fresh, nil
}

// fellBackWithin reports whether FirstSeen used the database within d.
func (b *Bot) fellBackWithin(d time.Duration) bool {
	last := b.lastFallback.Load()
	return last != 0 && b.now().Sub(time.Unix(0, last)) < d
}

// keyKind is the part of a key before its first colon, for logs: keys carry
// signatures and ids that logs need not repeat.
func keyKind(key string) string {
	for i := range len(key) {
		if key[i] == ':' {
			return key[:i]
		}
	}
	return key
}

// localGroups keeps the user groups this process last heard from Slack, for
// when the shared cache cannot be read: without it every request would ask
// Slack, whose usergroups.users.list allows about 20 calls a minute.
type localGroups struct {
	mu sync.Mutex
	m  map[string]localGroup
}

type localGroup struct {
	members []string
	fetched time.Time
}

func (g *localGroups) get(id string, now time.Time) ([]string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.m[id]
	if !ok || now.Sub(e.fetched) >= groupCacheTTL {
		return nil, false
	}
	return e.members, true
}

func (g *localGroups) put(id string, members []string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]localGroup{}
	}
	g.m[id] = localGroup{members: members, fetched: now}
}
