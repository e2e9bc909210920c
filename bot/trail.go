package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// What a modal was opened for and from where, as the audit trail says it.
const (
	windowDelete   = "delete"
	windowDND      = "Set DND"
	windowFollowUp = "Remove follow-up"
	windowMerge    = "Merge duplicate"
	windowErase    = "Privacy erasure"

	viaButton       = "button on a search result"
	viaDeleteWindow = "delete window"
)

// auditOpened records a find that led to an action: user opened a window
// for contactID, from origin (see originText). Callers call it once the
// window is open, so it never delays views.open.
func (b *Bot) auditOpened(ctx context.Context, user, contactID, window, origin string) {
	// Written before the answer, not after it: the line must precede what
	// the window's submit records, which can come at once. Only when the
	// answer's budget is spent does it wait until after the answer.
	write := func(ctx context.Context) {
		detail := ""
		if via := b.originText(ctx, user, origin); via != "" {
			detail = "via " + via
		}
		b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditFind, ContactID: contactID,
			Outcome: window + " window opened", Detail: detail})
	}
	if ctx.Err() != nil {
		b.goBackground("audit find", write)
		return
	}
	write(ctx)
}

// auditRefusal records a delete that was not done, and why.
func (b *Bot) auditRefusal(user, contactID, reason, outcome string) {
	b.goBackground("audit refusal", func(ctx context.Context) {
		b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditDeleteRefused, ContactID: contactID, Reason: reason, Outcome: outcome})
	})
}

// actionMeta travels in the Set DND and Remove follow-up modals' private_metadata.
type actionMeta struct {
	ContactID   string `json:"c"`
	ResponseURL string `json:"ru,omitempty"`
	// Origin says where the change started (originText).
	Origin string `json:"v,omitempty"`
}

func (m *actionMeta) valid() bool {
	return readOrigin(&m.Origin) && validID(m.ContactID)
}

func (m actionMeta) encode() string {
	b, _ := json.Marshal(m)
	if len(b) > maxMetadata {
		m.ResponseURL = "" // the confirmation then goes by DM
		b, _ = json.Marshal(m)
	}
	return string(b)
}

func readActionMeta(s string) (actionMeta, bool) {
	var m actionMeta
	if !readMeta(s, &m) {
		return m, false
	}
	return m, true
}

// checked returns the values ticked in the checkbox group of block.
func checked(v slack.View, block string) []string {
	if v.State == nil {
		return nil
	}
	var out []string
	for _, o := range v.State.Values[block][block].SelectedOptions {
		out = append(out, o.Value)
	}
	return out
}

// checkboxes is a checkbox group with every option ticked.
func checkboxes(actionID string, opts []*slack.OptionBlockObject) *slack.CheckboxGroupsBlockElement {
	el := slack.NewCheckboxGroupsBlockElement(actionID, opts...)
	el.InitialOptions = opts
	return el
}

// option is a checkbox option; Block Kit allows 75 characters in each text.
func option(value, text, description string) *slack.OptionBlockObject {
	var desc *slack.TextBlockObject
	if description != "" {
		desc = plain(cut(description, maxButtonText))
	}
	return slack.NewOptionBlockObject(value, plain(cut(text, maxButtonText)), desc)
}

// confirm tells user how an action went: ephemerally where they started it
// (the response URL), or by DM when there is none or it has expired.
func (b *Bot) confirm(ctx context.Context, user, responseURL string, m Message) {
	if responseURL != "" {
		err := b.slack.Respond(ctx, responseURL, m, false)
		if err == nil {
			return
		}
		b.log.Warn("confirmation through response_url failed; sending a DM", "user", user, "err", err)
	}
	b.dm(ctx, user, m)
}

// openFunc opens a window for one contact with a trigger id; origin says
// where it started (originText).
type openFunc func(ctx context.Context, triggerID, contactID, responseURL, user, origin string) error

// commandOrigins are the origins of the windows a command's verb opens:
// the verb a command carries is the server's word, never the command name
// the payload carries.
var commandOrigins = map[string]string{"delete": originDeleteCommand, "dnd": originDNDCommand, "stop-followup": originFollowUpCmd}

// commandForOne searches for query and, when exactly one contact matches,
// opens its window straight away with the command's trigger id; otherwise it
// answers with the find message, whose buttons open the window.
func (b *Bot) commandForOne(ctx context.Context, cmd slack.SlashCommand, name, verb, query, button string, open openFunc) *Message {
	if strings.TrimSpace(query) == "" {
		return textMessage(fmt.Sprintf("Say which contact: `%s %s jane@example.com`.", name, verb))
	}
	res, err := b.store.Search(ctx, query)
	if err != nil {
		return textMessage(b.userMessage(err, "search failed"))
	}
	// Without a trigger id no window can open: the find message's buttons
	// bring their own.
	if len(res.Matches) != 1 || cmd.TriggerID == "" {
		msg := b.find(ctx, name, query)
		if len(res.Matches) > 1 {
			msg.Blocks = append([]slack.Block{section("Several contacts match: press *" + button + "* on the right one.")}, msg.Blocks...)
			msg.Blocks = limitBlocks(msg.Blocks, maxMessageBlocks, func(int) string { return "and more: refine your search." })
		}
		return msg
	}
	id := res.Matches[0].ID
	if err := open(ctx, cmd.TriggerID, id, cmd.ResponseURL, cmd.UserID, commandOrigins[verb]); err != nil {
		return textMessage(b.userMessage(err, "open window", "contact", id, "verb", verb))
	}
	return nil
}

// actionSubmit is what differs between the Set DND and Remove follow-up
// submits; handleActionSubmit does the rest.
type actionSubmit struct {
	failTitle string // the modal's title when nothing changed
	block     string // the checkbox block the person ticks
	empty     string // the inline error when nothing is ticked
	what      string // the action, in logs: "set DND"
	// run makes the change (its audit line, and the line's post, are written
	// in its transaction) and returns the confirmation to send and log
	// attributes.
	run func(ctx context.Context, meta actionMeta, user string, ticked []string) (Message, []any, error)
}

// handleActionSubmit makes a Set DND or Remove follow-up change while Slack
// waits, so a failure shows in the modal; the confirmation with Undo
// follows after the ack.
func (b *Bot) handleActionSubmit(ctx context.Context, cb slack.InteractionCallback, a actionSubmit) *slack.ViewSubmissionResponse {
	meta, ok := readActionMeta(cb.View.PrivateMetadata)
	if !ok {
		return slack.NewUpdateViewSubmissionResponse(infoModal(a.failTitle, "This window could not be read, so nothing was changed. Close it and search for the contact again."))
	}
	meta.ResponseURL = b.slackURL(meta.ResponseURL, a.what+" window")
	user := cb.User.ID
	ticked := checked(cb.View, a.block)
	if len(ticked) == 0 {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{a.block: a.empty})
	}
	ctx, cancel := context.WithTimeout(ctx, b.ackBudget)
	defer cancel()
	confirmation, attrs, err := a.run(ctx, meta, user, ticked)
	if crm.ErrorCode(err) == crm.EINVALID {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{a.block: crm.ErrorMessage(err)})
	}
	if err != nil {
		b.log.Info(a.what+" failed", "user", user, "contact", meta.ContactID, "code", crm.ErrorCode(err))
		return slack.NewUpdateViewSubmissionResponse(infoModal(a.failTitle, "*Nothing was changed.* "+b.userMessage(err, a.what, "contact", meta.ContactID)))
	}
	b.log.Info(a.what+" done", append([]any{"user", user}, attrs...)...)
	b.goBackground(a.what+" confirmation", func(ctx context.Context) {
		b.confirm(ctx, user, meta.ResponseURL, confirmation)
	})
	return nil // closes the modal
}
