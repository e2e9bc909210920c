package main

import (
	"bytes"
	"context"
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

func TestServeRefusesIncompleteConfig(t *testing.T) {
	for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "APPROVALS_CHANNEL", "INCIDENT_CHANNEL", "DATABASE_URL", "REDIS_URL", "SUPPRESSION_KEY"} {
		t.Setenv(k, "")
	}
	t.Setenv("PORT", "eighty")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve"}, strings.NewReader(""), &out, &errb)
	if code != 2 {
		t.Fatalf("exit code %d, want 2; stderr:\n%s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	for _, want := range []string{"PORT", "SLACK_BOT_TOKEN", "APPROVALS_CHANNEL", "INCIDENT_CHANNEL", "SLACK_SIGNING_SECRET", "SUPPRESSION_KEY"} {
		found := 0
		for _, l := range lines {
			if strings.Contains(l, want) {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%s named on %d lines, want exactly 1:\n%s", want, found, errb.String())
		}
	}
}

func TestManifestCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"manifest", "--url", "https://bot.example.com"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"https://bot.example.com/slack/commands", "https://bot.example.com/slack/interactions", "usergroups:read", "chat:write"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("manifest lacks %q", want)
		}
	}
	if code := run(context.Background(), []string{"manifest", "--url", "not a url"}, strings.NewReader(""), &out, &errb); code == 0 {
		t.Error("a bad URL was accepted")
	}
	if code := run(context.Background(), []string{"frobnicate"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("unknown command exit %d, want 2", code)
	}
}

// TestTuneGC: serve gives the collector room by default, and an operator's
// GOGC or GOMEMLIMIT wins.
func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	defer func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) }()

	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(123); got != 400 {
		t.Errorf("GC percent with GOGC unset: %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(777 << 20); got != 256<<20 {
		t.Errorf("memory limit with GOMEMLIMIT unset: %d, want %d", got, 256<<20)
	}

	set := map[string]string{"GOGC": "123", "GOMEMLIMIT": "777MiB"}
	tuneGC(func(k string) string { return set[k] })
	if got := debug.SetGCPercent(100); got != 123 {
		t.Errorf("GC percent with GOGC=123: %d, want it left at 123", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != 777<<20 {
		t.Errorf("memory limit with GOMEMLIMIT set: %d, want it left at %d", got, 777<<20)
	}
}
