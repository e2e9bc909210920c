package shell

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"contactbot/bot"
)

// The shell's Home tab, message shortcut and digest: `home` opens the
// current user's Home tab as app_home_opened would, `/shortcut TEXT` uses
// "Find contacts in this message" on a message saying TEXT, `/digest` posts
// the weekly digest now. Buttons on the Home tab and in windows are pressed
// like any other, as clicks in a view (no response_url: answers come by DM).

// surfaceLine handles the shell commands of the surfaces; it reports
// whether line was one.
func (s *Shell) surfaceLine(ctx context.Context, line string) bool {
	cmd, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	switch strings.ToLower(cmd) {
	case "home", "/home":
		if strings.TrimSpace(rest) != "" {
			return false // "home depot": a search
		}
		s.home(ctx)
	case "/shortcut":
		s.shortcut(ctx, strings.TrimSpace(rest))
	case "/digest":
		s.digest(ctx)
	default:
		return false
	}
	return true
}

// home opens the current user's Home tab: the event Slack sends when they
// click the app, handled as the bot handles it.
func (s *Shell) home(ctx context.Context) {
	u := s.User()
	s.beginTurn()
	s.mu.Lock()
	s.homeFor = u.ID
	s.mu.Unlock()
	s.bot.HandleEvent(ctx, slackevents.EventsAPIEvent{
		Type: slackevents.CallbackEvent, TeamID: TeamID,
		Data: &slackevents.EventsAPICallbackEvent{Type: slackevents.CallbackEvent, TeamID: TeamID, EventID: s.nextID("EvSHELL")},
		InnerEvent: slackevents.EventsAPIInnerEvent{Type: "app_home_opened",
			Data: &slackevents.AppHomeOpenedEvent{Type: "app_home_opened", User: u.ID, Tab: "home"}},
	})
	s.endTurn()
	s.mu.Lock()
	s.homeFor = ""
	s.mu.Unlock()
}

// shortcut uses the message shortcut on a message in the support channel
// that says text.
func (s *Shell) shortcut(ctx context.Context, text string) {
	if text == "" {
		s.printf("Say what the message says: /shortcut please delete test contact jane@example.com\n")
		return
	}
	u := s.User()
	ts := s.nextID(fmt.Sprintf("%d.", time.Now().Unix()))
	s.printf("(@%s uses “Find contacts in this message” on a message in #%s: %s)\n", u.Name, channelNames[SupportChannel], text)
	s.beginTurn()
	s.bot.HandleInteraction(ctx, slack.InteractionCallback{
		Type: slack.InteractionTypeMessageAction, CallbackID: bot.CallbackFindContacts,
		User: slack.User{ID: u.ID, Name: u.Name}, Team: slack.Team{ID: TeamID},
		Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: SupportChannel}}},
		TriggerID: s.nextID("shell-trigger-"), ResponseURL: s.responseURL(u), MessageTs: ts,
		Message: slack.Message{Msg: slack.Msg{Type: "message", Text: text, Timestamp: ts}},
	})
	s.endTurn()
}

// digest posts the weekly digest now.
func (s *Shell) digest(ctx context.Context) {
	s.printf("(the weekly digest, posted now as it is at DIGEST_AT)\n")
	s.beginTurn()
	if err := s.bot.PostDigest(ctx); err != nil {
		s.printf("The digest could not be made: %v\n", err)
	}
	s.endTurn()
}

// inView makes cb a click in the view btn is on: Slack sends the view and
// no channel or response_url.
func inView(cb *slack.InteractionCallback, btn button) {
	cb.View = slack.View{ID: btn.ViewID, Type: btn.ViewType}
	cb.Container = slack.Container{Type: "view", ViewID: btn.ViewID}
	cb.Channel = slack.Channel{}
	cb.Message = slack.Message{}
	cb.ResponseURL = ""
}

// lastShown is the last window closed after it was shown.
func (s *Shell) lastShown() *modal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shown
}

// PushView opens a window on top of the open one; the shell shows one
// window at a time.
func (s *Shell) PushView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (string, error) {
	return s.OpenView(ctx, triggerID, v)
}

// PublishHome prints a user's Home tab in full when they asked for it
// (home), its buttons theirs to press; a refresh of anyone's tab after a
// change is one line.
func (s *Shell) PublishHome(_ context.Context, user string, v slack.HomeTabViewRequest) error {
	s.mu.Lock()
	name, full := s.name('@', user), s.homeFor == user
	s.mu.Unlock()
	if !full {
		s.deliver(fmt.Sprintf("[Home of @%s refreshed: type home as @%s to see it]\n", name, name), true)
		return nil
	}
	s.deliver(s.render("[Home of @"+name+"]", button{ViewID: "VHOME" + user, ViewType: slack.VTHomeTab, Viewer: user}, bot.Message{Blocks: v.Blocks.BlockSet}), false)
	return nil
}

// UploadFile prints a shared file: where it went, its comment, and its
// first lines.
func (s *Shell) UploadFile(_ context.Context, channel string, f bot.File) error {
	label := strings.TrimSuffix(s.label(channel), "]") + ", file]"
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s, %d bytes)\n", label, f.Title, f.Name, len(f.Content))
	b.WriteString(s.render(label, button{Channel: channel, Viewer: dmOwner(channel)}, bot.Message{Text: f.Comment}))
	lines := strings.Split(strings.TrimRight(string(f.Content), "\n"), "\n")
	for i, l := range lines {
		if i == 5 {
			fmt.Fprintf(&b, "%s   … %d more lines\n", label, len(lines)-5)
			break
		}
		fmt.Fprintf(&b, "%s   %s\n", label, l)
	}
	s.deliver(b.String(), true)
	return nil
}

// PlainText renders a message as text for a terminal or a file, the way the
// shell shows it: mentions as @U…, channels as #C…, dates by their UTC
// fallback, entities decoded.
func PlainText(m bot.Message) string {
	r := &renderer{names: func(_ byte, id string) string { return id }}
	return strings.Join(r.message(m.Text, m.Blocks), "\n") + "\n"
}
