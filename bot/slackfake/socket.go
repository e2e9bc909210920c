package slackfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Socket is Slack's side of Socket Mode: a WebSocket server that says hello
// on every connection and hands the connection to the test, which sends
// envelopes and reads the acks.
//
//	sock := slackfake.NewSocket(t)
//	fake.SetSocketURL(sock.URL()) // apps.connections.open answers it
//	conn := sock.Next(10 * time.Second)
//	ack := conn.Send("env-1", "slash_commands", payload, 0)
type Socket struct {
	t     testing.TB
	srv   *httptest.Server
	conns chan *SocketConn
}

// SocketConn is one client connection to the fake Socket Mode server.
type SocketConn struct {
	t testing.TB
	// Conn is the server's end, e.g. to drop it (Conn.UnderlyingConn().Close()).
	Conn *websocket.Conn
	// Timeout bounds the wait for each ack.
	Timeout time.Duration
}

// Ack is what a client sends back for an envelope.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// NewSocket starts a fake Socket Mode server; it is closed when the test ends.
func NewSocket(t testing.TB) *Socket {
	t.Helper()
	s := &Socket{t: t, conns: make(chan *SocketConn, 8)}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("slackfake socket: upgrade: %v", err)
			return
		}
		hello := map[string]any{"type": "hello", "num_connections": 1,
			"connection_info": map[string]any{"app_id": "A0FAKEAPP"}, "debug_info": map[string]any{"host": "slackfake"}}
		if err := conn.WriteJSON(hello); err != nil {
			t.Errorf("slackfake socket: hello: %v", err)
		}
		s.conns <- &SocketConn{t: t, Conn: conn, Timeout: 10 * time.Second}
	}))
	t.Cleanup(func() {
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

// URL is the WebSocket URL to give SetSocketURL.
func (s *Socket) URL() string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link/?ticket=fake"
}

// Next waits for the next client connection (which has had its hello). It
// fails the test on timeout.
func (s *Socket) Next(timeout time.Duration) *SocketConn {
	s.t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(timeout):
		s.t.Fatalf("slackfake socket: no client connected within %v", timeout)
		return nil
	}
}

// Send writes an envelope of type typ ("slash_commands", "interactive",
// "events_api") and returns the client's ack of it. It fails the test when
// no ack for this envelope comes within c.Timeout.
func (c *SocketConn) Send(envelopeID, typ string, payload any, retryAttempt int) Ack {
	c.t.Helper()
	env := map[string]any{"envelope_id": envelopeID, "type": typ, "payload": payload,
		"accepts_response_payload": typ != "events_api", "retry_attempt": retryAttempt}
	if err := c.Conn.WriteJSON(env); err != nil {
		c.t.Fatalf("slackfake socket: send %s: %v", envelopeID, err)
	}
	c.Conn.SetReadDeadline(time.Now().Add(c.Timeout))
	var a Ack
	if err := c.Conn.ReadJSON(&a); err != nil {
		c.t.Fatalf("slackfake socket: no ack for %s: %v", envelopeID, err)
	}
	if a.EnvelopeID != envelopeID {
		c.t.Fatalf("slackfake socket: ack for %q, want %q", a.EnvelopeID, envelopeID)
	}
	return a
}
