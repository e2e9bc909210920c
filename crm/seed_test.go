package crm_test

import (
	"context"
	"testing"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

func TestSeed(t *testing.T) {
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
}
