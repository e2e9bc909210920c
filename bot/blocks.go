package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/internal/words"
)

// Block Kit limits (api.slack.com/reference/block-kit).
const (
	maxMessageBlocks = 50
	maxModalBlocks   = 100
	maxSectionText   = 3000
	maxButtonText    = 75
	maxModalTitle    = 24
	maxMetadata      = 3000
	maxContextItems  = 10
)

// esc makes user data safe in mrkdwn: <, > and & would otherwise form links
// and mentions such as <!channel>.
func esc(s string) string { return mrkdwnEscaper.Replace(s) }

// mrkdwnEscaper is built once: building a Replacer per call was a tenth of
// the bot's CPU time when rendering search results under load.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// cut shortens s to at most n characters, ending with an ellipsis when cut.
func cut(s string, n int) string { return words.Cut(s, n) }

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, cut(text, maxSectionText), false, false), nil, nil)
}

func header(text string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, cut(text, 150), true, false))
}

func contextBlock(texts ...string) *slack.ContextBlock {
	var elems []slack.MixedElement
	for _, t := range texts {
		if len(elems) == maxContextItems {
			break
		}
		elems = append(elems, slack.NewTextBlockObject(slack.MarkdownType, cut(t, maxSectionText), false, false))
	}
	return slack.NewContextBlock("", elems...)
}

func button(actionID, value, text string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, value, slack.NewTextBlockObject(slack.PlainTextType, cut(text, maxButtonText), true, false))
	b.Style = style
	return b
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, false, false)
}

func mention(userID string) string { return "<@" + userID + ">" }

// limitBlocks keeps a message within max blocks, replacing the tail with a
// line that says how many entries were left out.
func limitBlocks(blocks []slack.Block, max int, more func(cutBlocks int) string) []slack.Block {
	if len(blocks) <= max {
		return blocks
	}
	kept := blocks[:max-1]
	return append(kept, contextBlock(more(len(blocks)-len(kept))))
}

// contactLine is a contact's identity in one line: name, email, phone, id.
func contactLine(c crm.Contact) string {
	parts := []string{"*" + esc(c.Name()) + "*"}
	if c.Email != "" {
		parts = append(parts, esc(c.Email))
	}
	if c.Phone != "" {
		parts = append(parts, esc(c.Phone))
	}
	parts = append(parts, "`"+esc(c.ID)+"`")
	return strings.Join(parts, " · ")
}

// duplicateWarning flags contacts that share c's email or phone, as a
// search result does, saying what each shares; "" when there are none.
func duplicateWarning(c crm.Contact, dups []crm.ContactRef) string {
	if len(dups) == 0 {
		return ""
	}
	var parts []string
	for _, g := range bySharedWords(c, dups) {
		parts = append(parts, contactRefs(g.refs, false)+": "+g.words)
	}
	return "⚠️ Possible duplicate of " + strings.Join(parts, "; ") + "."
}

// sharedGroup is possible duplicates that share the same with a contact.
type sharedGroup struct {
	words string
	refs  []crm.ContactRef
}

// bySharedWords groups c's possible duplicates by what they share with it
// (sharedWords), in the order they come.
func bySharedWords(c crm.Contact, dups []crm.ContactRef) []sharedGroup {
	var groups []sharedGroup
	for _, d := range dups {
		w := sharedWords(c, d.Shares)
		i := slices.IndexFunc(groups, func(g sharedGroup) bool { return g.words == w })
		if i < 0 {
			groups = append(groups, sharedGroup{words: w})
			i = len(groups) - 1
		}
		groups[i].refs = append(groups[i].refs, d)
	}
	return groups
}

// sharedWords says what c shares with a possible duplicate, in c's own
// values: "same email jane@example.com", "same phone +1 555 010 2233" or
// "same email … and phone …". It is the one place these words are made.
func sharedWords(c crm.Contact, s crm.Shared) string {
	var parts []string
	if s.Email && c.Email != "" {
		parts = append(parts, "email "+esc(c.Email))
	}
	if s.Phone && c.Phone != "" {
		parts = append(parts, "phone "+esc(c.Phone))
	}
	if len(parts) == 0 {
		return "same email or phone" // found by the database, not told apart here
	}
	return "same " + strings.Join(parts, " and ")
}

// contactRefs names contacts as "Name (`id`)", the names in bold when
// bold, joined by commas.
func contactRefs(refs []crm.ContactRef, bold bool) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		name := esc(r.Name())
		if bold {
			name = "*" + name + "*"
		}
		names[i] = name + " (`" + esc(r.ID) + "`)"
	}
	return strings.Join(names, ", ")
}

// dndLine says which channels are opted out.
func dndLine(c crm.Contact, l crm.Linked) string {
	var on []string
	for _, d := range l.DND {
		switch d.Status {
		case crm.DNDActive:
			on = append(on, channelLabel(d.Channel))
		case crm.DNDPermanent:
			on = append(on, channelLabel(d.Channel)+" (STOP, permanent)")
		}
	}
	switch {
	case c.DND:
		return "DND: *on for all channels*"
	case len(on) > 0:
		return "DND: *on for " + strings.Join(on, ", ") + "*"
	}
	return "DND: off"
}

// joinAnd joins words as a sentence lists them: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// listNames joins up to n names and says how many more there are.
func listNames(names []string, total, n int) string {
	if len(names) > n {
		names = names[:n]
	}
	s := strings.Join(names, ", ")
	if more := total - len(names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// linkedLines describes what a delete would take, one line per kind that
// matters; cur is the currency of the contact's opportunity values.
func linkedLines(l crm.Linked, cur string) []string {
	// Concatenated, not formatted: a page of results writes these lines for
	// ten contacts on every search.
	lines := make([]string, 0, 6)
	lines = append(lines,
		"💬 "+plural(l.Conversations, "conversation", "conversations")+" ("+plural(l.Messages, "message", "messages")+")",
		"📝 "+plural(l.Notes, "note", "notes"),
	)
	opp := "💼 " + strconv.Itoa(l.OpenOpportunityCount) + " open / " + strconv.Itoa(l.ClosedOpportunities) + " closed " + pluralNoun(l.Opportunities, "opportunity", "opportunities")
	if l.OpenOpportunityCount > 0 {
		var names []string
		for _, o := range l.OpenOpportunities {
			names = append(names, fmt.Sprintf("%s (%s)", esc(o.Name), esc(money(cur, o.MonetaryValue))))
		}
		opp += fmt.Sprintf(", %s open: %s", esc(money(cur, l.OpenValue)), listNames(names, l.OpenOpportunityCount, 3))
	}
	lines = append(lines, opp)
	lines = append(lines, "✅ "+plural(l.Tasks, "task", "tasks")+" ("+strconv.Itoa(l.OpenTasks)+" open)")
	appt := "📅 " + plural(l.UpcomingCount, "upcoming appointment", "upcoming appointments")
	if l.UpcomingCount > 0 {
		var names []string
		for _, a := range l.UpcomingAppointments {
			names = append(names, esc(a.Title)+" "+slackDate(a.StartsAt))
		}
		appt += ": " + listNames(names, l.UpcomingCount, 3)
	}
	lines = append(lines, appt)
	wf := "⚙️ " + plural(l.ActiveWorkflowCount, "active workflow", "active workflows")
	if l.ActiveWorkflowCount > 0 {
		var names []string
		for _, w := range l.ActiveWorkflows {
			names = append(names, esc(w.WorkflowName))
		}
		wf += ": " + listNames(names, l.ActiveWorkflowCount, 5)
	}
	return append(lines, wf)
}

// countsLine lists removed rows per kind, e.g. for a delete summary.
func countsLine(c crm.Counts) string { return batchCountsLine(1, c) }
