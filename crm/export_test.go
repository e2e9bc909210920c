package crm

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
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

// MigrateAsBefore600 migrates the way the bot did before its tables had a
// schema of their own: every migration up to 00570, in the one schema it
// shared with the CRM (the CRM's), with no migration 00600 known.
func (s *Store) MigrateAsBefore600(ctx context.Context) error {
	db := s.db.DB
	if s.dialect == Postgres {
		pool, err := sql.Open("postgres", withSessionSettings(s.url, s.schemas.CRM))
		if err != nil {
			return err
		}
		defer pool.Close()
		db = pool
	}
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return err
	}
	d := goose.DialectSQLite3
	if s.dialect == Postgres {
		d = goose.DialectPostgres
	}
	p, err := goose.NewProvider(d, db, sub, goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true))
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, 570)
	return err
}

// OldLayoutTables are the bot's tables that migration 00600 moves.
var OldLayoutTables = oldLayoutTables

// WithBatchChunk sets how many contacts one transaction of the batch deletes.
func WithBatchChunk(r BatchRequest, n int) BatchRequest { r.chunk = n; return r }

// ForgetOperation makes the store forget it works on op, as a restarted
// process would (SQLite tells a live operation only by this memory).
func (s *Store) ForgetOperation(op string) {
	s.runningMu.Lock()
	delete(s.running, op)
	s.runningMu.Unlock()
}

// BatchWhere is the WHERE clause (over contacts c) a preview of f runs.
func (s *Store) BatchWhere(f BatchFilter) (string, []any) { return s.batchWhere(f) }

// SearchesWaiting is how many searches wait for a turn at the search gate.
func (s *Store) SearchesWaiting() int64 { return s.searchesWaiting.Load() }
