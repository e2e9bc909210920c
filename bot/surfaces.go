package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
)

// Clicks come from messages (with a response_url), from the Home tab and
// from modals (without one). The handlers are the same for all three; what
// differs is carried here: where an answer goes, and whether a new window
// opens on top of an open one.

// dmReply is the reply address of a click that has no response_url: its
// answer goes to the person's DM. Respond takes it like a response URL.
const dmReply = "dm:"

// replyTo is where answers to cb go: its response_url, else the DM of whoever clicked.
func replyTo(cb slack.InteractionCallback) string {
	if cb.ResponseURL != "" || cb.User.ID == "" {
		return cb.ResponseURL
	}
	return dmReply + cb.User.ID
}

// dmReplies is the Messenger the bot talks to: Respond to a dmReply
// address posts to that user's DM instead.
type dmReplies struct{ Messenger }

func (m dmReplies) Respond(ctx context.Context, responseURL string, msg Message, replace bool) error {
	if user, ok := strings.CutPrefix(responseURL, dmReply); ok {
		_, err := m.Post(ctx, user, msg)
		return err
	}
	return m.Messenger.Respond(ctx, responseURL, msg, replace)
}

// surfaceKey keys what ctx carries about the click being handled.
type surfaceKey struct{}

// surface is what a handler needs to know about where a click came from.
type surface struct {
	// inModal: the click came from an open modal, so a window opens on top
	// of it (views.push).
	inModal bool
	// origin is the message origin a shortcut's buttons name (see
	// originText); empty for the usual buttons.
	origin string
}

func withSurface(ctx context.Context, s surface) context.Context {
	return context.WithValue(ctx, surfaceKey{}, s)
}

func surfaceOf(ctx context.Context) surface {
	s, _ := ctx.Value(surfaceKey{}).(surface)
	return s
}

// surfaceOfClick reads where a click came from: a modal, and a block id that
// names the message origin a shortcut recorded.
func surfaceOfClick(cb slack.InteractionCallback, a *slack.BlockAction) surface {
	return surface{
		inModal: cb.View.ID != "" && cb.View.Type == slack.VTModal,
		origin:  originOfBlock(a.BlockID),
	}
}

// openView opens v for user with the trigger id: on top of the open modal
// when the click came from one. The window is remembered as user's
// (rememberView): only such a window is ever updated.
func (b *Bot) openView(ctx context.Context, user, triggerID string, v slack.ModalViewRequest) (string, error) {
	open := b.slack.OpenView
	if surfaceOf(ctx).inModal {
		open = b.slack.PushView
	}
	id, err := open(ctx, triggerID, v)
	if err != nil {
		return "", err
	}
	b.rememberView(ctx, user, id, v.CallbackID)
	return id, nil
}
