package shell

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"
)

// button is a button as the shell shows it: a number to type.
type button struct {
	ActionID, BlockID, Value, Text string
	// Where the message carrying it was shown, for the interaction payload.
	Channel, TS string
	Ephemeral   bool
	// Viewer is the only user who sees the button (a DM's owner, the asker
	// of an ephemeral answer); empty: everyone in the channel.
	Viewer string
}

// renderer turns Block Kit into lines of text, numbering buttons as it goes.
type renderer struct {
	names   func(kind byte, id string) string // '@' users, '#' channels
	buttons []button                          // numbered from 1, in order of appearance
	where   button                            // channel/ts of the message being rendered
}

// slackToken matches Slack's angle-bracket syntax: <@U1>, <#C1|name>,
// <!date^…|fallback>, <!here>, <https://…|text>.
var slackToken = regexp.MustCompile(`<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>`)

// text makes mrkdwn readable: mentions by name, dates by their fallback,
// links with their text, entities decoded. Bold and code marks stay.
func (r *renderer) text(s string) string {
	s = slackToken.ReplaceAllStringFunc(s, func(tok string) string {
		m := slackToken.FindStringSubmatch(tok)
		sigil, body, label := m[1], m[2], m[3]
		switch sigil {
		case "@":
			return "@" + r.names('@', body)
		case "#":
			if label != "" {
				return "#" + label
			}
			return "#" + r.names('#', body)
		case "!":
			if label != "" {
				return label // a date's fallback text
			}
			return "@" + body // <!here>, <!channel>
		}
		if label != "" {
			return label + " (" + body + ")"
		}
		return body
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

func (r *renderer) textObject(t *slack.TextBlockObject) string {
	if t == nil {
		return ""
	}
	return r.text(t.Text)
}

// message renders a message: its blocks, or its text when it has none.
func (r *renderer) message(text string, blocks []slack.Block) []string {
	if len(blocks) == 0 {
		return strings.Split(r.text(text), "\n")
	}
	return r.blocks(blocks)
}

// blocks renders blocks, one or more lines each. Input blocks are listed
// by their label; the shell asks for them one by one.
func (r *renderer) blocks(blocks []slack.Block) []string {
	var out []string
	add := func(s string) { out = append(out, strings.Split(s, "\n")...) }
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			add("── " + r.textObject(b.Text) + " ──")
		case *slack.SectionBlock:
			if t := r.textObject(b.Text); t != "" {
				add(t)
			}
			for _, f := range b.Fields {
				add("  " + r.textObject(f))
			}
			if b.Accessory != nil && b.Accessory.ButtonElement != nil {
				add("  " + r.button(b.Accessory.ButtonElement, b.BlockID))
			}
		case *slack.ContextBlock:
			var parts []string
			for _, e := range b.ContextElements.Elements {
				switch e := e.(type) {
				case *slack.TextBlockObject:
					parts = append(parts, r.text(e.Text))
				case *slack.ImageBlockElement:
					parts = append(parts, "[image: "+e.AltText+"]")
				}
			}
			add("  " + strings.Join(parts, " · "))
		case *slack.ActionBlock:
			var btns []string
			for _, e := range b.Elements.ElementSet {
				if be, ok := e.(*slack.ButtonBlockElement); ok {
					btns = append(btns, r.button(be, b.BlockID))
				}
			}
			if len(btns) > 0 {
				add("  " + strings.Join(btns, "   "))
			}
		case *slack.DividerBlock:
			add("────────")
		case *slack.InputBlock:
			line := r.textObject(b.Label)
			if b.Optional {
				line += " (optional)"
			}
			if h := r.textObject(b.Hint); h != "" {
				line += " — " + h
			}
			add(line)
			switch e := b.Element.(type) {
			case *slack.SelectBlockElement:
				for i, o := range e.Options {
					add(fmt.Sprintf("   %d) %s", i+1, r.textObject(o.Text)))
				}
			case *slack.CheckboxGroupsBlockElement:
				for i, o := range e.Options {
					add(fmt.Sprintf("   %d) %s %s", i+1, tick(ticked(e.InitialOptions, o.Value)), r.option(o)))
				}
			}
		case *slack.ImageBlock:
			add("[image: " + b.AltText + "]")
		default:
			add("[" + string(b.BlockType()) + " block]")
		}
	}
	return out
}

// button numbers a button and renders it as "[n] Text".
func (r *renderer) button(b *slack.ButtonBlockElement, blockID string) string {
	btn := r.where
	btn.ActionID, btn.BlockID, btn.Value = b.ActionID, blockID, b.Value
	btn.Text = r.textObject(b.Text)
	r.buttons = append(r.buttons, btn)
	return fmt.Sprintf("[%d] %s", len(r.buttons), btn.Text)
}

// option is an option's text and, when it has one, its description.
func (r *renderer) option(o *slack.OptionBlockObject) string {
	t := r.textObject(o.Text)
	if d := r.textObject(o.Description); d != "" {
		t += " (" + d + ")"
	}
	return t
}

// tick is a checkbox as text.
func tick(on bool) string {
	if on {
		return "[x]"
	}
	return "[ ]"
}

// ticked reports whether value is among opts.
func ticked(opts []*slack.OptionBlockObject, value string) bool {
	for _, o := range opts {
		if o.Value == value {
			return true
		}
	}
	return false
}
