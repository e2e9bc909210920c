// Package bot is the conversation: slash commands, Block Kit messages,
// modals and who may do what. It is transport-independent: the HTTP, Socket
// Mode and shell adapters all hand it the same slash commands and
// interaction payloads and get the same answers back.
package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"contactbot/config"
	"contactbot/crm"
)

// AckBudget is how long a handler may work before it must answer Slack, which
// gives up after 3 seconds; the rest of the work continues after the answer.
const AckBudget = 2500 * time.Millisecond

// Deps is what a Bot is built from.
type Deps struct {
	Store  *crm.Store
	Slack  Messenger
	KV     KV
	Config *config.Config
	Log    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Workspace is the workspace the bot token belongs to (auth.test):
	// payloads from any other are refused. Zero: only SLACK_TEAM_ID, when
	// set, is checked (the shell has no workspace).
	Workspace Workspace
	// ResponseOrigins are origins, beside Slack's, that response URLs may
	// point at: the shell's made-up ones.
	ResponseOrigins []string
}

// Bot handles slash commands and interactions.
type Bot struct {
	store *crm.Store
	slack Messenger
	kv    KV
	cfg   *config.Config
	log   *slog.Logger
	now   func() time.Time
	// home is the workspace payloads must come from; responseOrigins are
	// where response URLs may point (slackURL).
	home            Workspace
	responseOrigins []string

	ackBudget time.Duration
	// lastFallback is when FirstSeen last had to use the database (unix ns).
	lastFallback atomic.Int64
	// groups is this process's copy of user groups, used when the shared
	// cache cannot be read.
	groups localGroups

	bg sync.WaitGroup
	// bgCtx outlives any one request: work continued after an ack must not be
	// cancelled when the request that started it returns.
	bgCtx context.Context

	// outbox delivers what the store's transactions wrote to the outbox.
	outbox *outboxWorker
}

// New returns a Bot.
func New(d Deps) *Bot {
	b := &Bot{store: d.Store, slack: dmReplies{d.Slack}, kv: d.KV, cfg: d.Config, log: d.Log, now: d.Now,
		ackBudget: AckBudget, bgCtx: context.Background(),
		home: home(d.Workspace, d.Config), responseOrigins: responseOrigins(d.Config, d.ResponseOrigins)}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.store != nil {
		if b.store.NotesWritten() == nil {
			panic("bot.New: the store was opened without bot.StoreHooks: its changes would not be announced")
		}
		b.outbox = newOutboxWorker(b)
	}
	return b
}

// SetAckBudget changes how long handlers work before answering, for tests.
func (b *Bot) SetAckBudget(d time.Duration) { b.ackBudget = d }

// AckBudget is how long handlers work before answering: transports give a
// request's checks and handling one deadline of this length.
func (b *Bot) AckBudget() time.Duration { return b.ackBudget }

// Wait blocks until work continued after acks has finished and what it
// wrote to the outbox is delivered (unless waiting for a retry): for the
// shell, for tests, and for a graceful shutdown.
func (b *Bot) Wait() {
	b.bg.Wait()
	b.outbox.flush(b.bgCtx)
}

// goBackground runs fn after the ack, with a context that is not cancelled
// when the request ends but is bounded in time.
func (b *Bot) goBackground(name string, fn func(ctx context.Context)) {
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		ctx, cancel := context.WithTimeout(b.bgCtx, 2*time.Minute)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				b.log.Error("background work panicked", "work", name, "panic", r)
			}
		}()
		fn(ctx)
	}()
}

// answerAfterAck works out, after the ack, the answer to cb's clicker
// (answer is given their id) and posts it to the click's response_url.
func (b *Bot) answerAfterAck(name string, cb slack.InteractionCallback, answer func(ctx context.Context, user string) string) {
	user, responseURL := cb.User.ID, cb.ResponseURL
	b.goBackground(name, func(ctx context.Context) {
		b.respond(ctx, responseURL, *textMessage(answer(ctx, user)))
	})
}

// userMessage turns an error into the sentence a user sees, logging the
// cause when it is ours rather than theirs: a bug as an error, a database
// that is down or late as a warning (its outage is not a bug of ours).
// crm's sentences may quote what was typed ("There is no deletion with id
// …"): < and > are escaped so that Slack never reads them as a link or a
// mention. (& is left: the bot's own sentences are escaped already, and a
// stray & forms nothing harmful.)
func (b *Bot) userMessage(err error, what string, attrs ...any) string {
	switch crm.ErrorCode(err) {
	case crm.EINTERNAL:
		if !errors.Is(err, context.Canceled) {
			b.log.Error(what, append(attrs, "err", err)...)
		}
	case crm.EUNAVAILABLE:
		b.log.Warn(what+": database unavailable", append(attrs, "err", err)...)
	}
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(crm.ErrorMessage(err))
}

// textMessage is a message of one sentence.
func textMessage(text string) *Message {
	return &Message{Text: text, Blocks: []slack.Block{section(text)}}
}
