package crm_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// runtimeGrants is docs/operations.md's SQL that gives serve's own database role
// what it needs, for role.
func runtimeGrants(t *testing.T, role string) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	const start = "```sql\n-- contactbot runtime role"
	_, block, ok := strings.Cut(string(doc), start)
	if !ok {
		t.Fatalf("docs/operations.md has no block starting %q", start)
	}
	block, _, _ = strings.Cut(block, "```")
	return strings.ReplaceAll("-- contactbot runtime role"+block, "contactbot_runtime", role)
}

// newRuntimeRole creates a login role with docs/operations.md's grants on the
// database at dbURL, and returns that URL for the role; the role is dropped
// after the test.
func newRuntimeRole(t *testing.T, dbURL string) string {
	t.Helper()
	role := strings.ToLower(crm.NewID("contactbot_rt_", 10))
	owner, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	if _, err := owner.Exec(`CREATE ROLE ` + role + ` LOGIN`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Its grants first: a role that holds rights cannot be dropped.
		if _, err := owner.Exec(`DROP OWNED BY ` + role); err != nil {
			t.Logf("drop the rights of %s: %v", role, err)
		}
		if _, err := owner.Exec(`DROP ROLE ` + role); err != nil {
			t.Logf("drop role %s: %v", role, err)
		}
	})
	if _, err := owner.Exec(runtimeGrants(t, role)); err != nil {
		t.Fatalf("docs/operations.md's grants: %v", err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}

// openStore opens a store on dbURL, closed after the test.
func openStore(t *testing.T, dbURL string) *crm.Store {
	t.Helper()
	s, err := crm.Open(context.Background(), dbURL, crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSuppressionKeyOutOfTheRuntimeRolesReach: serve run as a role of its
// own (docs/operations.md's grants) cannot read the suppression key, yet deletes a
// contact with DND onto the list, finds it there, and a contact created
// again with its email gets the DND back through the trigger. A start with
// the key already stored writes nothing (the settings row is the same row
// version); a start with another key is refused.
func TestSuppressionKeyOutOfTheRuntimeRolesReach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := crmtest.NewDatabase(t)
	owner := openStore(t, dbURL)
	if err := owner.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := owner.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
		t.Fatal(err)
	}
	stored := crmtest.SuppressionKeyRowVersion(t, owner)

	t.Run("TheOwnersRestartWritesNothing", func(t *testing.T) {
		if err := owner.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
			t.Fatal(err)
		}
		if v := crmtest.SuppressionKeyRowVersion(t, owner); v != stored {
			t.Errorf("the settings row was written again: xmin %s, was %s", v, stored)
		}
	})

	runtime := openStore(t, newRuntimeRole(t, dbURL))
	// serve migrates at start: with nothing to apply it needs no owner's right.
	if err := runtime.Migrate(ctx, nil); err != nil {
		t.Fatalf("serve's migrate as the runtime role: %v", err)
	}
	if err := runtime.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
		t.Fatalf("serve's start as the runtime role: %v", err)
	}
	if v := crmtest.SuppressionKeyRowVersion(t, owner); v != stored {
		t.Errorf("the runtime role's start wrote the settings row: xmin %s, was %s", v, stored)
	}

	t.Run("CannotReadTheKey", func(t *testing.T) {
		for _, q := range []string{`SELECT value FROM contactbot_settings`, `SELECT count(*) FROM contactbot_settings`} {
			if _, err := runtime.DB().Exec(q); err == nil || !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s as the runtime role: %v, want permission denied", q, err)
			}
		}
		if _, err := runtime.DB().Exec(`UPDATE contactbot_settings SET value = 'ab' WHERE name = 'suppression_key'`); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("changing the key as the runtime role: %v, want permission denied", err)
		}
	})

	var deleted crm.Deletion
	t.Run("DeletesOntoTheListAndFindsIt", func(t *testing.T) {
		id := crmtest.InsertFull(t, owner, crmtest.Contact{FirstName: "Jane", Email: "jane@example.com"}, crmtest.SmallFull)
		res, err := runtime.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "unsubscribe", RestoreWindow: time.Hour})
		if err != nil {
			t.Fatalf("delete of a contact with DND as the runtime role: %v", err)
		}
		deleted = res.Deletion
		if len(res.Suppressed) == 0 {
			t.Fatal("nothing was put on the suppression list")
		}
		_, found, err := runtime.FindSuppressions(ctx, " Jane@Example.com ")
		if err != nil || len(found) != 1 || found[0].DeletionID != deleted.ID {
			t.Errorf("look-up as the runtime role: %v %v", found, err)
		}
	})

	t.Run("TheTriggerReappliesForTheRuntimeRole", func(t *testing.T) {
		runtime.DB().MustExec(`INSERT INTO contacts (id, location_id, first_name, last_name, email, created_at, updated_at)
			VALUES ('again_as_runtime_01', 'loc_main', 'Jane', 'Again', 'JANE@example.com', $1, $1)`, crmtest.ContactCreatedAt)
		var got []string
		if err := owner.DB().Select(&got, `SELECT channel || ':' || status FROM dnd_settings WHERE contact_id = 'again_as_runtime_01' ORDER BY channel`); err != nil {
			t.Fatal(err)
		}
		if want := []string{"email:permanent", "sms:active"}; !cmp.Equal(got, want) {
			t.Errorf("DND re-applied to a contact the runtime role created: %v, want %v", got, want)
		}
	})

	t.Run("AnotherKeyIsRefused", func(t *testing.T) {
		err := runtime.SetSuppressionKey(ctx, crm.NewSuppressionKey())
		if crm.ErrorCode(err) != crm.EINVALID || crm.ErrorMessage(err) != "SUPPRESSION_KEY is not the key the 1 entry on the suppression list were made with: with another key they would no longer match anyone. Set the key this database was first run with." {
			t.Errorf("another key: %v", err)
		}
		if v := crmtest.SuppressionKeyRowVersion(t, owner); v != stored {
			t.Errorf("a refused key wrote the settings row: xmin %s, was %s", v, stored)
		}
	})
}

// TestSuppressionKeyFirstSetByTheOwner: on a database whose key was never
// set, the runtime role cannot set it and says who can; the owner sets it
// once.
func TestSuppressionKeyFirstSetByTheOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := crmtest.NewDatabase(t)
	owner := openStore(t, dbURL)
	if err := owner.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	runtime := openStore(t, newRuntimeRole(t, dbURL))
	err := runtime.SetSuppressionKey(ctx, crmtest.SuppressionKey)
	if want := "SUPPRESSION_KEY is not stored in the database yet, and this database role may not store it. Run `contactbot migrate` once with SUPPRESSION_KEY set, as the role that owns the schema (see Security in docs/operations.md)."; crm.ErrorMessage(err) != want {
		t.Errorf("the runtime role's first start: %v\nwant %s", err, want)
	}
	if err := owner.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
		t.Fatalf("the owner's first start: %v", err)
	}
	if err := runtime.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
		t.Errorf("the runtime role's start once the key is stored: %v", err)
	}
}
