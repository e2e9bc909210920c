package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"contactbot/config"
	"contactbot/crm"
	"contactbot/outbox"
)

// Delivery policy of the outbox (see docs/operations.md, "When things fail").
const (
	// retryCap bounds the wait between attempts while Slack is down or
	// failing, so a message waits at most this long after Slack recovers.
	retryCap = 30 * time.Second
	// fixableRetry is the wait between attempts when Slack refuses a
	// conversation in a way a person can fix (the bot not invited, a token
	// revoked): often enough to go out soon after the fix.
	fixableRetry = 5 * time.Minute
	// giveUpAfter is how long a message refused that way is kept trying;
	// then it and the rest of its conversation's queue are given up, and
	// the admins are told.
	giveUpAfter = 24 * time.Hour
	// outboxPoll is how often the worker looks for notes it was not woken
	// for: written by another replica, or due for a retry.
	outboxPoll = time.Second
)

// fixableErrors are Slack's answers that a person can fix for the whole
// conversation: retried slowly for giveUpAfter.
var fixableErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "not_authed": true,
	"invalid_auth": true, "account_inactive": true, "token_revoked": true, "token_expired": true,
	"missing_scope": true, "no_permission": true, "team_access_not_granted": true,
	"ekm_access_denied": true, "org_login_required": true, "restricted_action": true,
}

// hopelessErrors are Slack's answers about this one message, which no retry
// changes: it is given up at once (and logged; it is our bug or a message
// someone deleted).
var hopelessErrors = map[string]bool{
	"message_not_found": true, "cant_update_message": true, "edit_window_closed": true,
	"msg_too_long": true, "invalid_blocks": true, "invalid_blocks_format": true, "invalid_arguments": true,
	"no_text": true, "too_many_attachments": true, "cannot_dm_bot": true, "user_not_found": true,
	"invalid_form_data": true, "invalid_json": true, "json_not_object": true,
}

// storedMessage is a Message as the outbox keeps it.
type storedMessage struct {
	Text    string       `json:"text"`
	Blocks  slack.Blocks `json:"blocks"`
	Routine bool         `json:"routine,omitempty"`
}

// encodeMessage is m as an outbox payload.
func encodeMessage(m Message) []byte {
	b, err := json.Marshal(storedMessage{Text: m.Text, Blocks: slack.Blocks{BlockSet: m.Blocks}, Routine: m.Routine})
	if err != nil {
		// Blocks are our own values; they always marshal.
		panic(fmt.Sprintf("encode message: %v", err))
	}
	return b
}

// decodeMessage reads an outbox payload back.
func decodeMessage(b []byte) (Message, error) {
	var s storedMessage
	if err := json.Unmarshal(b, &s); err != nil {
		return Message{}, fmt.Errorf("decode outbox message: %w", err)
	}
	return Message{Text: s.Text, Blocks: s.Blocks.BlockSet, Routine: s.Routine}, nil
}

// payloadText is how text reads in the payloads encodeMessage writes,
// byte for byte: inside a JSON string (encoding/json escapes ", \, control
// characters, and &, < and > as \u0026, \u003c, \u003e), as it is (plain
// text: headers, buttons) and escaped for mrkdwn (esc: Tom & Jerry becomes
// "Tom \u0026amp; Jerry"). The store looks for these forms when it erases a
// person from the outbox (crm.Hooks.PayloadText).
func payloadText(text string) []string {
	inJSON := func(s string) string { q := jsonString(s); return q[1 : len(q)-1] }
	return []string{inJSON(text), inJSON(esc(text))}
}

// note is m for channel (a user id: their DM), as an outbox note.
func note(channel string, m Message) outbox.Note {
	return outbox.Note{Channel: channel, Payload: encodeMessage(m)}
}

// noteAs is note with the post named ref.
func noteAs(ref outbox.Ref, channel string, m Message) outbox.Note {
	n := note(channel, m)
	n.Ref = ref
	return n
}

// replacing is a note that updates the post named ref in channel.
func replacing(ref outbox.Ref, channel string, m Message) outbox.Note {
	n := note(channel, m)
	n.Replaces = ref
	return n
}

// StoreHooks are what the store calls of the bot (crm.Hooks), made from
// the configuration alone: every program that opens a store gives them to
// crm.Open, so that what a change announces does not depend on whether the
// program runs a Bot (a purge from the command line announces what
// serve's purge job does). A Bot on the store listens to their
// NotesWritten signal.
func StoreHooks(cfg *config.Config) crm.Hooks {
	return crm.Hooks{
		AuditNotes:   func(e crm.AuditEntry) []outbox.Note { return auditNotes(cfg, e) },
		PayloadText:  payloadText,
		NotesWritten: new(outbox.Signal),
	}
}

// auditNotes are written with every audit entry: its line in the audit
// feed, when AUDIT_CHANNEL is set, and the refresh of the Home tabs the
// change shows in.
func auditNotes(cfg *config.Config, e crm.AuditEntry) []outbox.Note {
	notes := homeRefreshNotes(e)
	if cfg.AuditChannel == "" {
		return notes
	}
	// A window opened is kept for the record; the actions are what a reader follows.
	line := Message{Text: auditLine(e), Routine: e.Action == crm.AuditFind}
	return append([]outbox.Note{note(cfg.AuditChannel, line)}, notes...)
}

// StartOutbox delivers the outbox until ctx ends (see outboxWorker.start).
func (b *Bot) StartOutbox(ctx context.Context) (stop func()) { return b.outbox.start(ctx) }

// logDelivery logs failures and what was given up, and tells the admins
// when a conversation's queue was given up on.
func (b *Bot) logDelivery(ctx context.Context, res outbox.DeliveryResult) {
	switch res.Status {
	case outbox.DeliveryFailed:
		b.log.Warn("Slack did not take a message; it will be retried", "note", res.Note.ID, "channel", res.Note.Channel,
			"attempts", res.Note.Attempts+1, "err", res.Err)
	case outbox.DeliveryGaveUp:
		b.log.Error("gave up on a message to Slack", "note", res.Note.ID, "channel", res.Note.Channel, "dropped", res.GaveUp, "err", res.Err)
		var de *outbox.DeliveryError
		if errors.As(res.Err, &de) && de.GiveUpStream && !isHomeStream(res.Note.Channel) {
			b.tellAdminsGaveUp(ctx, res)
		}
	}
}

// tellAdminsGaveUp DMs the admins (ADMIN_USER_IDS) that a conversation could
// not be posted to for giveUpAfter and its messages were dropped.
func (b *Bot) tellAdminsGaveUp(ctx context.Context, res outbox.DeliveryResult) {
	where := channelMention(res.Note.Channel)
	if isUserChannel(res.Note.Channel) {
		where = "the DM with " + mention(res.Note.Channel)
	}
	text := fmt.Sprintf("⚠️ contactbot could not post to %s for %s (Slack answered `%s`), so it gave up on %s. "+
		"Check that the bot is in that channel and the configuration names it; the audit trail (`/contact history`) still has every action.",
		where, durationWords(giveUpAfter), esc(slackErrorCode(res.Err)), plural(res.GaveUp, "message", "messages"))
	var notes []outbox.Note
	for _, admin := range b.cfg.AdminUserIDs {
		if admin != res.Note.Channel {
			notes = append(notes, note(admin, *textMessage(text)))
		}
	}
	if err := b.store.Enqueue(ctx, notes...); err != nil {
		b.log.Error("tell admins about dropped messages", "err", err)
	}
}

// send delivers one note through Slack and classifies a failure for the outbox.
func (b *Bot) send(ctx context.Context, o outbox.Outgoing) (outbox.Sent, error) {
	if isHomeStream(o.Channel) {
		return b.sendHome(ctx, o)
	}
	m, err := decodeMessage(o.Payload)
	if err != nil {
		return outbox.Sent{}, &outbox.DeliveryError{Err: err, GiveUp: true}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if o.UpdateTS != "" {
		err := b.slack.Update(ctx, o.UpdateChannel, o.UpdateTS, m)
		return outbox.Sent{Channel: o.UpdateChannel, TS: o.UpdateTS}, b.classify(err, o)
	}
	m.ThreadTS = o.ThreadTS
	ts, err := b.slack.Post(ctx, o.Channel, m)
	return outbox.Sent{Channel: o.Channel, TS: ts}, b.classify(err, o)
}

// classify says what the outbox does after err: retry soon (Slack down,
// rate-limited, a timeout), retry slowly and then give up on the
// conversation (a person must fix something), or give up on the message.
func (b *Bot) classify(err error, o outbox.Outgoing) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &outbox.DeliveryError{Err: err, RetryIn: max(rl.RetryAfter, time.Second)}
	}
	code := slackErrorCode(err)
	switch {
	case hopelessErrors[code]:
		return &outbox.DeliveryError{Err: err, GiveUp: true}
	case fixableErrors[code]:
		if b.now().Sub(o.CreatedAt) >= giveUpAfter {
			return &outbox.DeliveryError{Err: err, GiveUpStream: true}
		}
		return &outbox.DeliveryError{Err: err, RetryIn: min(backoff(o.Attempts), fixableRetry)}
	}
	return &outbox.DeliveryError{Err: err, RetryIn: backoff(o.Attempts)}
}

// backoff is the wait after the attempts-th failure: 1 s doubling to
// retryCap, with jitter so replicas do not retry in step.
func backoff(attempts int) time.Duration {
	d := retryCap
	if attempts < 5 {
		d = min(time.Second<<attempts, retryCap)
	}
	return d - time.Duration(rand.Int64N(int64(d/5)))
}

// SlackErrorCode is Slack's error code ("not_in_channel"), an HTTP status
// ("http_500"), "timeout" or "network" for err, an error of a Web API call;
// "" for nil.
func SlackErrorCode(err error) string {
	if err == nil {
		return ""
	}
	return slackErrorCode(err)
}

// slackErrorCode is Slack's error code ("not_in_channel"), an HTTP status
// ("http_500"), "timeout" or "network" for err.
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return fmt.Sprintf("http_%d", sc.Code)
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return "ratelimited"
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timeout"
	}
	if ne != nil || errors.As(err, &ne) {
		return "network"
	}
	// Our own fakes and clients may return a bare Slack code.
	if s := err.Error(); !strings.ContainsAny(s, " :") {
		return s
	}
	return "error"
}

// isUserChannel reports whether a note goes to a user's DM.
func isUserChannel(id string) bool { return len(id) > 1 && (id[0] == 'U' || id[0] == 'W') }
