package bot_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm/crmtest"
)

// notYourWindowText is what someone is told who clicks in a window the bot
// did not open for them.
const notYourWindowText = "That window is not one contactbot opened for you, so nothing was changed. Close it and start again from `/contact`."

// chooseInWindow picks value in the select block of window v as user, as
// Slack sends a dispatch_action select: from inside the window, with no
// response_url.
func chooseInWindow(t *testing.T, e *bottest.Env, user string, v slack.View, block, value string) {
	t.Helper()
	v.Type = slack.VTModal
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team},
		Container: slack.Container{Type: "view", ViewID: v.ID}, View: v,
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{
			ActionID: block, BlockID: block, Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: value}}}}}
	if r := e.Interact(cb); r.Status != http.StatusOK || r.Body != "" {
		t.Fatalf("choose %s in %s: %d %q", value, v.ID, r.Status, r.Body)
	}
	e.Bot.Wait()
}

// viewUpdatesOf counts the views.update calls made for the window id.
func viewUpdatesOf(e *bottest.Env, id string) int {
	n := 0
	for _, c := range e.Slack.Calls("views.update") {
		if c.Params["view_id"] == id {
			n++
		}
	}
	return n
}

// warnedAbout counts the warnings logged that contain s.
func warnedAbout(logs *bottest.Logs, s string) int {
	n := 0
	for _, l := range logs.At(slog.LevelWarn) {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// TestReasonSwitchOnlyInOwnWindow: the delete window's reason select
// replaces the window it names only when the bot opened that window for
// the person choosing. Support, with the admin's view id in a payload built
// from Support's own delete window of another contact, replaces nothing:
// the admin's window is not updated, nothing is audited or changed, Support
// is told by DM and a warning is logged. The admin's own switch still
// works, and so does Support's in Support's window.
func TestReasonSwitchOnlyInOwnWindow(t *testing.T) {
	t.Parallel()
	log, logs := bottest.NewLogs(nil)
	e := bottest.New(t, bottest.Options{Log: log, Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit}})
	mine := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallLowRisk)
	picked := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com"}, crmtest.SmallLowRisk)
	admins, _ := openModal(t, e, bottest.Admin, mine)
	supports, _ := openModal(t, e, bottest.Support, picked)
	if admins.ID == "" || supports.ID == "" || admins.ID == supports.ID {
		t.Fatalf("window ids %q and %q", admins.ID, supports.ID)
	}
	e.Bot.Wait()
	audited := crmtest.CountRows(t, e.Store, "audit_log", "")
	dms := len(dmTextsTo(e, bottest.Support))

	forged := supports
	forged.ID = admins.ID
	for _, reason := range []string{bot.ReasonErasure, bot.ReasonUnsubscribe, bot.ReasonStopFollowUp} {
		chooseInWindow(t, e, bottest.Support, forged, "reason", reason)
	}
	if n := len(e.Slack.Calls("views.update")); n != 0 {
		t.Fatalf("a forged view id replaced a window: %d views.update, %d of the admin's window", n, viewUpdatesOf(e, admins.ID))
	}
	if n := crmtest.CountRows(t, e.Store, "audit_log", ""); n != audited {
		t.Errorf("%d audit lines written for refused switches", n-audited)
	}
	got := dmTextsTo(e, bottest.Support)[dms:]
	if want := []string{notYourWindowText, notYourWindowText, notYourWindowText}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Support was told %q, want %q", got, want)
	}
	if n := warnedAbout(logs, "click in another person's window refused user="+bottest.Support); n != 3 {
		t.Errorf("%d warnings about the forged view id; logs: %v", n, logs.At(slog.LevelWarn))
	}

	// A view id the bot never opened.
	unknown := supports
	unknown.ID = "VNEVEROPENED"
	chooseInWindow(t, e, bottest.Support, unknown, "reason", bot.ReasonUnsubscribe)
	if n := len(e.Slack.Calls("views.update")); n != 0 {
		t.Fatalf("an unknown view id was updated: %d views.update", n)
	}
	if n := warnedAbout(logs, "click in a window contactbot did not open refused"); n != 1 {
		t.Errorf("%d warnings about the unknown view id", n)
	}

	// Each in their own window: switched at once.
	chooseInWindow(t, e, bottest.Admin, admins, "reason", bot.ReasonUnsubscribe)
	chooseInWindow(t, e, bottest.Support, supports, "reason", bot.ReasonUnsubscribe)
	if viewUpdatesOf(e, admins.ID) != 1 || viewUpdatesOf(e, supports.ID) != 1 {
		t.Fatalf("own switches: %d of the admin's window, %d of Support's; calls %v", viewUpdatesOf(e, admins.ID), viewUpdatesOf(e, supports.ID), e.Slack.Calls("views.update"))
	}
	if v := e.LastViewOf("views.update"); v.CallbackID != bot.CallbackDNDModal {
		t.Errorf("Support's window became %q, want Set DND", v.CallbackID)
	}
	// Now a Set DND window: a second reason switch in it expects a delete
	// window and replaces nothing.
	chooseInWindow(t, e, bottest.Admin, admins, "reason", bot.ReasonErasure)
	if n := viewUpdatesOf(e, admins.ID); n != 1 {
		t.Errorf("a reason switch replaced the Set DND window (%d updates)", n)
	}
	if n := warnedAbout(logs, "click in a window that is not the one expected refused user="+bottest.Admin); n != 1 {
		t.Errorf("%d warnings about the window that is no longer a delete window", n)
	}
}

// TestFindNewSearchOnlyInOwnWindow: New search in the search window turns
// the window it names back into the form only when the bot opened that
// window for the person pressing it.
func TestFindNewSearchOnlyInOwnWindow(t *testing.T) {
	t.Parallel()
	log, logs := bottest.NewLogs(nil)
	e := bottest.New(t, bottest.Options{Log: log})
	e.ClickHome(bottest.Admin, bot.ActionFindContact, "")
	admins := e.LastView()
	if admins.ID == "" || admins.CallbackID != bot.CallbackFindModal {
		t.Fatalf("the admin's search window: %+v", admins)
	}
	dms := len(dmTextsTo(e, bottest.Support))
	forged := slack.View{ID: admins.ID, Type: slack.VTModal, CallbackID: bot.CallbackFindModal}
	if r := e.ClickInView(bottest.Support, forged, "find:again", bot.ActionFindContact, ""); r.Status != http.StatusOK {
		t.Fatalf("New search: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	if n := len(e.Slack.Calls("views.update")); n != 0 {
		t.Fatalf("Support's New search replaced the admin's window (%d views.update)", n)
	}
	if got := dmTextsTo(e, bottest.Support)[dms:]; len(got) != 1 || got[0] != notYourWindowText {
		t.Errorf("Support was told %q, want %q", got, notYourWindowText)
	}
	if n := warnedAbout(logs, "click in another person's window refused user="+bottest.Support); n != 1 {
		t.Errorf("%d warnings; logs: %v", n, logs.At(slog.LevelWarn))
	}

	if r := e.ClickInView(bottest.Admin, forged, "find:again", bot.ActionFindContact, ""); r.Status != http.StatusOK {
		t.Fatalf("New search: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	if n := viewUpdatesOf(e, admins.ID); n != 1 {
		t.Fatalf("the admin's own New search: %d updates of the window", n)
	}
	if v := e.LastViewOf("views.update"); v.CallbackID != bot.CallbackFindModal {
		t.Errorf("the window became %q, want the search form", v.CallbackID)
	}
}
