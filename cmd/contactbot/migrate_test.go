package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestMigrateStoresTheSuppressionKeyOnce: `contactbot migrate` with
// SUPPRESSION_KEY set stores the key the first time; a later migrate, or a
// start, with the same key writes nothing (the settings row keeps its row
// version); another key, once the suppression list has entries, stops
// migrate with the sentence that says which key to set.
func TestMigrateStoresTheSuppressionKeyOnce(t *testing.T) {
	ctx := context.Background()
	url := crmtest.NewDatabase(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("REDIS_URL", "")
	t.Setenv("SUPPRESSION_KEY", crmtest.SuppressionKey)
	if code, _, errOut := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	store, err := crm.Open(ctx, url, crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	stored := crmtest.SuppressionKeyRowVersion(t, store)
	if code, _, errOut := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("migrate again: exit %d: %s", code, errOut)
	}
	if err := store.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
		t.Fatalf("a start with the key migrate stored: %v", err)
	}
	if v := crmtest.SuppressionKeyRowVersion(t, store); v != stored {
		t.Errorf("the key was written again: xmin %s, was %s", v, stored)
	}

	id := crmtest.InsertFull(t, store, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"}, crmtest.SmallFull)
	if _, err := store.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "unsubscribe", RestoreWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SUPPRESSION_KEY", crm.NewSuppressionKey())
	code, _, errOut := runCLI(t, "migrate")
	if want := "suppression list: SUPPRESSION_KEY is not the key the 1 entry on the suppression list were made with: with another key they would no longer match anyone. Set the key this database was first run with."; code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("migrate with another key: exit %d: %s\nwant %s", code, errOut, want)
	}
	if v := crmtest.SuppressionKeyRowVersion(t, store); v != stored {
		t.Errorf("a refused key was written: xmin %s, was %s", v, stored)
	}
}
