package bot

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// The search window the Home tab's Find a contact button opens: a query
// field; its results are the find message's, with the same buttons, which
// open their windows on top of it.
const (
	ActionFindContact = "home.find"          // value: empty
	CallbackFindModal = "contact.find.modal" // the search window's callback id
	blockFindQuery    = "find_query"
)

// findForm is the search window: a query field, and an optional line
// above it.
func findForm(query, banner string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("jane@example.com, +1 555 010 2233, Jane Doe or a contact id"), blockFindQuery)
	input.InitialValue = query
	input.MaxLength = maxCommandText
	var blocks []slack.Block
	if banner != "" {
		blocks = append(blocks, section(banner))
	}
	blocks = append(blocks, slack.NewInputBlock(blockFindQuery, plain("Name, email, phone or contact id"), nil, input))
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackFindModal,
		Title:      plain("Find a contact"),
		Submit:     plain("Search"),
		Close:      plain("Close"),
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

// openFindModal answers Find a contact: the search window, opened with the
// click's trigger id; pressed in the results window (New search), it turns
// that window back into the form.
func (b *Bot) openFindModal(ctx context.Context, cb slack.InteractionCallback) {
	if surfaceOf(ctx).inModal {
		if !b.ownWindow(ctx, cb, CallbackFindModal) {
			return
		}
		if err := b.updateView(ctx, cb, findForm("", "")); err != nil {
			b.log.Error("show the search form again", "user", cb.User.ID, "err", err)
		}
		return
	}
	if _, err := b.openView(ctx, cb.User.ID, cb.TriggerID, findForm("", "")); err != nil {
		b.log.Error("open the search window", "user", cb.User.ID, "err", err)
		b.respond(ctx, replyTo(cb), *textMessage("The search window could not be opened in time. Press *Find a contact* again, or search with `" + DefaultCommandName + "`."))
	}
}

// handleFindSubmit searches while Slack waits: no match is an error on the
// field, so the person can type again; matches replace the form with the
// results.
func (b *Bot) handleFindSubmit(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	query := typed(cb.View, blockFindQuery)
	fieldErr := func(text string) *slack.ViewSubmissionResponse {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockFindQuery: text})
	}
	switch n := utf8.RuneCountInString(query); {
	case n == 0:
		return fieldErr("Type a name, an email address, a phone number or a contact id.")
	case n > maxCommandText:
		return fieldErr(fmt.Sprintf("That is too long to search for (%d characters).", n))
	}
	ctx, cancel := context.WithTimeout(ctx, b.ackBudget)
	defer cancel()
	res, err := b.store.SearchLinked(ctx, query)
	if err != nil {
		if crm.ErrorCode(err) == crm.EINVALID {
			return fieldErr(crm.ErrorMessage(err))
		}
		return fieldErr(b.userMessage(err, "search window"))
	}
	if len(res.Matches) == 0 {
		return fieldErr("No contact matches. " + searchTips)
	}
	msg, err := b.findMessage(ctx, res)
	if err != nil {
		return fieldErr(b.userMessage(err, "search window: render results"))
	}
	blocks := append([]slack.Block{
		slack.NewActionBlock("find:again", button(ActionFindContact, "", "New search", "")),
	}, msg.Blocks...)
	v := slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackFindModal,
		Title:      plain("Find a contact"),
		Close:      plain("Done"),
		Blocks: slack.Blocks{BlockSet: limitBlocks(blocks, maxModalBlocks, func(int) string {
			return "and more: refine your search."
		})},
	}
	return slack.NewUpdateViewSubmissionResponse(&v)
}
