package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is the SQL database behind a Store. Query text is shared between
// dialects (written with ? placeholders and Rebind); what differs lives in
// the small functions below, so that new SQL can be ported by calling them.
//
// Porting a feature to SQLite:
//   - Migration: copy migrations/postgres/NNNNN_x.sql to migrations/sqlite/
//     with the same number (TestMigrationsPaired insists). timestamptz →
//     TIMESTAMP (the driver then reads time.Time); boolean → BOOLEAN;
//     jsonb → TEXT; bigserial/identity → INTEGER PRIMARY KEY AUTOINCREMENT;
//     DEFAULT now() → DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'));
//     '{}'::jsonb → '{}'; plpgsql triggers → CREATE TRIGGER … BEGIN SELECT
//     RAISE(ABORT, '…'); END (between goose StatementBegin/End). Partial
//     and unique indexes, CHECK, REFERENCES, ON CONFLICT, RETURNING,
//     count(*) FILTER (WHERE …), ->> on JSON text: the same on both (but
//     an indexed JSON expression goes through d.jsonField, below).
//   - Times: pass time.Time parameters from Go (s.now()), never SQL now()
//     or intervals; they are stored as UTC text in one format, so <, > and
//     ORDER BY compare them in time order. Do not insert time literals.
//   - JSON: pass json.Marshal's output as string(b), not []byte (SQLite
//     keeps a []byte as a BLOB, which its JSON functions read as binary).
//   - Locks: end a SELECT … FOR UPDATE with d.ForUpdate() (empty on SQLite,
//     where every transaction begins IMMEDIATE and holds the write lock),
//     FOR UPDATE SKIP LOCKED with d.ForUpdateSkipLocked().
//     Never open a second transaction, or write through s.db, while one is
//     open: on SQLite it waits SQLiteBusyTimeout for the lock and fails.
//   - Casts: ::text on numeric(12,2) → d.MoneyText, coalesce(sum(…),0)::text
//     → d.SumMoneyText; other casts as CAST(x AS type), which both accept.
//   - Whole rows as JSON: to_jsonb(t) → SQLiteRowJSON (same JSON shape), and
//     back: jsonb_populate_record → SQLiteRowFromJSON (see putBackQuery).
//     A field: data ->> 'k' → d.jsonField (json_extract on SQLite, which an
//     expression index must spell the same way).
//   - Unique violations: isUniqueViolation knows both databases' errors.
//   - Helpers given a tx rather than the Store tell the dialect with
//     dialectOf(tx); methods use s.dialect.
type Dialect string

// The dialects a Store speaks.
const (
	// Postgres is PostgreSQL: the production database, any number of replicas.
	Postgres Dialect = "postgres"
	// SQLite is an embedded file (modernc.org/sqlite, pure Go): one process only.
	SQLite Dialect = "sqlite"
)

// Dialect reports which database the store talks to.
func (s *Store) Dialect() Dialect { return s.dialect }

// dialectOf tells the dialect of a connection or transaction by its driver,
// for helpers that are handed a tx rather than the Store.
func dialectOf(q driverNamer) Dialect {
	if q.DriverName() == sqliteDriver {
		return SQLite
	}
	return Postgres
}

type driverNamer interface{ DriverName() string }

var (
	_ driverNamer = (*sqlx.Tx)(nil)
	_ driverNamer = (*sqlx.DB)(nil)
)

// ForUpdate is the row-locking suffix of a SELECT. SQLite has no row locks:
// every transaction there begins IMMEDIATE (it holds the database's write
// lock from its first statement), which serialises writers just as well.
func (d Dialect) ForUpdate() string {
	if d == SQLite {
		return ""
	}
	return " FOR UPDATE"
}

// MoneyText renders a numeric(12,2) expression as text with its two decimals
// ("1234.50"). PostgreSQL keeps the numeric's scale; SQLite stores a REAL.
func (d Dialect) MoneyText(expr string) string {
	if d == SQLite {
		return "printf('%.2f', " + expr + ")"
	}
	return expr + "::text"
}

// SumMoneyText is the sum of a numeric(12,2) column as text, "0" when there
// are no rows.
func (d Dialect) SumMoneyText(col string) string {
	if d == SQLite {
		return "CASE WHEN sum(" + col + ") IS NULL THEN '0' ELSE printf('%.2f', sum(" + col + ")) END"
	}
	return "coalesce(sum(" + col + "), 0)::text"
}

// ForUpdateSkipLocked is the suffix of a SELECT that claims rows no other
// transaction holds, for jobs several replicas run at once. SQLite has one
// writer at a time, so there is nothing to skip.
func (d Dialect) ForUpdateSkipLocked() string {
	if d == SQLite {
		return ""
	}
	return " FOR UPDATE SKIP LOCKED"
}

// jsonField is the text of key in the JSON object expr (PostgreSQL's
// expr ->> 'key'). key is a constant of the caller, never input. Expression
// indexes on JSON (migration 00020) are written the same way, so that each
// database's planner recognises its index.
func (d Dialect) jsonField(expr, key string) string {
	if d == SQLite {
		return "json_extract(" + expr + ", '$." + key + "')"
	}
	return expr + " ->> '" + key + "'"
}

// phoneCondition matches contacts (alias c) whose phone digits end with
// key, a national number (NationalNumber), through the reversed-digits index
// (migration 00002).
func (d Dialect) phoneCondition(key string) (string, []any) {
	cond, args := d.phoneKeyMatch("c.phone", key)
	return "c.phone IS NOT NULL AND " + cond, args
}

// phoneKeyMatch matches the phone number expr when its digits end with key,
// through an index on contactbot_phone_key(expr), its digits reversed.
func (d Dialect) phoneKeyMatch(expr, key string) (string, []any) {
	lo, hi := phoneKeyRange(key)
	k := "contactbot_phone_key(" + expr + ")"
	// A prefix match as a range, not LIKE: SQLite's LIKE never uses an
	// expression index, and on PostgreSQL a range keeps using the index in a
	// prepared statement's generic plan, where LIKE with a parameter cannot.
	// ~>=~ and ~<~ are the byte-order operators of the text_pattern_ops index.
	if d == SQLite {
		return k + " >= ? AND " + k + " < ?", []any{lo, hi}
	}
	return k + " ~>=~ ? AND " + k + " ~<~ ?", []any{lo, hi}
}

// longerWords asks whether any of the folded query words starts a longer
// word of the name index: if none does, the whole-word statements find every
// match. One index probe per word.
func (d Dialect) longerWords(words []string) statement {
	var parts []string
	var args []any
	for _, w := range words {
		parts = append(parts, "EXISTS (SELECT 1 FROM contacts_name_words WHERE word > ? AND word < ?)")
		args = append(args, w, prefixEnd(w))
	}
	return statement{sql: "SELECT " + strings.Join(parts, " OR "), args: args, prepare: true}
}

// nameSet selects the ids of contacts where every word (folded, as
// queryWords gives them) starts a word of the first or last name. Both
// dialects keep each contact's name words in contacts_name_words
// (PostgreSQL 00040, SQLite 00002, both rebuilt by 00200): the set is driven
// by the longest word's prefix range, the other words checked through
// theirs. It is the fallback for words that only start names
// (wholeWordSet serves whole words), planned with each word's statistics.
func (d Dialect) nameSet(words []string) (string, []any) {
	var args []any
	longest := 0
	for i, w := range words {
		if len(w) > len(words[longest]) {
			longest = i
		}
	}
	prefix := func(col string, i int) string {
		// Byte order on both: the PostgreSQL column is COLLATE "C".
		args = append(args, words[i], prefixEnd(words[i]))
		return col + " >= ? AND " + col + " < ?"
	}
	set := "SELECT w.contact_id FROM contacts_name_words w WHERE " + prefix("w.word", longest)
	for i := range words {
		if i != longest {
			// EXISTS, not IN: SQLite then probes the (contact_id, word) index
			// once per candidate instead of first copying the other word's
			// whole posting range (5.7 ms against 0.3 at 100,000 contacts);
			// PostgreSQL plans both as the same semi join.
			x := fmt.Sprintf("x%d", i)
			set += " AND EXISTS (SELECT 1 FROM contacts_name_words " + x + " WHERE " + x + ".contact_id = w.contact_id AND " + prefix(x+".word", i) + ")"
		}
	}
	return set, args
}

// boundLockWait makes the row locks tx waits for from now on give up after
// LockWait (PostgreSQL's lock_timeout, for this transaction only). On
// SQLite a writer waits SQLiteBusyTimeout for the write lock instead.
func (s *Store) boundLockWait(ctx context.Context, tx *sqlx.Tx) error {
	if s.dialect == SQLite {
		return nil
	}
	wait := LockWait
	if s.lockWait > 0 {
		wait = s.lockWait
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = '%dms'`, wait.Milliseconds())); err != nil {
		return fmt.Errorf("bound lock wait: %w", err)
	}
	return nil
}

// isLockTimeout reports whether err is a lock wait that gave up: SQLSTATE
// 55P03 on PostgreSQL, SQLITE_BUSY on SQLite.
func isLockTimeout(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		return st.SQLState() == "55P03"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}
