package crm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// batchLinkedChunk is how many contacts' linked rows one statement loads
// for a preview: a fixed size (the last chunk is padded), so that the
// prepared statements do not multiply with the number of matches.
const batchLinkedChunk = 100

// PreviewBatch finds the contacts f matches, loads what each would take and
// why it is risky, and splits them into Deletes and Kept (risky, kept out
// unless o.IncludeRisky). A filter with no term, or one that matches every
// contact of a location, is refused (*Error EINVALID with an example). More
// than o.Limit matches is refused too ("narrow the filter"), with the
// preview's OverLimit set and Matched o.Limit+1: the contacts are read only
// up to there, through the filter terms' indexes, so a preview costs the
// same on a million contacts as on a thousand.
func (s *Store) PreviewBatch(ctx context.Context, f BatchFilter, o BatchOptions) (BatchPreview, error) {
	if o.Limit <= 0 {
		o.Limit = DefaultBulkLimit
	}
	p := BatchPreview{Filter: f, IncludeRisky: o.IncludeRisky, Limit: o.Limit}
	if f.IsZero() {
		return p, badFilter("Say which contacts to clean up: give at least one term.")
	}
	where, args := s.batchWhere(f)
	var matched []struct {
		ID         string    `db:"id"`
		LocationID string    `db:"location_id"`
		CreatedAt  time.Time `db:"created_at"`
	}
	// No ORDER BY: a sort would read every match; the set (at most Limit)
	// is sorted here.
	if err := sqlx.SelectContext(ctx, s.db, &matched, s.db.Rebind(`SELECT c.id, c.location_id, c.created_at FROM contacts c WHERE `+where+` LIMIT ?`),
		append(args, o.Limit+1)...); err != nil {
		return p, fmt.Errorf("match contacts of %s: %w", f, err)
	}
	p.Matched = len(matched)
	if p.Matched > o.Limit {
		p.OverLimit = true
		return p, Errorf(EINVALID, "More than %d contacts match %s, more than one batch may delete: narrow the filter%s.", o.Limit, f, narrower(f))
	}
	if p.Matched == 0 {
		p.Fingerprint = batchFingerprint(nil, o.IncludeRisky)
		return p, nil
	}
	// A filter that takes every contact of a location is no clean-up of
	// test contacts: refuse it, whichever terms it has.
	perLocation := map[string]int{}
	for _, m := range matched {
		perLocation[m.LocationID]++
	}
	locs := make([]string, 0, len(perLocation))
	for l := range perLocation {
		locs = append(locs, l)
	}
	sort.Strings(locs)
	for _, l := range locs {
		var n int
		if err := sqlx.GetContext(ctx, s.db, &n, s.db.Rebind(`SELECT count(*) FROM (SELECT 1 FROM contacts WHERE location_id = ? LIMIT ?) x`), l, perLocation[l]+1); err != nil {
			return p, fmt.Errorf("count contacts of location %s: %w", l, err)
		}
		if n == perLocation[l] {
			return p, badFilter("%s matches every contact of location %s, which is never a clean-up of test contacts: narrow the filter.", f, l)
		}
	}
	sort.Slice(matched, func(i, j int) bool {
		if !matched[i].CreatedAt.Equal(matched[j].CreatedAt) {
			return matched[i].CreatedAt.Before(matched[j].CreatedAt)
		}
		return matched[i].ID < matched[j].ID
	})
	ids := make([]string, len(matched))
	for i, m := range matched {
		ids[i] = m.ID
	}
	all, err := s.batchLinked(ctx, ids)
	if err != nil {
		return p, err
	}
	inbound, err := s.recentInbound(ctx, ids)
	if err != nil {
		return p, err
	}
	for _, cl := range all {
		b := BatchContact{Contact: cl.Contact, Linked: cl.Linked, Risks: batchRisks(cl.Contact, cl.Linked, inbound[cl.Contact.ID])}
		if len(b.Risks) > 0 && !o.IncludeRisky {
			p.Kept = append(p.Kept, b)
			continue
		}
		p.Deletes = append(p.Deletes, b)
		p.Totals = addCounts(p.Totals, b.Linked.Counts)
		if b.OptedOut() {
			p.OptedOut++
		}
	}
	p.Fingerprint = batchFingerprint(p.Deletes, o.IncludeRisky)
	return p, nil
}

// batchLinked is linkedMany in fixed-size chunks, in the order of ids.
func (s *Store) batchLinked(ctx context.Context, ids []string) ([]ContactLinked, error) {
	var out []ContactLinked
	for start := 0; start < len(ids); start += batchLinkedChunk {
		chunk := ids[start:min(start+batchLinkedChunk, len(ids))]
		padded := append([]string(nil), chunk...)
		for len(padded) < batchLinkedChunk && len(ids) > batchLinkedChunk {
			padded = append(padded, chunk[len(chunk)-1])
		}
		got, err := s.linkedMany(ctx, s.db, padded)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// recentInbound reports which of the contacts got an inbound message
// within RecentInboundWindow.
func (s *Store) recentInbound(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	since := s.now().UTC().Add(-RecentInboundWindow)
	for start := 0; start < len(ids); start += batchLinkedChunk {
		chunk := ids[start:min(start+batchLinkedChunk, len(ids))]
		var args []any
		for _, id := range chunk {
			args = append(args, id)
		}
		var got []string
		if err := sqlx.SelectContext(ctx, s.db, &got, s.db.Rebind(`SELECT DISTINCT v.contact_id FROM conversations v
			WHERE v.contact_id IN (`+marksFor(len(chunk))+`) AND EXISTS (
				SELECT 1 FROM messages m WHERE m.conversation_id = v.id AND m.direction = 'inbound' AND m.sent_at > ?)`),
			append(args, since)...); err != nil {
			return nil, fmt.Errorf("find recent inbound messages: %w", err)
		}
		for _, id := range got {
			out[id] = true
		}
	}
	return out, nil
}

// marksFor is n placeholders, comma-separated.
func marksFor(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// batchRisks says why a contact is not safe to delete in bulk.
func batchRisks(c Contact, l Linked, recentInbound bool) []BatchRisk {
	var r []BatchRisk
	if l.OpenOpportunityCount > 0 {
		r = append(r, RiskOpenOpportunity)
	}
	if l.UpcomingCount > 0 {
		r = append(r, RiskUpcomingAppointment)
	}
	if l.ActiveWorkflowCount > 0 {
		r = append(r, RiskActiveWorkflow)
	}
	if c.DND || l.HasDND() {
		r = append(r, RiskDND)
	}
	if recentInbound {
		r = append(r, RiskRecentInbound)
	}
	return r
}

func addCounts(a, b Counts) Counts {
	a.DNDSettings += b.DNDSettings
	a.Conversations += b.Conversations
	a.Messages += b.Messages
	a.Notes += b.Notes
	a.Opportunities += b.Opportunities
	a.Tasks += b.Tasks
	a.Appointments += b.Appointments
	a.WorkflowEnrollments += b.WorkflowEnrollments
	return a
}

// batchFingerprint condenses the contacts a batch would delete, each by its
// own fingerprint, and whether risky ones are in.
func batchFingerprint(deletes []BatchContact, includeRisky bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "risky=%t|", includeRisky)
	for _, b := range deletes {
		fmt.Fprintf(h, "%s=%s|", b.Contact.ID, b.Linked.Fingerprint)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// batchWhere is the WHERE clause (over contacts c) of a filter.
func (s *Store) batchWhere(f BatchFilter) (string, []any) {
	var conds []string
	var args []any
	if f.Email != "" {
		c, a := s.dialect.emailPatternWhere(f.Email)
		conds, args = append(conds, c), append(args, a...)
	}
	if f.Name != "" {
		conds = append(conds, `c.id IN (SELECT contact_id FROM contacts_name_words WHERE word = ?)`)
		args = append(args, f.Name)
	}
	if f.Source != "" {
		conds = append(conds, `c.source = ?`)
		args = append(args, f.Source)
	}
	if f.Location != "" {
		conds = append(conds, `c.location_id = ?`)
		args = append(args, f.Location)
	}
	if !f.CreatedFrom.IsZero() {
		conds = append(conds, `c.created_at >= ?`)
		args = append(args, f.CreatedFrom.UTC())
	}
	if !f.CreatedTo.IsZero() {
		conds = append(conds, `c.created_at < ?`)
		args = append(args, f.CreatedTo.UTC().AddDate(0, 0, 1))
	}
	return strings.Join(conds, " AND "), args
}

// emailPatternWhere matches lower(c.email) against an address or a pattern
// with '*', through an index: equality on contacts_email_lower; a fixed
// start by LIKE on contacts_email_pattern (PostgreSQL) or a range on
// contacts_email_lower (SQLite); a fixed end by the reversed address on
// contacts_email_reversed (PostgreSQL).
func (d Dialect) emailPatternWhere(p string) (string, []any) {
	if !strings.Contains(p, "*") {
		return `c.email IS NOT NULL AND lower(c.email) = ?`, []any{p}
	}
	prefix, _, _ := strings.Cut(p, "*")
	if d == Postgres && prefix == "" && !strings.HasSuffix(p, "*") {
		return `c.email IS NOT NULL AND reverse(lower(c.email)) LIKE ? ESCAPE '\'`, []any{likePattern(reverseRunes(p))}
	}
	cond, args := `c.email IS NOT NULL AND lower(c.email) LIKE ? ESCAPE '\'`, []any{likePattern(p)}
	if d == SQLite && prefix != "" {
		cond += ` AND lower(c.email) >= ? AND lower(c.email) < ?`
		args = append(args, prefix, prefixEnd(prefix))
	}
	return cond, args
}

// likePattern turns a '*' pattern into LIKE's, its % and _ taken literally.
func likePattern(p string) string {
	return strings.ReplaceAll(likeEscape(p), "*", "%")
}

func reverseRunes(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// narrower suggests a term the filter lacks, as an example that parses.
func narrower(f BatchFilter) string {
	n := f
	switch {
	case f.CreatedFrom.IsZero() && f.CreatedTo.IsZero():
		n.CreatedFrom, n.CreatedTo = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	case f.Source == "":
		n.Source = "import-2026-11-28"
	case f.Name == "":
		n.Name = "test"
	default:
		return " (a more precise email: pattern, or fewer created: days)"
	}
	return ", e.g. `/contact cleanup " + n.String() + "`"
}

// confirmedPreview previews the batch and checks it is the one a person
// confirmed: the same contacts (*BatchChanged, with the new preview), as
// many as they typed (ErrBatchCount), and not none (ErrBatchEmpty).
func (s *Store) confirmedPreview(ctx context.Context, f BatchFilter, o BatchOptions, fingerprint string, count int) (BatchPreview, error) {
	p, err := s.PreviewBatch(ctx, f, o)
	switch {
	case err != nil:
		return p, err
	case p.Fingerprint != fingerprint:
		return p, &BatchChanged{Preview: p}
	case p.Count() != count:
		return p, ErrBatchCount
	case p.Count() == 0:
		return p, ErrBatchEmpty
	}
	return p, nil
}
