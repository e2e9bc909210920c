package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"contactbot/bot"
	"contactbot/bot/kv"
	"contactbot/bot/shell"
	"contactbot/config"
)

// shellEnv is the configuration the shell runs with: the demo workspace's
// channels and users, and the process environment's other settings. Slack
// and database settings are not read: the shell never talks to Slack or to
// a real CRM.
func shellEnv() map[string]string {
	env := shell.DemoEnv()
	for _, k := range []string{"RESTORE_WINDOW", "APPROVAL_TTL", "DELETE_RATE_LIMIT", "CONTACTBOT_DATA_DIR", "DEFAULT_PHONE_COUNTRY"} {
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
	if err := db.Store.SetPhoneCountry(cfg.DefaultPhoneCountry); err != nil {
		return err
	}
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
