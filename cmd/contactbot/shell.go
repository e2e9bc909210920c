package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"contactbot/bot"
	"contactbot/bot/doctor"
	"contactbot/bot/kv"
	"contactbot/bot/shell"
	"contactbot/config"
	"contactbot/crm"
	"contactbot/crm/demo"
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
func shellFlags(fs *flag.FlagSet) runFunc {
	as := fs.String("as", shell.Support.Name, "who you are: admin, admin2, deleter, support, or a Slack user id (U…)")
	dir := fs.String("data-dir", "", "directory of the demo database (default $CONTACTBOT_DATA_DIR, else the user's data directory)")
	verbose := fs.Bool("v", false, "log what the bot does to stderr (default: to "+ShellLogFile+" in the data directory)")
	return func(ctx context.Context, env cmdEnv) error {
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
	d, err := dataDir(dir, cfg)
	if err != nil {
		return err
	}
	// The log goes to a file unless asked for: log lines among what the
	// bot shows would be noise to the person reading it.
	logs := &logWriter{w: stderr}
	if !verbose {
		f, err := openShellLog(d)
		if err != nil {
			return err
		}
		defer f.Close()
		logs.w = f
	}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	db, err := openEmbedded(ctx, d, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Store.Close()
	key, err := useShellSuppressionKey(ctx, db.Store, d)
	if err != nil {
		return err
	}
	// The checklist of the shell's own deployment: its database and key.
	doctorCfg := *cfg
	doctorCfg.SuppressionKey = key
	checkup := func(ctx context.Context) string {
		return doctor.Run(ctx, doctor.Deps{Config: &doctorCfg, Store: db.Store, Embedded: db.Path, Shell: true}).String()
	}

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
	in, ok := stdin.(*os.File)
	if !ok || !isTerminal(in) {
		sh := shell.New(shell.Options{Out: stdout, As: user, Echo: true, Import: importer(db.Store), Doctor: checkup})
		b := bot.New(bot.Deps{Store: db.Store, Slack: sh, KV: kv.NewMemory(), Config: cfg, Log: log, ResponseOrigins: []string{shell.ResponseOrigin}})
		return sh.Run(ctx, b, stdin)
	}
	// The terminal is raw until Close, so that Ctrl-C is a key
	// (ErrInterrupt) rather than a signal.
	tty, err := shell.OpenTerminal(in, stdout)
	if err != nil {
		return fmt.Errorf("start line editing: %w", err)
	}
	defer tty.Close()
	if f, ok := stderr.(*os.File); ok && isTerminal(f) && verbose {
		// Raw mode does not turn \n into \r\n, and a log line would break
		// the line being typed: the Terminal does both.
		logs.set(tty.Out())
		defer logs.set(stderr)
	}
	sh := shell.New(shell.Options{Out: tty.Out(), As: user, Import: importer(db.Store), Doctor: checkup})
	b := bot.New(bot.Deps{Store: db.Store, Slack: sh, KV: kv.NewMemory(), Config: cfg, Log: log, ResponseOrigins: []string{shell.ResponseOrigin}})
	return sh.RunLines(ctx, b, tty)
}

// ShellLogFile is the shell's log in the data directory, beside its
// database; `shell -v` logs to stderr instead.
const ShellLogFile = "shell.log"

// openShellLog opens the shell's log in dir for appending, creating both.
// It holds contact and request ids, never contact details: readable by its
// owner only, as the database is.
func openShellLog(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ShellLogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the shell's log: %w", err)
	}
	return f, nil
}

// isTerminal reports whether f is an interactive terminal (not a pipe, a
// file or /dev/null, which is a character device but cannot be made raw).
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// logWriter is where the shell's log goes: its file, or with -v stderr,
// or the Terminal while one shows the shell on the same screen.
type logWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logWriter) set(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w = w
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// shellKeyFile holds the shell's own SUPPRESSION_KEY in its data directory,
// beside the database whose suppression list it keys.
const shellKeyFile = "suppression.key"

// useShellSuppressionKey gives the shell's database its suppression key:
// the one kept in the data directory, made the first time; it returns it.
// The shell never reads SUPPRESSION_KEY: its demo database is not a real
// CRM's.
func useShellSuppressionKey(ctx context.Context, store *crm.Store, dir string) (string, error) {
	path := filepath.Join(dir, shellKeyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		raw = []byte(crm.NewSuppressionKey() + "\n")
		err = os.WriteFile(path, raw, 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("the shell's suppression key: %w", err)
	}
	key := strings.TrimSpace(string(raw))
	if err := store.SetSuppressionKey(ctx, key); err != nil {
		return "", fmt.Errorf("the shell's suppression key in %s: %s", path, crm.ErrorMessage(err))
	}
	return key, nil
}

// importer writes a contact as an import or a web form does: one plain
// INSERT into contacts, nothing of contactbot's code on the way, so that
// whatever happens next is the database's own doing (the suppression
// triggers). address is an email when it has an @, else a phone number.
func importer(store *crm.Store) func(ctx context.Context, first, last, address string) (string, error) {
	return func(ctx context.Context, first, last, address string) (string, error) {
		email, phone := any(nil), any(nil)
		if strings.Contains(address, "@") {
			email = address
		} else {
			phone = address
		}
		id := crm.NewID("", 20)
		now := time.Now().UTC()
		_, err := store.DB().ExecContext(ctx, store.DB().Rebind(`INSERT INTO contacts (id, location_id, first_name, last_name, email, phone, source, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'csv import', ?, ?)`), id, demo.LocationID, first, last, email, phone, now, now)
		if err != nil {
			return "", fmt.Errorf("insert contact: %w", err)
		}
		// serve posts the triggers' audit lines every few seconds; the shell
		// at once, so that [#audit] shows what the database did.
		if _, err := store.FeedReapplied(ctx); err != nil {
			return id, fmt.Errorf("post the audit line: %w", err)
		}
		return id, nil
	}
}
