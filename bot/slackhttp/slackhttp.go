// Package slackhttp serves the bot over Slack's HTTP request URLs: every
// request's signature is checked before anything else happens.
package slackhttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"contactbot/bot"
)

// maxBody bounds a request body; Slack's largest payloads (a modal's state)
// are far below it.
const maxBody = 1 << 20

// replayTTL outlives the 5-minute signature window, so a replayed request is
// caught for as long as its signature would still pass.
const replayTTL = 6 * time.Minute

// Pinger is a dependency /readyz checks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options configure the handler.
type Options struct {
	SigningSecret string
	// Ready are pinged by /readyz: when one fails, the answer is 503.
	Ready map[string]Pinger
	// Degradable are pinged by /readyz too, but the bot still works without
	// them (Redis): when one fails the answer is 200, saying "degraded".
	Degradable map[string]Pinger
	Log        *slog.Logger
	// Metrics, when set, counts and times the Slack routes and serves GET /metrics.
	Metrics *Metrics
}

// Handler serves the Slack routes and health checks.
type Handler struct {
	bot  *bot.Bot
	opts Options
	mux  *http.ServeMux
}

// New returns the HTTP handler for b.
func New(b *bot.Bot, opts Options) *Handler {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	h := &Handler{bot: b, opts: opts, mux: http.NewServeMux()}
	m := opts.Metrics
	h.mux.HandleFunc("POST /slack/commands", m.wrap("commands", h.verified(h.commands)))
	h.mux.HandleFunc("POST /slack/interactions", m.wrap("interactions", h.verified(h.interactions)))
	h.mux.HandleFunc("POST /slack/events", m.wrap("events", h.signed(h.events, true)))
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	h.mux.HandleFunc("GET /readyz", h.readyz)
	if m != nil {
		h.mux.Handle("GET /metrics", m.Handler())
	}
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// verified checks the Slack signature over the raw body, refuses replays,
// parses the form and only then calls next.
func (h *Handler) verified(next func(w http.ResponseWriter, r *http.Request, form url.Values)) http.HandlerFunc {
	return h.signed(func(w http.ResponseWriter, r *http.Request, body []byte) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "malformed form body", http.StatusBadRequest)
			return
		}
		next(w, r, form)
	}, false)
}

// signed checks the Slack signature over the raw body and that the request
// was not seen before, and only then calls next with the body. A request
// seen before is refused, unless replayOK: Events API deliveries are
// idempotent (an event is handled once by its event_id), so a delivery
// seen again is acknowledged with 200 and nothing more.
func (h *Handler) signed(next func(w http.ResponseWriter, r *http.Request, body []byte), replayOK bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, h.opts.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			h.opts.Log.Warn("refused unsigned or badly signed request", "path", r.URL.Path, "reason", signatureProblem(err))
			http.Error(w, "invalid Slack signature: "+signatureProblem(err), http.StatusUnauthorized)
			return
		}
		// One deadline for the replay check and the handling: Slack waits 3 s.
		ctx, cancel := context.WithTimeout(r.Context(), h.bot.AckBudget())
		defer cancel()
		// Replays are refused on every replica: through Redis, or through
		// the database while Redis is down (bot.FirstSeen).
		fresh, err := h.bot.FirstSeen(ctx, replayKey(r.Header, body), replayTTL)
		switch {
		case err != nil:
			// Neither Redis nor the database answers. Nothing can change
			// without the database, so a replay could do no harm: serve the
			// request, whose answer says that the database is down.
			h.opts.Log.Warn("replay check skipped: shared store and database unreachable", "path", r.URL.Path, "err", err)
		case !fresh && replayOK:
			h.opts.Log.Info("request seen before, acknowledged only", "path", r.URL.Path)
			w.WriteHeader(http.StatusOK)
			return
		case !fresh:
			h.opts.Log.Warn("refused replayed request", "path", r.URL.Path)
			http.Error(w, "replayed request refused", http.StatusUnauthorized)
			return
		}
		next(w, r.WithContext(ctx), body)
	}
}

// replayKey names a request by what its signature covers (timestamp and
// body), not by how the signature is spelled: the check accepts the hex in
// either case, so keying by the header would let one request in twice.
func replayKey(h http.Header, body []byte) string {
	sum := sha256.New()
	fmt.Fprintf(sum, "v0:%s:", h.Get("X-Slack-Request-Timestamp"))
	sum.Write(body)
	return "replay:" + hex.EncodeToString(sum.Sum(nil))
}

// signatureProblem names what was wrong without echoing secrets.
func signatureProblem(err error) string {
	switch {
	case errors.Is(err, slack.ErrMissingHeaders):
		return "missing signature headers"
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return "stale timestamp"
	case errors.Is(err, slack.ErrInvalidConfiguration):
		return "server has no signing secret"
	}
	return "signature does not match"
}

func (h *Handler) commands(w http.ResponseWriter, r *http.Request, form url.Values) {
	// SlashCommandParse reads r.PostForm; the body is already read and
	// checked, so hand it the parsed form (ParseForm then has nothing to do).
	r.Form, r.PostForm = form, form
	cmd, err := slack.SlashCommandParse(r)
	if err != nil || cmd.Command == "" || cmd.UserID == "" {
		http.Error(w, "malformed slash command: command and user_id are required", http.StatusBadRequest)
		return
	}
	msg := h.bot.HandleCommand(r.Context(), cmd)
	if msg == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeMessage(w, msg)
}

// writeMessage answers with msg as an ephemeral message: the JSON of
// slack.Msg{ResponseType, Text, Blocks}, written once. Encoding the
// slack.Msg itself went over every block's text three times (each block
// list is a json.Marshaler, whose output encoding/json compacts again at
// every level) and escaped <, > and & on each pass: an eighth of the bot's
// CPU time for a page of ten contacts.
func writeMessage(w http.ResponseWriter, msg *bot.Message) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	if msg.Text != "" {
		buf.WriteString(`"text":`)
		enc.Encode(msg.Text)
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(',')
	}
	// The fields slack.Msg always writes, as it writes them.
	buf.WriteString(`"response_type":"` + slack.ResponseTypeEphemeral + `","replace_original":false,"delete_original":false,"metadata":{"event_type":"","event_payload":null},"blocks":`)
	if err := enc.Encode(msg.Blocks); err != nil {
		slog.Error("write response", "err", err)
		http.Error(w, "the answer could not be encoded", http.StatusInternalServerError)
		return
	}
	buf.Truncate(buf.Len() - 1)
	buf.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json")
	// A length, not chunks: a page of results is larger than the server's
	// buffer.
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

func (h *Handler) interactions(w http.ResponseWriter, r *http.Request, form url.Values) {
	payload := form.Get("payload")
	if payload == "" {
		http.Error(w, "malformed interaction: no payload field", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		http.Error(w, "malformed interaction: payload is not valid JSON", http.StatusBadRequest)
		return
	}
	if cb.Type == "" || cb.User.ID == "" {
		http.Error(w, "malformed interaction: type and user are required", http.StatusBadRequest)
		return
	}
	resp := h.bot.HandleInteraction(r.Context(), cb)
	if resp == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, resp)
}

// events serves the Events API: the url_verification challenge when the
// request URL is set up, and event callbacks, acknowledged at once (the bot
// works after the ack).
func (h *Handler) events(w http.ResponseWriter, r *http.Request, body []byte) {
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &outer); err != nil || outer.Type == "" {
		http.Error(w, "malformed event: a JSON object with a type is required", http.StatusBadRequest)
		return
	}
	switch outer.Type {
	case slackevents.URLVerification:
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, outer.Challenge)
		return
	case slackevents.CallbackEvent:
		ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
		if err != nil {
			// An event type slack-go cannot read yet: acknowledged, so that
			// Slack does not retry what the bot does not use.
			h.opts.Log.Info("event not understood, acknowledged", "err", err)
			w.WriteHeader(http.StatusOK)
			return
		}
		if retry := r.Header.Get("X-Slack-Retry-Num"); retry != "" {
			h.opts.Log.Info("event delivered again by Slack", "retry", retry, "reason", r.Header.Get("X-Slack-Retry-Reason"))
		}
		h.bot.HandleEvent(r.Context(), ev)
	}
	w.WriteHeader(http.StatusOK)
}

// readyz answers 503 when a dependency the bot cannot work without does not
// answer (the database), and 200 otherwise; a degradable one that does not
// answer (Redis) is named: "ready, degraded: redis unreachable".
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	for _, name := range slices.Sorted(maps.Keys(h.opts.Ready)) {
		if err := h.opts.Ready[name].Ping(ctx); err != nil {
			h.opts.Log.Warn("not ready", "dependency", name, "err", err)
			http.Error(w, name+" unreachable", http.StatusServiceUnavailable)
			return
		}
	}
	var down []string
	for _, name := range slices.Sorted(maps.Keys(h.opts.Degradable)) {
		if err := h.opts.Degradable[name].Ping(ctx); err != nil {
			h.opts.Log.Info("ready, degraded", "dependency", name, "err", err)
			down = append(down, name+" unreachable")
		}
	}
	if len(down) > 0 {
		io.WriteString(w, "ready, degraded: "+strings.Join(down, ", ")+"\n")
		return
	}
	io.WriteString(w, "ready\n")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Error("write response", "err", err)
	}
}
