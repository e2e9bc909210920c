package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"contactbot/config"
	"contactbot/crm"
	"contactbot/crm/demo"
)

// DatabaseFile is the embedded database's file name inside the data
// directory: what `serve`, `migrate` and `purge` use without DATABASE_URL.
const DatabaseFile = "contactbot.db"

// DemoDatabaseFile is the demo CRM's file beside it: the shell's, and
// `serve --demo-data`'s. A file of its own, so that made-up contacts never
// appear where real ones are kept.
const DemoDatabaseFile = "demo.db"

// dataDir is where the embedded database lives: the flag, else
// CONTACTBOT_DATA_DIR, else the user's data directory: $XDG_DATA_HOME or
// ~/.local/share on Linux and other Unix, the user config directory on macOS
// (~/Library/Application Support) and Windows (%AppData%).
func dataDir(flagValue string, cfg *config.Config) (string, error) {
	switch {
	case flagValue != "":
		return flagValue, nil
	case cfg != nil && cfg.DataDir != "":
		return cfg.DataDir, nil
	case os.Getenv("XDG_DATA_HOME") != "":
		return filepath.Join(os.Getenv("XDG_DATA_HOME"), "contactbot"), nil
	}
	switch runtime.GOOS {
	case "darwin", "ios", "windows", "plan9":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find a data directory (set CONTACTBOT_DATA_DIR): %w", err)
		}
		return filepath.Join(d, "contactbot"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find a data directory (set CONTACTBOT_DATA_DIR): %w", err)
	}
	return filepath.Join(home, ".local", "share", "contactbot"), nil
}

// embeddedFile is the embedded database's path in dir: DatabaseFile, or
// with demoData DemoDatabaseFile.
func embeddedFile(dir string, demoData bool) string {
	if demoData {
		return filepath.Join(dir, DemoDatabaseFile)
	}
	return filepath.Join(dir, DatabaseFile)
}

// embeddedPath is the embedded database serve uses, "" with DATABASE_URL.
func embeddedPath(cfg *config.Config, demoData bool) string {
	if cfg.DatabaseURL != "" {
		return ""
	}
	dir, err := dataDir("", cfg)
	if err != nil {
		return ""
	}
	return embeddedFile(dir, demoData)
}

// embedded is the SQLite store in the data directory.
type embedded struct {
	Store  *crm.Store
	Path   string
	Seeded bool // the demo CRM was written just now
}

// openEmbedded opens (creating if needed) an SQLite database in dir and
// migrates it: DatabaseFile, or with demoData DemoDatabaseFile, which is
// seeded with the demo CRM the first time.
func openEmbedded(ctx context.Context, dir string, cfg *config.Config, log *slog.Logger, demoData bool) (*embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	path := embeddedFile(dir, demoData)
	store, err := openMigrated(ctx, "sqlite:"+path, cfg, log)
	if err != nil {
		return nil, err
	}
	if !demoData {
		return &embedded{Store: store, Path: path}, nil
	}
	seeded, err := demo.Seed(ctx, store, time.Now())
	if err != nil {
		store.Close()
		return nil, err
	}
	if seeded {
		log.Info("seeded the demo CRM", "path", path, "contacts", demo.Count)
	}
	return &embedded{Store: store, Path: path, Seeded: seeded}, nil
}
