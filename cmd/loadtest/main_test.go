package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestParseStat reads utime and stime past a command name that holds
// spaces and parentheses, as /proc/<pid>/stat may.
func TestParseStat(t *testing.T) {
	line := "4242 (postgres: a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 5 0 0"
	d, name, ok := parseStat(line)
	if !ok || name != "postgres: a (b) c" || d != 325*clockTick {
		t.Errorf("parseStat = %s, %q, %t; want 3.25s, %q, true", d, name, ok, "postgres: a (b) c")
	}
	if _, _, ok := parseStat("4242 (x) S 1"); ok {
		t.Error("a short line was read")
	}
}

// TestCPUMeterCountsItself burns CPU between the start and the stop of a
// meter and finds it charged to the load tool's own process.
func TestCPUMeterCountsItself(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	m := newCPUMeter([]int{os.Getpid()}, "")
	x := 0
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; {
		x++
	}
	u := m.stop()
	if u.self < 50*time.Millisecond || u.bot < 50*time.Millisecond || u.botSeen != 1 {
		t.Errorf("after 200 ms of work: self %s, bot %s (%d seen)", u.self, u.bot, u.botSeen)
	}
	var b strings.Builder
	u.report(&b, 10)
	if !strings.HasPrefix(b.String(), "cpu per request: bot ") || !strings.Contains(b.String(), "loadtest ") {
		t.Errorf("report: %q", b.String())
	}
}

// TestNameModeIsSkewed: the name mode draws full names as the seed has
// them, so the most common full name comes up far more often than the
// average one, and many different names come up.
func TestNameModeIsSkewed(t *testing.T) {
	q := seededQueries(1000000)["name"]
	seen := map[string]int{}
	const n = 20000
	for i := 1; i <= n; i++ {
		seen[q(i)]++
	}
	top := seen["anna jansen"]
	// About 2,600 of a million contacts are Anna Jansen: 52 in 20,000
	// draws, where 10,000 names would get 2 each if drawn uniformly.
	if top < 25 || top > 90 || len(seen) < 3000 {
		t.Errorf("anna jansen drawn %d times of %d, %d different names", top, n, len(seen))
	}
}
