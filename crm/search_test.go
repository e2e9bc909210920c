package crm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

func TestSearch(t *testing.T) {
	crmtest.ForEachDialect(t, testSearch)
}

func testSearch(t *testing.T, s *crm.Store) {
	ctx := context.Background()
	jane := crmtest.InsertContact(t, s, crmtest.Contact{ID: "seD4PfOuKoVMLkEZqohJ", FirstName: "Jane", LastName: "Doe", Email: "Jane@Example.com", Phone: "+1 (555) 010-2233"})
	janeDup := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe-Smith", Email: "jane.other@example.com", Phone: "555.010.2233"})
	zoe := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Zoë", LastName: "Ångström", Email: "zoe@example.com"})
	crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "O'Brien", LastName: "Patrick", Phone: "+44 20 7946 0018"})

	ids := func(r crm.SearchResult) []string {
		var out []string
		for _, m := range r.Matches {
			out = append(out, m.ID)
		}
		return out
	}
	find := func(t *testing.T, q string) crm.SearchResult {
		t.Helper()
		r, err := s.Search(ctx, q)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		return r
	}

	t.Run("EmailAnyCase", func(t *testing.T) {
		for _, q := range []string{"jane@example.com", "JANE@EXAMPLE.COM", "  Jane@Example.com "} {
			r := find(t, q)
			if got := ids(r); len(got) != 1 || got[0] != jane || r.Kind != crm.KindEmail || !r.Matches[0].Exact {
				t.Errorf("Search(%q) = %v kind %s, want only %s by email", q, got, r.Kind, jane)
			}
		}
	})
	t.Run("PhoneThreeFormats", func(t *testing.T) {
		for _, q := range []string{"555 010 2233", "5550102233", "+1-555-010-2233", "(555) 010-2233"} {
			r := find(t, q)
			got := ids(r)
			if len(got) != 2 || r.Kind != crm.KindPhone {
				t.Errorf("Search(%q) = %v kind %s, want both contacts with those digits", q, got, r.Kind)
			}
		}
	})
	t.Run("NameWords", func(t *testing.T) {
		r := find(t, "jane doe")
		if got := ids(r); len(got) != 2 || got[0] != jane || !r.Matches[0].Exact || r.Matches[1].Exact {
			t.Errorf("Search(jane doe) = %v, want exact %s first then %s", got, jane, janeDup)
		}
		if got := ids(find(t, "doe jan")); len(got) != 2 {
			t.Errorf("word order and prefixes: got %v", got)
		}
		if got := ids(find(t, "smith")); len(got) != 1 || got[0] != janeDup {
			t.Errorf("hyphenated last name: got %v", got)
		}
		if got := ids(find(t, "jane patrick")); len(got) != 0 {
			t.Errorf("every word must match: got %v", got)
		}
	})
	t.Run("NameIgnoresAccentsAndCase", func(t *testing.T) {
		for _, q := range []string{"zoe angstrom", "ZOË ÅNGSTRÖM", "Zoe"} {
			if got := ids(find(t, q)); len(got) != 1 || got[0] != zoe {
				t.Errorf("Search(%q) = %v, want %s", q, got, zoe)
			}
		}
		if got := find(t, "o'brien"); len(got.Matches) != 1 {
			t.Errorf("apostrophe name: got %v", ids(got))
		}
	})
	t.Run("ID", func(t *testing.T) {
		r := find(t, "seD4PfOuKoVMLkEZqohJ")
		if got := ids(r); len(got) != 1 || got[0] != jane || !r.Matches[0].Exact {
			t.Errorf("by id: got %v", got)
		}
		if got := ids(find(t, "seD4PfOuKoVMLkEZqohX")); len(got) != 0 {
			t.Errorf("unknown id: got %v", got)
		}
	})
	t.Run("DuplicatesFlagged", func(t *testing.T) {
		r := find(t, "jane@example.com")
		if d := r.Matches[0].Duplicates; len(d) != 1 || d[0].ID != janeDup {
			t.Errorf("duplicates of Jane = %+v, want %s (same phone digits)", d, janeDup)
		}
		if d := find(t, "zoe@example.com").Matches[0].Duplicates; len(d) != 0 {
			t.Errorf("Zoë has no duplicates, got %+v", d)
		}
	})
	t.Run("SQLMetacharactersFindNothingAndChangeNothing", func(t *testing.T) {
		before := crmtest.Dump(t, s)
		for _, q := range []string{"'; DROP TABLE contacts; --", "%", "_", "%@%", "a%b_c", `\`, "!!", "' OR '1'='1"} {
			r, err := s.Search(ctx, q)
			if err != nil && crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("Search(%q): unexpected error %v", q, err)
			}
			if len(r.Matches) != 0 {
				t.Errorf("Search(%q) found %v", q, ids(r))
			}
		}
		if got := ids(find(t, "jane:* | doe")); len(got) != 2 {
			t.Errorf("tsquery syntax is read as plain words: got %v", got)
		}
		if after := crmtest.Dump(t, s); len(after["contacts"]) != len(before["contacts"]) {
			t.Errorf("contacts changed: %d before, %d after", len(before["contacts"]), len(after["contacts"]))
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, q := range []string{"", "   ", strings.Repeat("a", 10000), "bad\x00byte"} {
			_, err := s.Search(ctx, q)
			var e *crm.Error
			if !errors.As(err, &e) || e.Code != crm.EINVALID || e.Message == "" {
				t.Errorf("Search(%.20q) error = %v, want EINVALID with a message", q, err)
			}
		}
	})
	t.Run("TooManyShowsCount", func(t *testing.T) {
		for i := 0; i < 14; i++ {
			crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Test", LastName: "Person"})
		}
		r := find(t, "test person")
		if len(r.Matches) != crm.SearchShown || r.Total != 14 || r.More() != 4 {
			t.Errorf("got %d shown, total %d, more %d; want 10, 14, 4", len(r.Matches), r.Total, r.More())
		}
	})
}

func TestSearchUsesIndexes(t *testing.T) {
	s := crmtest.NewStore(t)
	// With sequential scans priced out, the planner still picks one when no
	// index fits; so a plan without "Seq Scan" proves an index serves the query.
	crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "5550102233"})
	if _, err := s.DB().Exec(`ANALYZE contacts`); err != nil {
		t.Fatal(err)
	}
	// The real statements Search runs: its probes and its count.
	type probe struct {
		name, sql string
		args      []any
	}
	var probes []probe
	for _, q := range []string{"jane@example.com", "555 010 2233", "jane doe", "jan", "seD4PfOuKoVMLkEZqohJ"} {
		ps, count, countArgs := s.SearchProbes(q)
		for _, p := range ps {
			probes = append(probes, probe{q, `SELECT * FROM contacts c WHERE ` + p.Where, p.Args})
		}
		probes = append(probes, probe{q + " (count)", count, countArgs})
	}
	for _, q := range probes {
		tx := s.DB().MustBegin()
		tx.MustExec(`SET LOCAL enable_seqscan = off`)
		var plan []string
		if err := tx.Select(&plan, tx.Rebind(`EXPLAIN `+q.sql), q.args...); err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		joined := strings.Join(plan, "\n")
		if strings.Contains(joined, "Seq Scan") {
			t.Errorf("%s search scans contacts:\n%s", q.name, joined)
		}
	}
}
