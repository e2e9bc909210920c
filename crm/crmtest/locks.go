package crmtest

import (
	"context"
	"testing"
	"time"

	"contactbot/crm"
)

// HoldContact locks a contact's row in a transaction of its own until the
// returned release is called (or the test ends). Work that needs the row
// queues up behind it, so a test can make concurrent operations truly
// overlap instead of hoping the scheduler does.
func HoldContact(tb testing.TB, s *crm.Store, contactID string) (release func()) {
	tb.Helper()
	tx, err := s.DB().BeginTxx(context.Background(), nil)
	if err != nil {
		tb.Fatalf("begin: %v", err)
	}
	if _, err := tx.Exec(`SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE`, contactID); err != nil {
		tx.Rollback()
		tb.Fatalf("lock contact: %v", err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			if err := tx.Commit(); err != nil {
				tb.Errorf("release contact lock: %v", err)
			}
		}
	}
	tb.Cleanup(release)
	return release
}

// WaitLockWaiters waits until n sessions of the store's database wait for a
// lock, and fails the test if that does not happen within timeout.
func WaitLockWaiters(tb testing.TB, s *crm.Store, n int, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var waiting int
		if err := s.DB().Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			tb.Fatalf("count lock waiters: %v", err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d sessions wait for a lock after %v, want %d", waiting, timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
