package bot

import (
	"context"

	"github.com/slack-go/slack"

	"contactbot/crm"
)

// The windows confirmed by typing a word (DELETE, MERGE, ERASE) are
// submitted through one skeleton, so that each checks the same things in
// the same order before anything happens: the window's metadata is read
// (unreadable: nothing is done), the form is checked, the contacts are
// reloaded and compared with what the person saw (changed: the window is
// redrawn as it is now), the permission is applied again (changed: the
// window is redrawn saying what a submit does now), and only then is the
// kind's action done. What differs per window is a confirmedSubmit.

// shownContact is the contact a typed-confirmation window was opened for,
// as the person saw it. Each such window's private_metadata starts with it,
// and it is checked by one rule.
type shownContact struct {
	ContactID   string `json:"c"`
	Fingerprint string `json:"f"`
}

func (s shownContact) valid() bool {
	return validID(s.ContactID) && fingerprintRe.MatchString(s.Fingerprint)
}

// contactNow is a submit of a window about one contact (delete, erase)
// with that contact reloaded as it is now.
type contactNow struct {
	submitting
	c crm.Contact
	l crm.Linked
}

func (n *contactNow) reload(ctx context.Context, shown shownContact) (err error) {
	n.c, n.l, err = n.b.store.Linked(ctx, shown.ContactID)
	return err
}

func (n *contactNow) unchanged(shown shownContact) bool { return n.l.Fingerprint == shown.Fingerprint }

// submitWords are how the skeleton speaks of a window's kind.
type submitWords struct {
	// noun names the action in log lines: "delete", "merge", "erasure".
	noun string
	// confirm is the window's typed word; its done ("deleted") says what
	// did not happen when a submit is refused.
	confirm confirmWord
	// reloadFailedLead leads the reason a failed reload gives the person.
	reloadFailedLead string
}

// confirmedSubmit is one submit of a typed-confirmation window: it holds
// what the steps read, and each method is one step of submitConfirmed.
type confirmedSubmit interface {
	words() submitWords
	// metadata is what readMeta reads the window's private_metadata into.
	metadata() windowMeta
	// shown is the contact the window was opened for.
	shown() shownContact
	// check reads the form; an answer (inline errors, or another window
	// instead) ends the submit before anything is loaded.
	check(ctx context.Context, v slack.View) *slack.ViewSubmissionResponse
	// reload loads the contacts the window shows, as they are now.
	reload(ctx context.Context, shown shownContact) error
	// unchanged reports whether the window shows them as they are now;
	// when not, changed is the answer (the window redrawn, nothing done).
	unchanged(shown shownContact) bool
	changed(ctx context.Context) *slack.ViewSubmissionResponse
	// permission is what a submit may do now, for the contact it acts on
	// (the one that goes); shownMode is what the window said it does, ""
	// when it said nothing that can change.
	permission(ctx context.Context) (perm deletePermission, of string)
	shownMode() string
	// redraw shows the window again as it is now, led by banner.
	redraw(ctx context.Context, banner string, perm deletePermission) *slack.ViewSubmissionResponse
	// act does what the window says: the action after the ack, or a request.
	act(ctx context.Context, perm deletePermission) *slack.ViewSubmissionResponse
}

// submitting is what every typed-confirmation submit starts from: the bot
// and who submitted.
type submitting struct {
	b    *Bot
	user string
}

// submitConfirmed runs the steps every typed-confirmation window's submit
// takes, in their order.
func (b *Bot) submitConfirmed(ctx context.Context, cb slack.InteractionCallback, s confirmedSubmit) *slack.ViewSubmissionResponse {
	w := s.words()
	notDone := "Not " + w.confirm.done
	if !readMeta(cb.View.PrivateMetadata, s.metadata()) {
		return slack.NewUpdateViewSubmissionResponse(infoModal(notDone, "This window could not be read, so nothing was "+w.confirm.done+". Close it and search for the contact again."))
	}
	if r := s.check(ctx, cb.View); r != nil {
		return r
	}
	shown := s.shown()
	if err := s.reload(ctx, shown); err != nil {
		return slack.NewUpdateViewSubmissionResponse(infoModal(notDone, w.reloadFailedLead+b.userMessage(err, "load contact for "+w.noun, "contact", shown.ContactID)))
	}
	if !s.unchanged(shown) {
		return s.changed(ctx)
	}
	perm, of := s.permission(ctx)
	if mode := s.shownMode(); mode != "" && mode != perm.Mode {
		// Never act on what the person meant as a request, nor file a
		// request they meant as the action: show what a submit does now.
		b.log.Info(w.noun+" modal outdated: permission changed", "user", cb.User.ID, "contact", of, "mode", perm.Mode)
		return s.redraw(ctx, "⚠️ *What this window does has changed since you opened it.* Nothing was "+w.confirm.done+" or sent. Check below and submit again.", perm)
	}
	return s.act(ctx, perm)
}
