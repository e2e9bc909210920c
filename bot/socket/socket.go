// Package socket serves the bot over Slack's Socket Mode: the app opens a
// WebSocket to Slack (apps.connections.open with the app-level token), so
// it needs no public HTTPS endpoint. Slash commands and interactions arrive
// as envelopes and go to the same Bot.HandleCommand and HandleInteraction as
// the HTTP transport; each envelope is acknowledged within Slack's 3 seconds,
// carrying the answer HTTP would put in its response body. slack-go's
// socketmode client reconnects when the socket drops or Slack asks it to.
package socket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"contactbot/bot"
)

// handleTimeout bounds the handling of one envelope; its ack is due within
// 3 seconds, and the bot continues slow work in the background.
const handleTimeout = 30 * time.Second

// seenTTL outlives Slack's retries of an envelope it thinks was not acked.
const seenTTL = 10 * time.Minute

// Options configure the Socket Mode connection.
type Options struct {
	AppToken string // xapp-…, with connections:write
	BotToken string // xoxb-…
	// APIURL is the Web API base URL, ending with "/"; empty means Slack's.
	APIURL     string
	HTTPClient *http.Client
	Log        *slog.Logger
	// PingInterval is how long without a ping from Slack before the
	// connection counts as dead and is reopened; zero means slack-go's 30s.
	PingInterval time.Duration
}

// Run connects to Slack and serves b until ctx is done; it reconnects when
// the socket drops. It returns nil after ctx is done and every envelope in
// hand has been acknowledged, or an error when Slack refuses the app token.
func Run(ctx context.Context, b *bot.Bot, opts Options) error {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	apiOpts := []slack.Option{slack.OptionAppLevelToken(opts.AppToken)}
	if opts.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(opts.APIURL))
	}
	if opts.HTTPClient != nil {
		apiOpts = append(apiOpts, slack.OptionHTTPClient(opts.HTTPClient))
	}
	var smOpts []socketmode.Option
	if opts.PingInterval > 0 {
		smOpts = append(smOpts, socketmode.OptionPingInterval(opts.PingInterval))
	}
	client := socketmode.New(slack.New(opts.BotToken, apiOpts...), smOpts...)
	s := &server{bot: b, client: client, opts: opts}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()
	defer s.inFlight.Wait()
	for {
		select {
		case evt := <-client.Events:
			s.event(ctx, evt)
		case err := <-runErr:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("socket mode: %w", err)
		}
	}
}

type server struct {
	bot      *bot.Bot
	client   *socketmode.Client
	opts     Options
	inFlight sync.WaitGroup
}

// event handles one event of the socketmode client: connection news is
// logged, envelopes are handled each in its own goroutine so that a slow
// one never delays another's ack.
func (s *server) event(ctx context.Context, evt socketmode.Event) {
	log := s.opts.Log
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		log.Debug("socket mode: connecting")
		return
	case socketmode.EventTypeConnected:
		log.Info("socket mode: connected to Slack")
		return
	case socketmode.EventTypeConnectionError:
		log.Warn("socket mode: connection failed, retrying", "err", evt.Data)
		return
	case socketmode.EventTypeInvalidAuth:
		log.Error("socket mode: Slack refused SLACK_APP_TOKEN")
		return
	case socketmode.EventTypeHello:
		log.Debug("socket mode: hello")
		return
	case socketmode.EventTypeDisconnect:
		log.Info("socket mode: Slack asked to reconnect")
		return
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		log.Warn("socket mode: unusable message or failed write", "type", evt.Type)
		return
	}
	if evt.Request == nil || evt.Request.EnvelopeID == "" {
		log.Debug("socket mode: event without envelope", "type", evt.Type)
		return
	}
	// An envelope in hand is finished on shutdown, as HTTP requests are.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
	s.inFlight.Add(1)
	go func() {
		defer s.inFlight.Done()
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				log.Error("socket mode: handler panicked", "envelope", evt.Request.EnvelopeID, "panic", r)
			}
		}()
		s.envelope(ctx, evt)
	}()
}

// envelope handles and acknowledges one envelope.
func (s *server) envelope(ctx context.Context, evt socketmode.Event) {
	req := *evt.Request
	// The dedupe and what is answered in the ack share one deadline: Slack
	// waits 3 seconds for the ack.
	ackCtx, cancel := context.WithTimeout(ctx, s.bot.AckBudget())
	defer cancel()
	if !s.first(ackCtx, req) {
		s.ack(req, nil)
		return
	}
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			s.ack(req, nil)
			return
		}
		// HandleCommand answers within bot.AckBudget; slower work answers
		// later through the response URL, as over HTTP.
		msg := s.bot.HandleCommand(ackCtx, cmd)
		if msg == nil {
			s.ack(req, nil)
			return
		}
		s.ack(req, slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: msg.Text, Blocks: slack.Blocks{BlockSet: msg.Blocks}})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			s.ack(req, nil)
			return
		}
		if cb.Type == slack.InteractionTypeViewSubmission {
			// The answer (inline errors, a new view) travels in the ack.
			if resp := s.bot.HandleInteraction(ackCtx, cb); resp != nil {
				s.ack(req, resp)
			} else {
				s.ack(req, nil)
			}
			return
		}
		// Clicks answer through Slack's Web API (views.open with the trigger
		// id, which lasts 3 seconds, and response URLs): ack at once, then handle.
		s.ack(req, nil)
		s.bot.HandleInteraction(ackCtx, cb)
	default:
		// Events API envelopes and anything newer: acknowledged, not used.
		s.ack(req, nil)
	}
}

// first reports whether this is the first delivery of the envelope, on any
// replica: an envelope Slack sends again (its ack was lost) is acknowledged
// but not handled twice. Envelope ids are remembered in Redis, or in the
// database while Redis is down (bot.FirstSeen); when neither answers, the
// envelope is handled rather than dropped.
func (s *server) first(ctx context.Context, req socketmode.Request) bool {
	fresh, err := s.bot.FirstSeen(ctx, "socket-envelope:"+req.EnvelopeID, seenTTL)
	if err != nil {
		s.opts.Log.Warn("socket mode: envelope dedupe skipped: shared store and database unreachable", "envelope", req.EnvelopeID, "err", err)
		return true
	}
	if !fresh {
		s.opts.Log.Info("socket mode: envelope delivered again, acknowledged only", "envelope", req.EnvelopeID, "retry", req.RetryAttempt)
	}
	return fresh
}

// ack acknowledges an envelope, with payload when there is one. An ack
// that cannot be queued within Slack's 3 seconds (the socket is down) is
// given up: Slack sends the envelope again.
func (s *server) ack(req socketmode.Request, payload any) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		s.opts.Log.Error("socket mode: ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}
