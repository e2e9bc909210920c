package crm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/internal/testsvc"
)

func TestMarkSeen(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		s.SetClock(clock.Now)
		seen := func(key string) bool {
			t.Helper()
			fresh, err := s.MarkSeen(ctx, key, time.Minute)
			if err != nil {
				t.Fatalf("MarkSeen(%q): %v", key, err)
			}
			return fresh
		}
		if !seen("replay:v0=abc") {
			t.Errorf("first sighting not fresh")
		}
		if seen("replay:v0=abc") {
			t.Errorf("second sighting within the ttl counted as fresh")
		}
		if !seen("replay:v0=other") {
			t.Errorf("another key not fresh")
		}
		clock.Advance(time.Minute)
		if !seen("replay:v0=abc") {
			t.Errorf("sighting after the ttl not fresh")
		}
		if seen("replay:v0=abc") {
			t.Errorf("renewed key fresh again")
		}
	})
}

func TestDirectDeletesSince(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		s.SetClock(clock.Now)
		del := func(actor, approvedBy string) {
			t.Helper()
			id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Del", LastName: actor})
			_, l, err := s.Linked(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: actor, ApprovedBy: approvedBy, Reason: "test_contact",
				ExpectFingerprint: l.Fingerprint, RestoreWindow: time.Hour}); err != nil {
				t.Fatal(err)
			}
		}
		del("UDEL", "") // 12:00, counted until 13:00
		clock.Advance(30 * time.Minute)
		del("UDEL", "")       // 12:30
		del("UDEL", "UADMIN") // approved: not direct
		del("UOTHER", "")     // someone else
		count := func() int {
			t.Helper()
			n, err := s.DirectDeletesSince(ctx, "UDEL", clock.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 2 {
			t.Errorf("at 12:30: %d direct deletes, want 2", n)
		}
		clock.Advance(31 * time.Minute)
		if n := count(); n != 1 {
			t.Errorf("at 13:01: %d direct deletes, want 1 (the 12:00 one is more than an hour ago)", n)
		}
	})
}

// TestDatabaseDown stops a private PostgreSQL under an open store: calls fail
// with the "not answering" sentence (code EUNAVAILABLE, not EINTERNAL), and
// the same store works again once the server is back, without reopening.
func TestDatabaseDown(t *testing.T) {
	pg := testsvc.StartPostgres(t)
	ctx := context.Background()
	s, err := crm.Open(ctx, pg.URL(), crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	if _, _, err := s.Linked(ctx, id); err != nil {
		t.Fatal(err)
	}

	pg.Stop(t)
	for _, call := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"Linked", func(ctx context.Context) error { _, _, err := s.Linked(ctx, id); return err }},
		{"Search", func(ctx context.Context) error { _, err := s.Search(ctx, "jane@example.com"); return err }},
		{"MarkSeen", func(ctx context.Context) error { _, err := s.MarkSeen(ctx, "k", time.Minute); return err }},
		{"Ping", s.Ping},
	} {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		start := time.Now()
		err := call.run(cctx)
		cancel()
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s with the database down took %s", call.name, took)
		}
		if call.name == "Ping" {
			if err == nil {
				t.Errorf("Ping succeeded with the database down")
			}
			continue
		}
		if crm.ErrorCode(err) != crm.EUNAVAILABLE || crm.ErrorMessage(err) != crm.ErrDatabaseDown.Message {
			t.Errorf("%s with the database down: code %q, message %q (err %v)", call.name, crm.ErrorCode(err), crm.ErrorMessage(err), err)
		}
	}

	pg.Start(t)
	var lastErr error
	for range 50 { // the pool drops its dead connections as it meets them
		if _, _, lastErr = s.Linked(ctx, id); lastErr == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if lastErr != nil {
		t.Fatalf("Linked after the restart: %v", lastErr)
	}
	if res, err := s.Search(ctx, "jane@example.com"); err != nil || len(res.Matches) != 1 {
		t.Errorf("Search after the restart (prepared statements re-prepared): %+v, %v", res, err)
	}
}

// TestDeadlineOnLockedRow: a change that waits on a row another session
// holds (on SQLite: the write lock) gives up at the caller's deadline,
// promptly, with the "did not answer in time" sentence, and changes nothing.
func TestDeadlineOnLockedRow(t *testing.T) {
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Jane", LastName: "Doe"})
		tx, err := s.DB().Beginx()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec(tx.Rebind(`SELECT id FROM contacts WHERE id = ?`+s.Dialect().ForUpdate()), id); err != nil {
			t.Fatal(err)
		}
		dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = s.SetDND(dctx, crm.DNDRequest{ContactID: id, Actor: "UADMIN", Channels: crm.DNDChannels})
		took := time.Since(start)
		if err == nil {
			t.Fatalf("SetDND went through a held lock")
		}
		if took > time.Second {
			t.Errorf("SetDND returned %s after a 300ms deadline", took)
		}
		if crm.ErrorCode(err) != crm.EUNAVAILABLE || !strings.Contains(crm.ErrorMessage(err), "did not answer in time") {
			t.Errorf("code %q, message %q (err %v)", crm.ErrorCode(err), crm.ErrorMessage(err), err)
		}
		tx.Rollback()
		if n := crmtest.CountRows(t, s, "dnd_settings", "contact_id = $1", id); n != 0 {
			t.Errorf("%d DND rows written by the timed-out change", n)
		}
	})
}

// TestLockWaitGivesUp: a delete, merge, erasure or restore whose contact
// (or deletion) another session holds gives up after LockWait with
// ErrLockTimeout, however it started (directly or through an approval),
// and changes nothing (PostgreSQL: SQLite's writers wait for its busy
// timeout instead).
func TestLockWaitGivesUp(t *testing.T) {
	s := crmtest.NewStore(t)
	s.SetLockWait(200 * time.Millisecond)
	ctx := context.Background()
	request := func(t *testing.T, id string, kind crm.Kind, into string) string {
		t.Helper()
		_, l, err := s.Linked(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		fp := l.Fingerprint
		if kind == crm.KindMerge {
			_, lo, _ := s.Linked(ctx, into)
			fp = crm.MergeFingerprint(l.Fingerprint, lo.Fingerprint)
		}
		a, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "USUP", Reason: "duplicate", Kind: kind, MergeInto: into, Fingerprint: fp, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	approve := func(ctx context.Context, id string) error {
		_, err := s.Approve(ctx, crm.Decision{RequestID: id, Admin: "UADMIN", RestoreWindow: time.Hour, Confirmed: true})
		return err
	}
	for _, c := range []struct {
		name string
		run  func(t *testing.T) (held string, do func(context.Context) error)
	}{
		{"Delete", func(t *testing.T) (string, func(context.Context) error) {
			id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Del"})
			return id, func(ctx context.Context) error {
				_, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "duplicate", RestoreWindow: time.Hour})
				return err
			}
		}},
		{"Merge", func(t *testing.T) (string, func(context.Context) error) {
			orig, dup := mergePair(t, s)
			return dup, func(ctx context.Context) error {
				_, err := s.Merge(ctx, crm.MergeRequest{DuplicateID: dup, OriginalID: orig, Actor: "UDEL", Reason: "duplicate", RestoreWindow: time.Hour})
				return err
			}
		}},
		{"ApprovedDelete", func(t *testing.T) (string, func(context.Context) error) {
			id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Approved"})
			r := request(t, id, crm.KindDelete, "")
			return id, func(ctx context.Context) error { return approve(ctx, r) }
		}},
		{"ApprovedMerge", func(t *testing.T) (string, func(context.Context) error) {
			orig, dup := mergePair(t, s)
			r := request(t, dup, crm.KindMerge, orig)
			return dup, func(ctx context.Context) error { return approve(ctx, r) }
		}},
		{"ApprovedErasure", func(t *testing.T) (string, func(context.Context) error) {
			id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Erased", Email: "erased@example.com"})
			r := request(t, id, crm.KindErasure, "")
			firstApproval(t, s, r)
			return id, func(ctx context.Context) error { return approve(ctx, r) }
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			held, do := c.run(t)
			crmtest.HoldContact(t, s, held)
			// A wait that is not bounded ends at this deadline instead.
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			start := time.Now()
			err := do(dctx)
			if !errors.Is(err, crm.ErrLockTimeout) {
				t.Errorf("with the contact held: %v, want ErrLockTimeout", err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("gave up after %s, want about the lock wait", took)
			}
			if n := crmtest.CountRows(t, s, "contacts", "id = $1", held); n != 1 {
				t.Error("the contact is gone")
			}
		})
	}
	t.Run("Restore", func(t *testing.T) {
		d := deleteContact(t, s, crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Restored"}))
		tx := s.DB().MustBegin()
		defer tx.Rollback()
		tx.MustExec(`SELECT id FROM deletions WHERE id = $1 FOR UPDATE`, d.ID)
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := s.Restore(dctx, d.ID, "UADMIN"); !errors.Is(err, crm.ErrLockTimeout) {
			t.Errorf("with the deletion held: %v, want ErrLockTimeout", err)
		}
		if n := crmtest.CountRows(t, s, "deletions", "id = $1 AND restored_at IS NULL", d.ID); n != 1 {
			t.Error("the deletion was restored")
		}
	})
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		code string
	}{
		{nil, ""},
		{errors.New("boom"), crm.EINTERNAL},
		{context.DeadlineExceeded, crm.EUNAVAILABLE},
		{crm.ErrContactGone, crm.ENOTFOUND},
		{sqlState("57014"), crm.EUNAVAILABLE},
		{sqlState("08006"), crm.EUNAVAILABLE},
		{sqlState("57P01"), crm.EUNAVAILABLE},
		{sqlState("22021"), crm.EINVALID},
		{sqlState("23505"), crm.EINTERNAL},
	}
	for _, c := range cases {
		if got := crm.ErrorCode(c.err); got != c.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", c.err, got, c.code)
		}
	}
}

type sqlState string

func (s sqlState) Error() string    { return "pq: " + string(s) }
func (s sqlState) SQLState() string { return string(s) }
