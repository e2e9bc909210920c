package bot

import (
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// What Slack hands the bot is checked here before anything reaches the
// database: a value with a NUL byte or broken UTF-8 would make PostgreSQL
// fail the statement (an internal error, and an audit line lost with it), so
// such requests get a "not valid" answer, and ids that cannot be ids a "not
// found" one, without a query.

// Answers to values that cannot be used.
const (
	notValidText   = "That has characters contactbot cannot read (a control character or broken text encoding), so nothing was done. Type a name, email, phone number or contact id."
	notValidWindow = "This window sent characters contactbot cannot read (a control character or broken text encoding), so nothing was done. Close it and start again from `/contact`."
	notValidClick  = "That button carried characters contactbot cannot read, so nothing was done. Search again with `/contact`."
	notValidInput  = "This has a character contactbot cannot store (a control character). Retype it without it."
	notValidSender = "This request does not say who sent it in a form contactbot accepts, so nothing was done."
	unknownContact = "That button does not name a contact contactbot knows, so nothing was done. Search again with `/contact`."
	unknownItem    = "That button does not name anything contactbot knows, so nothing was done. Search again with `/contact`."
	noTrigger      = "That click came without what Slack needs to open a window, so nothing was opened. Press the button again."
)

// validID reports whether s can be an id: a CRM contact id, a deletion,
// request or undo id of ours, a Slack user or channel id. All are short and
// printable ASCII without spaces.
func validID(s string) bool {
	if s == "" || len(s) > maxValueLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// badChars reports whether s holds what nobody types and the database may
// refuse: broken UTF-8, NUL or another control character. Tab, newline and
// carriage return are text.
func badChars(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if (r < ' ' && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return true
		}
	}
	return false
}

// commandProblem says why a slash command cannot be served, or "".
func commandProblem(cmd slack.SlashCommand) string {
	switch {
	case !validID(cmd.UserID):
		return notValidSender
	case badChars(cmd.Text) || badChars(cmd.Command) || badChars(cmd.ChannelID) || badChars(cmd.TriggerID) || badChars(cmd.TeamID):
		return notValidText
	}
	return ""
}

// interactionProblem checks an interaction's fields before it is handled.
// It returns the answer when the interaction as a whole cannot be used, and,
// for a view submission, inline errors for inputs that hold bad characters.
func interactionProblem(cb slack.InteractionCallback) (answer string, inputs map[string]string) {
	if !validID(cb.User.ID) {
		return notValidSender, nil
	}
	answer = notValidClick
	if cb.Type == slack.InteractionTypeViewSubmission {
		answer = notValidWindow
	}
	for _, s := range []string{cb.Team.ID, cb.Channel.ID, cb.TriggerID, cb.View.CallbackID, cb.View.PrivateMetadata, cb.View.ID} {
		if badChars(s) {
			return answer, nil
		}
	}
	for _, a := range cb.ActionCallback.BlockActions {
		if badChars(a.ActionID) || badChars(a.Value) || badChars(a.BlockID) {
			return answer, nil
		}
	}
	if cb.View.State == nil {
		return "", nil
	}
	for block, actions := range cb.View.State.Values {
		bad := badChars(block)
		for id, a := range actions {
			bad = bad || badChars(id) || badChars(a.Value) || badChars(a.SelectedOption.Value)
			for _, o := range a.SelectedOptions {
				bad = bad || badChars(o.Value)
			}
		}
		if bad {
			if badChars(block) {
				return answer, nil // an input we never made
			}
			if inputs == nil {
				inputs = map[string]string{}
			}
			inputs[block] = notValidInput
		}
	}
	return "", inputs
}

// clickProblem is the answer to a button whose value cannot be the id its
// action names, or that should open a window but came without a trigger id,
// or "".
func clickProblem(actionID, value, triggerID string) string {
	switch actionID {
	case ActionDelete, ActionSetDND, ActionRemoveFollowUp, ActionReject, ActionMerge, ActionFindContact:
		if triggerID == "" {
			return noTrigger
		}
	}
	switch actionID {
	case ActionDelete, ActionSetDND, ActionRemoveFollowUp, ActionMerge:
		if !validID(value) {
			return unknownContact
		}
	case ActionReport, ActionRestore, ActionUndo, ActionSuppressionRemove, ActionSuppressionRemovalApprove, ActionAcknowledge:
		if !validID(value) {
			return unknownItem
		}
	}
	return ""
}
