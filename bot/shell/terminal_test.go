package shell_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/kv"
	"contactbot/bot/shell"
	"contactbot/config"
	"contactbot/crm/crmtest"
	"contactbot/crm/demo"
)

// Keys as a terminal sends them.
const (
	keyUp    = "\x1b[A"
	keyLeft  = "\x1b[D"
	keyCtrlA = "\x01"
	keyCtrlE = "\x05"
	keyCtrlC = "\x03"
	keyCtrlD = "\x04"
	keyEnter = "\r"
)

// terminalSession runs the shell on a Terminal whose keyboard is a pipe the
// test types into, as a person at a terminal would: the keys go through the
// Terminal's own input (TerminalConfig.In), as a raw terminal sends them.
type terminalSession struct {
	*session
	keys *io.PipeWriter
	done chan error
}

func newTerminalSession(t *testing.T, as shell.User) *terminalSession {
	t.Helper()
	return newTerminalSessionWidth(t, as, func() int { return 300 })
}

// newTerminalSessionWidth is newTerminalSession with the terminal's width
// function; nil leaves NewTerminal's own.
func newTerminalSessionWidth(t *testing.T, as shell.User, width func() int) *terminalSession {
	t.Helper()
	base := newSession(t, as)
	r, w := io.Pipe()
	term := shell.NewTerminal(shell.TerminalConfig{In: r, Out: base.out, Width: width})
	sh := shell.New(shell.Options{Out: term.Out(), As: as})
	base.sh = sh
	base.bot = rebuildBot(t, base, sh)
	ts := &terminalSession{session: base, keys: w, done: make(chan error, 1)}
	go func() { ts.done <- sh.RunLines(context.Background(), base.bot, term) }()
	t.Cleanup(func() { w.Close(); term.Close() })
	return ts
}

// typeKeys types keys, then waits until the output holds want.
func (ts *terminalSession) typeKeys(keys, want string) {
	ts.t.Helper()
	if _, err := io.WriteString(ts.keys, keys); err != nil {
		ts.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(ts.out.String(), want) {
		if time.Now().After(deadline) {
			ts.t.Fatalf("after typing %q the output lacks %q:\n%s", keys, want, ts.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTerminalLineEditing: arrow keys and Ctrl-A/E edit the line, the up
// arrow brings back the last one, Ctrl-C in a window cancels the window
// (the shell goes on), Ctrl-C at the prompt drops the line, Ctrl-D ends.
func TestTerminalLineEditing(t *testing.T) {
	ts := newTerminalSession(t, shell.Admin)
	ts.typeKeys("", "admin> ")

	// "ane.doe@example.co", Ctrl-A, "j", Ctrl-E, "m": jane.doe@example.com.
	ts.typeKeys("ane.doe@example.co"+keyCtrlA+"j"+keyCtrlE+"m"+keyEnter, "1 contact for “jane.doe@example.com”")
	// The up arrow recalls it; a left arrow and a typed letter edit it:
	// jane.doe@example.cxom finds nobody, which shows the edit happened.
	ts.typeKeys(keyUp+keyLeft+keyLeft+"x"+keyEnter, "No contact matches *jane.doe@example.cxom*")

	// Ctrl-C inside a window cancels the window, not the shell.
	ts.typeKeys("/contact delete priya.patel@example.com"+keyEnter, "Why delete this contact? (1-6) > ")
	ts.typeKeys(keyCtrlC, "(the window closes; nothing was submitted)")
	ts.typeKeys("/cancel"+keyEnter, "There is no open window to cancel.")
	// At the prompt it drops the line being typed.
	ts.typeKeys("half a li"+keyCtrlC, "(Ctrl-C: line dropped; quit or Ctrl-D ends the shell)")
	if strings.Contains(ts.out.String(), "half a li\n") || strings.Contains(ts.out.String(), "“half a li") {
		t.Errorf("a dropped line was run:\n%s", ts.out.String())
	}
	// Ctrl-D on an empty line ends the shell.
	io.WriteString(ts.keys, keyCtrlD)
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("RunLines: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl-D did not end the shell")
	}
	if n := crmtest.CountRows(t, ts.store, "contacts", "id = $1", demo.ID("priya")); n != 1 {
		t.Error("the cancelled window deleted")
	}
}

// TestTerminalDropsControlCharacters: control characters typed into a line
// never reach the terminal or the bot.
// Its width is NewTerminal's own: a terminal that reports no width (here
// the test's output is not one) must still edit lines, not spin.
func TestTerminalDropsControlCharacters(t *testing.T) {
	ts := newTerminalSessionWidth(t, shell.Admin, nil)
	ts.typeKeys("", "admin> ")
	// Ctrl-\ and a C1 CSI (U+009B) inside the query are dropped.
	ts.typeKeys("jane.doe\x1c@exam\u009bple.co"+keyCtrlA+keyCtrlE+"m"+keyEnter, "1 contact for “jane.doe@example.com”")
	if out := ts.out.String(); strings.ContainsAny(out, "\x1c\u009b") {
		t.Errorf("a control character reached the terminal: %q", out)
	}
	io.WriteString(ts.keys, "quit"+keyEnter)
	<-ts.done
}

// TestTerminalUnendingEscapeSequence: an escape sequence that never ends
// (pasted garbage) is dropped, never echoed, and the terminal goes on
// reading lines instead of waiting or spinning on it.
func TestTerminalUnendingEscapeSequence(t *testing.T) {
	ts := newTerminalSession(t, shell.Admin)
	ts.typeKeys("", "admin> ")
	// More than x/term's 256-byte input buffer, without the letter that
	// would end the sequence; Ctrl-C drops what is left of it.
	ts.typeKeys("\x1b["+strings.Repeat("1", 400)+keyCtrlC, "(Ctrl-C: line dropped; quit or Ctrl-D ends the shell)")
	ts.typeKeys("/users"+keyEnter, "@deleter")
	if out := ts.out.String(); strings.Contains(out, "\x1b[111") {
		t.Errorf("the sequence reached the terminal: %q", out)
	}
	io.WriteString(ts.keys, "quit"+keyEnter)
	<-ts.done
}

// TestControlCharactersShownHarmlessly: control characters in contact data
// and in piped input are shown as visible symbols, never sent raw.
func TestControlCharactersShownHarmlessly(t *testing.T) {
	s := newSession(t, shell.Admin)
	crmtest.InsertContact(t, s.store, crmtest.Contact{FirstName: "Evil\x1b[2J\x1b]0;pwned\x07", LastName: "Name\u009b31m", Email: "evil@example.com"})
	out := s.run("evil@example.com", "zz\x1b[31mtop", "quit")
	if strings.ContainsAny(out, "\x1b\x07\u009b") {
		t.Errorf("raw control characters in the output: %q", out)
	}
	mustContain(t, out,
		"*Evil␛[2J␛]0;pwned␇ Name\uFFFD31m* · evil@example.com",
		"admin> zz␛[31mtop",
	)
}

// TestButtonsOnlyForWhoSeesThem: a number presses only what the current
// user can see; a DM's buttons are its owner's.
func TestButtonsOnlyForWhoSeesThem(t *testing.T) {
	s := newSession(t, shell.Support)
	id := demo.ID("test1")
	out := s.run(
		"test@test.com",
		"1", "1", "", "DELETE", // support asks for the delete: [1] Approve [2] Reject in #approvals, [3] Withdraw in support's DM
		"/as admin",
		"3", // support's Withdraw, pressed by the admin: refused
		"1", // Approve in #approvals: the admin's to press
		"1", // [1] Report wrong deletion in support's DM: refused
		"quit",
	)
	mustContain(t, out,
		"[DM to @support]   [3] Withdraw request",
		"[3] Withdraw request is in @support's DM, so @admin cannot press it. Type /as support to act as them.",
		"(@admin presses [1] Approve)",
		"[DM to @support]   [1] Report wrong deletion",
		"[1] Report wrong deletion is in @support's DM, so @admin cannot press it.",
	)
	if strings.Contains(out, "(@admin presses [3]") || strings.Contains(out, "(@admin presses [1] Report") {
		t.Errorf("the admin pressed a button in support's DM:\n%s", out)
	}
	if n := crmtest.CountRows(t, s.store, "approval_requests", "contact_id = $1 AND state = 'approved'", id); n != 1 {
		t.Errorf("%d approved requests, want 1 (the refused withdraw must not have withdrawn it)", n)
	}
	if n := crmtest.CountRows(t, s.store, "incidents", ""); n != 0 {
		t.Error("the admin reported from support's DM")
	}
}

// rebuildBot builds the session's bot again around sh.
func rebuildBot(t *testing.T, s *session, sh *shell.Shell) *bot.Bot {
	t.Helper()
	cfg, err := config.Load(shell.DemoEnv())
	if err != nil {
		t.Fatal(err)
	}
	return bot.New(bot.Deps{Store: s.store, Slack: sh, KV: kv.NewMemory(), Config: cfg, ResponseOrigins: []string{shell.ResponseOrigin}})
}
