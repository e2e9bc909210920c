package crm

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
)

// sqliteDriver is modernc.org/sqlite's driver name: pure Go, no cgo, so the
// binary builds and runs anywhere Go does.
const sqliteDriver = "sqlite"

// SQLiteBusyTimeout is how long a write waits for another one to finish
// before it fails: writers take turns on the database's single write lock.
const SQLiteBusyTimeout = 10 * time.Second

// sqliteParams configure every connection:
//   - _txlock=immediate: a transaction takes the write lock at BEGIN, so a
//     read-then-write (load the contact, then delete it) cannot interleave
//     with another writer; this is SQLite's FOR UPDATE.
//   - busy_timeout: the second writer waits its turn instead of failing.
//   - WAL: readers do not wait for the writer.
//   - foreign_keys: references are enforced as in PostgreSQL.
//   - _time_format=sqlite, _timezone=UTC: time.Time parameters are written as
//     "2006-01-02 15:04:05.999999999+00:00", always in UTC, so text order is
//     time order; columns declared TIMESTAMP are read back as time.Time.
var sqliteParams = url.Values{
	"_txlock":      {"immediate"},
	"_time_format": {"sqlite"},
	"_timezone":    {"UTC"},
	"_pragma": {
		fmt.Sprintf("busy_timeout(%d)", SQLiteBusyTimeout.Milliseconds()),
		"journal_mode(WAL)",
		"foreign_keys(1)",
		"synchronous(NORMAL)",
	},
}

func init() {
	sqlx.BindDriver(sqliteDriver, sqlx.QUESTION)
	// The SQL functions migration 00002 (sqlite) indexes on. They carry the
	// same names as their PostgreSQL counterparts, so query text is shared.
	for name, fn := range map[string]struct {
		n int32
		f func(args []driver.Value) (driver.Value, error)
	}{
		"contactbot_fold":       {1, strictText(func(s string) driver.Value { return Fold(s) })},
		"contactbot_phone_key":  {1, strictText(func(s string) driver.Value { return reverse(PhoneDigits(s)) })},
		"contactbot_name_words": {2, nameWordsJSON},
		"contactbot_name_pairs": {2, namePairsJSON},
		// The suppression triggers (migration 00300): the key comes from
		// contactbot_settings as hex, like PostgreSQL's decode(value, 'hex').
		"contactbot_email_hash":   {2, keyedText(func(key []byte, email string) (driver.Value, error) { return keyedHash(key, EmailKey(email)), nil })},
		"contactbot_phone_hashes": {2, keyedText(phoneHashesJSON)},
	} {
		f := fn.f
		if err := sqlite.RegisterDeterministicScalarFunction(name, fn.n, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			return f(args)
		}); err != nil {
			panic(fmt.Sprintf("register SQLite function %s: %v", name, err))
		}
	}
}

// strictText adapts fn to an SQL function of one text argument that
// returns NULL for NULL, like a STRICT PostgreSQL function.
func strictText(fn func(string) driver.Value) func([]driver.Value) (driver.Value, error) {
	return func(args []driver.Value) (driver.Value, error) {
		s, ok := sqlText(args[0])
		if !ok {
			return nil, nil
		}
		return fn(s), nil
	}
}

// keyedText adapts fn to an SQL function of a hex key and one text
// argument that returns NULL when either is NULL or the key is not hex.
func keyedText(fn func(key []byte, s string) (driver.Value, error)) func([]driver.Value) (driver.Value, error) {
	return func(args []driver.Value) (driver.Value, error) {
		k, ok := sqlText(args[0])
		if !ok {
			return nil, nil
		}
		s, ok := sqlText(args[1])
		if !ok {
			return nil, nil
		}
		key, err := hex.DecodeString(k)
		if err != nil {
			return nil, nil
		}
		return fn(key, s)
	}
}

// phoneHashesJSON is contactbot_phone_hashes(key, phone): the keyed hashes
// of the phone's endings (phoneSuffixes) as a JSON array, for json_each.
func phoneHashesJSON(key []byte, phone string) (driver.Value, error) {
	b, err := json.Marshal(phoneHashes(key, phone))
	return string(b), err
}

// nameWordsJSON is contactbot_name_words(first_name, last_name): the folded
// words of a name as a JSON array, for json_each in the name-index triggers.
func nameWordsJSON(args []driver.Value) (driver.Value, error) {
	first, _ := sqlText(args[0])
	last, _ := sqlText(args[1])
	words := NameWords(first, last)
	if words == nil {
		words = []string{}
	}
	b, err := json.Marshal(words)
	return string(b), err
}

// namePairsJSON is contactbot_name_pairs(first_name, last_name): the pairs
// of a name's words (NamePairs) as a JSON array, for the pair-index triggers.
func namePairsJSON(args []driver.Value) (driver.Value, error) {
	first, _ := sqlText(args[0])
	last, _ := sqlText(args[1])
	pairs := NamePairs(NameWords(first, last))
	if pairs == nil {
		pairs = []string{}
	}
	b, err := json.Marshal(pairs)
	return string(b), err
}

func sqlText(v driver.Value) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	case nil:
		return "", false
	}
	return fmt.Sprint(v), true
}

func reverse(s string) string {
	r := []byte(s) // digits only: bytes are runes
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// SQLitePath reports whether url names an SQLite database rather than
// PostgreSQL, and the file's path: "sqlite:///var/lib/contactbot.db" (three
// slashes: an absolute path), "sqlite:data/contactbot.db" (relative), or a
// plain file path such as "./contactbot.db". postgres:// and postgresql://
// URLs are PostgreSQL.
func SQLitePath(url string) (string, bool) {
	lower := strings.ToLower(url)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return "", false
	case strings.HasPrefix(lower, "sqlite:"):
		p := url[len("sqlite:"):]
		if strings.HasPrefix(p, "//") {
			p = p[2:]
		}
		return p, true
	case strings.Contains(url, "://"):
		return "", false
	}
	return url, true
}

// openSQLite opens (creating if needed) the SQLite database file at path.
func openSQLite(ctx context.Context, path string, hooks Hooks) (*Store, error) {
	if path == "" {
		return nil, errors.New("open database: empty SQLite file path")
	}
	if strings.ContainsAny(path, "?#") || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		// Options are ours to set; an in-memory database would be one per
		// connection.
		return nil, fmt.Errorf("open database: %q is not a plain SQLite file path", path)
	}
	db, err := sqlx.Open(sqliteDriver, path+"?"+sqliteParams.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// A few connections let readers run beside the writer (WAL); writers
	// queue on the write lock for up to SQLiteBusyTimeout.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	s := &Store{db: db, now: time.Now, dialect: SQLite, hooks: hooks, searches: make(chan struct{}, SearchConcurrency)}
	s.outbox = newOutbox(s)
	return s, nil
}

// column is one column of a table, from the database's catalogue.
type column struct {
	Name string `db:"name"`
	Type string `db:"type"` // declared type, upper case
}

// tableColumns lists a table's columns in order (SQLite).
func tableColumns(ctx context.Context, tx *sqlx.Tx, table string) ([]column, error) {
	var cols []column
	if err := tx.SelectContext(ctx, &cols, `SELECT name, upper(type) AS type FROM pragma_table_info(?) ORDER BY cid`, table); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("columns of %s: no such table", table)
	}
	return cols, nil
}

// SQLiteRowJSON is the SQLite counterpart of PostgreSQL's to_jsonb(t): the
// row of alias t as one JSON object in the same shape, so archives read the
// same on both dialects: booleans as true/false (SQLite stores 0/1), times as
// RFC 3339 text ("2025-01-02T03:04:05.123456+00:00"), numbers as numbers.
func SQLiteRowJSON(ctx context.Context, tx *sqlx.Tx, table, alias string) (string, error) {
	cols, err := tableColumns(ctx, tx, table)
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		ref := alias + "." + c.Name
		v := ref
		switch {
		case c.Type == "BOOLEAN":
			v = "json(CASE WHEN " + ref + " IS NULL THEN 'null' WHEN " + ref + " THEN 'true' ELSE 'false' END)"
		case isSQLiteTime(c.Type):
			v = "replace(" + ref + ", ' ', 'T')"
		}
		parts = append(parts, "'"+c.Name+"'", v)
	}
	return "json_object(" + strings.Join(parts, ", ") + ")", nil
}

// SQLiteRowFromJSON is the SQLite counterpart of PostgreSQL's
// jsonb_populate_record: the column list of table and the expressions that
// read each column back from the JSON in expr (as SQLiteRowJSON wrote it),
// for INSERT INTO table (cols) SELECT exprs FROM archived_rows ….
func SQLiteRowFromJSON(ctx context.Context, tx *sqlx.Tx, table, expr string) (cols, exprs string, err error) {
	cs, err := tableColumns(ctx, tx, table)
	if err != nil {
		return "", "", err
	}
	var names, vals []string
	for _, c := range cs {
		v := "json_extract(" + expr + ", '$." + c.Name + "')"
		if isSQLiteTime(c.Type) {
			v = "replace(" + v + ", 'T', ' ')" // back to the stored form, which keeps text order = time order
		}
		names = append(names, c.Name)
		vals = append(vals, v)
	}
	return strings.Join(names, ", "), strings.Join(vals, ", "), nil
}

func isSQLiteTime(declType string) bool {
	switch declType {
	case "TIMESTAMP", "DATETIME", "DATE":
		return true
	}
	return false
}

// archiveAndDeleteSQLite is archiveAndDelete for SQLite, which has DELETE …
// RETURNING but no data-modifying CTE: each table's rows are copied into the
// archive as JSON, then deleted by the same condition. The transaction holds
// the write lock throughout, so both statements see the same rows; the
// counts are compared to be sure.
func archiveAndDeleteSQLite(ctx context.Context, tx *sqlx.Tx, deletionID, contactID string, progress func(done int)) (int, error) {
	total := 0
	for i := len(archivedTables) - 1; i >= 0; i-- {
		t := archivedTables[i]
		rowJSON, err := SQLiteRowJSON(ctx, tx, t.Name, "t")
		if err != nil {
			return total, err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO archived_rows (deletion_id, table_name, row_id, data)
			SELECT ?, '`+t.Name+`', `+t.RowID+`, `+rowJSON+` FROM `+t.from()+` ORDER BY 3`, deletionID, contactID)
		if err != nil {
			return total, fmt.Errorf("archive %s of contact %s: %w", t.Name, contactID, err)
		}
		archived, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("archive %s: %w", t.Name, err)
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM `+t.from(), contactID)
		if err != nil {
			return total, fmt.Errorf("delete %s of contact %s: %w", t.Name, contactID, err)
		}
		deleted, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("delete %s: %w", t.Name, err)
		}
		if deleted != archived {
			return total, fmt.Errorf("deleted %d %s rows of contact %s but archived %d: rolled back", deleted, t.Name, contactID, archived)
		}
		total += int(deleted)
		progress(total)
	}
	return total, nil
}

// archivedContactSQLite is archivedContact for SQLite: the archived JSON is
// decoded in Go, since columns computed from JSON carry no declared type and
// so would not be read as times.
func archivedContactSQLite(ctx context.Context, q queryer, deletionID string) (Contact, error) {
	var data string
	err := sqlx.GetContext(ctx, q, &data, `SELECT data FROM archived_rows WHERE deletion_id = ? AND table_name = 'contacts'`, deletionID)
	if isNoRows(err) {
		return Contact{}, Errorf(ENOTFOUND, "The archive of deletion %s is gone, so it can no longer be restored.", deletionID)
	}
	if err != nil {
		return Contact{}, fmt.Errorf("load archived contact of %s: %w", deletionID, err)
	}
	// The shape SQLiteRowJSON writes; null text columns read as "", as
	// contactColumns does.
	var r struct {
		ID          string    `json:"id"`
		LocationID  string    `json:"location_id"`
		FirstName   string    `json:"first_name"`
		LastName    string    `json:"last_name"`
		Email       *string   `json:"email"`
		Phone       *string   `json:"phone"`
		CompanyName *string   `json:"company_name"`
		Source      *string   `json:"source"`
		DND         bool      `json:"dnd"`
		CreatedAt   time.Time `json:"created_at"`
		UpdatedAt   time.Time `json:"updated_at"`
	}
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return Contact{}, fmt.Errorf("decode archived contact of %s: %w", deletionID, err)
	}
	return Contact{ID: r.ID, LocationID: r.LocationID, FirstName: r.FirstName, LastName: r.LastName, Email: deref(r.Email),
		Phone: deref(r.Phone), CompanyName: deref(r.CompanyName), Source: deref(r.Source), DND: r.DND,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}, nil
}
