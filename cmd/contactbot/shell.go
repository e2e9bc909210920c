package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/chzyer/readline"

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

// shellFlags declares the shell's flags.
func shellFlags(fs *flag.FlagSet) func(context.Context, cmdEnv, []string) error {
	as := fs.String("as", shell.Support.Name, "who you are: admin, admin2, deleter, support, or a Slack user id (U…)")
	dir := fs.String("data-dir", "", "directory of the demo database (default $CONTACTBOT_DATA_DIR, else the user's data directory)")
	verbose := fs.Bool("v", false, "log what the bot does, to stderr")
	return func(ctx context.Context, env cmdEnv, args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Sprintf("takes no arguments, got %q", strings.Join(args, " "))}
		}
		user, ok := shell.FindUser(*as)
		if !ok {
			return usageError{fmt.Sprintf("--as %s: no such user; use admin, admin2, deleter, support, or a Slack user id", *as)}
		}
		return runShell(ctx, env, user, *dir, *verbose)
	}
}

// runShell is `contactbot shell`: the whole bot in a terminal, on the
// embedded demo database and an in-process store.
func runShell(ctx context.Context, env cmdEnv, user shell.User, dir string, verbose bool) error {
	stdin, stdout, stderr := env.stdin, env.stdout, env.stderr
	cfg, err := config.Load(shellEnv())
	if err != nil {
		return configError{err}
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	d, err := dataDir(dir, cfg)
	if err != nil {
		return err
	}
	db, err := openEmbedded(ctx, d, log, true)
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

	if err := db.Store.SetPhoneCountry(cfg.DefaultPhoneCountry); err != nil {
		return err
	}
	if !isTerminal(stdin) {
		sh := shell.New(shell.Options{Out: stdout, As: user, Echo: true})
		b := bot.New(bot.Deps{Store: db.Store, Slack: sh, KV: kv.NewMemory(), Config: cfg, Log: log})
		return sh.Run(ctx, b, stdin)
	}
	// readline's defaults: the process's terminal, made raw while a line is
	// read, so that Ctrl-C is a key (ErrInterrupt) rather than a signal.
	term, err := shell.NewTerminal(&readline.Config{Stdout: stdout, Stderr: stderr})
	if err != nil {
		return fmt.Errorf("start line editing: %w", err)
	}
	defer term.Close()
	sh := shell.New(shell.Options{Out: term.Out(), As: user})
	b := bot.New(bot.Deps{Store: db.Store, Slack: sh, KV: kv.NewMemory(), Config: cfg, Log: log})
	return sh.RunLines(ctx, b, term)
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
