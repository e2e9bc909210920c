// Command contactbot is the Slack bot that deletes Leadgains contacts safely.
//
//	contactbot serve       serve Slack over HTTP on $PORT, or Socket Mode (default subcommand)
//	contactbot migrate     apply database migrations and exit
//	contactbot purge       delete archives whose restore window has passed
//	contactbot shell       the whole bot in a terminal, on a demo CRM (--as USER)
//	contactbot manifest    print the Slack app manifest (--url https://host)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"contactbot/bot"
	"contactbot/bot/kv"
	"contactbot/bot/slackapi"
	"contactbot/bot/slackhttp"
	"contactbot/config"
	"contactbot/crm"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	sub := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var err error
	switch sub {
	case "serve":
		err = serve(ctx, log)
	case "migrate":
		err = migrate(ctx, log)
	case "purge":
		err = purge(ctx, stdout, log)
	case "shell":
		err = runShell(ctx, args, stdin, stdout, stderr)
	case "manifest":
		err = manifest(args, stdout, stderr)
	case "seed":
		err = seed(ctx, args, stdout, stderr, log)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "contactbot: unknown command %q\n\n%s", sub, usage)
		return 2
	}
	var cfgErr configError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &cfgErr):
		fmt.Fprintf(stderr, "contactbot %s: the configuration is incomplete:\n", sub)
		for _, line := range strings.Split(cfgErr.err.Error(), "\n") {
			fmt.Fprintf(stderr, "  %s\n", line)
		}
		return 2
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintf(stderr, "contactbot %s: %v\n", sub, err)
	return 1
}

const usage = `Usage: contactbot <command> [flags]

  serve                  serve Slack over HTTP on $PORT, or over Socket Mode
                         when SLACK_APP_TOKEN is set (the default)
  migrate                apply database migrations and exit
  purge                  delete archives whose restore window has passed (serve does it hourly)
  shell [--as USER]      the whole bot in a terminal, on a demo CRM; no Slack,
                         PostgreSQL or Redis needed (USER: admin, admin2,
                         deleter, support; --data-dir DIR)
  manifest --url URL     print the Slack app manifest for "Create an app from a manifest"
  seed --contacts N      fill the database with N demo contacts and linked rows (benchmarks, demos)

Configuration is read from the environment; see README.md.
`

// configError marks configuration problems, printed one per line.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }

// openStore connects to the configured database and applies migrations.
// Without DATABASE_URL it opens the embedded SQLite database in the data
// directory, seeded with the demo CRM the first time.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*crm.Store, error) {
	if cfg.DatabaseURL == "" {
		dir, err := dataDir("", cfg)
		if err != nil {
			return nil, err
		}
		db, err := openEmbedded(ctx, dir, log)
		if err != nil {
			return nil, err
		}
		log.Info("DATABASE_URL is not set: using the embedded SQLite database", "path", db.Path)
		return db.Store, db.Store.SetPhoneCountry(cfg.DefaultPhoneCountry)
	}
	store, err := crm.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, log); err != nil {
		store.Close()
		return nil, err
	}
	return store, store.SetPhoneCountry(cfg.DefaultPhoneCountry)
}

// openConfigured reads the environment and opens the migrated store, for the
// subcommands that need nothing else.
func openConfigured(ctx context.Context, log *slog.Logger) (*crm.Store, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, configError{err}
	}
	return openStore(ctx, cfg, log)
}

func migrate(ctx context.Context, log *slog.Logger) error {
	store, err := openConfigured(ctx, log)
	if err != nil {
		return err
	}
	defer store.Close()
	log.Info("migrations applied")
	return nil
}

// serveConfig reads the environment and checks what serve needs, reporting
// every problem at once: a malformed variable once, not again as missing.
func serveConfig() (*config.Config, error) {
	cfg, loadErr := config.FromEnv()
	var problems []error
	malformed := map[string]bool{}
	for _, err := range varErrors(loadErr) {
		problems = append(problems, err)
		var v *config.VarError
		if errors.As(err, &v) {
			malformed[v.Var] = true
		}
	}
	if cfg != nil {
		for _, err := range varErrors(cfg.CheckServe()) {
			var v *config.VarError
			if errors.As(err, &v) && malformed[v.Var] {
				continue
			}
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return nil, configError{errors.Join(problems...)}
	}
	return cfg, nil
}

// varErrors splits an errors.Join into its parts.
func varErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func serve(ctx context.Context, log *slog.Logger) error {
	cfg, err := serveConfig()
	if err != nil {
		return err
	}
	log.Info("starting", "config", cfg)
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	stopPurging := startPurging(ctx, store, purgeInterval, log)
	defer stopPurging()

	var kvStore bot.KV
	if cfg.RedisURL != "" {
		r, err := kv.OpenRedis(cfg.RedisURL, "contactbot:")
		if err != nil {
			return err
		}
		defer r.Close()
		kvStore = r
	} else {
		kvStore = kv.NewMemory()
	}
	if cfg.DatabaseURL == "" || cfg.RedisURL == "" {
		log.Warn("running on embedded stores: this process must be the only replica (set DATABASE_URL and REDIS_URL to scale out)",
			"embedded_database", cfg.DatabaseURL == "", "in_process_kv", cfg.RedisURL == "")
	}

	b := bot.New(bot.Deps{Store: store, Slack: slackapi.New(cfg.SlackBotToken, cfg.SlackAPIURL, nil), KV: kvStore, Config: cfg, Log: log})
	go b.RunApprovalJobsEvery(ctx, time.Minute) // expiry and reminders; safe on every replica
	h := slackhttp.New(b, slackhttp.Options{
		SigningSecret: cfg.SlackSigningSecret,
		KV:            kvStore,
		Ready:         map[string]slackhttp.Pinger{"database": store, "redis": kvStore},
		Log:           log,
		Metrics:       slackhttp.NewMetrics(),
	})
	srv := &http.Server{
		Addr:              fmt.Sprintf(":%d", cfg.Port),
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	sockc := make(chan error, 1)
	if cfg.SocketMode() {
		go func() { sockc <- runSocketMode(ctx, b, cfg, kvStore, log) }()
		log.Info("serving Slack over Socket Mode; HTTP serves health checks only", "port", cfg.Port)
	} else {
		log.Info("serving Slack over HTTP", "port", cfg.Port)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case err := <-sockc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if cfg.SocketMode() {
		<-sockc // every envelope in hand acknowledged
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Error("shutdown", "err", err)
	}
	b.Wait() // let deletes that were acknowledged finish
	return nil
}

func manifest(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("manifest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "public base URL of the bot, e.g. https://contactbot.example.com")
	command := fs.String("command", bot.DefaultCommandName, "slash command name")
	socket := fs.Bool("socket-mode", false, "enable Socket Mode (no request URLs needed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := bot.Manifest(*url, *command, *socket)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, m)
	return err
}

func seed(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	contacts := fs.Int("contacts", 1000, "how many contacts to create")
	prefix := fs.String("prefix", "s", "id prefix, so that several seeds can share a database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := openConfigured(ctx, log)
	if err != nil {
		return err
	}
	defer store.Close()
	start := time.Now()
	got, err := store.Seed(ctx, crm.SeedOptions{Contacts: *contacts, Prefix: *prefix})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d contacts and %d linked rows in %s\n", got.Contacts, got.Linked, time.Since(start).Round(time.Millisecond))
	return nil
}
