package crm

import (
	"context"
	"crypto/rand"
	"embed"
	"fmt"
	neturl "net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the "postgres" driver

	"contactbot/outbox"
)

// Migrations, one folder per dialect with the same version numbers.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

// Store is the CRM database: contacts, linked items, and the bot's own
// tables. Every public method is one transaction.
type Store struct {
	db      *sqlx.DB
	now     func() time.Time
	dialect Dialect
	// schemas hold the bot's tables and the CRM's (PostgreSQL).
	schemas Schemas
	// url is the database's, to open the pool that runs the migrations
	// written before the bot had its own schema (migrateOldLayout).
	url string
	// phoneCountry reads national phone numbers (SetPhoneCountry).
	phoneCountry string
	// lockWait replaces LockWait when set (tests).
	lockWait time.Duration

	// searches is the search gate: at most cap(searches) searches of this
	// process use the database at once, the rest wait their turn in the
	// order they came (SearchConcurrency).
	searches chan struct{}
	// searchesWaiting counts the searches waiting for a turn.
	searchesWaiting atomic.Int64

	stmtMu sync.Mutex
	stmts  map[string]*sqlx.Stmt // prepared hot statements, by query text

	hooks  Hooks
	outbox *outbox.Outbox
	// running are the operations this process is working on (SQLite, where
	// a row lock cannot tell).
	runningMu sync.Mutex
	running   map[string]bool

	// suppressionKey is SUPPRESSION_KEY, once SetSuppressionKey checked it
	// against the database's: the key is never read back from there.
	suppressionKey atomic.Pointer[[]byte]
}

// Hooks are what the store calls of the program around it, given once to
// Open so that every program opening a store (serve, purge, digest, the
// shell, tests) gets the same behaviour. The bot's are bot.StoreHooks. The
// zero Hooks write an audit entry with no notes, look for erased text in
// the outbox only as it is, and tell nobody of commits: for tests of crm
// alone.
type Hooks struct {
	// AuditNotes renders the notes written with every audit entry, in the
	// entry's transaction (the audit feed's line, the Home tabs' refresh).
	AuditNotes func(AuditEntry) []outbox.Note
	// PayloadText gives the forms a piece of text takes in the notes'
	// payloads, which are opaque here, byte for byte (escaped, encoded): an
	// erasure looks for the erased person's name, email and phone in each
	// of them as well as in the text as it is (scrubOutbox).
	PayloadText func(text string) []string
	// NotesWritten is notified after every commit that wrote notes.
	NotesWritten *outbox.Signal
}

// Open connects to the database at url and checks the connection: PostgreSQL
// for a postgres:// or postgresql:// URL, else an SQLite file, named
// "sqlite:///absolute/path.db", "sqlite:relative/path.db" or just by its path
// (see SQLitePath); the file is created when missing. The store calls hooks
// (see Hooks).
// It does not migrate; call Migrate.
func Open(ctx context.Context, url string, hooks Hooks) (*Store, error) {
	return OpenIn(ctx, url, hooks, DefaultSchemas)
}

// Schemas name the PostgreSQL schemas the store works in: Bot for the bot's
// own tables, functions and goose's version table (CONTACTBOT_SCHEMA), CRM
// for the CRM's tables (CRM_SCHEMA). Every connection's search_path is
// "Bot, CRM", so that unqualified SQL finds both and unqualified CREATEs land
// in Bot. SQLite has no schemas: there they are ignored.
type Schemas struct {
	Bot, CRM string
}

// DefaultSchemas are the schemas when none are configured.
var DefaultSchemas = Schemas{Bot: "contactbot", CRM: "public"}

// CheckSchemaName returns an error that says what is wrong with name as a
// schema name: the bot takes plain lower-case identifiers only, which need
// no quoting anywhere (a letter or _, then letters, digits or _, at most 63
// bytes, not pg_…).
func CheckSchemaName(name string) error {
	if !schemaName.MatchString(name) {
		return fmt.Errorf("%q is not a plain schema name: use lower-case letters, digits and _, starting with a letter or _, at most 63 characters", name)
	}
	if strings.HasPrefix(name, "pg_") || name == "information_schema" {
		return fmt.Errorf("%q is a schema reserved by PostgreSQL: choose another name", name)
	}
	return nil
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// OpenIn is Open with the bot's and the CRM's schemas named (PostgreSQL);
// they must pass CheckSchemaName and differ.
func OpenIn(ctx context.Context, url string, hooks Hooks, schemas Schemas) (*Store, error) {
	if path, ok := SQLitePath(url); ok {
		return openSQLite(ctx, path, hooks)
	}
	for _, n := range []string{schemas.Bot, schemas.CRM} {
		if err := CheckSchemaName(n); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	if schemas.Bot == schemas.CRM {
		return nil, fmt.Errorf("open database: the bot's schema and the CRM's are both %q: the bot's tables need a schema of their own", schemas.Bot)
	}
	db, err := sqlx.Open("postgres", withSessionSettings(url, searchPath(schemas.Bot, schemas.CRM)))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// As many idle as open: a busy replica would otherwise close and reopen
	// connections (a process fork each on PostgreSQL) under every burst.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	s := &Store{db: db, now: time.Now, dialect: Postgres, hooks: hooks, schemas: schemas, url: url, searches: make(chan struct{}, SearchConcurrency)}
	s.outbox = newOutbox(s)
	return s, nil
}

// sessionSettings tune the bot's own PostgreSQL sessions for short indexed
// queries: parallel workers and JIT cost more to start than such a query
// takes (a parallel hash join over a common name word took 250 ms where a
// streamed index probe takes 20), and the name shows in pg_stat_activity.
// A setting already in the URL wins, except search_path, which is the
// store's schemas (Schemas).
var sessionSettings = map[string]string{
	"application_name":                "contactbot",
	"max_parallel_workers_per_gather": "0",
	"jit":                             "off",
}

// withSessionSettings adds sessionSettings to a postgres:// URL as runtime
// parameters (lib/pq sends unknown URL parameters to the server).
func withSessionSettings(raw, searchPath string) string {
	u, err := neturl.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return raw // lib/pq reports the problem
	}
	q := u.Query()
	for k, v := range sessionSettings {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	q.Set("search_path", searchPath)
	u.RawQuery = q.Encode()
	return u.String()
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	return s.db.Close()
}

// selectPrepared runs query on q into dest: prepared (see prepared) on the
// pool, plainly in a transaction.
func (s *Store) selectPrepared(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	if _, inTx := q.(*sqlx.Tx); inTx {
		// Preparing takes a pool connection, which on SQLite waits for the
		// write lock this transaction holds: run it plainly instead.
		return sqlx.SelectContext(ctx, q, dest, s.db.Rebind(query), args...)
	}
	st, err := s.prepared(ctx, query)
	if err != nil {
		return err
	}
	return st.SelectContext(ctx, dest, args...)
}

// prepared returns query prepared once for the pool (database/sql prepares
// it again on each connection as needed). For the hottest reads only: the
// database then plans them once instead of on every call, which for the
// linked-items summary is most of its cost. Only for statements whose plan
// does not depend on the arguments' values (equality on ids, not LIKE).
func (s *Store) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PreparexContext(ctx, s.db.Rebind(query))
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if s.stmts == nil {
		s.stmts = map[string]*sqlx.Stmt{}
	}
	s.stmts[query] = st
	return st, nil
}

// NotesWritten is the signal the store notifies after every commit that
// wrote notes (Hooks.NotesWritten), for the worker that delivers them; nil
// when nobody is told.
func (s *Store) NotesWritten() *outbox.Signal { return s.hooks.NotesWritten }

// DB exposes the connection pool, for tests and tools that write CRM rows directly.
func (s *Store) DB() *sqlx.DB { return s.db }

// SetClock replaces the store's clock, for tests of time windows.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// withTx runs fn in one transaction, committed when fn returns nil; the
// notes fn writes are announced once it commits (outbox.InTx).
func (s *Store) withTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return s.outbox.InTx(ctx, fn)
}

// idAlphabet leaves out look-alikes (0/O, 1/I) so ids survive being read aloud.
const idAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewID returns prefix followed by n random characters.
func NewID(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b)
}
