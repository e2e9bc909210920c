package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
)

// Message is one message the bot sends. The transports render it: the Slack
// adapter as chat.* calls, the shell adapter as text.
type Message struct {
	// Text is the notification fallback and the whole message when Blocks is empty.
	Text   string
	Blocks []slack.Block
	// ThreadTS posts the message as a reply in a thread.
	ThreadTS string
	// Routine marks a line of record that tells whoever just acted nothing
	// new (the audit feed's "window opened"): Slack posts it like any
	// other; the shell, whose reader is that person, leaves it out.
	Routine bool
}

// Messenger is everything the bot asks of Slack. It is declared here, small,
// so that the shell adapter and tests can stand in for Slack.
type Messenger interface {
	// Post sends a message to a channel, or to a user's DM when channel is a user id.
	// It returns the message's timestamp, which Update needs.
	Post(ctx context.Context, channel string, m Message) (ts string, err error)
	// PostEphemeral shows a message to one user in a channel.
	PostEphemeral(ctx context.Context, channel, user string, m Message) error
	// Update replaces a posted message in place.
	Update(ctx context.Context, channel, ts string, m Message) error
	// Respond answers through an interaction's response_url; replace swaps the
	// message the interaction came from.
	Respond(ctx context.Context, responseURL string, m Message, replace bool) error
	// OpenView opens a modal with a trigger id and returns the view id.
	OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (viewID string, err error)
	// UpdateView replaces an open modal.
	UpdateView(ctx context.Context, viewID string, v slack.ModalViewRequest) error
	// UserGroupMembers lists the user ids in a Slack user group.
	UserGroupMembers(ctx context.Context, groupID string) ([]string, error)
	// PushView opens a modal on top of the modal an interaction came from
	// (views.open cannot while one is open) and returns the view id.
	PushView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (viewID string, err error)
	// PublishHome publishes a user's Home tab.
	PublishHome(ctx context.Context, user string, v slack.HomeTabViewRequest) error
	// UploadFile shares a file in a channel, or in a user's DM when channel
	// is a user id.
	UploadFile(ctx context.Context, channel string, f File) error
}

// File is a file to share.
type File struct {
	Name    string // file name, e.g. "audit-2026-11-28.csv"
	Title   string
	Comment string // the message it is shared with (mrkdwn)
	Content []byte
}

// ErrKVUnavailable is wrapped by a KV's errors when it did not even try: the
// store is known to be down (its circuit breaker is open). Callers fall back
// at once and need not log each such call; the store logs the outage once.
var ErrKVUnavailable = errors.New("shared store unavailable")

// KV is the shared fast store (Redis, or an in-process map on a laptop):
// deduplication of Slack deliveries and clicks, rate limits, caches.
type KV interface {
	// SetNX stores value under key only if key is absent; it reports whether it stored.
	SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
	// Get returns the value under key and whether there was one.
	Get(ctx context.Context, key string) (string, bool, error)
	// Set stores value under key for ttl.
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	// Incr adds one to the counter under key, giving a new counter ttl to live, and returns the new count.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Del removes keys.
	Del(ctx context.Context, keys ...string) error
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}
