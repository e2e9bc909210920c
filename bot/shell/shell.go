// Package shell runs the bot in a terminal: Hubot's shell adapter for
// contactbot. Typed lines become the same slash commands Slack would send,
// numbers press the buttons shown, modals are filled in field by field and
// submitted through the same Bot.HandleInteraction, so every check (who may
// do what, "type DELETE") answers exactly as in Slack. What the bot would
// post to channels and DMs is printed as labelled lines:
//
//	[#approvals] ── Delete request ──
//	[DM to @deleter] Deleted Jane Doe (deletion D7QK…)
//
// It reads lines from any io.Reader, so a piped script works as well as a
// person at a terminal (Terminal: line editing, history, Ctrl-C cancels a
// window). Control characters, typed or in contact data, are shown
// harmlessly, never sent raw to the terminal.
package shell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/slack-go/slack"

	"contactbot/bot"
)

// User is a person of the shell's workspace.
type User struct {
	ID, Name string
	Role     string // what they may do, for the banner and /users
}

// The demo workspace: users with each kind of right, and the channels the
// configuration points to (see DemoEnv).
var (
	Admin   = User{"UDEMOADMIN", "admin", "admin: deletes directly, approves others' requests, restores"}
	Admin2  = User{"UDEMOADMIN2", "admin2", "a second admin, to approve the first one's requests"}
	Deleter = User{"UDEMODELETER", "deleter", "deleter: deletes low-risk contacts directly"}
	Support = User{"UDEMOSUPPORT", "support", "support staff: finds contacts; deletes need an admin's approval"}
	// DemoUsers lists them in the order /users shows.
	DemoUsers = []User{Admin, Admin2, Deleter, Support}
)

// Channel ids of the demo workspace.
const (
	TeamID           = "TDEMOSHELL"
	SupportChannel   = "CDEMOSUPPORT"
	ApprovalsChannel = "CDEMOAPPROVALS"
	IncidentChannel  = "CDEMOINCIDENTS"
	AuditChannel     = "CDEMOAUDIT"
)

// channelNames name the demo channels in labels and mentions.
var channelNames = map[string]string{
	SupportChannel: "support", ApprovalsChannel: "approvals", IncidentChannel: "incidents", AuditChannel: "audit",
}

// DemoEnv is the configuration environment of the demo workspace: its
// channels, and its admins and deleter by id. Merge it over the process
// environment's other settings (RESTORE_WINDOW, APPROVAL_TTL, …).
func DemoEnv() map[string]string {
	return map[string]string{
		"APPROVALS_CHANNEL": ApprovalsChannel,
		"INCIDENT_CHANNEL":  IncidentChannel,
		"AUDIT_CHANNEL":     AuditChannel,
		"ADMIN_USER_IDS":    Admin.ID + "," + Admin2.ID,
		"DELETER_USER_IDS":  Deleter.ID,
	}
}

// FindUser finds a demo user by name ("admin", "@deleter") or takes any
// Slack user id (U…, W…) as a user without rights.
func FindUser(s string) (User, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	for _, u := range DemoUsers {
		if strings.EqualFold(u.Name, s) || u.ID == s {
			return u, true
		}
	}
	if len(s) >= 2 && (s[0] == 'U' || s[0] == 'W') && strings.ToUpper(s) == s {
		return User{ID: s, Name: s, Role: "no rights in the configuration"}, true
	}
	return User{}, false
}

// Options configure a Shell.
type Options struct {
	// Out receives everything the shell shows.
	Out io.Writer
	// As is who types first; empty means Support.
	As User
	// Echo repeats each input line after its prompt, so that the output of a
	// piped script reads like a terminal session.
	Echo bool
	// Command is the slash command's name; empty means "/contact".
	Command string
	// Import, when set, writes a contact into the demo CRM the way an import
	// or a form does (one plain INSERT, nothing of contactbot's), for
	// /import: it shows what the database itself does with a new contact,
	// such as giving an opted-out address its DND back. It returns the id.
	Import func(ctx context.Context, first, last, address string) (string, error)
	// Doctor, when set, is the checklist of the shell's deployment, for
	// /doctor (contactbot doctor's checks).
	Doctor func(ctx context.Context) string
}

// Shell is a bot.Messenger that prints, and the loop that reads what the
// person types. Create it, build the bot with it as Slack, then Run.
type Shell struct {
	opts Options
	bot  *bot.Bot

	outMu sync.Mutex // serialises writes to opts.Out

	mu   sync.Mutex // guards everything below; Messenger calls come from the bot's goroutines
	user User
	seq  int
	turn *renderer
	// pending is what the bot sent during the current turn, shown at its
	// end: the turn's own answer (answers, windows) before what it posted,
	// whichever arrived first (posts are delivered in the background).
	pending *turnOutput
	buttons []button // the numbers the person can press
	modal   *modal   // the open modal, if any
	shown   *modal   // the last window closed after it was shown (search results)
	homeFor string   // whose Home tab the current turn shows in full (the home command)
	// askers maps the response URLs the shell made up to who typed or
	// clicked: an answer through one is shown to that person only.
	askers map[string]string
}

// modal is an open modal view and what has been typed into it.
type modal struct {
	ID   string
	View slack.ModalViewRequest
	// Values by block id, as the view state Slack would send.
	Values map[string]slack.BlockAction
}

var _ bot.Messenger = (*Shell)(nil)

// New returns a Shell writing to opts.Out.
func New(opts Options) *Shell {
	if opts.Command == "" {
		opts.Command = "/contact"
	}
	if opts.As.ID == "" {
		opts.As = Support
	}
	return &Shell{opts: opts, user: opts.As, turn: &renderer{}, askers: map[string]string{}}
}

// User is who is typing now.
func (s *Shell) User() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// Run reads lines from in (a pipe or a file) until "quit", the end of input
// or ctx is done, and hands them to b, which must have been built with s as
// its Messenger.
func (s *Shell) Run(ctx context.Context, b *bot.Bot, in io.Reader) error {
	return s.RunLines(ctx, b, newPipeReader(ctx, s, in))
}

// RunLines is Run on any LineReader, such as a Terminal.
func (s *Shell) RunLines(ctx context.Context, b *bot.Bot, in LineReader) error {
	s.bot = b
	if c, ok := in.(io.Closer); ok {
		// A terminal read blocks; closing it is how it ends with ctx.
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
	}
	var readErr error
	read := func(prompt string) (string, error) {
		line, err := in.ReadLine(prompt)
		if err != nil && !errors.Is(err, ErrInterrupt) && !errors.Is(err, io.EOF) {
			readErr = err
			err = io.EOF
		}
		return line, err
	}

	u := s.User()
	s.printf("You are @%s (%s). Type a name, email or phone to find a contact; help lists the rest.\n", u.Name, u.Role)
	for {
		if s.openModal() != nil {
			if !s.fillModal(ctx, read) {
				break
			}
			continue
		}
		line, err := read(s.User().Name + "> ")
		if errors.Is(err, ErrInterrupt) {
			s.printf("(Ctrl-C: line dropped; quit or Ctrl-D ends the shell)\n")
			continue
		}
		if err != nil || ctx.Err() != nil {
			break
		}
		if quit := s.handleLine(ctx, line); quit {
			break
		}
	}
	b.Wait()
	if readErr != nil {
		return fmt.Errorf("read input: %w", readErr)
	}
	return nil
}

// handleLine answers one typed line; it reports whether to quit.
func (s *Shell) handleLine(ctx context.Context, line string) bool {
	line = strings.TrimSpace(line)
	lower := strings.ToLower(line)
	switch {
	case line == "":
		return false
	case lower == "quit" || lower == "exit" || lower == "/quit":
		return true
	case lower == "help" || lower == "/help" || lower == "?":
		s.help()
		return false
	case lower == "/users":
		s.users()
		return false
	case lower == "/cancel":
		s.printf("There is no open window to cancel.\n")
		return false
	case lower == "/as" || strings.HasPrefix(lower, "/as "):
		s.switchUser(strings.TrimSpace(line[len("/as"):]))
		return false
	case lower == "/doctor" && s.opts.Doctor != nil:
		s.printf("%s", s.opts.Doctor(ctx))
		return false
	case lower == "/import" || strings.HasPrefix(lower, "/import "):
		s.importContact(ctx, strings.Fields(line)[1:])
		return false
	case s.surfaceLine(ctx, line):
		return false
	}
	if n, err := strconv.Atoi(line); err == nil && n >= 1 && len(line) <= 3 {
		s.press(ctx, n)
		return false
	}
	text := line
	if cmd, rest, _ := strings.Cut(line, " "); cmd == s.opts.Command {
		text = strings.TrimSpace(rest)
	} else if strings.HasPrefix(line, "/") {
		s.printf("%s is not a shell command. Type help for the list; %s <text> runs the slash command.\n", cmd, s.opts.Command)
		return false
	}
	s.command(ctx, text)
	return false
}

func (s *Shell) help() {
	u := s.User()
	s.printf(`Type what you would type after %[1]s in Slack:
  jane doe                 find contacts (name, email, phone or contact id)
  %[1]s delete jane@…   find one contact and open its delete window
  %[1]s cleanup email:*@qa.example.com
                           delete test contacts in one batch (the count typed)
  %[1]s help            the bot's own help
A number presses the button shown with it, e.g. 1 for [1] Delete…, if the
current user can see it (a DM's buttons are its owner's).
In a window, answer each field in turn: a number picks an option, text fills
a text field, an empty line leaves an optional field empty; /cancel (or
Ctrl-C at a terminal) closes it. Ctrl-D or quit ends the shell.
  /as NAME                 act as another user: admin, admin2, deleter, support, or a user id (now @%[2]s)
  /users                   list the users and what they may do
  home                     open your Home tab in the bot (what waits for you; Find a contact)
  /shortcut TEXT           use "Find contacts in this message" on a message saying TEXT
  /digest                  post the weekly digest now, as it is posted at DIGEST_AT
  /import FIRST LAST EMAIL-OR-PHONE
                           write a contact straight into the demo CRM, as an import would
  /doctor                  check this deployment, as contactbot doctor does
  help, quit
`, s.opts.Command, u.Name)
}

// users lists the demo users in columns (their names and ids are ASCII, so
// a rune is a column).
func (s *Shell) users() {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, u := range DemoUsers {
		fmt.Fprintf(w, "  @%s\t%s\t%s\n", u.Name, u.ID, u.Role)
	}
	w.Flush()
	s.printf("%s", b.String())
}

func (s *Shell) switchUser(name string) {
	u, ok := FindUser(name)
	if !ok {
		s.printf("No user %q. Use admin, admin2, deleter, support, or a Slack user id such as U123ABC.\n", name)
		return
	}
	s.mu.Lock()
	s.user = u
	s.mu.Unlock()
	s.printf("You are now @%s (%s).\n", u.Name, u.Role)
}

// importContact is /import FIRST LAST EMAIL-OR-PHONE.
func (s *Shell) importContact(ctx context.Context, args []string) {
	if s.opts.Import == nil {
		s.printf("This shell cannot import contacts.\n")
		return
	}
	if len(args) < 3 {
		s.printf("Use /import FIRST LAST EMAIL-OR-PHONE, e.g. /import Priya Patel priya.patel@example.com\n")
		return
	}
	address := strings.Join(args[2:], " ") // a phone number may have spaces
	id, err := s.opts.Import(ctx, args[0], args[1], address)
	if err != nil {
		s.printf("Not imported: %v\n", err)
		return
	}
	s.printf("(an import writes contact `%s`, %s %s · %s, straight into the CRM, as a CSV import or a form would)\n", id, args[0], args[1], address)
}

// nextID numbers trigger ids, response URLs and views.
func (s *Shell) nextID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("%s%d", prefix, s.seq)
}

// command sends a slash command as the current user and shows the answer.
func (s *Shell) command(ctx context.Context, text string) {
	u := s.User()
	s.beginTurn()
	msg := s.bot.HandleCommand(ctx, slack.SlashCommand{
		Command: s.opts.Command, Text: text, UserID: u.ID, UserName: u.Name,
		TeamID: TeamID, ChannelID: SupportChannel, ChannelName: channelNames[SupportChannel],
		TriggerID: s.nextID("shell-trigger-"), ResponseURL: s.responseURL(u),
	})
	if msg != nil { // the command's own answer, before anything it caused
		s.printf("%s", s.render("", button{Channel: SupportChannel, Ephemeral: true, Viewer: u.ID}, *msg))
	}
	s.endTurn()
}

// press clicks button n as the current user.
func (s *Shell) press(ctx context.Context, n int) {
	s.mu.Lock()
	if n > len(s.buttons) {
		count := len(s.buttons)
		s.mu.Unlock()
		if count == 0 {
			s.printf("There are no buttons to press yet: find a contact first.\n")
		} else {
			s.printf("There is no button [%d]; the last message has [1] to [%d].\n", n, count)
		}
		return
	}
	btn := s.buttons[n-1]
	u := s.user
	s.mu.Unlock()
	if btn.Viewer != "" && btn.Viewer != u.ID {
		// Slack shows a DM or an ephemeral answer to one person only.
		s.mu.Lock()
		owner := s.name('@', btn.Viewer)
		s.mu.Unlock()
		where := "in @" + owner + "'s DM"
		if btn.Ephemeral {
			where = "shown only to @" + owner
		}
		s.printf("[%d] %s is %s, so @%s cannot press it. Type /as %s to act as them.\n", n, btn.Text, where, u.Name, owner)
		return
	}

	s.printf("(@%s presses [%d] %s)\n", u.Name, n, btn.Text)
	cb := slack.InteractionCallback{
		Type:        slack.InteractionTypeBlockActions,
		User:        slack.User{ID: u.ID, Name: u.Name},
		Team:        slack.Team{ID: TeamID},
		Channel:     slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: btn.Channel}}},
		TriggerID:   s.nextID("shell-trigger-"),
		ResponseURL: s.responseURL(u),
		Container:   slack.Container{Type: "message", ChannelID: btn.Channel, MessageTs: btn.TS, IsEphemeral: btn.Ephemeral},
		Message:     slack.Message{Msg: slack.Msg{Channel: btn.Channel, Timestamp: btn.TS}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: btn.ActionID, BlockID: btn.BlockID, Value: btn.Value, Type: "button", Text: slack.TextBlockObject{Type: slack.PlainTextType, Text: btn.Text}},
		}},
	}
	if btn.ViewID != "" {
		inView(&cb, btn)
	}
	s.beginTurn()
	s.bot.HandleInteraction(ctx, cb)
	s.endTurn()
}

// ResponseOrigin is the origin of the response URLs the shell makes up: the
// bot must be told to accept it (bot.Deps.ResponseOrigins), as it accepts
// only Slack's otherwise.
const ResponseOrigin = "shell://response"

// responseURL makes up a response URL for what u types or clicks: answers
// through it are shown to u only.
func (s *Shell) responseURL(u User) string {
	url := s.nextID(ResponseOrigin + "/")
	s.mu.Lock()
	s.askers[url] = u.ID
	s.mu.Unlock()
	return url
}

// beginTurn starts numbering buttons afresh for what one input shows, and
// holds back what the bot sends until the turn's own answer is shown.
func (s *Shell) beginTurn() {
	s.mu.Lock()
	s.turn = &renderer{}
	s.pending = &turnOutput{}
	s.mu.Unlock()
}

// turnOutput is what one turn showed: its own answer, then the posts.
type turnOutput struct{ answer, posts strings.Builder }

// endTurn waits for the work the input started (deletes run after the
// ack, as in Slack), shows what the bot sent meanwhile, in order, and makes
// the buttons shown the pressable ones; an input that showed none keeps the
// earlier ones.
func (s *Shell) endTurn() {
	s.bot.Wait()
	s.mu.Lock()
	sent := s.pending.answer.String() + s.pending.posts.String()
	s.pending = nil
	if len(s.turn.buttons) > 0 {
		s.buttons = s.turn.buttons
	}
	s.mu.Unlock()
	s.printf("%s", sent)
}

// deliver shows text the bot sent: at the end of the current turn, or now
// when there is none. A post (a channel message or DM, delivered by the
// outbox in the background) is shown after the turn's own answer.
func (s *Shell) deliver(text string, post bool) {
	s.mu.Lock()
	if s.pending != nil {
		if post {
			s.pending.posts.WriteString(text)
		} else {
			s.pending.answer.WriteString(text)
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.printf("%s", text)
}

// show delivers a message the bot sent, each line behind label when there
// is one.
func (s *Shell) show(label string, where button, m bot.Message, post bool) {
	s.deliver(s.render(label, where, m), post)
}

// render is a message as lines of text, each behind label when there is one.
func (s *Shell) render(label string, where button, m bot.Message) string {
	s.mu.Lock()
	r := s.turn
	r.names = s.name
	r.where = where
	lines := r.message(m.Text, m.Blocks)
	s.mu.Unlock()
	if label != "" {
		label += " "
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(label + l + "\n")
	}
	return b.String()
}

// name gives a user or channel id its shell name; mu is held.
func (s *Shell) name(kind byte, id string) string {
	if kind == '#' {
		if n, ok := channelNames[id]; ok {
			return n
		}
		return id
	}
	for _, u := range DemoUsers {
		if u.ID == id {
			return u.Name
		}
	}
	return id
}

// label names where a message goes: a channel, or a user's DM.
func (s *Shell) label(channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if dmOwner(channel) != "" {
		return "[DM to @" + s.name('@', channel) + "]"
	}
	return "[#" + s.name('#', channel) + "]"
}

// printf writes to the output now, with control characters (typed, or in
// contact data) shown harmlessly.
func (s *Shell) printf(format string, args ...any) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	io.WriteString(s.opts.Out, sanitize(fmt.Sprintf(format, args...)))
}

// Post prints a channel message or DM under its label; a routine one (the
// audit feed's "window opened", after every window) is posted unseen.
func (s *Shell) Post(_ context.Context, channel string, m bot.Message) (string, error) {
	ts := s.nextID("1700000000.")
	if m.Routine {
		return ts, nil
	}
	where := button{Channel: channel, TS: ts, Viewer: dmOwner(channel)}
	label := s.label(channel)
	if m.ThreadTS != "" {
		label = strings.TrimSuffix(label, "]") + ", in thread]"
	}
	s.show(label, where, m, true)
	return ts, nil
}

// PostEphemeral prints a message only user sees.
func (s *Shell) PostEphemeral(_ context.Context, channel, user string, m bot.Message) error {
	s.mu.Lock()
	label := "[only @" + s.name('@', user) + " sees, in #" + s.name('#', channel) + "]"
	s.mu.Unlock()
	s.show(label, button{Channel: channel, Ephemeral: true, Viewer: user}, m, false)
	return nil
}

// dmOwner is the user whose DM channel is (a user id), else "".
func dmOwner(channel string) string {
	if len(channel) > 1 && (channel[0] == 'U' || channel[0] == 'W') {
		return channel
	}
	return ""
}

// Update prints the new version of a posted message.
func (s *Shell) Update(_ context.Context, channel, ts string, m bot.Message) error {
	label := strings.TrimSuffix(s.label(channel), "]") + ", updated]"
	s.show(label, button{Channel: channel, TS: ts, Viewer: dmOwner(channel)}, m, true)
	return nil
}

// Respond prints an answer to the person who clicked or typed.
func (s *Shell) Respond(_ context.Context, responseURL string, m bot.Message, replace bool) error {
	if replace {
		s.deliver("(replaces the answer above)\n", false)
	}
	s.mu.Lock()
	asker := s.askers[responseURL]
	s.mu.Unlock()
	s.show("", button{Channel: SupportChannel, Ephemeral: true, Viewer: asker}, m, false)
	return nil
}

// OpenView opens a modal: Run asks for its fields next.
func (s *Shell) OpenView(_ context.Context, triggerID string, v slack.ModalViewRequest) (string, error) {
	if triggerID == "" {
		return "", errors.New("views.open: invalid_trigger_id")
	}
	id := s.nextID("VSHELL")
	s.setModal(&modal{ID: id, View: v, Values: map[string]slack.BlockAction{}})
	return id, nil
}

// UpdateView replaces the open modal, keeping what was typed into fields
// that are still there.
func (s *Shell) UpdateView(_ context.Context, viewID string, v slack.ModalViewRequest) error {
	s.mu.Lock()
	m := s.modal
	s.mu.Unlock()
	if m == nil || m.ID != viewID {
		// A window that was only shown (results with buttons) is gone from
		// the shell but still open in Slack: it can be updated.
		if last := s.lastShown(); last != nil && last.ID == viewID {
			m = last
		} else {
			return errors.New("views.update: not_found")
		}
	}
	kept := map[string]slack.BlockAction{}
	for _, f := range inputs(v) {
		if a, ok := m.Values[f.BlockID]; ok {
			kept[f.BlockID] = a
		}
	}
	s.setModal(&modal{ID: viewID, View: v, Values: kept})
	return nil
}

// UserGroupMembers answers that the demo workspace has no user groups.
func (s *Shell) UserGroupMembers(context.Context, string) ([]string, error) { return nil, nil }

func (s *Shell) setModal(m *modal) {
	s.mu.Lock()
	s.modal = m
	s.mu.Unlock()
	s.showModal(m)
}

func (s *Shell) openModal() *modal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.modal
}

// showModal prints a modal as a framed box; its buttons (search results)
// can be pressed by whoever has it open.
func (s *Shell) showModal(m *modal) {
	s.mu.Lock()
	r := s.turn
	r.names = s.name
	r.where = button{ViewID: m.ID, ViewType: slack.VTModal, Viewer: s.user.ID}
	lines := r.blocks(m.View.Blocks.BlockSet)
	s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "┌─ %s ─────\n", r.textObject(m.View.Title))
	for _, l := range lines {
		b.WriteString("│ " + l + "\n")
	}
	var btns []string
	if m.View.Submit != nil {
		btns = append(btns, "["+r.textObject(m.View.Submit)+"]")
	}
	if m.View.Close != nil {
		btns = append(btns, "["+r.textObject(m.View.Close)+"]")
	}
	foot := strings.Join(btns, " ")
	if len(inputs(m.View)) > 0 {
		foot += " — answer each field below; /cancel closes the window"
	}
	b.WriteString("└─ " + foot + "\n")
	s.deliver(b.String(), false)
}

// inputs lists a view's input blocks.
func inputs(v slack.ModalViewRequest) []*slack.InputBlock {
	var out []*slack.InputBlock
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			out = append(out, in)
		}
	}
	return out
}

// fillModal asks for the open modal's fields and submits it. It reports
// false when the input ended. Ctrl-C or /cancel closes the window.
func (s *Shell) fillModal(ctx context.Context, read func(prompt string) (string, error)) bool {
	m := s.openModal()
	fields := inputs(m.View)
	if len(fields) == 0 {
		// Only something to read, with a Close button: it has been shown.
		s.closeModal(ctx, m, false)
		return true
	}
	var ask []*slack.InputBlock
	for _, f := range fields {
		if _, done := m.Values[f.BlockID]; !done {
			ask = append(ask, f)
		}
	}
	for _, f := range ask {
		for {
			prompt := s.fieldPrompt(f)
			line, err := read(prompt)
			if errors.Is(err, ErrInterrupt) || (err == nil && strings.TrimSpace(line) == "/cancel") {
				s.closeModal(ctx, m, true)
				return true
			}
			if err != nil {
				s.closeModal(ctx, m, true)
				return false
			}
			action, problem := fieldValue(f, line)
			if problem != "" {
				s.printf("  %s\n", problem)
				continue
			}
			m.Values[f.BlockID] = action
			break
		}
		if f.DispatchAction && s.dispatch(ctx, m, f) {
			return true // the window was replaced: its fields are asked next
		}
	}
	s.submit(ctx, m)
	return true
}

// dispatch sends a field's value at once, as Slack does for an input with
// dispatch_action, and reports whether the bot replaced the window.
func (s *Shell) dispatch(ctx context.Context, m *modal, f *slack.InputBlock) bool {
	u := s.User()
	a := m.Values[f.BlockID]
	a.BlockID = f.BlockID
	s.beginTurn()
	s.bot.HandleInteraction(ctx, slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions,
		User: slack.User{ID: u.ID, Name: u.Name},
		Team: slack.Team{ID: TeamID},
		View: slack.View{ID: m.ID, Type: slack.VTModal, CallbackID: m.View.CallbackID, PrivateMetadata: m.View.PrivateMetadata,
			Title: m.View.Title, Blocks: m.View.Blocks, State: viewState(m)},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{&a}},
	})
	s.endTurn()
	return s.openModal() != m
}

// viewState is the state Slack sends with a view: what was typed, by block.
func viewState(m *modal) *slack.ViewState {
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}}
	for block, a := range m.Values {
		state.Values[block] = map[string]slack.BlockAction{a.ActionID: a}
	}
	return state
}

// fieldPrompt is the prompt for one input field.
func (s *Shell) fieldPrompt(f *slack.InputBlock) string {
	label := (&renderer{}).textObject(f.Label)
	switch e := f.Element.(type) {
	case *slack.SelectBlockElement:
		return fmt.Sprintf("%s (1-%d) > ", label, len(e.Options))
	case *slack.CheckboxGroupsBlockElement:
		return fmt.Sprintf("%s (numbers to tick, e.g. 1 3; Enter keeps the ticks shown) > ", label)
	}
	if f.Optional {
		return label + " (optional, Enter to skip) > "
	}
	return label + " > "
}

// fieldValue turns a typed line into the value Slack would send for field
// f, or says what is wrong with it.
func fieldValue(f *slack.InputBlock, line string) (slack.BlockAction, string) {
	switch e := f.Element.(type) {
	case *slack.SelectBlockElement:
		t := strings.TrimSpace(line)
		if t == "" && f.Optional {
			return slack.BlockAction{ActionID: e.ActionID, Type: "static_select"}, ""
		}
		for i, o := range e.Options {
			if t == strconv.Itoa(i+1) || t == o.Value {
				return slack.BlockAction{ActionID: e.ActionID, Type: "static_select", SelectedOption: *o}, ""
			}
		}
		return slack.BlockAction{}, fmt.Sprintf("Type a number from 1 to %d.", len(e.Options))
	case *slack.CheckboxGroupsBlockElement:
		return checkboxValue(e, line)
	case *slack.PlainTextInputBlockElement:
		// Slack sends what was typed; the bot checks it, as it does for Slack.
		return slack.BlockAction{ActionID: e.ActionID, Type: "plain_text_input", Value: line}, ""
	}
	return slack.BlockAction{}, "The shell cannot fill this kind of field; /cancel closes the window."
}

// checkboxValue turns typed numbers ("1 3", "1,3") into the options Slack
// would send as ticked; an empty line keeps the initial ticks. Ticking none
// is sent as such, and the bot says what it needs, as in Slack.
func checkboxValue(e *slack.CheckboxGroupsBlockElement, line string) (slack.BlockAction, string) {
	a := slack.BlockAction{ActionID: e.ActionID, Type: "checkboxes"}
	fields := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ',' })
	if len(fields) == 0 {
		for _, o := range e.InitialOptions {
			a.SelectedOptions = append(a.SelectedOptions, *o)
		}
		return a, ""
	}
	if len(fields) == 1 && (fields[0] == "0" || strings.EqualFold(fields[0], "none")) {
		return a, ""
	}
	var picked []int
	for _, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > len(e.Options) {
			return slack.BlockAction{}, fmt.Sprintf("Type numbers from 1 to %d, separated by spaces (0 ticks none).", len(e.Options))
		}
		if !slices.Contains(picked, n) {
			picked = append(picked, n)
		}
	}
	slices.Sort(picked)
	for _, n := range picked {
		a.SelectedOptions = append(a.SelectedOptions, *e.Options[n-1])
	}
	return a, ""
}

// submit sends the modal as a view_submission and shows what comes back:
// inline errors (asked again), a new view, or nothing (the window closes).
func (s *Shell) submit(ctx context.Context, m *modal) {
	u := s.User()
	state := viewState(m)
	cb := slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission,
		User: slack.User{ID: u.ID, Name: u.Name},
		Team: slack.Team{ID: TeamID},
		View: slack.View{ID: m.ID, Type: slack.VTModal, CallbackID: m.View.CallbackID, PrivateMetadata: m.View.PrivateMetadata,
			Title: m.View.Title, Blocks: m.View.Blocks, State: state},
	}
	s.printf("(@%s submits the window)\n", u.Name)
	s.beginTurn()
	resp := s.bot.HandleInteraction(ctx, cb)
	if resp == nil || resp.ResponseAction == slack.RAClear {
		s.mu.Lock()
		if s.modal == m {
			s.modal = nil
		}
		s.mu.Unlock()
		s.printf("(the window closes)\n")
		s.endTurn()
		return
	}
	switch resp.ResponseAction {
	case slack.RAErrors:
		s.showErrors(m, resp.Errors)
	case slack.RAUpdate, slack.RAPush:
		if resp.View != nil {
			s.setModal(&modal{ID: m.ID, View: *resp.View, Values: map[string]slack.BlockAction{}})
		}
	default:
		b, _ := json.Marshal(resp)
		s.printf("(unexpected answer to the submit: %s)\n", b)
	}
	s.endTurn()
}

// showErrors prints inline errors by field label and forgets those fields'
// values, so that they are asked again.
func (s *Shell) showErrors(m *modal, errs map[string]string) {
	fields := inputs(m.View)
	var blocks []string
	for block := range errs {
		blocks = append(blocks, block)
	}
	// In the modal's order, the way Slack shows them.
	slices.SortFunc(blocks, func(a, b string) int {
		return slices.IndexFunc(fields, func(f *slack.InputBlock) bool { return f.BlockID == a }) -
			slices.IndexFunc(fields, func(f *slack.InputBlock) bool { return f.BlockID == b })
	})
	for _, block := range blocks {
		label := block
		for _, f := range fields {
			if f.BlockID == block {
				label = (&renderer{}).textObject(f.Label)
			}
		}
		s.printf("  ✗ %s: %s\n", label, errs[block])
		delete(m.Values, block)
	}
}

// closeModal closes the window, telling the bot when the person cancelled.
func (s *Shell) closeModal(ctx context.Context, m *modal, cancelled bool) {
	s.mu.Lock()
	if s.modal == m {
		s.modal = nil
	}
	s.shown = m
	s.mu.Unlock()
	if cancelled {
		u := s.User()
		s.printf("(the window closes; nothing was submitted)\n")
		s.bot.HandleInteraction(ctx, slack.InteractionCallback{Type: slack.InteractionTypeViewClosed,
			User: slack.User{ID: u.ID, Name: u.Name}, Team: slack.Team{ID: TeamID},
			View: slack.View{ID: m.ID, CallbackID: m.View.CallbackID, PrivateMetadata: m.View.PrivateMetadata}})
		s.bot.Wait()
	}
}
