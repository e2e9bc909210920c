package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"
)

// A click inside a window names the window by the view id in its payload,
// which the client controls: updating whatever id it names would let one
// signed click replace someone else's open window with one built from the
// sender's choices. So the bot records each window it opens (views.open and
// views.push answer with its id) in the database, which every replica
// shares, and replaces a window only when it opened that id for the person
// clicking and the window is still the one the click expects.

// viewKeep is how long an opened window is remembered: longer than anyone
// keeps one open.
const viewKeep = 24 * time.Hour

// notYourWindow answers a click that names a window the bot did not open
// for the person clicking (or no longer remembers).
const notYourWindow = "That window is not one contactbot opened for you, so nothing was changed. Close it and start again from `/contact`."

// rememberView records that the window viewID was opened for user as
// callbackID.
func (b *Bot) rememberView(ctx context.Context, user, viewID, callbackID string) {
	if b.store == nil || viewID == "" {
		return
	}
	if err := b.store.RecordView(ctx, viewID, user, callbackID, viewKeep); err != nil {
		// The window is open and its submit works; only switching it in
		// place (a reason, a merge way, New search) is refused, with a
		// sentence.
		b.log.Warn("remember opened window", "user", user, "err", err)
	}
}

// viewBecame records that user's window viewID is now the window
// callbackID.
func (b *Bot) viewBecame(ctx context.Context, user, viewID, callbackID string) {
	if b.store == nil || viewID == "" {
		return
	}
	if err := b.store.ViewBecame(ctx, viewID, user, callbackID); err != nil {
		b.log.Warn("remember replaced window", "user", user, "err", err)
	}
}

// ownWindow reports whether the click cb came from a window the bot opened
// for the person clicking that is now the window want (a callback id).
// When it did not, the refusal is logged and the person told, and the
// caller changes nothing.
func (b *Bot) ownWindow(ctx context.Context, cb slack.InteractionCallback, want string) bool {
	user := cb.User.ID
	if b.store == nil {
		b.log.Warn("click in a window refused: no record of opened windows", "user", user)
		b.respond(ctx, cb.ResponseURL, *textMessage(notYourWindow))
		return false
	}
	v, found, err := b.store.OpenedViewOf(ctx, cb.View.ID)
	if err != nil {
		b.respond(ctx, cb.ResponseURL, *textMessage("*Nothing was changed.* " + b.userMessage(err, "look up opened window", "user", user)))
		return false
	}
	if found && v.UserID == user && v.CallbackID == want {
		return true
	}
	switch {
	case !found:
		b.log.Warn("click in a window contactbot did not open refused", "user", user, "view", cut(cb.View.ID, 64))
	case v.UserID != user:
		b.log.Warn("click in another person's window refused", "user", user, "view", cut(cb.View.ID, 64), "opened_for", v.UserID)
	default:
		b.log.Warn("click in a window that is not the one expected refused", "user", user, "view", cut(cb.View.ID, 64), "window", v.CallbackID, "expected", want)
	}
	b.respond(ctx, cb.ResponseURL, *textMessage(notYourWindow))
	return false
}

// updateView replaces the window cb came from with v; callers have checked
// ownWindow first.
func (b *Bot) updateView(ctx context.Context, cb slack.InteractionCallback, v slack.ModalViewRequest) error {
	if err := b.slack.UpdateView(ctx, cb.View.ID, v); err != nil {
		return err
	}
	b.viewBecame(ctx, cb.User.ID, cb.View.ID, v.CallbackID)
	return nil
}
