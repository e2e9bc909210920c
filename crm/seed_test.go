package crm_test

import (
	"context"
	"testing"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

func TestSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := crmtest.NewStore(t)
	got, err := s.Seed(ctx, crm.SeedOptions{Contacts: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if got.Contacts != 1000 || got.Linked < 2000 {
		t.Errorf("seeded %+v", got)
	}
	if n := crmtest.CountRows(t, s, "contacts", "length(id) = 20"); n != 1000 {
		t.Errorf("%d contacts with 20-character ids", n)
	}
	// Seeded contacts are findable and flagged as duplicates where meant.
	r, err := s.Search(ctx, "contact49@example49.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Matches) != 2 || len(r.Matches[0].Duplicates) != 1 {
		t.Errorf("duplicate pair not found: %+v", r.Matches)
	}
	for _, table := range crmtest.CRMTables {
		if crmtest.CountRows(t, s, table, "") == 0 {
			t.Errorf("seed left %s empty", table)
		}
	}
	if _, err := s.Seed(ctx, crm.SeedOptions{Contacts: 0}); crm.ErrorCode(err) != crm.EINVALID {
		t.Errorf("zero contacts: %v", err)
	}
	// The SQL draws the names SeedName says, so benchmarks and the load
	// tool know how many contacts a query matches.
	var rows []struct {
		ID    string `db:"id"`
		First string `db:"first_name"`
		Last  string `db:"last_name"`
	}
	if err := s.DB().Select(&rows, `SELECT id, first_name, last_name FROM contacts ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for g, r := range rows {
		if first, last := crm.SeedName(g + 1); r.First != first || r.Last != last {
			t.Errorf("contact %s is %s %s, SeedName(%d) says %s %s", r.ID, r.First, r.Last, g+1, first, last)
		}
	}
}

// TestSeedNameDistribution checks the skew the benchmarks rely on: every
// name in use, the most common about 5% of contacts each (a common full name
// about 0.25%), the rarest still present at 0.2% or more.
func TestSeedNameDistribution(t *testing.T) {
	t.Parallel()
	const n = 200000
	firsts, lasts, fulls := map[string]int{}, map[string]int{}, map[string]int{}
	for g := 1; g <= n; g++ {
		f, l := crm.SeedName(g)
		firsts[f]++
		lasts[l]++
		fulls[f+" "+l]++
	}
	check := func(kind string, names []string, got map[string]int) {
		if len(got) != len(names) {
			t.Errorf("%s names in use: %d of %d", kind, len(got), len(names))
		}
		top, rarest := got[names[0]], got[names[len(names)-1]]
		if top < n*4/100 || top > n*6/100 {
			t.Errorf("most common %s name %s: %d of %d contacts, want about 5%%", kind, names[0], top, n)
		}
		if rarest < n*2/1000 {
			t.Errorf("rarest %s name %s: %d of %d contacts, want at least 0.2%%", kind, names[len(names)-1], rarest, n)
		}
		for i := 1; i < len(names); i++ {
			if got[names[i]] > got[names[i-1]]*11/10+50 {
				t.Errorf("%s names not most common first: %s %d, %s %d", kind, names[i-1], got[names[i-1]], names[i], got[names[i]])
			}
		}
	}
	check("first", crm.SeedFirstNames, firsts)
	check("last", crm.SeedLastNames, lasts)
	if top := fulls[crm.SeedFirstNames[0]+" "+crm.SeedLastNames[0]]; top < n*15/10000 || top > n*35/10000 {
		t.Errorf("most common full name: %d of %d contacts, want about 0.25%%", top, n)
	}
}
