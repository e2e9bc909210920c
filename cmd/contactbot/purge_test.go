package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

func TestPurgeCommand(t *testing.T) {
	t.Run("postgres", func(t *testing.T) { testPurgeCommand(t, crmtest.NewDatabase(t)) })
	t.Run("sqlite", func(t *testing.T) { testPurgeCommand(t, "sqlite://"+filepath.Join(t.TempDir(), DatabaseFile)) })
}

func testPurgeCommand(t *testing.T, url string) {
	ctx := context.Background()
	store := crmtest.NewStoreAt(t, url)
	expired := crmtest.InsertFull(t, store, crmtest.Contact{FirstName: "Old"}, crmtest.SmallFull)
	young := crmtest.InsertFull(t, store, crmtest.Contact{FirstName: "Young"}, crmtest.SmallFull)
	// A window of a nanosecond has passed by the time purge runs.
	for id, window := range map[string]time.Duration{expired: time.Nanosecond, young: time.Hour} {
		if _, err := store.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: window}); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DATABASE_URL", url)
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"purge"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("purge exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "purged 1 deletion") {
		t.Errorf("purge said %q", out.String())
	}
	if n := crmtest.CountRows(t, store, "archived_rows", ""); n != 23 {
		t.Errorf("%d archived rows left, want the young deletion's 23", n)
	}
	if n := crmtest.CountRows(t, store, "deletions", "purged_at IS NOT NULL AND contact_label = ''"); n != 1 {
		t.Errorf("%d deletions purged and blanked, want 1", n)
	}
}

// TestJobsPurgeAtOnceAndStop: serve's periodic purge runs when it starts
// (a job never run is due), and stopping waits for the run loop to end.
func TestJobsPurgeAtOnceAndStop(t *testing.T) {
	ctx := context.Background()
	store := crmtest.NewStore(t)
	id := crmtest.InsertFull(t, store, crmtest.Contact{FirstName: "Old"}, crmtest.SmallFull)
	if _, err := store.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Nanosecond}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	stop := startJobs(ctx, store, []outbox.Job{purgeJob(store, log)}, log)
	deadline := time.Now().Add(10 * time.Second)
	for crmtest.CountRows(t, store, "deletions", "purged_at IS NOT NULL") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the periodic purge did not run at start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop() // returns only once the loop has ended
}
