package crm

import (
	"context"
	"fmt"
	"time"
)

// DuplicatesQuery is the query Search runs to flag possible duplicates of c.
func (s *Store) DuplicatesQuery(c Contact) (string, []any) { return s.duplicatesQuery(c) }

// SearchStatement is one statement Search may run for a query.
type SearchStatement struct {
	Name string // probe 1…, count 1…, longer words
	SQL  string // ? placeholders
	Args []any
}

// SearchStatements is every statement Search may run for q, in order: the
// probes (whole SELECTs), the count, and the longer-words check, so that
// tests check the plans of the real queries.
func (s *Store) SearchStatements(q string) []SearchStatement {
	plan := s.planSearch(q)
	var out []SearchStatement
	for i, p := range plan.probes {
		out = append(out, SearchStatement{fmt.Sprintf("probe %d", i+1), p.sql, p.args})
	}
	if plan.count.sql != "" {
		out = append(out, SearchStatement{"count", plan.count.sql, plan.count.args})
	}
	if plan.extends.sql != "" {
		out = append(out, SearchStatement{"longer words", plan.extends.sql, plan.extends.args})
	}
	return out
}

// DuplicatesOfAll is the one statement Search runs to flag the shown
// contacts' possible duplicates.
func (s *Store) DuplicatesOfAll(ctx context.Context, cs []Contact) (map[string][]ContactRef, error) {
	return s.duplicatesOfAll(ctx, cs)
}

// LinkedManyByKind is LinkedMany as SQLite runs it (a statement per kind),
// to compare with PostgreSQL's one statement.
func (s *Store) LinkedManyByKind(ctx context.Context, ids []string) ([]ContactLinked, error) {
	return s.linkedManyByKind(ctx, s.db, ids)
}

// QueryWords are the folded words a name search looks for.
var QueryWords = queryWords

// ArchivedContactWhere is the condition (on archived_rows a) FindDeletions
// runs to find deletions by an email or a phone number.
func (s *Store) ArchivedContactWhere(q string) (string, []any) {
	return s.dialect.archivedContactWhere(q, s.phoneCountry)
}

// IsUniqueViolation is isUniqueViolation, for tests on each dialect's errors.
var IsUniqueViolation = isUniqueViolation

// NextRun is when job name is due next; zero when it was never registered.
func (s *Store) NextRun(ctx context.Context, name string) (time.Time, error) {
	var at []time.Time
	if err := s.db.SelectContext(ctx, &at, s.db.Rebind(`SELECT next_run_at FROM periodic_jobs WHERE name = ?`), name); err != nil {
		return time.Time{}, err
	}
	if len(at) == 0 {
		return time.Time{}, nil
	}
	return at[0], nil
}

// OptedOutBefore reports whether a contact got its DND back from the
// suppression list, and the newest delete date it came from.
func (s *Store) OptedOutBefore(ctx context.Context, contactID string) (time.Time, bool, error) {
	m, err := s.optedOutBefore(ctx, []string{contactID})
	t, ok := m[contactID]
	return t, ok, err
}

// SetLockWait shortens LockWait for s, so that a test of a lock wait that
// gives up does not wait half a minute.
func (s *Store) SetLockWait(d time.Duration) { s.lockWait = d }
