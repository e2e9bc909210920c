package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

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

// versionTable is goose's version table, qualified: in the bot's schema, or
// in the CRM's where migrations before the bot had its own schema left it;
// "" when the database has none (never migrated).
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
	entries, err := fs.ReadDir(migrations, "migrations/"+string(d))
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	var latest int64
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, errors.New("migrations: unnumbered file " + e.Name())
		}
		latest = max(latest, v)
	}
	return latest, nil
}
