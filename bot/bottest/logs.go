package bottest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// Logs records what the bot logs, for tests that assert on it (no error
// line for bad input, a warning when Redis goes away).
type Logs struct {
	mu      sync.Mutex
	records []string
}

// NewLogs returns a logger that records every line at Debug and above into
// the returned Logs, and also writes it to w when w is not nil.
func NewLogs(w io.Writer) (*slog.Logger, *Logs) {
	l := &Logs{}
	var next slog.Handler
	if w != nil {
		next = slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return slog.New(&logHandler{logs: l, next: next}), l
}

// At returns the recorded lines at level (e.g. slog.LevelError), each as
// "message key=value …".
func (l *Logs) At(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	prefix := level.String() + " "
	var out []string
	for _, r := range l.records {
		if strings.HasPrefix(r, prefix) {
			out = append(out, strings.TrimPrefix(r, prefix))
		}
	}
	return out
}

// All returns every recorded line, each as "LEVEL message key=value …".
func (l *Logs) All() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.records...)
}

type logHandler struct {
	logs  *Logs
	next  slog.Handler
	attrs []slog.Attr
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	write := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	h.logs.mu.Lock()
	h.logs.records = append(h.logs.records, b.String())
	h.logs.mu.Unlock()
	if h.next != nil {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	if h.next != nil {
		c.next = h.next.WithAttrs(attrs)
	}
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	c := *h
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}
