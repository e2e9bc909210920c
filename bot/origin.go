package bot

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
)

// Where an action started is never words a client sends: buttons and
// windows carry an origin, a token that is either one of the fixed kinds
// below or the id of a message the shortcut was used on (a row the server
// wrote, for the person who used it). The server turns it back into the
// words of the audit line.
const (
	originButton         = "button"
	originDeleteWindow   = "delete-window"
	originDeleteCommand  = "cmd-delete"
	originDNDCommand     = "cmd-dnd"
	originFollowUpCmd    = "cmd-stop-followup"
	originMessagePrefix  = "msg:"
	originMessageIDShape = `M[A-Z2-9]{10}`
)

// originWords are the fixed origins' words in audit lines.
var originWords = map[string]string{
	originButton:        viaButton,
	originDeleteWindow:  viaDeleteWindow,
	originDeleteCommand: DefaultCommandName + " delete",
	originDNDCommand:    DefaultCommandName + " dnd",
	originFollowUpCmd:   DefaultCommandName + " stop-followup",
}

// messageOriginRe is the shape of crm.NewID("M", 10), a message origin's id.
var messageOriginRe = regexp.MustCompile(`^` + originMessageIDShape + `$`)

// validOrigin reports whether s can be an origin: none, a fixed kind or a
// message origin's id.
func validOrigin(s string) bool {
	_, fixed := originWords[s]
	return s == "" || fixed || messageOriginRe.MatchString(s)
}

// originText is the audit line's words for origin, as user's action: ""
// when there is none, or when it names no message origin the server issued
// to user (a forged or foreign id is dropped, not refused).
func (b *Bot) originText(ctx context.Context, user, origin string) string {
	if w, ok := originWords[origin]; ok {
		return w
	}
	if !messageOriginRe.MatchString(origin) || b.store == nil {
		return ""
	}
	o, found, err := b.store.MessageOriginOf(ctx, origin, user)
	if err != nil {
		b.log.Error("look up message origin", "user", user, "err", err)
		return ""
	}
	if !found {
		b.log.Warn("unknown message origin dropped", "user", user)
		return ""
	}
	return viaMessage(o.Channel, o.MessageTS)
}

// shortcutBlockID names, in the block id of a contact's buttons (unique
// per contact, as Slack requires), the message origin the shortcut
// recorded; without one, the buttons are a search result's.
func shortcutBlockID(origin, contactID string) string {
	if origin == "" {
		return "contact:" + cut(contactID, 200)
	}
	return cut(originMessagePrefix+origin+":"+contactID, 255)
}

// originOfBlock reads shortcutBlockID back: the message origin's id, or ""
// for any other block id.
func originOfBlock(blockID string) string {
	rest, ok := strings.CutPrefix(blockID, originMessagePrefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	if !messageOriginRe.MatchString(id) {
		return ""
	}
	return id
}

// windowMeta is what a window carries in its private_metadata. Every kind
// says which of its fields hold what it expects.
type windowMeta interface {
	valid() bool
}

// readMeta reads a window's private_metadata into m, as strictly for every
// window: bounded in length, no field the window does not carry, each id by
// its exact shape (m.valid). False means the window cannot be trusted and
// nothing is done.
func readMeta(s string, m windowMeta) bool {
	if s == "" || len(s) > maxMetadata {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(m); err != nil || dec.More() {
		return false
	}
	return m.valid()
}

// fingerprintRe is the shape of crm's fingerprints (16 hex digits).
var fingerprintRe = regexp.MustCompile(`^[0-9a-f]{16}$`)

// channelModeValid checks the optional fields the delete and merge windows
// share: the channel they were opened in and what they said a submit does.
func channelModeValid(channel, mode string) bool {
	return (channel == "" || conversationIDRe.MatchString(channel)) &&
		(mode == "" || mode == modeDirect || mode == modeApproval)
}

// readOrigin checks a window's origin field: what is not text at all
// (control characters, over-long) makes the window unreadable, as any other
// field; text that is not an origin the server issues is dropped (the
// action has no origin), since only originText turns it into words.
func readOrigin(origin *string) bool {
	if badChars(*origin) || len(*origin) > maxValueLen {
		return false
	}
	if !validOrigin(*origin) {
		*origin = ""
	}
	return true
}

// originOfClick is the origin of an action a click starts: the message
// its buttons name, else the search result's button.
func originOfClick(ctx context.Context) string {
	if o := surfaceOf(ctx).origin; o != "" {
		return o
	}
	return originButton
}
