package crm_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// recorder is a send that records what it was given and answers like Slack.
type recorder struct {
	mu   sync.Mutex
	sent []outbox.Outgoing
	fail error
	n    int
}

func (r *recorder) send(_ context.Context, o outbox.Outgoing) (outbox.Sent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return outbox.Sent{}, r.fail
	}
	r.n++
	r.sent = append(r.sent, o)
	ts := o.UpdateTS
	if ts == "" {
		ts = fmt.Sprintf("1700000000.%06d", r.n)
	}
	return outbox.Sent{Channel: o.Channel, TS: ts}, nil
}

func (r *recorder) payloads() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, o := range r.sent {
		out = append(out, string(o.Payload))
	}
	return out
}

// drain delivers until DeliverNext has nothing due.
func drain(t *testing.T, s *crm.Store, send func(context.Context, outbox.Outgoing) (outbox.Sent, error)) {
	t.Helper()
	for range 1000 {
		res, err := s.DeliverNext(context.Background(), send)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status == outbox.DeliveryIdle {
			return
		}
	}
	t.Fatal("the outbox never ran dry")
}

func n(channel, payload string) outbox.Note {
	return outbox.Note{Channel: channel, Payload: []byte(payload)}
}

// TestOutbox: notes go out in order per conversation; a failing
// conversation holds back only its own; updates and thread replies wait for
// their post and use its ts; a note written in a transaction that rolls back
// is never sent.
func TestOutbox(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		post := n("C1", "post")
		post.Ref = outbox.Ref{Kind: "test", ID: "post"}
		upd := n("C1", "update")
		upd.Replaces = outbox.Ref{Kind: "test", ID: "post"}
		reply := n("C2", "reply")
		reply.Thread = outbox.Ref{Kind: "test", ID: "post"}
		if err := s.Enqueue(ctx, post, n("C2", "c2 first"), upd, reply, n("C2", "c2 last")); err != nil {
			t.Fatal(err)
		}
		// C1 fails: its post and update wait, C2's first note goes, and its
		// reply waits for C1's post.
		r := &recorder{}
		failing := func(ctx context.Context, o outbox.Outgoing) (outbox.Sent, error) {
			if o.Channel == "C1" {
				return outbox.Sent{}, &outbox.DeliveryError{Err: errors.New("http_500"), RetryIn: time.Minute}
			}
			return r.send(ctx, o)
		}
		drain(t, s, failing)
		if got := r.payloads(); len(got) != 1 || got[0] != "c2 first" {
			t.Fatalf("while C1 fails: sent %q, want only C2's first note", got)
		}
		st, err := s.OutboxStats(ctx)
		if err != nil || st.Pending != 4 || st.Retrying != 1 || st.Oldest.IsZero() {
			t.Fatalf("stats %+v, %v: want 4 pending, 1 retrying", st, err)
		}
		drain(t, s, r.send) // not due yet: the retry waits a minute
		if got := r.payloads(); len(got) != 1 {
			t.Fatalf("sent before the retry was due: %q", got)
		}
		clock.Advance(time.Minute)
		drain(t, s, r.send)
		want := []string{"c2 first", "post", "update", "reply", "c2 last"}
		if got := r.payloads(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("sent %q, want %q", got, want)
		}
		if o := r.sent[2]; o.UpdateTS != "1700000000.000002" || o.UpdateChannel != "C1" {
			t.Errorf("update went to %s/%s, want the post's ts", o.UpdateChannel, o.UpdateTS)
		}
		if o := r.sent[3]; o.ThreadTS != "1700000000.000002" || o.UpdateTS != "" {
			t.Errorf("reply: thread %q update %q, want the post's thread", o.ThreadTS, o.UpdateTS)
		}

		// Rolled back: never sent.
		_, err = s.Delete(ctx, crm.DeleteRequest{ContactID: "missing", Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour,
			Notify: func(crm.Deleted) ([]outbox.Note, error) { return []outbox.Note{n("U1", "never")}, nil }})
		if !errors.Is(err, crm.ErrContactGone) {
			t.Fatalf("delete of a missing contact: %v", err)
		}
		drain(t, s, r.send)
		if got := r.payloads(); len(got) != len(want) {
			t.Errorf("a rolled-back note was sent: %q", got)
		}
		st, err = s.OutboxStats(ctx)
		if err != nil || st.Pending != 0 {
			t.Errorf("stats after delivery %+v, %v", st, err)
		}
	})
}

// TestOutboxMissingRefs: an update of a post that was given up is dropped
// quietly unless it must arrive (MissingPost: posted anew); a thread reply
// whose post never came goes to the top level.
func TestOutboxMissingRefs(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		post := n("C1", "post")
		post.Ref = outbox.Ref{Kind: "test", ID: "gone"}
		if err := s.Enqueue(ctx, post); err != nil {
			t.Fatal(err)
		}
		drain(t, s, func(context.Context, outbox.Outgoing) (outbox.Sent, error) {
			return outbox.Sent{}, &outbox.DeliveryError{Err: errors.New("msg_too_long"), GiveUp: true}
		})
		skip := n("C1", "skip me")
		skip.Replaces = outbox.Ref{Kind: "test", ID: "gone"}
		must := n("U1", "outcome")
		must.Replaces, must.Missing = outbox.Ref{Kind: "test", ID: "gone"}, outbox.MissingPost
		reply := n("C1", "reply")
		reply.Thread = outbox.Ref{Kind: "test", ID: "gone"}
		if err := s.Enqueue(ctx, skip, must, reply); err != nil {
			t.Fatal(err)
		}
		r := &recorder{}
		drain(t, s, r.send)
		if got := r.payloads(); fmt.Sprint(got) != "[outcome reply]" {
			t.Fatalf("sent %q, want the outcome posted anew and the reply", got)
		}
		for _, o := range r.sent {
			if o.UpdateTS != "" || o.ThreadTS != "" {
				t.Errorf("%s refers to a post that never came: %+v", o.Payload, o)
			}
		}
		st, _ := s.OutboxStats(ctx)
		if st.GaveUp != 1 || st.Pending != 0 {
			t.Errorf("stats %+v: want 1 given up, none pending", st)
		}
	})
}

// TestOutboxConcurrentDeliverers: several deliverers on one database send
// each note once and keep each conversation's order.
func TestOutboxConcurrentDeliverers(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		var notes []outbox.Note
		for i := range 30 {
			notes = append(notes, n(fmt.Sprintf("C%d", i%3), fmt.Sprintf("%02d", i)))
		}
		if err := s.Enqueue(ctx, notes...); err != nil {
			t.Fatal(err)
		}
		r := &recorder{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					res, err := s.DeliverNext(ctx, r.send)
					if err != nil {
						t.Error(err)
						return
					}
					if res.Status == outbox.DeliveryIdle {
						return
					}
				}
			}()
		}
		wg.Wait()
		drain(t, s, r.send)
		per := map[string][]string{}
		for _, o := range r.sent {
			per[o.Channel] = append(per[o.Channel], string(o.Payload))
		}
		for c := range 3 {
			var want []string
			for i := c; i < 30; i += 3 {
				want = append(want, fmt.Sprintf("%02d", i))
			}
			if got := per[fmt.Sprintf("C%d", c)]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("C%d got %v, want %v (each once, in order)", c, got, want)
			}
		}
	})
}

// TestClaimJob: of several replicas asking at once, one runs the job; it is
// due again one interval later.
func TestClaimJob(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		claims := func() int {
			var mu sync.Mutex
			won := 0
			var wg sync.WaitGroup
			for range 5 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.ClaimJob(ctx, outbox.Job{Name: "purge", Every: time.Hour})
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						won++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return won
		}
		if won := claims(); won != 1 {
			t.Fatalf("%d claims of a new job, want 1", won)
		}
		clock.Advance(59 * time.Minute)
		if won := claims(); won != 0 {
			t.Fatalf("%d claims before the interval passed", won)
		}
		clock.Advance(time.Minute)
		if won := claims(); won != 1 {
			t.Fatalf("%d claims after the interval, want 1", won)
		}
	})
}

// TestRecoverOperations: an operation whose work never committed (its
// process died) is resolved once, with its notes; one that committed is
// left alone; on PostgreSQL one whose transaction is still open is skipped.
func TestRecoverOperations(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		url := "sqlite://" + filepath.Join(t.TempDir(), "contactbot.db")
		if d == crm.Postgres {
			url = crmtest.NewDatabase(t)
		}
		open := func() *crm.Store {
			s, err := crm.Open(ctx, url, crm.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		s := open()
		if err := s.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
			t.Fatal(err)
		}
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		alive := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Kept"}, crmtest.SmallFull)
		done := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Gone"}, crmtest.SmallFull)

		dead, err := s.StartOperation(ctx, crm.OperationDelete, "U1", alive, "Kept")
		if err != nil {
			t.Fatal(err)
		}
		ok, err := s.StartOperation(ctx, crm.OperationDelete, "U1", done, "Gone")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: done, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour, Operation: ok.ID}); err != nil {
			t.Fatal(err)
		}
		// A fresh process (SQLite) or another replica (PostgreSQL) looks.
		fresh := open()
		fresh.SetClock(clock.Now)
		notify := func(op crm.Operation) ([]outbox.Note, error) {
			return []outbox.Note{{Channel: op.Actor, Payload: []byte("did not complete: " + op.Label)}}, nil
		}
		if got, _, err := fresh.RecoverOperations(ctx, notify); err != nil || len(got) != 0 {
			t.Fatalf("recovered %v, %v before the grace period", got, err)
		}
		clock.Advance(time.Minute)
		got, held, err := fresh.RecoverOperations(ctx, notify)
		if err != nil || len(got) != 1 || got[0].ID != dead.ID || held != 0 {
			t.Fatalf("recovered %+v (held %d), %v: want only the dead delete", got, held, err)
		}
		again, _, err := fresh.RecoverOperations(ctx, notify)
		if err != nil || len(again) != 0 {
			t.Fatalf("recovered twice: %v %v", again, err)
		}
		r := &recorder{}
		drain(t, fresh, r.send)
		if p := r.payloads(); fmt.Sprint(p) != "[did not complete: Kept]" {
			t.Errorf("notes %q", p)
		}
		if n := crmtest.CountRows(t, s, "contacts", "id = $1", alive); n != 1 {
			t.Error("recovery changed the contact")
		}
		// The late work finds its operation resolved and changes nothing.
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: alive, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Hour, Operation: dead.ID}); !errors.Is(err, crm.ErrOperationGone) {
			t.Errorf("delete under a resolved operation: %v", err)
		}
	})
}
