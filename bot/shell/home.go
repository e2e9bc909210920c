package shell

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/bot"
)

// PushView opens a window on top of the open one: the shell shows one
// window at a time, and goes back to the one below when it closes.
func (s *Shell) PushView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (string, error) {
	return s.OpenView(ctx, triggerID, v)
}

// PublishHome prints a user's Home tab, its buttons pressable.
func (s *Shell) PublishHome(_ context.Context, user string, v slack.HomeTabViewRequest) error {
	s.mu.Lock()
	label := "[Home of @" + s.name('@', user) + "]"
	s.mu.Unlock()
	s.deliver(s.renderBlocks(label, button{ViewID: "home:" + user, ViewType: slack.VTHomeTab}, v.Blocks.BlockSet))
	return nil
}

// UploadFile prints a shared file: where it went, its comment, and its
// first lines.
func (s *Shell) UploadFile(_ context.Context, channel string, f bot.File) error {
	label := strings.TrimSuffix(s.label(channel), "]") + ", file]"
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s, %d bytes)\n", label, f.Title, f.Name, len(f.Content))
	b.WriteString(s.render(label, button{Channel: channel}, bot.Message{Text: f.Comment}))
	lines := strings.Split(strings.TrimRight(string(f.Content), "\n"), "\n")
	for i, l := range lines {
		if i == 5 {
			fmt.Fprintf(&b, "%s   … %d more lines\n", label, len(lines)-5)
			break
		}
		fmt.Fprintf(&b, "%s   %s\n", label, l)
	}
	s.deliver(b.String())
	return nil
}

// renderBlocks is render for the blocks of a view.
func (s *Shell) renderBlocks(label string, where button, blocks []slack.Block) string {
	return s.render(label, where, bot.Message{Blocks: blocks})
}

// PlainText renders a message as text for a terminal or a file, the way the
// shell shows it: mentions as @U…, channels as #C…, dates by their UTC
// fallback, entities decoded.
func PlainText(m bot.Message) string {
	r := &renderer{names: func(_ byte, id string) string { return id }}
	return strings.Join(r.message(m.Text, m.Blocks), "\n") + "\n"
}
