// Command contactbot is the Slack bot that deletes Leadgains contacts safely.
//
//	contactbot serve       serve Slack over HTTP on $PORT, or Socket Mode
//	contactbot migrate     apply database migrations and exit
//	contactbot doctor      check the deployment: ✓ or ✗ per line, with fixes
//	contactbot purge       delete archives whose restore window has passed
//	contactbot shell       the whole bot in a terminal, on a demo CRM (--as USER)
//	contactbot manifest    print the Slack app manifest (--url https://host)
//	contactbot seed        fill a database with generated contacts (--contacts N)
//	contactbot digest      print the weekly digest (--since 7d, --demo)
//	contactbot audit       write the audit trail (--since 30d --format csv|jsonl, --demo)
//
// `contactbot help` and `contactbot COMMAND --help` describe them (cli.go).
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
	"runtime/debug"
	"syscall"
	"time"

	"contactbot/bot"
	"contactbot/bot/doctor"
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

// configError marks configuration problems, printed one per line.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }

// openStore connects to the configured database and applies migrations.
// Without DATABASE_URL it opens the embedded SQLite database in the data
// directory; demo fills it with the demo CRM the first time (never a
// configured database: real Slack users would see made-up contacts).
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, demo bool) (*crm.Store, error) {
	if cfg.DatabaseURL == "" {
		dir, err := dataDir("", cfg)
		if err != nil {
			return nil, err
		}
		db, err := openEmbedded(ctx, dir, cfg, log, demo)
		if err != nil {
			return nil, err
		}
		log.Info("DATABASE_URL is not set: using the embedded SQLite database", "path", db.Path)
		return db.Store, db.Store.SetPhoneCountry(cfg.DefaultPhoneCountry)
	}
	store, err := openMigrated(ctx, cfg.DatabaseURL, cfg, log)
	if err != nil {
		return nil, err
	}
	return store, store.SetPhoneCountry(cfg.DefaultPhoneCountry)
}

// openMigrated opens the database at url, with the bot's hooks, and applies
// the migrations; the store is closed again when they fail.
func openMigrated(ctx context.Context, url string, cfg *config.Config, log *slog.Logger) (*crm.Store, error) {
	store, err := crm.OpenIn(ctx, url, bot.StoreHooks(cfg), cfg.Schemas())
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, log); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// openConfigured reads the environment and opens the migrated store, for the
// subcommands that need nothing else.
func openConfigured(ctx context.Context, log *slog.Logger) (*crm.Store, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, configError{err}
	}
	return openStore(ctx, cfg, log, false)
}

// migrateFlags declares migrate's flags.
func migrateFlags(fs *flag.FlagSet) runFunc {
	dryRun := fs.Bool("dry-run", false, "print every statement migrate would run, marking those that touch a CRM table, and change nothing")
	return func(ctx context.Context, env cmdEnv) error {
		if *dryRun {
			return migrateDryRun(ctx, env)
		}
		return migrate(ctx, env)
	}
}

// migrateDryRun prints what migrate would run on the configured database.
func migrateDryRun(ctx context.Context, env cmdEnv) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return configError{err}
	}
	store, path, err := openUnmigrated(ctx, cfg)
	if errors.Is(err, doctor.ErrNoDatabase) {
		fmt.Fprintf(env.stdout, "-- the embedded database %s does not exist yet: migrate would create it and apply every migration\n", path)
		return nil
	}
	if err != nil {
		return err
	}
	defer store.Close()
	return store.MigrateDryRun(ctx, env.stdout)
}

// migrate applies the migrations and, when SUPPRESSION_KEY is set, stores
// it the first time (later runs with the same key only compare it): the
// role that runs migrate owns the key, so serve may run as one that cannot
// read it.
func migrate(ctx context.Context, env cmdEnv) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return configError{err}
	}
	store, err := openStore(ctx, cfg, env.log, false)
	if err != nil {
		return err
	}
	defer store.Close()
	env.log.Info("migrations applied")
	if cfg.SuppressionKey != "" {
		if err := store.SetSuppressionKey(ctx, cfg.SuppressionKey); err != nil {
			return fmt.Errorf("suppression list: %s", crm.ErrorMessage(err))
		}
		env.log.Info("suppression key checked")
	}
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

// serveFlags declares serve's flags.
func serveFlags(fs *flag.FlagSet) runFunc {
	demo := fs.Bool("demo-data", false, "fill an empty embedded database with the demo CRM (a trial; never with DATABASE_URL)")
	return func(ctx context.Context, env cmdEnv) error {
		return serve(ctx, env.log, *demo)
	}
}

// tuneGC gives serve's garbage collector more room than Go's default,
// unless the operator set GOGC or GOMEMLIMIT: a page of ten contacts
// allocates about 300 KB to read and render, and the live heap is a few
// MB, so at GOGC=100 the collector ran every few dozen searches. At 400
// (the heap may grow to five times what is live, some tens of MB) a name
// search cost the bot 15–30% less CPU under load; the 256 MiB limit, half
// the smallest Heroku dyno, makes the collector work harder rather than let
// the heap grow past it.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
}

func serve(ctx context.Context, log *slog.Logger, demo bool) error {
	cfg, err := serveConfig()
	if err != nil {
		return err
	}
	if demo && cfg.DatabaseURL != "" {
		return usageError{"--demo-data only fills the embedded database; unset DATABASE_URL to try the demo CRM"}
	}
	log.Info("starting", "config", cfg)
	warnServeConfig(cfg, log)
	tuneGC(os.Getenv)
	slackClient := slackapi.New(cfg.SlackBotToken, cfg.SlackAPIURL, nil)
	workspace, err := learnWorkspace(ctx, slackClient, cfg)
	if err != nil {
		return err
	}
	log.Info("serving one workspace: payloads from any other are refused", "team", workspace.TeamID, "enterprise", workspace.EnterpriseID)
	store, err := openStore(ctx, cfg, log, demo)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.SetSuppressionKey(ctx, cfg.SuppressionKey); err != nil {
		return fmt.Errorf("suppression list: %s", crm.ErrorMessage(err))
	}

	var kvStore bot.KV
	var redisPing doctor.Pinger
	if cfg.RedisURL != "" {
		r, err := kv.OpenRedis(cfg.RedisURL, kv.Options{Prefix: "contactbot:", Log: log})
		if err != nil {
			return err
		}
		defer r.Close()
		// Redis is an accelerator: start without it, use it once it answers.
		pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if err := r.Ping(pingCtx); err != nil {
			log.Warn("redis is not answering at start: running degraded until it does", "err", err)
		}
		cancel()
		kvStore, redisPing = r, r
	} else {
		kvStore = kv.NewMemory()
	}
	// Beside serving, not before it: a slow Slack must not hold the port
	// closed past a host's boot timeout. A shutdown waits for the
	// checklist (bounded by its own timeout) so that it is logged whole.
	doctorDone := make(chan struct{})
	go func() {
		defer close(doctorDone)
		logDoctor(context.WithoutCancel(ctx), doctor.Deps{Config: cfg, Store: store, Embedded: embeddedPath(cfg, demo), Slack: slackClient, Redis: redisPing}, log)
	}()
	defer func() { <-doctorDone }()

	b := bot.New(bot.Deps{Store: store, Slack: slackClient, KV: kvStore, Config: cfg, Log: log, Workspace: workspace})
	// Stopped last (defers run in reverse): deletes acknowledged before a
	// shutdown still have their outcome delivered.
	stopOutbox := b.StartOutbox(context.WithoutCancel(ctx))
	defer stopOutbox()
	go b.RecoverOnStart(ctx)
	stopJobs := startJobs(ctx, store, periodicJobs(b, store, log), log)
	defer stopJobs()
	metrics := slackhttp.NewMetrics()
	metrics.WatchOutbox(store)
	h := slackhttp.New(b, slackhttp.Options{
		SigningSecret: cfg.SlackSigningSecret,
		Ready:         map[string]slackhttp.Pinger{"database": store},
		Degradable:    map[string]slackhttp.Pinger{"redis": kvStore},
		Log:           log,
		Metrics:       metrics,
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
		go func() { sockc <- runSocketMode(ctx, b, cfg, log) }()
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

// learnWorkspace asks Slack (auth.test) which workspace the bot token
// belongs to, and checks it against SLACK_TEAM_ID: serve does not start
// when they disagree, or when Slack cannot say.
func learnWorkspace(ctx context.Context, c *slackapi.Client, cfg *config.Config) (bot.Workspace, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ws, err := c.Workspace(ctx)
	if err != nil {
		return ws, fmt.Errorf("could not ask Slack which workspace SLACK_BOT_TOKEN belongs to (%w): check the token and that %s answers", err, cfg.SlackAPIURL)
	}
	if err := bot.CheckWorkspace(cfg, ws); err != nil {
		return ws, err
	}
	return ws, nil
}

// warnServeConfig logs, at start, settings that run but that a careful
// admin would not want by accident.
func warnServeConfig(cfg *config.Config, log *slog.Logger) {
	if len(cfg.AdminUserIDs) == 0 && cfg.AdminUsergroupID == "" {
		log.Warn("no admin is configured: nobody can approve delete requests or restore deletions (set ADMIN_USER_IDS or ADMIN_USERGROUP_ID)")
	}
	if cfg.DatabaseURL == "" || cfg.RedisURL == "" {
		log.Warn("running on embedded stores: this process must be the only replica (set DATABASE_URL and REDIS_URL to scale out)",
			"embedded_database", cfg.DatabaseURL == "", "in_process_kv", cfg.RedisURL == "")
	}
}

// manifestFlags declares manifest's flags.
func manifestFlags(fs *flag.FlagSet) runFunc {
	url := fs.String("url", "", "public base URL of the bot, e.g. https://contactbot.example.com (not needed with --socket-mode)")
	command := fs.String("command", bot.DefaultCommandName, "slash command name")
	socket := fs.Bool("socket-mode", false, "enable Socket Mode (no request URLs needed)")
	return func(_ context.Context, env cmdEnv) error {
		m, err := bot.Manifest(*url, *command, *socket)
		if err != nil {
			return usageError{err.Error()}
		}
		_, err = io.WriteString(env.stdout, m)
		return err
	}
}

// seedFlags declares seed's flags.
func seedFlags(fs *flag.FlagSet) runFunc {
	contacts := fs.Int("contacts", 1000, "how many contacts to create")
	prefix := fs.String("prefix", "s", "id prefix, so that several seeds can share a database")
	return func(ctx context.Context, env cmdEnv) error {
		if *contacts < 1 {
			return usageError{fmt.Sprintf("--contacts must be at least 1, got %d", *contacts)}
		}
		store, err := openConfigured(ctx, env.log)
		if err != nil {
			return err
		}
		defer store.Close()
		start := time.Now()
		got, err := store.Seed(ctx, crm.SeedOptions{Contacts: *contacts, Prefix: *prefix})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "seeded %d contacts and %d linked rows in %s\n", got.Contacts, got.Linked, time.Since(start).Round(time.Millisecond))
		return nil
	}
}
