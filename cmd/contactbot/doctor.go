package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"contactbot/bot"
	"contactbot/bot/doctor"
	"contactbot/bot/kv"
	"contactbot/bot/slackapi"
	"contactbot/config"
	"contactbot/crm"
)

// runDoctor is `contactbot doctor`: the deployment's checklist on stdout,
// and exit code 1 when a check failed. It reads the environment as serve
// does, but changes nothing: the database is opened without migrating,
// and the embedded one is not created.
func runDoctor(ctx context.Context, env cmdEnv) error {
	cfg, cfgErr := config.FromEnv() // malformed variables are a ✗ line, not a stop
	d := doctor.Deps{Config: cfg, ConfigErr: cfgErr}
	d.Store, d.Embedded, d.StoreErr = openUnmigrated(ctx, cfg)
	if d.Store != nil {
		defer d.Store.Close()
	}
	if cfg.SlackBotToken != "" {
		d.Slack = slackapi.New(cfg.SlackBotToken, cfg.SlackAPIURL, nil)
	}
	if cfg.RedisURL != "" {
		r, err := kv.OpenRedis(cfg.RedisURL, kv.Options{Prefix: "contactbot:", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			d.Redis = failedPing{err}
		} else {
			defer r.Close()
			d.Redis = r
		}
	}
	report := doctor.Run(ctx, d)
	if _, err := io.WriteString(env.stdout, report.String()); err != nil {
		return err
	}
	if n := report.Failed(); n > 0 {
		return fmt.Errorf("%d of %d checks failed", n, len(report))
	}
	return nil
}

// openUnmigrated opens the configured database without migrating it, and
// without creating the embedded file: without DATABASE_URL it is that file
// (path), or doctor.ErrNoDatabase when there is none yet. For doctor and
// migrate --dry-run, which change nothing.
func openUnmigrated(ctx context.Context, cfg *config.Config) (store *crm.Store, path string, err error) {
	url := cfg.DatabaseURL
	if url == "" {
		dir, err := dataDir("", cfg)
		if err != nil {
			return nil, "", err
		}
		path = embeddedFile(dir, false)
		if !fileExists(path) {
			return nil, path, doctor.ErrNoDatabase
		}
		url = "sqlite:" + path
	}
	store, err = crm.OpenIn(ctx, url, bot.StoreHooks(cfg), cfg.Schemas())
	if err != nil {
		return nil, path, err
	}
	return store, path, nil
}

// failedPing is a Redis whose URL could not even be read.
type failedPing struct{ err error }

func (f failedPing) Ping(context.Context) error { return f.err }

// doctorAtStart is how long serve's checklist at start may take: it asks
// Slack, the database and Redis a few questions each.
const doctorAtStart = 30 * time.Second

// logDoctor runs the checklist once and logs it: serve's at start. A ✗
// does not stop serve: the log says what to fix, and most fixes (an
// invite, a scope) need no restart.
func logDoctor(ctx context.Context, d doctor.Deps, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, doctorAtStart)
	defer cancel()
	doctor.Run(ctx, d).Log(log)
}
