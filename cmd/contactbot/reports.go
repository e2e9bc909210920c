package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"contactbot/bot"
	"contactbot/bot/shell"
)

// digest is `contactbot digest [--since 168h]`: the weekly digest's text
// for the period before now, on stdout.
func digest(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.Duration("since", bot.DigestPeriod, "how far back the digest looks, e.g. 168h (a week)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *since <= 0 {
		fs.Usage()
		return configError{fmt.Errorf("digest takes --since DURATION (e.g. 168h), greater than zero")}
	}
	store, err := openConfigured(ctx, log)
	if err != nil {
		return err
	}
	defer store.Close()
	now := time.Now()
	m, err := bot.DigestMessage(ctx, store, now.Add(-*since), now)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, shell.PlainText(m))
	return err
}

// audit is `contactbot audit [--since 720h] [--format csv|jsonl]`: the
// audit trail of the period before now, on stdout, for auditors.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.Duration("since", 720*time.Hour, "how far back the export goes, e.g. 720h (30 days)")
	format := fs.String("format", bot.FormatCSV, "csv (with a header row) or jsonl (one JSON object a line)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *since <= 0 || (*format != bot.FormatCSV && *format != bot.FormatJSONL) {
		fs.Usage()
		return configError{fmt.Errorf("audit takes --since DURATION (greater than zero) and --format csv or jsonl")}
	}
	store, err := openConfigured(ctx, log)
	if err != nil {
		return err
	}
	defer store.Close()
	from := time.Now().Add(-*since)
	w := bufio.NewWriter(stdout)
	n, err := bot.WriteAudit(ctx, store, w, from, *format)
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d audit entries since %s\n", n, from.UTC().Format(time.RFC3339))
	return nil
}
