package crm

import (
	"context"

	"contactbot/outbox"
)

// What `contactbot doctor` asks of the store: read-only questions about
// the deployment, answered without changing anything.

// OutboxStuck lists, oldest first, at most limit conversations whose next
// outbox note Slack has refused at least once (outbox.Outbox.Stuck).
func (s *Store) OutboxStuck(ctx context.Context, limit int) ([]outbox.Stuck, error) {
	return s.outbox.Stuck(ctx, limit)
}

// SuppressionKeyState is how a SUPPRESSION_KEY compares with the key the
// database holds.
type SuppressionKeyState struct {
	// Stored is whether the database holds a key yet (serve or migrate
	// stores the first one); Matches whether it is the one given.
	Stored, Matches bool
	// Entries counts the suppression list's entries, made with the stored key.
	Entries int
}

// CheckSuppressionKey compares hexKey with the key the database holds,
// through their keyed hashes of a fixed text (as SetSuppressionKey does),
// and writes nothing: the key is sent nowhere. A malformed key is an error
// (ParseSuppressionKey's).
func (s *Store) CheckSuppressionKey(ctx context.Context, hexKey string) (SuppressionKeyState, error) {
	key, err := ParseSuppressionKey(hexKey)
	if err != nil {
		return SuppressionKeyState{}, err
	}
	stored, err := storedKeyCheck(ctx, s.db)
	if err != nil {
		return SuppressionKeyState{}, err
	}
	st := SuppressionKeyState{Stored: stored != "", Matches: stored == suppressionKeyCheck(key)}
	st.Entries, err = countSuppressions(ctx, s.db)
	return st, err
}
