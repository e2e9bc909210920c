package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"contactbot/bot"
	"contactbot/bot/shell"
	"contactbot/config"
	"contactbot/crm"
)

// readFlags are the flags of the subcommands that only read (digest,
// audit): which database they read.
type readFlags struct {
	demo    *bool
	dataDir *string
}

func declareReadFlags(fs *flag.FlagSet) readFlags {
	return readFlags{
		demo:    fs.Bool("demo", false, "read the shell's demo database (demo.db in the data directory, as the shell and serve --demo-data use it)"),
		dataDir: fs.String("data-dir", "", "directory of the embedded and demo databases (default $CONTACTBOT_DATA_DIR, else the user's data directory)"),
	}
}

// openForReading opens the database a reading subcommand reads:
// DATABASE_URL, else the embedded database, or with --demo the shell's demo
// database. It never creates one: reading a database that is not there
// would only show an empty report (and leave a new empty file behind).
// When the embedded database has no audit trail while a demo database
// exists, it says on stderr that --demo reads that one.
func openForReading(ctx context.Context, env cmdEnv, rf readFlags) (*crm.Store, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, configError{err}
	}
	if cfg.DatabaseURL != "" && !*rf.demo {
		return openStore(ctx, cfg, env.log, false)
	}
	dir, err := dataDir(*rf.dataDir, cfg)
	if err != nil {
		return nil, err
	}
	demoPath := filepath.Join(dir, DemoDatabaseFile)
	hasDemo := fileExists(demoPath)
	if *rf.demo {
		if !hasDemo {
			return nil, fmt.Errorf("there is no demo database at %s: `contactbot shell` creates it (give --data-dir if the shell used another directory)", demoPath)
		}
		return openExisting(ctx, env, cfg, demoPath, "reading the shell's demo database")
	}
	path := filepath.Join(dir, DatabaseFile)
	if !fileExists(path) {
		msg := fmt.Sprintf("DATABASE_URL is not set and there is no embedded database at %s, so there is nothing to read (and none is created). Set DATABASE_URL to the CRM's database", path)
		if hasDemo {
			msg += fmt.Sprintf(", or add --demo to read the shell's demo database (%s)", demoPath)
		}
		return nil, errors.New(msg + ".")
	}
	store, err := openExisting(ctx, env, cfg, path, "DATABASE_URL is not set: reading the embedded SQLite database")
	if err != nil {
		return nil, err
	}
	if hasDemo {
		audited, err := store.HasAuditTrail(ctx)
		if err != nil {
			store.Close()
			return nil, err
		}
		if !audited {
			fmt.Fprintf(env.stderr, "The embedded database at %s is empty: nothing was ever audited in it. Add --demo to read the shell's demo database (%s).\n", path, demoPath)
		}
	}
	return store, nil
}

// openExisting opens and migrates an SQLite database file that exists.
func openExisting(ctx context.Context, env cmdEnv, cfg *config.Config, path, why string) (*crm.Store, error) {
	store, err := openMigrated(ctx, "sqlite:"+path, cfg, env.log)
	if err != nil {
		return nil, err
	}
	env.log.Info(why, "path", path)
	return store, store.SetPhoneCountry(cfg.DefaultPhoneCountry)
}

// fileExists reports whether path names something that exists; any other
// error than its absence counts as existing, so that opening it says what
// is wrong.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// digestFlags is `contactbot digest [--since 7d]`: the weekly digest's
// text for the period before now, on stdout, as the weekly post shows it.
func digestFlags(fs *flag.FlagSet) runFunc {
	since := &bot.PeriodFlag{D: bot.DigestPeriod}
	fs.Var(since, "since", "how far back the digest looks, a `period` such as 7d, 2w, 36h or 1d12h (w weeks, d days, h hours, m minutes)")
	rf := declareReadFlags(fs)
	return func(ctx context.Context, env cmdEnv) error {
		store, err := openForReading(ctx, env, rf)
		if err != nil {
			return err
		}
		defer store.Close()
		now := time.Now()
		m, err := bot.DigestMessage(ctx, store, now.Add(-since.D), now)
		if err != nil {
			return err
		}
		_, err = io.WriteString(env.stdout, shell.PlainText(m))
		return err
	}
}

// auditFlags is `contactbot audit [--since 30d] [--format csv|jsonl]`:
// the audit trail of the period before now, on stdout, for auditors; how
// many entries, on stderr.
func auditFlags(fs *flag.FlagSet) runFunc {
	since := &bot.PeriodFlag{D: 30 * 24 * time.Hour}
	fs.Var(since, "since", "how far back the export goes, a `period` such as 30d, 2w, 36h or 1d12h (w weeks, d days, h hours, m minutes)")
	format := fs.String("format", bot.FormatCSV, "csv (with a header row) or jsonl (one JSON object a line)")
	rf := declareReadFlags(fs)
	return func(ctx context.Context, env cmdEnv) error {
		if *format != bot.FormatCSV && *format != bot.FormatJSONL {
			return usageError{fmt.Sprintf("--format is csv or jsonl, got %q", *format)}
		}
		store, err := openForReading(ctx, env, rf)
		if err != nil {
			return err
		}
		defer store.Close()
		from := time.Now().Add(-since.D)
		w := bufio.NewWriter(env.stdout)
		n, err := bot.WriteAudit(ctx, store, w, from, *format)
		if err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		noun := "entries"
		if n == 1 {
			noun = "entry"
		}
		fmt.Fprintf(env.stderr, "%d audit %s since %s\n", n, noun, from.UTC().Format(time.RFC3339))
		return nil
	}
}
