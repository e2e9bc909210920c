package crm

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
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
	// Linked is what a delete of the contact would take, as LinkedMany
	// loads it: set by SearchLinked, nil otherwise.
	Linked *Linked `db:"-"`
}

// SearchResult is the contacts found for one query.
type SearchResult struct {
	Query   string
	Kind    string
	Matches []Match // at most SearchShown, exact matches first
	// Total counts every match, up to SearchCounted; More is Total minus the
	// shown ones. Capped says the count stopped at SearchCounted.
	Total int
	// Partial says Total is a lower bound below SearchCounted: the whole
	// words' count, when the page is full and some query word also starts
	// longer names (counting those would read their whole posting lists).
	Partial bool
}

// More is how many matches were not shown.
func (r SearchResult) More() int { return r.Total - len(r.Matches) }

// Capped reports whether there are at least Total matches rather than
// exactly Total: the count stops at SearchCounted, or is Partial. The
// message then says "200+" or "12+".
func (r SearchResult) Capped() bool { return r.Total >= SearchCounted || r.Partial }

const contactColumns = `c.id, c.location_id, c.first_name, c.last_name, coalesce(c.email, '') AS email,
	coalesce(c.phone, '') AS phone, coalesce(c.company_name, '') AS company_name, coalesce(c.source, '') AS source,
	c.dnd, c.created_at, c.updated_at`

// Search finds contacts by id (exact), email (any case), phone (by its
// national number) or name (every word starts a word of the first or last
// name, any case or accent). Every statement is served by an index and reads
// about as many index entries as it returns; see migrations 00002, 00040 and
// 00200 of each dialect.
func (s *Store) Search(ctx context.Context, query string) (SearchResult, error) {
	return s.search(ctx, query, false)
}

// SearchLinked is Search, with what a delete of each shown contact would
// take (Match.Linked, as LinkedMany loads it, the contact read again with
// it; one gone since is left out): what a page of results shows, in as
// few round trips as the dialect allows (two on PostgreSQL for a name or
// an email: the probes, then the page).
func (s *Store) SearchLinked(ctx context.Context, query string) (SearchResult, error) {
	return s.search(ctx, query, true)
}

// SearchConcurrency is how many searches one process runs on the database
// at once; more wait their turn, first come first served. A search is CPU
// work on the database (1 to 3 ms at a million contacts), so more of them
// at once only share its cores, and since a search runs on the CRM's own
// database, a burst of agents' searches should not take its cores from the
// CRM. Measured at 50 concurrent searches on 2 cores: 20 at once (the
// pool) cost PostgreSQL 20–60% more CPU a search than 4 at once, with a
// p99 about twice as long (database/sql hands a free connection to a
// random waiter; the gate is a queue); 2 at once left the cores idle
// between round trips. Four at a millisecond each are 4,000 searches a
// second per replica: more than a support team asks of it.
const SearchConcurrency = 4

// enterSearch waits for a turn at the search gate, in arrival order (a
// channel's blocked senders are woken in the order they came), or until
// ctx ends; leave gives the turn back.
func (s *Store) enterSearch(ctx context.Context) (leave func(), err error) {
	s.searchesWaiting.Add(1)
	defer s.searchesWaiting.Add(-1)
	select {
	case s.searches <- struct{}{}:
		return func() { <-s.searches }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("search contacts: waiting for a turn: %w", ctx.Err())
	}
}

func (s *Store) search(ctx context.Context, query string, linked bool) (SearchResult, error) {
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
	leave, err := s.enterSearch(ctx)
	if err != nil {
		return res, err
	}
	defer leave()
	// Probes run in order, each by index and each stopping after the rows it
	// can show. No ORDER BY over all matches: a common name would make the
	// database sort thousands of rows to show ten.
	var found []Match
	full := false
	var counted *int  // the capped count, when a counted probe brought it along
	var extends *bool // whether a query word has longer words in the index; asked once, when needed
	wordsExtend := func() (bool, error) {
		if extends == nil {
			var b bool
			if err := s.getPrepared(ctx, &b, plan.extends.sql, plan.extends.args...); err != nil {
				return false, fmt.Errorf("search contacts (longer words): %w", err)
			}
			extends = &b
		}
		return *extends, nil
	}
	for _, p := range plan.probes {
		if p.fallback {
			// The prefix probe finds what the whole-word probe cannot:
			// names that only start with a query word. Needed when such
			// names exist and the page is not full yet.
			if full || len(mergeMatches(found)) > SearchShown {
				continue
			}
			if ext, err := wordsExtend(); err != nil {
				return res, err
			} else if !ext {
				continue
			}
		}
		var rows []Match
		var err error
		if p.counted {
			var withTotal []struct {
				Match
				Total   int  `db:"total"`
				Extends bool `db:"extends"`
			}
			err = s.selectStatement(ctx, &withTotal, p.statement)
			n, exact := 0, 0
			for _, r := range withTotal {
				rows, n = append(rows, r.Match), max(n, r.Total)
				if r.Exact {
					exact++
				}
			}
			if len(withTotal) > 0 { // every row carries the same answer
				extends = &withTotal[0].Extends
			}
			counted = &n // a later counted probe's set contains the earlier one's
			// Its rows are two probes' (exact names, then whole words),
			// each stopping after SearchShown+1.
			full = full || exact > SearchShown || len(rows)-exact > SearchShown
		} else {
			err = s.selectStatement(ctx, &rows, p.statement)
			full = full || len(rows) > SearchShown
		}
		if err != nil {
			return res, fmt.Errorf("search contacts (%s): %w", plan.kind, err)
		}
		found = append(found, rows...)
		if p.enough && len(rows) > 0 {
			res.Kind = KindID
			break
		}
	}
	if plan.kind == KindName {
		markExactNames(found, plan.words)
	}
	if plan.kind == KindPhone {
		s.markExactPhones(found, plan.phoneKey)
	}
	matches := mergeMatches(found)
	res.Total = len(matches)
	if full || len(matches) > SearchShown {
		n := 0
		if counted != nil {
			n = *counted
		} else if err := s.getPrepared(ctx, &n, plan.count.sql, plan.count.args...); err != nil {
			return res, fmt.Errorf("count contacts: %w", err)
		}
		res.Total = max(n, len(matches))
		if plan.kind == KindName && res.Total < SearchCounted {
			// The whole words' count misses names that only start with a
			// query word: say "at least" rather than read their postings
			// (a rare name whose word starts a common one, "smit" and
			// Smith, cost 15–40 ms at a million contacts).
			ext, err := wordsExtend()
			if err != nil {
				return res, err
			}
			res.Partial = ext
		}
	}
	if len(matches) > SearchShown {
		matches = matches[:SearchShown]
	}
	if linked {
		matches, err = s.linkPage(ctx, matches)
	} else {
		err = s.markPage(ctx, matches)
	}
	if err != nil {
		return res, err
	}
	res.Matches = matches
	return res, nil
}

// markPage sets the shown matches' possible duplicates and opt-outs: on
// PostgreSQL in one statement for the page (pageMarks), on SQLite, where a
// statement is a function call and not a round trip, in one per kind.
func (s *Store) markPage(ctx context.Context, matches []Match) error {
	if len(matches) == 0 {
		return nil
	}
	if s.dialect == Postgres {
		return s.pageMarks(ctx, matches)
	}
	contacts := make([]Contact, len(matches))
	for i := range matches {
		contacts[i] = matches[i].Contact
	}
	dups, err := s.duplicatesOfAll(ctx, contacts)
	if err != nil {
		return err
	}
	for i := range matches {
		matches[i].Duplicates = dups[matches[i].ID]
	}
	return s.markOptedOut(ctx, matches)
}

// pageMarksColumns are, for each shown contact (k: its id "of", email,
// and the range of its phone's national number "lo" to "hi", NULL for
// none), the newest delete an opt-out came back from, and its possible
// duplicates as JSON: up to maxDuplicates others sharing the email or the
// phone's national number, in id order, each key an indexed probe as in
// duplicateProbes.
var pageMarksColumns = `
	(SELECT max(h.deleted_at) FROM suppression_hits h WHERE h.contact_id = k.of) AS opted_out_before,
	(SELECT json_agg(json_build_object('id', d.id, 'first_name', d.first_name, 'last_name', d.last_name, 'email', d.email, 'phone', d.phone) ORDER BY d.id)
	 FROM (SELECT * FROM (
	         SELECT * FROM (SELECT c.id, c.first_name, c.last_name, c.email, c.phone FROM contacts c
	           WHERE c.email IS NOT NULL AND lower(c.email) = lower(k.email) LIMIT ` + fmt.Sprint(maxDuplicates+1) + `) e
	         UNION
	         SELECT * FROM (SELECT c.id, c.first_name, c.last_name, c.email, c.phone FROM contacts c
	           WHERE c.phone IS NOT NULL AND contactbot_phone_key(c.phone) ~>=~ k.lo AND contactbot_phone_key(c.phone) ~<~ k.hi LIMIT ` + fmt.Sprint(maxDuplicates+1) + `) p
	       ) u WHERE u.id <> k.of ORDER BY u.id LIMIT ` + fmt.Sprint(maxDuplicates) + `) d) AS duplicates`

// pageMarksSQL is pageMarksColumns for the contacts of the arrays $1 to $4,
// one element per contact. Arrays keep the text, and so the prepared plan,
// the same for any page: a UNION ALL of 20 probes was planned afresh on
// every call (PostgreSQL kept custom plans), 1.2 ms of each search.
var pageMarksSQL = `SELECT k.of,` + pageMarksColumns + `
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(of, email, lo, hi)
WHERE k.of IS NOT NULL`

// pageLinkedSQL is SearchLinked's one statement on PostgreSQL for the page:
// the shown contacts as linkedSQL loads them, with pageMarksColumns; $1 is
// now, $2 to $5 the arrays of pageMarksSQL.
var pageLinkedSQL = linkedSQL(`unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS k(of, email, lo, hi) JOIN contacts c ON c.id = k.of`, `,`+pageMarksColumns)

// pageArrays are the arrays pageMarksSQL reads: each match's id, email,
// and the range of its phone's national number (duplicatePhoneKey), padded
// with NULLs (which match nothing) to at least SearchShown elements.
// PostgreSQL estimates an array parameter at 10 elements: one of a single
// contact (an email's page) made every custom plan look ten times cheaper
// than the generic one, and it planned the page afresh on every call
// (1 to 2 ms, more than running it).
func (s *Store) pageArrays(matches []Match) []any {
	n := max(len(matches), SearchShown)
	ids, emails, los, his := make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n), make([]sql.NullString, n)
	for i, m := range matches {
		ids[i] = sql.NullString{String: m.ID, Valid: true}
		emails[i] = sql.NullString{String: m.Email, Valid: m.Email != ""}
		if key := s.duplicatePhoneKey(m.Phone); key != "" {
			lo, hi := phoneKeyRange(key)
			los[i], his[i] = sql.NullString{String: lo, Valid: true}, sql.NullString{String: hi, Valid: true}
		}
	}
	return []any{pq.Array(ids), pq.Array(emails), pq.Array(los), pq.Array(his)}
}

// marksRow is what pageMarksColumns select.
type marksRow struct {
	OptedOut   *time.Time `db:"opted_out_before"`
	Duplicates []byte     `db:"duplicates"`
}

// mark sets m's opt-out and possible duplicates from the row.
func (r marksRow) mark(s *Store, m *Match) error {
	if r.OptedOut != nil {
		t := r.OptedOut.UTC()
		m.OptedOutBefore = &t
	}
	if len(r.Duplicates) == 0 {
		return nil
	}
	var dups []struct {
		ID        string  `json:"id"`
		FirstName string  `json:"first_name"`
		LastName  string  `json:"last_name"`
		Email     *string `json:"email"`
		Phone     *string `json:"phone"`
	}
	if err := json.Unmarshal(r.Duplicates, &dups); err != nil {
		return fmt.Errorf("read duplicates of %s: %w", m.ID, err)
	}
	for _, d := range dups {
		row := duplicateRow{ContactRef: ContactRef{ID: d.ID, FirstName: d.FirstName, LastName: d.LastName}, Email: d.Email, Phone: d.Phone}
		m.Duplicates = append(m.Duplicates, row.ref(s, m.Contact))
	}
	return nil
}

// linkPage is markPage, and sets what a delete of each shown contact would
// take (Match.Linked), reading each contact again with it; a contact gone
// since the probes is left out. On PostgreSQL it is one statement
// (pageLinkedSQL).
func (s *Store) linkPage(ctx context.Context, matches []Match) ([]Match, error) {
	if len(matches) == 0 {
		return matches, nil
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.ID
	}
	var all []ContactLinked
	if s.dialect == Postgres {
		var rows []struct {
			linkedRow
			marksRow
		}
		if err := s.selectPrepared(ctx, s.db, &rows, pageLinkedSQL, append([]any{s.now()}, s.pageArrays(matches)...)...); err != nil {
			return nil, fmt.Errorf("load %d contacts found, their linked rows and duplicates: %w", len(matches), err)
		}
		marks := map[string]marksRow{}
		for _, r := range rows {
			cl, err := r.contactLinked()
			if err != nil {
				return nil, err
			}
			all = append(all, cl)
			marks[r.ID] = r.marksRow
		}
		all = inOrder(all, ids)
		out := make([]Match, 0, len(all))
		for i, cl := range all {
			m := matches[slices.IndexFunc(matches, func(m Match) bool { return m.ID == cl.Contact.ID })]
			m.Contact, m.Linked = cl.Contact, &all[i].Linked
			if err := marks[m.ID].mark(s, &m); err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	if err := s.markPage(ctx, matches); err != nil {
		return nil, err
	}
	all, err := s.linkedManyByKind(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Match, 0, len(all))
	for i, cl := range all {
		m := matches[slices.IndexFunc(matches, func(m Match) bool { return m.ID == cl.Contact.ID })]
		m.Contact, m.Linked = cl.Contact, &all[i].Linked
		out = append(out, m)
	}
	return out, nil
}

// pageMarks is markPage on PostgreSQL: pageMarksSQL, prepared.
func (s *Store) pageMarks(ctx context.Context, matches []Match) error {
	var rows []struct {
		Of string `db:"of"`
		marksRow
	}
	if err := s.selectPrepared(ctx, s.db, &rows, pageMarksSQL, s.pageArrays(matches)...); err != nil {
		return fmt.Errorf("find duplicates and opt-outs of %d contacts: %w", len(matches), err)
	}
	for _, r := range rows {
		if i := slices.IndexFunc(matches, func(m Match) bool { return m.ID == r.Of }); i >= 0 {
			if err := r.mark(s, &matches[i]); err != nil {
				return err
			}
		}
	}
	return nil
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

// getPrepared runs a one-row query prepared (see prepared).
func (s *Store) getPrepared(ctx context.Context, dest any, query string, args ...any) error {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return err
	}
	return st.GetContext(ctx, dest, args...)
}

// statement is one SQL statement with its arguments (? placeholders).
type statement struct {
	sql  string
	args []any
	// prepare: its plan does not depend on the arguments' values.
	prepare bool
}

// selectStatement runs st into dest: prepared, or planned for its
// arguments' values.
func (s *Store) selectStatement(ctx context.Context, dest any, st statement) error {
	if st.prepare {
		return s.selectPrepared(ctx, s.db, dest, st.sql, st.args...)
	}
	return s.db.SelectContext(ctx, dest, s.db.Rebind(st.sql), st.args...)
}

// searchProbe is one indexed query for matches of a search: a SELECT of
// contactColumns and exact, at most SearchShown+1 rows.
type searchProbe struct {
	statement
	// enough ends the search when this probe finds anything: an id is unique
	// and a query that is a contact's id is nobody's name.
	enough bool
	// fallback runs only when the probes before it found no more than
	// SearchShown contacts and a query word starts longer words.
	fallback bool
	// counted rows carry a column "total": how many contacts the probe's
	// set holds, up to SearchCounted, read in the same pass over the
	// postings as the rows; and "extends": whether a query word starts a
	// longer indexed word (searchPlan.extends), so that asking costs no
	// round trip of its own.
	counted bool
}

// searchPlan is how a query is answered: its kind, probes in order, and the
// count of every match (capped) for "N more" when no probe counts.
type searchPlan struct {
	kind    string
	probes  []searchProbe
	count   statement
	extends statement // names: does any query word start a longer indexed word?
	words   []string  // names: the folded query words
	// phoneKey: the national number a phone search compares.
	phoneKey string
}

// planSearch classifies q and plans its statements.
func (s *Store) planSearch(q string) searchPlan {
	capped := func(sub string) string {
		return `SELECT count(*) FROM (` + sub + ` LIMIT ` + fmt.Sprint(SearchCounted) + `) n`
	}
	probe := func(where string, exact bool, args ...any) searchProbe {
		return searchProbe{statement: statement{sql: `SELECT ` + contactColumns + `, ` + fmt.Sprint(exact) + ` AS exact FROM contacts c WHERE ` + where + ` LIMIT ` + fmt.Sprint(SearchShown+1), args: args, prepare: true}}
	}
	switch {
	case strings.Contains(q, "@"):
		where := "c.email IS NOT NULL AND lower(c.email) = lower(?)"
		return searchPlan{kind: KindEmail, probes: []searchProbe{probe(where, true, q)},
			count: statement{sql: capped(`SELECT 1 FROM contacts c WHERE ` + where), args: []any{q}, prepare: true}}
	case isPhoneQuery(q):
		key := s.PhoneKey(q)
		where, args := s.dialect.phoneCondition(key)
		return searchPlan{kind: KindPhone, probes: []searchProbe{probe(where, true, args...)}, phoneKey: key,
			count: statement{sql: capped(`SELECT 1 FROM contacts c WHERE ` + where), args: args, prepare: true}}
	}
	var plan searchPlan
	if looksLikeID(q) {
		plan.kind = KindID
		p := probe("c.id = ?", true, q)
		p.enough = true
		plan.probes = append(plan.probes, p)
	}
	words := queryWords(q)
	if len(words) > maxNameWords {
		words = words[:maxNameWords]
	}
	if len(words) == 0 {
		return plan
	}
	plan.kind, plan.words = KindName, words
	whole, wholeArgs := wholeWordSet(words)
	set, setArgs := s.dialect.nameSet(words)
	plan.extends = s.dialect.longerWords(words)
	// One statement, two probes side by side: a full name equal to the
	// query's words (any case or accent) is exact; then names with every
	// query word as a whole word, read from one posting list in id order
	// (a word's, or a pair of words') and stopping at the count's cap, the
	// first of them shown: one pass serves the probe and the count.
	exact := `SELECT ` + contactColumns + `, true AS exact, 0 AS total FROM contacts c WHERE contactbot_fold(c.first_name || ' ' || c.last_name) = contactbot_fold(?) LIMIT ` + fmt.Sprint(SearchShown+1)
	byWords := `SELECT ` + contactColumns + `, m.exact, m.total FROM (` + countedSet(whole) + `) m JOIN contacts c ON c.id = m.contact_id`
	plan.probes = append(plan.probes, searchProbe{counted: true, statement: statement{
		sql: `SELECT found.*, (` + plan.extends.sql + `) AS extends FROM (SELECT * FROM (` + exact + `) by_name UNION ALL SELECT * FROM (` + byWords + `) by_words) found`,
		// In the order of the text: the select list's extends first.
		args: append(append(append([]any{}, plan.extends.args...), strings.Join(words, " ")), wholeArgs...), prepare: true}})
	// The prefix probe is planned with the words' own statistics (not
	// prepared), and joins contacts only for the rows it returns: as
	// "c.id IN (…)" a rare pair of words made PostgreSQL walk the whole
	// primary key of contacts (0.9 s at a million).
	plan.probes = append(plan.probes, searchProbe{fallback: true, statement: statement{
		sql: `SELECT ` + contactColumns + `, false AS exact FROM (` + set + ` LIMIT ` + fmt.Sprint(SearchShown+1) + `) m JOIN contacts c ON c.id = m.contact_id`, args: setArgs}})
	return plan
}

// countedSet selects the first contacts of set (a SELECT of contact_id) as
// a probe does (contact_id, exact, total), each row with the set's size up
// to SearchCounted as "total": the set is read once, to the cap, for both.
func countedSet(set string) string {
	return `SELECT a.contact_id, false AS exact, count(*) OVER () AS total FROM (` +
		set + ` LIMIT ` + fmt.Sprint(SearchCounted) + `) a LIMIT ` + fmt.Sprint(SearchShown+1)
}

// wholeWordSet selects, in id order, the ids of contacts that have every
// word among their name words, from one posting list read in id order, so
// that it stops as soon as the rows it is limited to are found: the
// word's (contacts_name_words), or for two words or more the pair's
// (contacts_name_pairs), any further word checked by key for each contact.
// Walking two words' lists until they meet read every posting up to the
// last match instead: all 51,000 Annas for the 180 Anna Weiß at a million.
func wholeWordSet(words []string) (string, []any) {
	var distinct []string
	for _, w := range words {
		if !slices.Contains(distinct, w) {
			distinct = append(distinct, w)
		}
	}
	if len(distinct) == 1 {
		return "SELECT w.contact_id FROM contacts_name_words w WHERE w.word = ? ORDER BY w.contact_id", []any{distinct[0]}
	}
	sql := "SELECT p.contact_id FROM contacts_name_pairs p WHERE p.pair = ?"
	args := []any{namePair(distinct[0], distinct[1])}
	for i, w := range distinct[2:] {
		x := fmt.Sprintf("x%d", i)
		sql += " AND EXISTS (SELECT 1 FROM contacts_name_words " + x + " WHERE " + x + ".word = ? AND " + x + ".contact_id = p.contact_id)"
		args = append(args, w)
	}
	return sql + " ORDER BY p.contact_id", args
}

// markExactNames marks a match exact when the query's words, in order, spell
// its full name (folded or transliterated, apostrophes dropped): "obrien
// patrick" is O'Brien Patrick, "hans mueller" is Hans Müller.
func markExactNames(found []Match, words []string) {
	q := strings.Join(words, " ")
	// A page of a common name holds the same name many times: its keys
	// are worked out once.
	exact := map[[2]string]bool{}
	for i := range found {
		name := [2]string{found[i].FirstName, found[i].LastName}
		is, ok := exact[name]
		if !ok {
			is = slices.Contains(nameKeys(name[0], name[1]), q)
			exact[name] = is
		}
		found[i].Exact = found[i].Exact || is
	}
}

// markExactPhones keeps a phone match exact only when its national number is
// the query's: a suffix match of a short national number can also find a
// longer number of another country, which is shown after the exact ones.
func (s *Store) markExactPhones(found []Match, key string) {
	for i := range found {
		found[i].Exact = s.PhoneKey(found[i].Phone) == key
	}
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

// maxDuplicates is how many other contacts a match names as possible duplicates.
const maxDuplicates = 3

// duplicatesIn lists up to three other contacts that share c's email or
// phone number, on q, which may be a transaction.
func (s *Store) duplicatesIn(ctx context.Context, q sqlx.QueryerContext, c Contact) ([]ContactRef, error) {
	sql, args := s.duplicatesQuery(c)
	if sql == "" {
		return nil, nil
	}
	var rows []duplicateRow
	if err := s.selectPrepared(ctx, q, &rows, sql, args...); err != nil {
		return nil, fmt.Errorf("find duplicates of %s: %w", c.ID, err)
	}
	refs := make([]ContactRef, len(rows))
	for i, r := range rows {
		refs[i] = r.ref(s, c)
	}
	return refs, nil
}

// duplicateRow is a possible duplicate as the duplicate probes read it: with
// its email and phone, to say what it shares.
type duplicateRow struct {
	ContactRef
	Email *string `db:"email"`
	Phone *string `db:"phone"`
}

// ref is the row as a ContactRef of c's possible duplicate.
func (r duplicateRow) ref(s *Store, c Contact) ContactRef {
	ref := r.ContactRef
	ref.Shares = s.SharedData(c, Contact{Email: deref(r.Email), Phone: deref(r.Phone)})
	return ref
}

// duplicatesQuery is duplicatesIn's query, empty when c has neither an email
// nor a phone number to compare. It is one indexed probe per shared key,
// joined by UNION: an OR across both keys with ORDER BY id makes the planner
// walk the primary key instead (2.5 s at a million contacts).
func (s *Store) duplicatesQuery(c Contact) (string, []any) {
	probes, args := s.duplicateProbes(c, false)
	if len(probes) == 0 {
		return "", nil
	}
	return `SELECT d.id, d.first_name, d.last_name, d.email, d.phone FROM (` + strings.Join(probes, " UNION ") + `) d WHERE d.id <> ? ORDER BY d.id LIMIT ` + fmt.Sprint(maxDuplicates), append(args, c.ID)
}

// duplicateProbes are the indexed probes for contacts sharing c's email or
// phone number, each at most maxDuplicates+1 rows (c itself may be one);
// tagged adds c's id as column "of". With pad, both probes are there even
// when c lacks the key (a NULL argument matches nothing), so that the
// statement's text depends only on how many contacts it covers.
func (s *Store) duplicateProbes(c Contact, pad bool) ([]string, []any) {
	var probes []string
	var args []any
	cols := "c.id, c.first_name, c.last_name, c.email, c.phone"
	if pad {
		cols = "CAST(? AS text) AS of, " + cols
	}
	limit := fmt.Sprint(maxDuplicates + 1)
	if email := c.Email; email != "" || pad {
		probes = append(probes, "SELECT * FROM (SELECT "+cols+" FROM contacts c WHERE c.email IS NOT NULL AND lower(c.email) = lower(?) LIMIT "+limit+") e")
		if pad {
			args = append(args, c.ID)
		}
		args = append(args, nullIfEmpty(email))
	}
	key := s.duplicatePhoneKey(c.Phone)
	if key != "" || pad {
		cond, phoneArgs := s.dialect.phoneCondition(key)
		if key == "" {
			phoneArgs = []any{nil, nil}
		}
		probes = append(probes, "SELECT * FROM (SELECT "+cols+" FROM contacts c WHERE "+cond+" LIMIT "+limit+") p")
		if pad {
			args = append(args, c.ID)
		}
		args = append(args, phoneArgs...)
	}
	return probes, args
}

// duplicatePhoneKey is the national number (PhoneKey) that flags other
// contacts as possible duplicates of one with this phone: those whose phone
// digits end with it. Empty when it is too short to tell anyone apart.
func (s *Store) duplicatePhoneKey(phone string) string {
	key := s.PhoneKey(phone)
	if len(key) < minPhoneDigit {
		return ""
	}
	return key
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// duplicatesOfAll is duplicatesIn for the contacts a search shows on
// SQLite, in one statement: every contact's probes side by side (UNION
// ALL), tagged with whose they are. Its text depends only on len(cs), so it
// is prepared. (PostgreSQL reads them with the page: pageMarksColumns.)
func (s *Store) duplicatesOfAll(ctx context.Context, cs []Contact) (map[string][]ContactRef, error) {
	var probes []string
	var args []any
	for _, c := range cs {
		p, a := s.duplicateProbes(c, true)
		probes = append(probes, p...)
		args = append(args, a...)
	}
	if len(probes) == 0 {
		return nil, nil
	}
	var rows []struct {
		Of string `db:"of"`
		duplicateRow
	}
	if err := s.selectPrepared(ctx, s.db, &rows, `SELECT d.of, d.id, d.first_name, d.last_name, d.email, d.phone FROM (`+strings.Join(probes, " UNION ALL ")+`) d ORDER BY d.of, d.id`, args...); err != nil {
		return nil, fmt.Errorf("find duplicates of %d contacts: %w", len(cs), err)
	}
	byID := map[string]Contact{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	out := map[string][]ContactRef{}
	for _, r := range rows {
		refs := out[r.Of]
		if r.ID == r.Of || len(refs) >= maxDuplicates || (len(refs) > 0 && refs[len(refs)-1].ID == r.ID) {
			continue // itself, enough, or found by both email and phone
		}
		out[r.Of] = append(refs, r.ref(s, byID[r.Of]))
	}
	return out, nil
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
