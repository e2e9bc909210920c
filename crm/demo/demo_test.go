package demo_test

import (
	"context"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/crm/demo"
)

func TestSeed(t *testing.T) {
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		now := time.Now()
		seeded, err := demo.Seed(ctx, s, now)
		if err != nil || !seeded {
			t.Fatalf("Seed = %t, %v", seeded, err)
		}
		if n := crmtest.CountRows(t, s, "contacts", ""); n != demo.Count || n < 30 {
			t.Errorf("%d contacts, want %d (a few dozen)", n, demo.Count)
		}
		for _, table := range crmtest.CRMTables {
			if n := crmtest.CountRows(t, s, table, ""); n == 0 {
				t.Errorf("no demo rows in %s", table)
			}
		}

		t.Run("Once", func(t *testing.T) {
			before := crmtest.Dump(t, s)
			if again, err := demo.Seed(ctx, s, now); err != nil || again {
				t.Fatalf("second Seed = %t, %v; want false, nil", again, err)
			}
			if n := crmtest.CountRows(t, s, "contacts", ""); n != len(before["contacts"]) {
				t.Errorf("second seed changed contacts: %d", n)
			}
			// Even with every contact gone, a seeded database is not seeded again.
			if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: demo.ID("asdf"), Actor: "U1", Reason: "test_contact", RestoreWindow: time.Hour}); err != nil {
				t.Fatal(err)
			}
			if again, _ := demo.Seed(ctx, s, now); again {
				t.Error("seeded again after a delete")
			}
		})

		t.Run("Duplicates", func(t *testing.T) {
			r, err := s.Search(ctx, "jane doe")
			if err != nil || len(r.Matches) != 2 {
				t.Fatalf("jane doe: %+v, %v", r.Matches, err)
			}
			for _, m := range r.Matches {
				if len(m.Duplicates) != 1 {
					t.Errorf("%s (%s) duplicates = %+v, want the other Jane Doe", m.Name(), m.ID, m.Duplicates)
				}
			}
			r, err = s.Search(ctx, "sam.lee@example.com")
			if err != nil || len(r.Matches) != 2 {
				t.Errorf("sam.lee@example.com (two cases of one address): %+v, %v", r.Matches, err)
			}
		})

		t.Run("RiskyContacts", func(t *testing.T) {
			c, l, err := s.Linked(ctx, demo.ID("marco"))
			if err != nil {
				t.Fatal(err)
			}
			if l.OpenOpportunityCount != 2 || l.OpenValue != "13600.00" || l.UpcomingCount != 2 || l.ActiveWorkflowCount != 1 || len(l.Risky(c.DND)) != 2 {
				t.Errorf("Marco: %+v, risky %v", l, l.Risky(c.DND))
			}
			c, l, err = s.Linked(ctx, demo.ID("priya"))
			if err != nil || !c.DND || !l.HasDND() {
				t.Errorf("Priya has no DND: %+v %+v %v", c, l.DND, err)
			}
			if r, err := s.Search(ctx, "zoe angstrom"); err != nil || len(r.Matches) != 1 || r.Matches[0].ID != demo.ID("zoe") {
				t.Errorf("zoe angstrom: %+v, %v", r.Matches, err)
			}
		})
	})

	t.Run("NeverIntoRealData", func(t *testing.T) {
		s := crmtest.NewSQLiteStore(t)
		crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Real", LastName: "Customer"})
		if seeded, err := demo.Seed(context.Background(), s, time.Now()); err != nil || seeded {
			t.Fatalf("Seed into a CRM with contacts = %t, %v; want false, nil", seeded, err)
		}
		if n := crmtest.CountRows(t, s, "contacts", ""); n != 1 {
			t.Errorf("%d contacts, want only the real one", n)
		}
	})
}
