package crm

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Search limits.
const (
	MaxQueryLen = 200 // characters; longer queries are refused, not cut
	SearchShown = 10  // matches returned
	// SearchCounted caps the count of matches: "200+ contacts" says enough.
	SearchCounted = 200
	maxNameWords  = 8
	minPhoneDigit = 7
)

// Query kinds, as SearchResult.Kind reports them.
const (
	KindID    = "id"
	KindEmail = "email"
	KindPhone = "phone"
	KindName  = "name"
)

// Match is one contact found, with what marks it out.
type Match struct {
	Contact
	// Exact is true for an id, email or phone match, or a name equal to the query.
	Exact bool `db:"exact"`
	// Duplicates are other contacts sharing this one's email or phone digits.
	Duplicates []ContactRef `db:"-"`
	// OptedOutBefore is set when the contact got its DND back from the
	// suppression list: the newest delete date that opt-out came from.
	OptedOutBefore *time.Time `db:"-"`
}

// SearchResult is the contacts found for one query.
type SearchResult struct {
	Query   string
	Kind    string
	Matches []Match // at most SearchShown, exact matches first
	// Total counts every match, up to SearchCounted; More is Total minus the
	// shown ones. Capped says the count stopped at SearchCounted.
	Total int
}

// More is how many matches were not shown.
func (r SearchResult) More() int { return r.Total - len(r.Matches) }

// Capped reports whether there are at least SearchCounted matches: the count
// stops there.
func (r SearchResult) Capped() bool { return r.Total >= SearchCounted }

const contactColumns = `c.id, c.location_id, c.first_name, c.last_name, coalesce(c.email, '') AS email,
	coalesce(c.phone, '') AS phone, coalesce(c.company_name, '') AS company_name, coalesce(c.source, '') AS source,
	c.dnd, c.created_at, c.updated_at`

// Search finds contacts by id (exact), email (any case), phone (by digits) or
// name (every word starts a word of the first or last name, any case or
// accent). Every branch is served by an index; see migration 00002 of each
// dialect.
func (s *Store) Search(ctx context.Context, query string) (SearchResult, error) {
	q := strings.TrimSpace(query)
	res := SearchResult{Query: q}
	if q == "" {
		return res, Errorf(EINVALID, "Type a name, email, phone number or contact id to search for.")
	}
	if utf8.RuneCountInString(q) > MaxQueryLen {
		return res, Errorf(EINVALID, "That search is too long (%d characters). Use at most %d: a name, an email, a phone number or an id.", utf8.RuneCountInString(q), MaxQueryLen)
	}
	if !utf8.ValidString(q) || strings.ContainsRune(q, 0) {
		return res, Errorf(EINVALID, "That search contains characters that cannot be searched. Type a name, email, phone number or id.")
	}

	plan := s.planSearch(q)
	if len(plan.probes) == 0 {
		return res, Errorf(EINVALID, "There is nothing to search for in %q. Type a name, email, phone number or contact id.", q)
	}
	res.Kind = plan.kind
	// Probes run in order, each by index and each stopping after the rows it
	// can show. No ORDER BY over all matches: a common name would make the
	// database sort thousands of rows to show ten.
	var found []Match
	full := false
	for _, p := range plan.probes {
		var rows []Match
		st, err := s.prepared(ctx, `SELECT `+contactColumns+`, `+fmt.Sprint(p.exact)+` AS exact FROM contacts c WHERE `+p.where+` LIMIT `+fmt.Sprint(SearchShown+1))
		if err == nil {
			err = st.SelectContext(ctx, &rows, p.args...)
		}
		if err != nil {
			return res, fmt.Errorf("search contacts (%s): %w", plan.kind, err)
		}
		found = append(found, rows...)
		full = full || len(rows) > SearchShown
		if p.enough && len(rows) > 0 {
			res.Kind = KindID
			break
		}
	}
	matches := mergeMatches(found)
	res.Total = len(matches)
	if full || len(matches) > SearchShown {
		if err := s.db.GetContext(ctx, &res.Total, s.db.Rebind(plan.count), plan.countArgs...); err != nil {
			return res, fmt.Errorf("count contacts: %w", err)
		}
		res.Total = max(res.Total, len(matches))
	}
	if len(matches) > SearchShown {
		matches = matches[:SearchShown]
	}
	for i := range matches {
		dups, err := s.duplicatesOf(ctx, matches[i].Contact)
		if err != nil {
			return res, err
		}
		matches[i].Duplicates = dups
	}
	if err := s.markOptedOut(ctx, matches); err != nil {
		return res, err
	}
	res.Matches = matches
	return res, nil
}

// markOptedOut sets OptedOutBefore on the matches that got an opt-out back
// from the suppression list.
func (s *Store) markOptedOut(ctx context.Context, matches []Match) error {
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.ID
	}
	before, err := s.optedOutBefore(ctx, ids)
	if err != nil {
		return err
	}
	for i := range matches {
		if t, ok := before[matches[i].ID]; ok {
			matches[i].OptedOutBefore = &t
		}
	}
	return nil
}

// searchProbe is one indexed query for matches of a search.
type searchProbe struct {
	where string // on contacts c
	args  []any
	exact bool // its matches are exact matches
	// enough ends the search when this probe finds anything: an id is unique
	// and a query that is a contact's id is nobody's name.
	enough bool
}

// searchPlan is how a query is answered: its kind, probes in order, and the
// count of every match (capped) for "N more".
type searchPlan struct {
	kind      string
	probes    []searchProbe
	count     string
	countArgs []any
}

// planSearch classifies q and plans its probes.
func (s *Store) planSearch(q string) searchPlan {
	capped := func(sub string) string {
		return `SELECT count(*) FROM (` + sub + ` LIMIT ` + fmt.Sprint(SearchCounted) + `) n`
	}
	switch {
	case strings.Contains(q, "@"):
		where := "c.email IS NOT NULL AND lower(c.email) = lower(?)"
		return searchPlan{kind: KindEmail, probes: []searchProbe{{where: where, args: []any{q}, exact: true}},
			count: capped(`SELECT 1 FROM contacts c WHERE ` + where), countArgs: []any{q}}
	case isPhoneQuery(q):
		where, args := s.dialect.phoneCondition(q)
		return searchPlan{kind: KindPhone, probes: []searchProbe{{where: where, args: args, exact: true}},
			count: capped(`SELECT 1 FROM contacts c WHERE ` + where), countArgs: args}
	}
	var plan searchPlan
	if looksLikeID(q) {
		plan.kind = KindID
		plan.probes = append(plan.probes, searchProbe{where: "c.id = ?", args: []any{q}, exact: true, enough: true})
	}
	words := nameWords(q)
	if len(words) == 0 {
		return plan
	}
	plan.kind = KindName
	set, args := s.dialect.nameSet(words)
	plan.probes = append(plan.probes,
		// A full name equal to the query's words (any case or accent) is exact.
		searchProbe{where: "contactbot_fold(c.first_name || ' ' || c.last_name) = contactbot_fold(?)", args: []any{strings.Join(words, " ")}, exact: true},
		searchProbe{where: "c.id IN (" + set + ")", args: args},
	)
	plan.count, plan.countArgs = capped(set), args
	return plan
}

// looksLikeID reports whether q could be a CRM id: one token of letters and digits.
func looksLikeID(q string) bool {
	if len(q) < 8 || len(q) > 40 {
		return false
	}
	for _, r := range q {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// isPhoneQuery reports whether q is made only of phone characters and has
// enough digits to be a phone number.
func isPhoneQuery(q string) bool {
	digits := 0
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			return false
		}
	}
	return digits >= minPhoneDigit
}

// PhoneDigits returns the digits of a phone number as entered.
func PhoneDigits(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// PhoneKeyPattern turns a phone query into a LIKE pattern on the reversed
// digits: its last ten digits must end the stored number, so a query with or
// without the country code finds "+1 (555) 010-2233".
func PhoneKeyPattern(phone string) string {
	d := PhoneDigits(phone)
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	r := []byte(d)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r) + "%"
}

// nameWords splits q into words of letters and digits, as the name index does.
func nameWords(q string) []string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) > maxNameWords {
		words = words[:maxNameWords]
	}
	return words
}

// duplicatesOf lists up to three other contacts that share c's email or phone digits.
func (s *Store) duplicatesOf(ctx context.Context, c Contact) ([]ContactRef, error) {
	return s.duplicatesIn(ctx, s.db, c)
}

// duplicatesIn is duplicatesOf on q, which may be a transaction.
func (s *Store) duplicatesIn(ctx context.Context, q sqlx.QueryerContext, c Contact) ([]ContactRef, error) {
	sql, args := s.duplicatesQuery(c)
	if sql == "" {
		return nil, nil
	}
	var refs []ContactRef
	if err := s.selectPrepared(ctx, q, &refs, sql, args...); err != nil {
		return nil, fmt.Errorf("find duplicates of %s: %w", c.ID, err)
	}
	return refs, nil
}

// duplicatesQuery is duplicatesOf's query, empty when c has neither an email
// nor a phone number to compare. It is one indexed probe per shared key,
// joined by UNION: an OR across both keys with ORDER BY id makes the planner
// walk the primary key instead (2.5 s at a million contacts).
func (s *Store) duplicatesQuery(c Contact) (string, []any) {
	var probes []string
	var args []any
	if c.Email != "" {
		probes = append(probes, "SELECT * FROM (SELECT c.id, c.first_name, c.last_name FROM contacts c WHERE c.email IS NOT NULL AND lower(c.email) = lower(?) LIMIT 4) e")
		args = append(args, c.Email)
	}
	if len(PhoneDigits(c.Phone)) >= minPhoneDigit {
		cond, phoneArgs := s.dialect.phoneCondition(c.Phone)
		probes = append(probes, "SELECT * FROM (SELECT c.id, c.first_name, c.last_name FROM contacts c WHERE "+cond+" LIMIT 4) p")
		args = append(args, phoneArgs...)
	}
	if len(probes) == 0 {
		return "", nil
	}
	return `SELECT d.id, d.first_name, d.last_name FROM (` + strings.Join(probes, " UNION ") + `) d WHERE d.id <> ? ORDER BY d.id LIMIT 3`, append(args, c.ID)
}

// Contact loads one contact by id.
func (s *Store) Contact(ctx context.Context, id string) (Contact, error) {
	var c Contact
	err := s.db.GetContext(ctx, &c, s.db.Rebind(`SELECT `+contactColumns+` FROM contacts c WHERE c.id = ?`), id)
	if isNoRows(err) {
		return c, ErrContactGone
	}
	if err != nil {
		return c, fmt.Errorf("load contact %s: %w", id, err)
	}
	return c, nil
}

// mergeMatches lists each contact once, exact matches first, each group in
// name order.
func mergeMatches(found []Match) []Match {
	seen := map[string]int{}
	var out []Match
	for _, m := range found {
		if i, ok := seen[m.ID]; ok {
			out[i].Exact = out[i].Exact || m.Exact
			continue
		}
		seen[m.ID] = len(out)
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Exact != b.Exact:
			return a.Exact
		case a.LastName != b.LastName:
			return a.LastName < b.LastName
		case a.FirstName != b.FirstName:
			return a.FirstName < b.FirstName
		}
		return a.ID < b.ID
	})
	return out
}
