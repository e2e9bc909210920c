package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"contactbot/bot"
	"contactbot/bot/shell"
)

// digestFlags is `contactbot digest [--since 168h]`: the weekly digest's
// text for the period before now, on stdout, as the weekly post shows it.
func digestFlags(fs *flag.FlagSet) runFunc {
	since := fs.Duration("since", bot.DigestPeriod, "how far back the digest looks, e.g. 168h (a week)")
	return func(ctx context.Context, env cmdEnv) error {
		if *since <= 0 {
			return usageError{fmt.Sprintf("--since must be more than zero, got %s", *since)}
		}
		store, err := openConfigured(ctx, env.log)
		if err != nil {
			return err
		}
		defer store.Close()
		now := time.Now()
		m, err := bot.DigestMessage(ctx, store, now.Add(-*since), now)
		if err != nil {
			return err
		}
		_, err = io.WriteString(env.stdout, shell.PlainText(m))
		return err
	}
}

// auditFlags is `contactbot audit [--since 720h] [--format csv|jsonl]`:
// the audit trail of the period before now, on stdout, for auditors; how
// many entries, on stderr.
func auditFlags(fs *flag.FlagSet) runFunc {
	since := fs.Duration("since", 720*time.Hour, "how far back the export goes, e.g. 720h (30 days)")
	format := fs.String("format", bot.FormatCSV, "csv (with a header row) or jsonl (one JSON object a line)")
	return func(ctx context.Context, env cmdEnv) error {
		switch {
		case *since <= 0:
			return usageError{fmt.Sprintf("--since must be more than zero, got %s", *since)}
		case *format != bot.FormatCSV && *format != bot.FormatJSONL:
			return usageError{fmt.Sprintf("--format is csv or jsonl, got %q", *format)}
		}
		store, err := openConfigured(ctx, env.log)
		if err != nil {
			return err
		}
		defer store.Close()
		from := time.Now().Add(-*since)
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
