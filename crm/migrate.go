package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// ownSchemaVersion is the migration that moves the bot's tables, views and
// functions out of the CRM's schema into its own (moveToBotSchema). The
// migrations before it were written for one schema shared with the CRM:
// they run with the CRM's schema first in search_path, as they always did,
// and this one then moves what they made. Every later migration runs with
// the bot's schema first, so that its unqualified CREATEs land there (and
// an index ON contacts on the CRM's table, in the CRM's schema). New
// migrations take numbers above it. A new trigger function on a CRM table
// runs in the CRM's sessions too, whose search_path lacks the bot's schema:
// give it SET search_path (as moveStatements does) or qualify its names.
const ownSchemaVersion = 600

// Tables, views and functions the migrations before ownSchemaVersion made
// in the CRM's schema: what moveToBotSchema moves, by name. A fixed list,
// never "whatever is there": the CRM's schema holds the CRM's own tables.
var (
	oldLayoutTables = []string{
		"admin_calls", "approval_escalations", "approval_requests", "archived_rows", "audit_log",
		"contactbot_settings", "contacts_name_words", "deletions", "home_tabs", "incidents",
		"merge_moves", "merges", "message_origins", "opened_views", "operations", "outbox",
		"outbox_refs", "periodic_jobs", "reviews", "seen_keys", "suppression_feed",
		"suppression_hits", "suppression_removals", "suppression_skip", "suppressions",
		"undo_actions", "goose_db_version",
	}
	oldLayoutViews     = []string{"contactbot_suppression_key_check"}
	oldLayoutFunctions = []oldFunction{
		{"contactbot_audit_append_only", "", true},
		{"contactbot_channel_label", "text", false},
		{"contactbot_dnd_rank", "text", false},
		{"contactbot_email_key", "text", false},
		{"contactbot_erased", "text, text, text", false},
		{"contactbot_fold", "text", false},
		{"contactbot_index_name_words", "", true}, // becomes SECURITY DEFINER
		{"contactbot_keep_reapplied_dnd", "", true},
		{"contactbot_name_doc", "text, text", false},
		{"contactbot_name_words", "text, text", false},
		{"contactbot_phone_key", "text", false},
		{"contactbot_phone_suffixes", "text", false},
		{"contactbot_reapply_suppression", "", true},
		{"contactbot_translit", "text", false},
	}
)

// oldFunction is one of the bot's functions: its name, arguments, and
// whether it is PL/pgSQL (a trigger function, run in CRM writers' sessions
// too).
type oldFunction struct {
	Name, Args string
	Plpgsql    bool
}

// searchPath is the search_path of a session that finds names in first,
// then second: also public, where the extensions are (00002 reads
// public.unaccent), when neither is.
func searchPath(first, second string) string {
	path := first + ", " + second
	if first != "public" && second != "public" {
		path += ", public"
	}
	return path
}

// Migrate applies pending migrations, after checking that the CRM's tables
// meet the Contract: when they do not, it changes nothing and returns a
// *ContractError naming every difference. On PostgreSQL an advisory lock
// (goose's) makes concurrent replicas, and older versions of the bot, take
// turns; an SQLite file has one process.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) error {
	if s.dialect != Postgres {
		if err := s.checkBeforeMigrate(ctx); err != nil {
			return err
		}
		return s.runMigrations(ctx, s.db.DB, 0, log)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close()
	// At most as long as goose's own locker waited (5 minutes), then a
	// sentence; the setting is reset before the connection goes back to the
	// pool.
	if _, err := conn.ExecContext(ctx, `SET lock_timeout = '5min'`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	_, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lock.DefaultLockID)
	// An error here is a broken connection, which the pool drops.
	conn.ExecContext(context.WithoutCancel(ctx), `RESET lock_timeout`)
	if err != nil {
		return fmt.Errorf("migrations: another migrate (a replica or a release phase) held the migration lock for 5 minutes; wait for it to finish, then run migrate again: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lock.DefaultLockID)

	if err := s.checkBeforeMigrate(ctx); err != nil {
		return err
	}
	layout, err := s.layout(ctx)
	if err != nil {
		return err
	}
	if layout != ownSchemaLayout {
		if err := s.migrateOldLayout(ctx, layout, log); err != nil {
			return err
		}
	}
	return s.runMigrations(ctx, s.db.DB, 0, log)
}

// checkBeforeMigrate refuses to migrate a database whose CRM tables do not
// meet the Contract.
func (s *Store) checkBeforeMigrate(ctx context.Context) error {
	problems, _, err := s.CheckContract(ctx)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		schema := s.schemas.CRM
		if s.dialect != Postgres {
			schema = "main"
		}
		return &ContractError{Schema: schema, Problems: problems}
	}
	return nil
}

// layout is where a PostgreSQL database keeps the bot's tables.
type layout int

const (
	freshLayout     layout = iota // never migrated
	sharedLayout                  // migrated before ownSchemaVersion: the bot's tables in the CRM's schema
	ownSchemaLayout               // the bot's tables in its own schema
)

func (s *Store) layout(ctx context.Context) (layout, error) {
	table, err := s.versionTable(ctx)
	switch {
	case err != nil:
		return 0, err
	case table == "":
		return freshLayout, nil
	case strings.HasPrefix(table, s.schemas.Bot+"."):
		return ownSchemaLayout, nil
	}
	return sharedLayout, nil
}

// migrateOldLayout runs the migrations up to ownSchemaVersion in a pool
// whose sessions find the CRM's schema first, as every migration before it
// was written for; ownSchemaVersion then moves the bot's tables out. On a
// fresh database it first checks that the CRM's schema has none of the
// bot's table names: a CRM table of that name would otherwise be taken
// for the bot's (CREATE TABLE IF NOT EXISTS) and moved.
func (s *Store) migrateOldLayout(ctx context.Context, l layout, log *slog.Logger) error {
	if l == freshLayout {
		var taken []string
		if err := s.db.SelectContext(ctx, &taken, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relname = ANY($2) ORDER BY 1`, s.schemas.CRM, pq.Array(append(append([]string{}, oldLayoutTables...), oldLayoutViews...))); err != nil {
			return fmt.Errorf("migrations: look for the bot's table names in schema %s: %w", s.schemas.CRM, err)
		}
		if len(taken) > 0 {
			return fmt.Errorf("migrations: schema %s already has %s, the name of a table of the bot's, and the bot has never run on this database: nothing was changed. Rename it, or point CRM_SCHEMA at the CRM's schema", s.schemas.CRM, strings.Join(taken, ", "))
		}
	}
	if err := s.extensionsInPublic(ctx); err != nil {
		return err
	}
	db, err := sql.Open("postgres", withSessionSettings(s.url, searchPath(s.schemas.CRM, s.schemas.Bot)))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer db.Close()
	return s.runMigrations(ctx, db, ownSchemaVersion, log)
}

// extensionsInPublic creates the extensions the migrations need in schema
// public when the CRM's schema is another: the migrations create them in
// the first schema of the search path, and 00002 reads public.unaccent.
func (s *Store) extensionsInPublic(ctx context.Context) error {
	missing, err := s.extensionsForPublic(ctx)
	if err != nil {
		return err
	}
	for _, e := range missing {
		if _, err := s.db.ExecContext(ctx, extensionStatement(e)); err != nil {
			return fmt.Errorf("migrations: create extension %s: %w", e, err)
		}
	}
	return nil
}

// extensionsForPublic are the extensions extensionsInPublic creates: the
// missing ones, when the CRM's schema is not public.
func (s *Store) extensionsForPublic(ctx context.Context) ([]string, error) {
	if s.schemas.CRM == "public" {
		return nil, nil
	}
	_, missing, err := s.Extensions(ctx)
	return missing, err
}

func extensionStatement(name string) string {
	return "CREATE EXTENSION IF NOT EXISTS " + name + " WITH SCHEMA public;"
}

// runMigrations applies the pending migrations on db, up to version when
// it is not 0.
func (s *Store) runMigrations(ctx context.Context, db *sql.DB, version int64, log *slog.Logger) error {
	p, err := s.provider(db, log)
	if err != nil {
		return err
	}
	if version != 0 {
		_, err = p.UpTo(ctx, version)
	} else {
		_, err = p.Up(ctx)
	}
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// provider is goose over db with the dialect's migrations. No goose locker:
// Migrate holds the same advisory lock across both of its runs.
func (s *Store) provider(db *sql.DB, log *slog.Logger) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	gooseDialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		gooseDialect = goose.DialectPostgres
	}
	opts := []goose.ProviderOption{
		goose.WithAllowOutofOrder(true),
		goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(goose.NewGoMigration(ownSchemaVersion,
			&goose.GoFunc{RunTx: s.moveToBotSchema}, nil)),
	}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	p, err := goose.NewProvider(gooseDialect, db, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// moveToBotSchema is migration ownSchemaVersion: it moves the bot's
// tables (with their rows, indexes, constraints, triggers and sequences),
// views and functions from the CRM's schema into the bot's, in one
// transaction, and pins the search_path of the functions that CRM writes
// run (the triggers on contacts and dnd_settings), whose sessions do not
// have the bot's schema in theirs. Nothing on SQLite, which has no schemas.
func (s *Store) moveToBotSchema(ctx context.Context, tx *sql.Tx) error {
	if s.dialect != Postgres {
		return nil
	}
	stmts, err := s.moveStatements(ctx, &sqlx.Tx{Tx: tx, Mapper: s.db.Mapper}, false)
	if err != nil {
		return err
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// moveStatements are the statements moveToBotSchema runs on this
// database; with predict, those it will run once the migrations before it
// have made everything (for a dry run on a database they have not).
func (s *Store) moveStatements(ctx context.Context, q sqlx.QueryerContext, predict bool) ([]string, error) {
	bot, crm := s.schemas.Bot, s.schemas.CRM
	var out []string
	var exists bool
	if err := sqlx.GetContext(ctx, q, &exists, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, bot); err != nil {
		return nil, fmt.Errorf("look for schema %s: %w", bot, err)
	}
	if !exists {
		// Only when missing: CREATE SCHEMA IF NOT EXISTS still needs the
		// right to create schemas, which a role given a schema may lack.
		out = append(out, "CREATE SCHEMA "+bot+";")
	}
	found := func(kind, name string) (bool, error) {
		if predict {
			return true, nil
		}
		var ok bool
		err := sqlx.GetContext(ctx, q, &ok, `SELECT `+kind+`($1) IS NOT NULL`, crm+"."+name)
		return ok, err
	}
	for _, views := range []bool{false, true} {
		names, kind := oldLayoutTables, "TABLE"
		if views {
			names, kind = oldLayoutViews, "VIEW"
		}
		for _, t := range names {
			ok, err := found("to_regclass", t)
			if err != nil {
				return nil, fmt.Errorf("look for %s.%s: %w", crm, t, err)
			}
			if ok {
				out = append(out, fmt.Sprintf("ALTER %s %s.%s SET SCHEMA %s;", kind, crm, t, bot))
			}
		}
	}
	for _, f := range oldLayoutFunctions {
		ok, err := found("to_regprocedure", f.Name+"("+f.Args+")")
		if err != nil {
			return nil, fmt.Errorf("look for %s.%s: %w", crm, f.Name, err)
		}
		if !ok {
			continue
		}
		out = append(out, fmt.Sprintf("ALTER FUNCTION %s.%s(%s) SET SCHEMA %s;", crm, f.Name, f.Args, bot))
		if f.Plpgsql {
			// SQL functions are left without: a SET stops the planner
			// inlining them, and they run within these or the bot's sessions.
			out = append(out, fmt.Sprintf("ALTER FUNCTION %s.%s(%s) SET search_path = %s, pg_temp;", bot, f.Name, f.Args, searchPath(bot, crm)))
		}
		if f.Name == "contactbot_index_name_words" {
			// It writes the bot's table for every contact the CRM writes: as
			// its owner, like the suppression triggers, so that the CRM's
			// role needs no right on the bot's schema.
			out = append(out, fmt.Sprintf("ALTER FUNCTION %s.%s() SECURITY DEFINER;", bot, f.Name),
				fmt.Sprintf("REVOKE ALL ON FUNCTION %s.%s() FROM PUBLIC;", bot, f.Name))
		}
	}
	return out, nil
}

// Schemas returns the schemas the store works in (PostgreSQL).
func (s *Store) Schemas() Schemas { return s.schemas }

// MigrationStatus returns the newest migration applied to the database
// (0 when none is) and the newest this program has: the database is
// migrated when they are equal.
func (s *Store) MigrationStatus(ctx context.Context) (current, latest int64, err error) {
	latest, err = latestMigration(s.dialect)
	if err != nil {
		return 0, 0, err
	}
	table, err := s.versionTable(ctx)
	if err != nil || table == "" {
		return 0, latest, err
	}
	var v sql.NullInt64
	if err := s.db.GetContext(ctx, &v, `SELECT max(version_id) FROM `+table+` WHERE is_applied`); err != nil {
		return 0, latest, fmt.Errorf("read the applied migrations: %w", err)
	}
	return v.Int64, latest, nil
}

// versionTable is goose's version table, qualified on PostgreSQL: in the
// bot's schema, or in the CRM's where migrations before ownSchemaVersion
// left it; "" when the database has none (never migrated).
func (s *Store) versionTable(ctx context.Context) (string, error) {
	if s.dialect != Postgres {
		var n int
		if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`); err != nil {
			return "", fmt.Errorf("look for the migrations table: %w", err)
		}
		if n == 0 {
			return "", nil
		}
		return "goose_db_version", nil
	}
	for _, schema := range []string{s.schemas.Bot, s.schemas.CRM} {
		var found sql.NullString
		if err := s.db.GetContext(ctx, &found, `SELECT to_regclass($1)::text`, schema+".goose_db_version"); err != nil {
			return "", fmt.Errorf("look for the migrations table: %w", err)
		}
		if found.Valid {
			return schema + ".goose_db_version", nil
		}
	}
	return "", nil
}

// latestMigration is the newest migration version of the dialect.
func latestMigration(d Dialect) (int64, error) {
	versions, err := migrationFiles(d)
	if err != nil {
		return 0, err
	}
	latest := int64(ownSchemaVersion)
	for _, f := range versions {
		latest = max(latest, f.Version)
	}
	return latest, nil
}

// migrationFile is one SQL migration of a dialect.
type migrationFile struct {
	Version int64
	Name    string // file name
}

// migrationFiles are the dialect's SQL migrations, in version order.
func migrationFiles(d Dialect) ([]migrationFile, error) {
	entries, err := fs.ReadDir(migrations, "migrations/"+string(d))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []migrationFile
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, errors.New("migrations: unnumbered file " + e.Name())
		}
		out = append(out, migrationFile{v, e.Name()})
	}
	return out, nil
}
