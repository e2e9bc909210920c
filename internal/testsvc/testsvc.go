// Package testsvc starts private PostgreSQL and Redis servers for tests that
// cut a service and restore it: each server listens on 127.0.0.1 on a free
// port, keeps its files in a temporary directory, and is stopped and removed
// when the test ends. The shared servers on 5432 and 6379 are never touched.
//
//	pg := testsvc.StartPostgres(t) // initdb + pg_ctl, as the postgres user when run as root
//	store, _ := crm.Open(ctx, pg.URL())
//	pg.Stop(t)  // the database is down: connections fail
//	pg.Start(t) // up again on the same port, with the same data
//
//	rd := testsvc.StartRedis(t) // redis-server, no persistence
//	rd.Stop(t); rd.Start(t)     // down, then up on the same port, empty
//	rd.Pause(t); rd.Resume(t)   // hung: connects, never answers
//
// The binaries come from PATH, or Debian's /usr/lib/postgresql/*/bin for
// initdb and pg_ctl; bash .ci/run installs them on a fresh machine.
package testsvc

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// missing ends a test whose server is not installed: it fails where the
// tests are meant to run everything (variable set, as bash .ci/run sets
// it), and is skipped elsewhere.
func missing(tb testing.TB, variable, why string) {
	tb.Helper()
	if os.Getenv(variable) == "" {
		tb.Skip(why)
	}
	tb.Fatal(why)
}

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 30 * time.Second

// Postgres is a private PostgreSQL server.
type Postgres struct {
	dir     string // data directory
	port    int
	bin     string
	owner   *syscall.Credential // nil: run as the current user
	mu      sync.Mutex
	running bool
}

// StartPostgres initialises a PostgreSQL cluster in a temporary directory
// and starts it on a free port. It runs as the postgres user when the test
// runs as root (PostgreSQL refuses to run as root). The cluster is tuned for
// tests (no fsync) and removed at cleanup.
func StartPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	bin, err := postgresBin()
	if err != nil {
		missing(tb, "TEST_DATABASE_URL", fmt.Sprintf("testsvc: %v (run bash .ci/run, which installs PostgreSQL)", err))
	}
	p := &Postgres{bin: bin}
	if os.Geteuid() == 0 {
		p.owner, err = credential("postgres")
		if err != nil {
			tb.Fatalf("testsvc: running as root needs the postgres user: %v", err)
		}
	}
	// Not tb.TempDir: its parent is private to root, and the server runs as postgres.
	p.dir, err = os.MkdirTemp("", "contactbot-pg-")
	if err != nil {
		tb.Fatalf("testsvc: %v", err)
	}
	tb.Cleanup(func() {
		p.stop("immediate")
		os.RemoveAll(p.dir)
	})
	if p.owner != nil {
		if err := os.Chown(p.dir, int(p.owner.Uid), int(p.owner.Gid)); err != nil {
			tb.Fatalf("testsvc: %v", err)
		}
	}
	if out, err := p.run("initdb", "-D", p.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		tb.Fatalf("testsvc: initdb: %v\n%s", err, out)
	}
	// A free port can be taken by someone else before the server binds it:
	// try a few.
	for attempt := 0; ; attempt++ {
		p.port = FreePort(tb)
		err := p.start()
		if err == nil {
			break
		}
		if attempt == 2 {
			tb.Fatalf("testsvc: start PostgreSQL: %v", err)
		}
	}
	return p
}

// URL is the connection URL of the server's postgres database, as the
// superuser postgres, without a password.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// Port is the TCP port the server listens on (the same after a restart).
func (p *Postgres) Port() int { return p.port }

// Stop shuts the server down (pg_ctl stop -m fast: open sessions are ended
// and connecting fails) and waits until it is gone.
func (p *Postgres) Stop(tb testing.TB) {
	tb.Helper()
	if err := p.stop("fast"); err != nil {
		tb.Fatalf("testsvc: stop PostgreSQL: %v", err)
	}
}

// Start starts a stopped server again on the same port, with its data.
func (p *Postgres) Start(tb testing.TB) {
	tb.Helper()
	if err := p.start(); err != nil {
		tb.Fatalf("testsvc: start PostgreSQL: %v", err)
	}
}

func (p *Postgres) data() string { return filepath.Join(p.dir, "data") }

func (p *Postgres) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return nil
	}
	// Small and fast: a test server shares the machine with everything else.
	opts := strings.Join([]string{
		"-p", strconv.Itoa(p.port), "-c", "listen_addresses=127.0.0.1", "-k", p.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB", "-c", "max_connections=40",
	}, " ")
	out, err := p.run("pg_ctl", "-D", p.data(), "-l", filepath.Join(p.dir, "server.log"), "-o", opts, "-w", "-t", strconv.Itoa(int(startTimeout/time.Second)), "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, lastLines(log, 20))
	}
	p.running = true
	return waitTCP(p.port)
}

func (p *Postgres) stop(mode string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		return nil
	}
	if out, err := p.run("pg_ctl", "-D", p.data(), "-m", mode, "-w", "-t", "30", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	p.running = false
	return nil
}

// run runs a PostgreSQL program as the cluster's owner.
func (p *Postgres) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	if p.owner != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.owner}
		cmd.Env = append(os.Environ(), "HOME="+p.dir, "USER=postgres")
	}
	return cmd.CombinedOutput()
}

// postgresBin finds the directory of initdb and pg_ctl: PATH, else the
// newest /usr/lib/postgresql/*/bin (Debian keeps them off PATH).
func postgresBin() (string, error) {
	if path, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(path), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("initdb not found on PATH or in /usr/lib/postgresql/*/bin")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// Redis is a private redis-server without persistence.
type Redis struct {
	dir  string
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *bytes.Buffer
}

// StartRedis starts redis-server on a free port; it is killed at cleanup.
func StartRedis(tb testing.TB) *Redis {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		missing(tb, "TEST_REDIS_URL", fmt.Sprintf("testsvc: redis-server not found (run bash .ci/run, which installs it): %v", err))
	}
	r := &Redis{dir: tb.TempDir()}
	tb.Cleanup(func() { r.kill() })
	for attempt := 0; ; attempt++ {
		r.port = FreePort(tb)
		err := r.start()
		if err == nil {
			break
		}
		if attempt == 2 {
			tb.Fatalf("testsvc: start redis-server: %v", err)
		}
	}
	return r
}

// URL is the server's redis:// URL (database 0).
func (r *Redis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// Addr is the server's host:port.
func (r *Redis) Addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

// Stop kills the server: connections drop and new ones are refused. What it
// held is gone, as after a failover to an empty replica.
func (r *Redis) Stop(tb testing.TB) {
	tb.Helper()
	r.kill()
}

// Start starts a stopped server again on the same port, empty.
func (r *Redis) Start(tb testing.TB) {
	tb.Helper()
	if err := r.start(); err != nil {
		tb.Fatalf("testsvc: start redis-server: %v", err)
	}
}

// Pause freezes the server (SIGSTOP): connections are accepted by the
// kernel but nothing is answered, as with a hung host or a network that
// drops packets. Resume undoes it.
func (r *Redis) Pause(tb testing.TB) {
	tb.Helper()
	r.signal(tb, syscall.SIGSTOP)
}

// Resume thaws a paused server.
func (r *Redis) Resume(tb testing.TB) {
	tb.Helper()
	r.signal(tb, syscall.SIGCONT)
}

func (r *Redis) signal(tb testing.TB, sig syscall.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		tb.Fatalf("testsvc: redis-server is not running")
	}
	if err := r.cmd.Process.Signal(sig); err != nil {
		tb.Fatalf("testsvc: signal redis-server: %v", err)
	}
}

func (r *Redis) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return nil
	}
	r.out = &bytes.Buffer{}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir, "--daemonize", "no")
	cmd.Stdout, cmd.Stderr = r.out, r.out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		// Ours, not another server that took the port meanwhile.
		if redisPID(r.port) == cmd.Process.Pid {
			r.cmd = cmd
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited:\n%s", r.out.String())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			return fmt.Errorf("redis-server not answering after %s", startTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (r *Redis) kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGCONT) // a paused server cannot die otherwise
	_ = r.cmd.Process.Kill()
	// Wait until the port is free again, so that Start can bind it.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && redisPID(r.port) != 0 {
		time.Sleep(10 * time.Millisecond)
	}
	r.cmd = nil
}

// redisPID returns the process id of the Redis answering on port, or 0.
func redisPID(port int) int {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
	if err != nil {
		return 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("INFO server\r\n")); err != nil {
		return 0
	}
	var info []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(info, []byte("process_id:")) || !bytes.Contains(info[bytes.Index(info, []byte("process_id:")):], []byte("\r\n")) {
		n, err := c.Read(buf)
		info = append(info, buf[:n]...)
		if err != nil {
			return 0
		}
	}
	rest := info[bytes.Index(info, []byte("process_id:"))+len("process_id:"):]
	pid, _ := strconv.Atoi(string(rest[:bytes.Index(rest, []byte("\r\n"))]))
	return pid
}

// waitTCP waits until something accepts connections on port.
func waitTCP(port int) error {
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on port %d after %s", port, startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreePort asks the kernel for a TCP port on 127.0.0.1 that nobody listens
// on now (someone may take it before the caller binds it).
func FreePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testsvc: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
