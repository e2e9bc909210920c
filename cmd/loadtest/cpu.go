package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// 100 on every Linux architecture Go runs on.
const clockTick = 10 * time.Millisecond

// cpuMeter reads the CPU time (user + system) that processes spent over a
// run, from /proc/<pid>/stat: the bot's, the database's and the load
// tool's own. Divided by the requests served, it is the cost of a request,
// a figure that holds while other work shares the machine, unlike latency.
type cpuMeter struct {
	botPIDs []int
	pgDB    string // only the backends of this database, when set
	// start is each process's CPU time when the run began; postgres
	// processes are found again at the end (connections opened during the
	// run count from zero; ones that exited during it are lost).
	start map[int]time.Duration
}

// newCPUMeter notes the CPU time so far of the bot processes (pids), of the
// PostgreSQL processes on this machine (every one: backends, WAL writer,
// checkpointer; or only the backends of database pgDB, when other work
// uses the same server), and of this process.
func newCPUMeter(pids []int, pgDB string) *cpuMeter {
	m := &cpuMeter{botPIDs: pids, pgDB: pgDB, start: map[int]time.Duration{}}
	for _, pid := range append(append(postgresPIDs(pgDB), pids...), os.Getpid()) {
		if t, _, ok := procCPU(pid); ok {
			m.start[pid] = t
		}
	}
	return m
}

// cpuUse is CPU time spent over a run, by whom.
type cpuUse struct {
	bot, postgres, self time.Duration
	botSeen, pgSeen     int
	botAsked            bool // bot processes were named (-pid)
}

// stop reads the CPU times again.
func (m *cpuMeter) stop() cpuUse {
	u := cpuUse{botAsked: len(m.botPIDs) > 0}
	since := func(pid int) (time.Duration, bool) {
		t, _, ok := procCPU(pid)
		if !ok {
			return 0, false
		}
		return t - m.start[pid], true
	}
	for _, pid := range m.botPIDs {
		if d, ok := since(pid); ok {
			u.bot += d
			u.botSeen++
		}
	}
	for _, pid := range postgresPIDs(m.pgDB) {
		if d, ok := since(pid); ok {
			u.postgres += d
			u.pgSeen++
		}
	}
	u.self, _ = since(os.Getpid())
	return u
}

// report writes the CPU time per request: what one request cost each
// process, whatever else ran on the machine.
func (u cpuUse) report(w io.Writer, requests int) {
	if requests == 0 {
		return
	}
	per := func(d time.Duration) string {
		return fmt.Sprintf("%.3f ms", float64(d)/float64(requests)/float64(time.Millisecond))
	}
	var parts []string
	switch {
	case u.botAsked && u.botSeen == 0:
		parts = append(parts, "bot: its process was not found")
	case u.botAsked:
		parts = append(parts, "bot "+per(u.bot))
	}
	if u.pgSeen > 0 {
		parts = append(parts, fmt.Sprintf("postgres %s (%d processes)", per(u.postgres), u.pgSeen))
	}
	parts = append(parts, "loadtest "+per(u.self))
	fmt.Fprintf(w, "cpu per request: %s\n", strings.Join(parts, "  "))
}

// procCPU is a process's utime + stime and its command name, from
// /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", false
	}
	return parseStat(string(b))
}

// parseStat reads the command name and utime + stime (fields 14 and 15) of
// a /proc/<pid>/stat line. The name is in parentheses and may itself hold
// spaces and parentheses, so the fields are counted from the last ')'.
func parseStat(s string) (time.Duration, string, bool) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return 0, "", false
	}
	f := strings.Fields(s[end+1:]) // from field 3 (state) on
	if len(f) < 13 {
		return 0, "", false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, "", false
	}
	return time.Duration(utime+stime) * clockTick, s[open+1 : end], true
}

// postgresPIDs lists the processes named "postgres": the server and every
// backend and helper process it forked; with db, only the backends
// connected to that database.
func postgresPIDs(db string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if _, name, ok := procCPU(pid); !ok || name != "postgres" {
			continue
		}
		if db != "" {
			title, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			// "postgres: [cluster: ]user db host(port) state"
			f := strings.Fields(strings.ReplaceAll(string(title), "\x00", " "))
			if err != nil || len(f) < 3 || f[0] != "postgres:" || !slices.Contains(f[2:min(4, len(f))], db) {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// parsePIDs reads a comma-separated list of process ids.
func parsePIDs(s string) ([]int, error) {
	var pids []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("-pid: %q is not a process id", f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
