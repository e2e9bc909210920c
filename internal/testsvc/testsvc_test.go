package testsvc_test

import (
	"context"
	"database/sql"
	"net"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"contactbot/internal/testsvc"
)

// TestPostgresStopStart: a private server answers, refuses connections when
// stopped, and has its data back after Start on the same port.
func TestPostgresStopStart(t *testing.T) {
	pg := testsvc.StartPostgres(t)
	if pg.Port() == 5432 {
		t.Fatalf("private server on the shared port")
	}
	db, err := sql.Open("postgres", pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')`); err != nil {
		t.Fatalf("write: %v", err)
	}
	pg.Stop(t)
	if err := db.PingContext(ctx); err == nil {
		t.Fatalf("ping succeeded on a stopped server")
	}
	pg.Start(t)
	var v string
	if err := db.QueryRowContext(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != "still here" {
		t.Fatalf("after restart: %q, %v", v, err)
	}
}

// TestRedisStopStartPause: a private server answers PING, refuses when
// stopped, answers again (empty) after Start, and hangs while paused.
func TestRedisStopStartPause(t *testing.T) {
	rd := testsvc.StartRedis(t)
	if !strings.HasSuffix(rd.URL(), "/0") || strings.Contains(rd.Addr(), ":6379") {
		t.Fatalf("unexpected address %s", rd.URL())
	}
	if got := ping(rd.Addr()); got != "+PONG" {
		t.Fatalf("ping: %q", got)
	}
	rd.Stop(t)
	if got := ping(rd.Addr()); got != "refused" {
		t.Fatalf("ping after Stop: %q", got)
	}
	rd.Start(t)
	if got := ping(rd.Addr()); got != "+PONG" {
		t.Fatalf("ping after Start: %q", got)
	}
	rd.Pause(t)
	if got := ping(rd.Addr()); got != "timeout" {
		t.Fatalf("ping while paused: %q", got)
	}
	rd.Resume(t)
	if got := ping(rd.Addr()); got != "+PONG" {
		t.Fatalf("ping after Resume: %q", got)
	}
}

func ping(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return "refused"
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	c.Write([]byte("PING\r\n"))
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil {
		return "timeout"
	}
	return strings.TrimSpace(string(buf[:n]))
}
