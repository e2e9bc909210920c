package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"contactbot/bot"
	"contactbot/bot/kv"
	"contactbot/bot/shell"
	"contactbot/config"
	"contactbot/crm"
	"contactbot/crm/demo"
)

// DatabaseFile is the embedded database's file name inside the data directory.
const DatabaseFile = "contactbot.db"

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

// embedded is the SQLite store in the data directory.
type embedded struct {
	Store  *crm.Store
	Path   string
	Seeded bool // the demo CRM was written just now
}

// openEmbedded opens (creating if needed) the SQLite database in dir,
// migrates it and, the first time, seeds the demo CRM into it.
func openEmbedded(ctx context.Context, dir string, log *slog.Logger) (*embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	path := filepath.Join(dir, DatabaseFile)
	store, err := crm.Open(ctx, "sqlite:"+path)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, log); err != nil {
		store.Close()
		return nil, err
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

// shellEnv is the configuration the shell runs with: the demo workspace's
// channels and users, and the process environment's other settings. Slack
// and database settings are not read: the shell never talks to Slack or to
// a real CRM.
func shellEnv() map[string]string {
	env := shell.DemoEnv()
	for _, k := range []string{"RESTORE_WINDOW", "APPROVAL_TTL", "DELETE_RATE_LIMIT", "CONTACTBOT_DATA_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	return env
}

// runShell is `contactbot shell`: the whole bot in a terminal, on the
// embedded demo database and an in-process store.
func runShell(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shell", flag.ContinueOnError)
	fs.SetOutput(stderr)
	as := fs.String("as", shell.Support.Name, "who you are: admin, admin2, deleter, support, or a Slack user id (U…)")
	dir := fs.String("data-dir", "", "directory of the demo database (default $CONTACTBOT_DATA_DIR, else the user's data directory)")
	verbose := fs.Bool("v", false, "log what the bot does, to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return configError{fmt.Errorf("shell takes no arguments, got %q (flags: --as NAME, --data-dir DIR, -v)", strings.Join(fs.Args(), " "))}
	}
	user, ok := shell.FindUser(*as)
	if !ok {
		return configError{fmt.Errorf("--as %s: no such user; use admin, admin2, deleter, support, or a Slack user id", *as)}
	}
	cfg, err := config.Load(shellEnv())
	if err != nil {
		return configError{err}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	d, err := dataDir(*dir, cfg)
	if err != nil {
		return err
	}
	db, err := openEmbedded(ctx, d, log)
	if err != nil {
		return err
	}
	defer db.Store.Close()

	var contacts int
	if err := db.Store.DB().GetContext(ctx, &contacts, `SELECT count(*) FROM contacts`); err != nil {
		return fmt.Errorf("count contacts: %w", err)
	}
	state := "demo CRM"
	if db.Seeded {
		state = "demo CRM, just created"
	}
	fmt.Fprintf(stdout, "contactbot shell: the bot as Slack shows it, on a %s (%d contacts) in %s\n", state, contacts, db.Path)
	if os.Getenv("DATABASE_URL") != "" {
		fmt.Fprintln(stdout, "(DATABASE_URL is not used: the shell works on its own demo database, never on a real CRM.)")
	}

	sh := shell.New(shell.Options{Out: stdout, As: user, Echo: !isTerminal(stdin)})
	b := bot.New(bot.Deps{Store: db.Store, Slack: sh, KV: kv.NewMemory(), Config: cfg, Log: log})
	return sh.Run(ctx, b, stdin)
}

// isTerminal reports whether r is an interactive terminal (not a pipe or file).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
