package crm_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestSearchGate holds every search at the database (contacts locked by
// another transaction) and checks that only crm.SearchConcurrency of them
// reach it, the rest waiting their turn in the process; that a search whose
// context ends while it waits says so and never reaches the database; and
// that every waiting search gets its right answer once the lock goes.
func TestSearchGate(t *testing.T) {
	t.Parallel()
	s := crmtest.NewStore(t)
	ctx := context.Background()
	crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Gate", LastName: "Keeper", Email: "gate@example.com"})
	// Once first, so that its statements are prepared (the store prepares
	// a statement once, under a lock of its own).
	if _, err := s.Search(ctx, "gate@example.com"); err != nil {
		t.Fatal(err)
	}

	// Another session locks contacts: every search's first statement waits.
	lock, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(ctx, `LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var lockPID int
	if err := lock.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&lockPID); err != nil {
		t.Fatal(err)
	}

	const searches = crm.SearchConcurrency + 6
	var wg sync.WaitGroup
	results := make([]crm.SearchResult, searches)
	errs := make([]error, searches)
	for i := range searches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.Search(ctx, "gate@example.com")
		}()
	}
	// Watched through the store's pool, which has connections to spare
	// beyond the gate's.
	watch := s.DB()
	atTheLock := func() int {
		var n int
		if err := watch.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`, lockPID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for atTheLock() != crm.SearchConcurrency || s.SearchesWaiting() != searches-crm.SearchConcurrency {
		if time.Now().After(deadline) {
			t.Fatalf("searches at the database: %d, waiting in the process: %d; want %d and %d", atTheLock(), s.SearchesWaiting(), crm.SearchConcurrency, searches-crm.SearchConcurrency)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A search whose request gives up while waiting is told why.
	late, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := s.Search(late, "gate@example.com")
		gaveUp <- err
	}()
	for s.SearchesWaiting() != searches-crm.SearchConcurrency+1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("a search cancelled while waiting for a turn returned %v, want context.Canceled", err)
	}
	if n := atTheLock(); n != crm.SearchConcurrency {
		t.Errorf("%d searches at the database after one gave up waiting, want %d", n, crm.SearchConcurrency)
	}

	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i := range searches {
		if errs[i] != nil || len(results[i].Matches) != 1 || results[i].Matches[0].Email != "gate@example.com" {
			t.Errorf("search %d after the lock: %+v, %v; want the one contact", i, results[i].Matches, errs[i])
		}
	}
	if n := s.SearchesWaiting(); n != 0 {
		t.Errorf("%d searches still waiting, want 0", n)
	}
}
