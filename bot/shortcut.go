package bot

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"contactbot/crm"
	"contactbot/internal/words"
)

// CallbackFindContacts is the message shortcut "Find contacts in this message".
const CallbackFindContacts = "find_contacts"

// Bounds of what one shortcut looks up and shows: every contact takes four
// blocks of a message's 50. Names are guesses (any two capitalised words),
// so fewer of them are looked up.
const (
	shortcutTerms    = 20
	shortcutNames    = 4
	shortcutContacts = 10
)

var (
	// slackMarkup is Slack's angle-bracket markup in message text: links
	// (<https://…|label>, <mailto:…|…>, <tel:…|…>), mentions, dates.
	slackMarkup = regexp.MustCompile(`<([^<>|]*)(?:\|([^<>]*))?>`)
	emailRe     = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	phoneRe     = regexp.MustCompile(`(?:\+|\()?\d[\d ().\-/]{5,}\d`)
	// dateLike is a phone-shaped run that is a date or a time.
	dateLike = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$|^\d{1,2}:\d{2}`)
	// idRe finds CRM contact ids: 20 letters and digits, as Leadgains
	// issues them (seD4PfOuKoVMLkEZqohJ).
	idRe = regexp.MustCompile(`\b[A-Za-z0-9]{20}\b`)
	// wordRe finds words of letters, with apostrophes and hyphens inside
	// (O'Brien, Lefèvre-Martin).
	wordRe = regexp.MustCompile(`\pL+(?:['’-]\pL+)*`)
)

// contactTerms extracts what in a message can find a contact: every email
// address, phone number and contact id, each once, in the order they
// appear (emails, then phones, then ids), then up to shortcutNames names
// (namePairs), at most shortcutTerms in all.
func contactTerms(text string) []string {
	var urls []string
	// Slack writes an email as <mailto:jane@x.com|jane@x.com> and a link as
	// <https://…|label>: keep what a reader sees, and look for ids (not
	// phones) in the links themselves.
	visible := slackMarkup.ReplaceAllStringFunc(text, func(tok string) string {
		m := slackMarkup.FindStringSubmatch(tok)
		target, label := m[1], m[2]
		switch {
		case strings.HasPrefix(target, "mailto:"):
			return " " + strings.TrimPrefix(target, "mailto:") + " "
		case strings.HasPrefix(target, "tel:"):
			return " " + strings.TrimPrefix(target, "tel:") + " "
		case strings.HasPrefix(target, "http://"), strings.HasPrefix(target, "https://"):
			urls = append(urls, target)
			return " " + label + " "
		}
		return " " // mentions, channels, dates: nothing to find
	})
	visible = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(visible)

	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		k := strings.ToLower(t)
		if t == "" || seen[k] || len(out) >= shortcutTerms {
			return
		}
		seen[k] = true
		out = append(out, t)
	}
	emails := emailRe.FindAllString(visible, -1)
	for _, e := range emails {
		add(e)
	}
	// Phones, from the text without its email addresses (digits in one
	// would otherwise look like a number).
	noEmails := emailRe.ReplaceAllString(visible, " ")
	for _, p := range phoneRe.FindAllString(noEmails, -1) {
		p = strings.TrimRight(p, " ./-(")
		digits := 0
		for _, r := range p {
			if unicode.IsDigit(r) {
				digits++
			}
		}
		if digits < 7 || digits > 15 || dateLike.MatchString(p) {
			continue
		}
		add(p)
	}
	for _, s := range append([]string{visible}, urls...) {
		for _, id := range idRe.FindAllString(s, -1) {
			if looksLikeContactID(id) {
				add(id)
			}
		}
	}
	names := namePairs(noEmails)
	if len(names) > shortcutNames {
		names = names[:shortcutNames]
	}
	for _, n := range names {
		add(n)
	}
	return out
}

// namePairs finds what may be a person's full name in text: two
// capitalised words in a row, separated by spaces only ("Jane Doe",
// "Mateo García"), each pair once, in order. Overlapping pairs all count
// ("Ask Jane Doe" gives "Ask Jane" and "Jane Doe"): a search tells which
// is a contact. A capitalised word has a lower-case letter, so ASAP, DND
// and STOP are not names.
func namePairs(text string) []string {
	locs := wordRe.FindAllStringIndex(text, -1)
	capitalised := func(w string) bool {
		first, _ := utf8.DecodeRuneInString(w)
		return unicode.IsUpper(first) && strings.IndexFunc(w, unicode.IsLower) > 0
	}
	var out []string
	seen := map[string]bool{}
	for i := 1; i < len(locs); i++ {
		a, b := text[locs[i-1][0]:locs[i-1][1]], text[locs[i][0]:locs[i][1]]
		between := text[locs[i-1][1]:locs[i][0]]
		if !capitalised(a) || !capitalised(b) || strings.TrimLeft(between, " ") != "" || between == "" {
			continue
		}
		pair := a + " " + b
		if k := strings.ToLower(pair); !seen[k] {
			seen[k] = true
			out = append(out, pair)
		}
	}
	return out
}

// looksLikeContactID tells a generated id from a long word: it mixes case
// or has a digit.
func looksLikeContactID(s string) bool {
	var upper, lower, digit bool
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		}
	}
	return digit && (upper || lower) || upper && lower
}

// handleShortcut answers the message shortcut: after the ack, it looks up
// everything in the message that can find a contact and shows the matches,
// with the usual buttons, only to the person who used it.
func (b *Bot) handleShortcut(_ context.Context, cb slack.InteractionCallback) {
	if cb.CallbackID != CallbackFindContacts {
		b.log.Warn("unknown shortcut", "callback", cut(cb.CallbackID, 100), "user", cb.User.ID)
		return
	}
	user, channel, ts, text, reply := cb.User.ID, cb.Channel.ID, cb.Message.Timestamp, cb.Message.Text, replyTo(cb)
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	if ts == "" {
		ts = cb.Container.MessageTs
	}
	b.log.Info("shortcut", "user", user, "shortcut", cb.CallbackID, "channel", channel)
	b.goBackground("find contacts in a message", func(ctx context.Context) {
		m := b.contactsInMessage(ctx, user, channel, ts, text)
		if err := b.slack.Respond(ctx, reply, *m, false); err != nil {
			b.log.Warn("answer shortcut through response_url failed; sending a DM", "user", user, "err", err)
			b.dm(ctx, user, *m)
		}
	})
}

// contactsInMessage finds the contacts a message names and renders them as
// a search would, each action block naming the message (by the id of a
// message origin kept for user), so that an action started there says so
// in its audit line.
func (b *Bot) contactsInMessage(ctx context.Context, user, channel, ts, text string) *Message {
	terms := contactTerms(text)
	if len(terms) == 0 {
		return textMessage("This message has no email address, phone number, contact id or full name (two capitalised words, as in Jane Doe) to look up. Use the shortcut on a message that has one, or search with `/contact`.")
	}
	var found []crm.Match
	var missed []string
	seen := map[string]bool{}
	total := 0
	for _, t := range terms {
		res, err := b.store.Search(ctx, t)
		if err != nil {
			if crm.ErrorCode(err) == crm.EINTERNAL {
				return textMessage(b.userMessage(err, "shortcut search"))
			}
			missed = append(missed, t)
			continue
		}
		if len(res.Matches) == 0 {
			missed = append(missed, t)
		}
		for _, m := range res.Matches {
			if !seen[m.ID] {
				seen[m.ID] = true
				total++
				if len(found) < shortcutContacts {
					found = append(found, m)
				}
			}
		}
	}
	var quoted []string
	for _, t := range terms {
		quoted = append(quoted, "`"+esc(t)+"`")
	}
	title := plural(total, "contact", "contacts") + " in this message"
	if total == 0 {
		title = "No contact found for this message"
	}
	blocks := []slack.Block{header(title), contextBlock("Looked up " + joinAnd(quoted) + ". Only you see this.")}
	origin := b.recordMessageOrigin(ctx, user, channel, ts)
	shown, err := b.matchBlocks(ctx, found, func(contactID string) string { return shortcutBlockID(origin, contactID) })
	if err != nil {
		return textMessage(b.userMessage(err, "shortcut: linked items"))
	}
	blocks = append(blocks, shown...)
	if more := total - len(found); more > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf("%d more: search for them with `/contact`.", more)))
	}
	if len(missed) > 0 {
		var q []string
		for _, t := range missed {
			q = append(q, "`"+esc(t)+"`")
		}
		blocks = append(blocks, contextBlock("No contact matches "+strings.Join(q, ", ")+"."))
	}
	return &Message{Text: title, Blocks: limitBlocks(blocks, maxMessageBlocks, func(int) string { return "and more: search with `/contact`." })}
}

var (
	conversationIDRe = regexp.MustCompile(`^[CGD][A-Z0-9]{2,30}$`)
	messageTSRe      = regexp.MustCompile(`^[0-9]{1,12}\.[0-9]{1,9}$`)
)

// recordMessageOrigin keeps the message a shortcut was used on, as Slack's
// payload names it, and returns the id its buttons carry; "" (the buttons
// are then a search result's) when the payload's channel or ts are not
// Slack's shapes or the row cannot be written.
func (b *Bot) recordMessageOrigin(ctx context.Context, user, channel, ts string) string {
	if !conversationIDRe.MatchString(channel) || !messageTSRe.MatchString(ts) {
		return ""
	}
	id, err := b.store.RecordMessageOrigin(ctx, user, channel, ts)
	if err != nil {
		b.log.Error("shortcut: record the message", "user", user, "err", err)
		return ""
	}
	return id
}

// viaMessage says which message a shortcut was used on: its channel, its
// time and its ts (which, with the channel, finds it in Slack).
func viaMessage(channel, ts string) string {
	sec, _, _ := strings.Cut(ts, ".")
	when := ""
	if n, err := strconv.ParseInt(sec, 10, 64); err == nil {
		when = " of " + time.Unix(n, 0).UTC().Format(words.SecondLayout)
	}
	return fmt.Sprintf("message shortcut on the message%s in channel %s, ts %s", when, channel, ts)
}
