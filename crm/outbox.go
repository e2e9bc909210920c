package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// Note is one message to Slack, written to the outbox in the transaction of
// the change it announces and delivered later, until Slack accepts it. Its
// payload is opaque here: the bot encodes and decodes it.
//
// Notes to one Channel (a channel id, or a user id for a DM) are delivered in
// the order they were written: a note that cannot be delivered yet holds back
// the later ones of its conversation, never those of others.
type Note struct {
	Channel string
	Payload []byte
	// Ref names this post (ApprovalRef, IncidentRef, …), so that later notes
	// can update it or reply under it, on any replica and after restarts.
	Ref string
	// Replaces, when set, makes this note an update of the post named so:
	// it waits until that post is delivered and uses its ts. When the post
	// never happens (given up), Missing decides: MissingPost posts this note
	// anew, anything else drops it quietly.
	Replaces string
	Missing  string
	// Thread is the ref of a post this note replies under; when that post
	// never happens, the note is posted at the top level.
	Thread string
	// After is the ref of a post that must be delivered before this note.
	After string
	// Coalesce marks a refresh (a Home tab published again from the data as
	// it is when delivered): delivering it also settles the later pending
	// notes of its stream with the same payload that were written before,
	// so a burst of changes is one delivery.
	Coalesce bool
}

// MissingPost is Note.Missing for an update that must arrive anyway: when
// the post it replaces never happened, it is posted as a new message.
const MissingPost = "post"

// ApprovalRef names the approval request's message in the approvals channel.
func ApprovalRef(requestID string) string { return "approval:" + requestID }

// RequestDMRef names the DM that tells a requester their request is
// waiting (with its Withdraw button), so the decision can update it.
func RequestDMRef(requestID string) string { return "request-dm:" + requestID }

// IncidentRef names the incident message of a deletion.
func IncidentRef(deletionID string) string { return "incident:" + deletionID }

// OperationRef names the progress message of a long delete or restore.
func OperationRef(opID string) string { return "op:" + opID }

// Sent is where Slack put a delivered message.
type Sent struct {
	Channel string
	TS      string
}

// Outgoing is a note ready to send, its refs resolved.
type Outgoing struct {
	ID      int64
	Channel string
	Payload []byte
	// UpdateTS, when set, replaces the message at UpdateChannel and UpdateTS
	// instead of posting.
	UpdateChannel, UpdateTS string
	// ThreadTS, when set, posts in that message's thread.
	ThreadTS string
	// Attempts is how many deliveries of this note failed before.
	Attempts  int
	CreatedAt time.Time
}

// DeliveryError is what a send tells the outbox about a failure: when to try
// again, or to give up on the note (or on every pending note of its
// conversation, when nobody can post there).
type DeliveryError struct {
	Err          error
	RetryIn      time.Duration
	GiveUp       bool
	GiveUpStream bool
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// DefaultRetry is the wait after a failure a send did not classify.
const DefaultRetry = 5 * time.Second

// Delivery statuses of DeliverNext.
const (
	// DeliveryIdle: nothing is due (or what is due waits for another post).
	DeliveryIdle = "idle"
	// DeliveryBusy: something is due but another worker holds its conversation.
	DeliveryBusy = "busy"
	// DeliveryDone: a note was delivered, or dropped as having nothing to update.
	DeliveryDone = "delivered"
	// DeliveryFailed: a send failed; the note waits for its next attempt.
	DeliveryFailed = "failed"
	// DeliveryGaveUp: a send failed for good; the note (or its conversation's
	// pending notes, GaveUp of them) will not be delivered.
	DeliveryGaveUp = "gave_up"
)

// DeliveryResult says what one DeliverNext did.
type DeliveryResult struct {
	Status string
	Note   Outgoing
	// Err is the send's error, for DeliveryFailed and DeliveryGaveUp.
	Err error
	// GaveUp is how many notes were given up.
	GaveUp int
}

// outboxRow is a stored note.
type outboxRow struct {
	ID        int64     `db:"id"`
	Stream    string    `db:"stream"`
	Channel   string    `db:"channel"`
	Payload   string    `db:"payload"`
	Ref       string    `db:"ref"`
	Replaces  string    `db:"replaces"`
	Thread    string    `db:"thread"`
	After     string    `db:"after_ref"`
	Missing   string    `db:"missing"`
	CreatedAt time.Time `db:"created_at"`
	Attempts  int       `db:"attempts"`
	Coalesce  bool      `db:"coalescing"`
}

const outboxColumns = `id, stream, channel, payload, ref, replaces, thread, after_ref, missing, created_at, attempts, coalescing`

// pendingNote is the condition of a note still to deliver.
const pendingNote = `delivered_at IS NULL AND gave_up_at IS NULL`

// outboxState is what a Store keeps in memory for the outbox.
type outboxState struct {
	mu sync.Mutex
	// txNotes marks open transactions that wrote notes.
	txNotes map[*sqlx.Tx]bool
	// streams serialises delivery per conversation on SQLite (one process);
	// PostgreSQL uses advisory locks, which hold across replicas.
	streams map[string]*sync.Mutex
	// refs are posts whose ts could not be written while another
	// transaction held SQLite's write lock (progress messages).
	refs map[string]Sent
	// running are the operations this process is working on (SQLite, where
	// a row lock cannot tell).
	running map[string]bool
}

// payloadForms is text and the forms it takes in payloads, without repeats.
func (s *Store) payloadForms(text string) []string {
	forms := []string{text}
	if s.hooks.PayloadText == nil {
		return forms
	}
	for _, f := range s.hooks.PayloadText(text) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	return forms
}

// Enqueue writes notes in a transaction of their own, for messages that
// announce no change of data (a restore window that closed).
func (s *Store) Enqueue(ctx context.Context, notes ...Note) error {
	return s.withTx(ctx, func(tx *sqlx.Tx) error { return s.enqueueTx(ctx, tx, notes) })
}

// enqueueTx writes notes in tx; they are delivered once tx commits.
func (s *Store) enqueueTx(ctx context.Context, tx *sqlx.Tx, notes []Note) error {
	if len(notes) == 0 {
		return nil
	}
	now := s.now().UTC()
	for _, n := range notes {
		if n.Channel == "" || len(n.Payload) == 0 {
			return fmt.Errorf("outbox: a note needs a channel and a payload (ref %q)", n.Ref)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO outbox
			(stream, channel, payload, ref, replaces, thread, after_ref, missing, created_at, next_attempt_at, coalescing)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			n.Channel, n.Channel, string(n.Payload), n.Ref, n.Replaces, n.Thread, n.After, n.Missing, now, now, n.Coalesce); err != nil {
			return fmt.Errorf("write outbox note for %s: %w", n.Channel, err)
		}
	}
	s.out.mu.Lock()
	if s.out.txNotes == nil {
		s.out.txNotes = map[*sqlx.Tx]bool{}
	}
	s.out.txNotes[tx] = true
	s.out.mu.Unlock()
	return nil
}

// txEnded forgets tx and, when it committed notes, says so.
func (s *Store) txEnded(tx *sqlx.Tx, committed bool) {
	s.out.mu.Lock()
	wrote := s.out.txNotes[tx]
	delete(s.out.txNotes, tx)
	s.out.mu.Unlock()
	if wrote && committed && s.hooks.NotesWritten != nil {
		s.hooks.NotesWritten.Notify()
	}
}

// DeliverNext delivers at most one due note with send: the oldest one that
// heads its conversation, whose referenced posts are known. send returns
// where Slack put it, or an error (a *DeliveryError says when to retry or to
// give up; any other error is retried after DefaultRetry).
//
// On PostgreSQL the note's conversation is held by an advisory lock for the
// whole attempt, so replicas share the outbox and never deliver one note
// twice or two notes of a conversation out of order; on SQLite (one process)
// an in-process lock does the same.
func (s *Store) DeliverNext(ctx context.Context, send func(context.Context, Outgoing) (Sent, error)) (DeliveryResult, error) {
	var heads []outboxRow
	if err := s.db.SelectContext(ctx, &heads, s.db.Rebind(`SELECT `+outboxColumns+` FROM outbox o
		WHERE o.`+pendingNote+` AND o.next_attempt_at <= ?
		AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.stream = o.stream AND p.id < o.id AND p.delivered_at IS NULL AND p.gave_up_at IS NULL)
		ORDER BY o.id LIMIT 20`), s.now().UTC()); err != nil {
		return DeliveryResult{}, fmt.Errorf("outbox: find due notes: %w", err)
	}
	status := DeliveryIdle
	for _, h := range heads {
		res, err := s.deliverHead(ctx, h.ID, h.Stream, send)
		if err != nil || (res.Status != DeliveryIdle && res.Status != DeliveryBusy) {
			return res, err
		}
		if res.Status == DeliveryBusy {
			status = DeliveryBusy
		}
	}
	return DeliveryResult{Status: status}, nil
}

// deliverHead tries note id, the head of stream when it was found.
func (s *Store) deliverHead(ctx context.Context, id int64, stream string, send func(context.Context, Outgoing) (Sent, error)) (DeliveryResult, error) {
	if s.dialect == SQLite {
		mu := s.streamLock(stream)
		if !mu.TryLock() {
			return DeliveryResult{Status: DeliveryBusy}, nil
		}
		defer mu.Unlock()
		// No transaction across the Slack call: it would hold SQLite's
		// write lock, and this process is the only deliverer.
		return s.attempt(ctx, s.db, id, send, func(fn func(*sqlx.Tx) error) error { return s.withTx(ctx, fn) })
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return DeliveryResult{}, fmt.Errorf("outbox: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	// Recording a delivery need not wait for the disk: only a crash of
	// PostgreSQL itself in the next fraction of a second could lose the
	// mark, and then Slack gets the message a second time, never not at all.
	if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return DeliveryResult{}, fmt.Errorf("outbox: begin: %w", err)
	}
	var got bool
	if err := tx.GetContext(ctx, &got, `SELECT pg_try_advisory_xact_lock(hashtext('contactbot.outbox'), hashtext($1))`, stream); err != nil {
		return DeliveryResult{}, fmt.Errorf("outbox: lock conversation: %w", err)
	}
	if !got {
		return DeliveryResult{Status: DeliveryBusy}, nil
	}
	res, err := s.attempt(ctx, tx, id, send, func(fn func(*sqlx.Tx) error) error { return fn(tx) })
	if err != nil {
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("outbox: commit delivery of note %d: %w", id, err)
	}
	return res, nil
}

// attempt re-reads note id on q (under its conversation's lock), resolves its
// refs, sends it and records the outcome through write.
func (s *Store) attempt(ctx context.Context, q queryer, id int64, send func(context.Context, Outgoing) (Sent, error), write func(func(*sqlx.Tx) error) error) (DeliveryResult, error) {
	var rows []outboxRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT `+outboxColumns+` FROM outbox o WHERE o.id = ? AND o.`+pendingNote+`
		AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.stream = o.stream AND p.id < o.id AND p.delivered_at IS NULL AND p.gave_up_at IS NULL)`), id); err != nil {
		return DeliveryResult{}, fmt.Errorf("outbox: read note %d: %w", id, err)
	}
	if len(rows) == 0 {
		return DeliveryResult{Status: DeliveryIdle}, nil // delivered meanwhile by another worker
	}
	n := rows[0]
	out := Outgoing{ID: n.ID, Channel: n.Channel, Payload: []byte(n.Payload), Attempts: n.Attempts, CreatedAt: n.CreatedAt}
	for _, ref := range []string{n.After, n.Thread, n.Replaces} {
		if ref == "" {
			continue
		}
		at, state, err := s.resolveRef(ctx, q, ref)
		if err != nil {
			return DeliveryResult{}, err
		}
		switch {
		case state == refPending:
			return DeliveryResult{Status: DeliveryIdle}, nil // waits for that post
		case ref == n.Replaces && state == refPosted:
			out.UpdateChannel, out.UpdateTS = at.Channel, at.TS
		case ref == n.Replaces && n.Missing != MissingPost:
			// Nothing to update: the post it replaces never happened.
			now := s.now().UTC()
			err := write(func(tx *sqlx.Tx) error {
				_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET delivered_at = ?, last_error = ? WHERE id = ?`), now, "skipped: "+ref+" was never posted", n.ID)
				return err
			})
			if err != nil {
				return DeliveryResult{}, fmt.Errorf("outbox: skip note %d: %w", n.ID, err)
			}
			return DeliveryResult{Status: DeliveryDone, Note: out}, nil
		case ref == n.Thread && state == refPosted:
			out.ThreadTS = at.TS
		}
	}

	// A refresh settles the same refreshes written before it: they are read
	// now, before send reads the data it shows, so what they announce is
	// in what send shows. Later ones stay for their own delivery.
	var same []int64
	if n.Coalesce {
		if err := sqlx.SelectContext(ctx, q, &same, q.Rebind(`SELECT id FROM outbox WHERE stream = ? AND id > ? AND coalescing AND payload = ? AND `+pendingNote),
			n.Stream, n.ID, n.Payload); err != nil {
			return DeliveryResult{}, fmt.Errorf("outbox: read refreshes like note %d: %w", n.ID, err)
		}
	}

	sent, sendErr := send(ctx, out)
	now := s.now().UTC()
	if sendErr == nil {
		err := write(func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET delivered_at = ?, last_error = '' WHERE id = ?`), now, n.ID); err != nil {
				return err
			}
			if len(same) > 0 {
				q, args, err := sqlx.In(`UPDATE outbox SET delivered_at = ?, last_error = ? WHERE id IN (?) AND `+pendingNote,
					now, fmt.Sprintf("coalesced into note %d", n.ID), same)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
					return err
				}
			}
			if n.Ref == "" || out.UpdateTS != "" {
				return nil
			}
			if sent.Channel == "" {
				sent.Channel = n.Channel
			}
			return s.recordRef(ctx, tx, n.Ref, sent, now)
		})
		if err != nil {
			// Slack has it; the worst case is a second post after a retry.
			return DeliveryResult{}, fmt.Errorf("outbox: record delivery of note %d: %w", n.ID, err)
		}
		return DeliveryResult{Status: DeliveryDone, Note: out}, nil
	}

	de := &DeliveryError{Err: sendErr, RetryIn: DefaultRetry}
	errors.As(sendErr, &de)
	res := DeliveryResult{Status: DeliveryFailed, Note: out, Err: sendErr}
	reason := cutText(sendErr.Error(), 300)
	err := write(func(tx *sqlx.Tx) error {
		switch {
		case de.GiveUpStream:
			r, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET gave_up_at = ?, last_error = ? WHERE stream = ? AND `+pendingNote), now, reason, n.Stream)
			if err != nil {
				return err
			}
			k, err := r.RowsAffected()
			res.Status, res.GaveUp = DeliveryGaveUp, int(k)
			return err
		case de.GiveUp:
			res.Status, res.GaveUp = DeliveryGaveUp, 1
			_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET gave_up_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?`), now, reason, n.ID)
			return err
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`),
			now.Add(de.RetryIn), reason, n.ID)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("outbox: record failure of note %d: %w", n.ID, err)
	}
	return res, nil
}

// States of a ref.
const (
	refPosted  = "posted"
	refPending = "pending" // its post is still in the outbox
	refMissing = "missing" // it was never posted and never will be
)

// resolveRef finds where the post named ref landed.
func (s *Store) resolveRef(ctx context.Context, q queryer, ref string) (Sent, string, error) {
	var found []Sent
	if err := sqlx.SelectContext(ctx, q, &found, q.Rebind(`SELECT channel AS "channel", ts AS "ts" FROM outbox_refs WHERE ref = ?`), ref); err != nil {
		return Sent{}, "", fmt.Errorf("outbox: look up %s: %w", ref, err)
	}
	if len(found) > 0 {
		return found[0], refPosted, nil
	}
	s.out.mu.Lock()
	at, ok := s.out.refs[ref]
	s.out.mu.Unlock()
	if ok {
		return at, refPosted, nil
	}
	var pending int
	if err := sqlx.GetContext(ctx, q, &pending, q.Rebind(`SELECT count(*) FROM outbox WHERE ref = ? AND `+pendingNote), ref); err != nil {
		return Sent{}, "", fmt.Errorf("outbox: look up %s: %w", ref, err)
	}
	if pending > 0 {
		return Sent{}, refPending, nil
	}
	return Sent{}, refMissing, nil
}

// recordRef keeps where the post named ref landed, and the messages the bot's
// own records point to.
func (s *Store) recordRef(ctx context.Context, tx *sqlx.Tx, ref string, at Sent, now time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO outbox_refs (ref, channel, ts, posted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (ref) DO UPDATE SET channel = excluded.channel, ts = excluded.ts, posted_at = excluded.posted_at`), ref, at.Channel, at.TS, now); err != nil {
		return fmt.Errorf("record %s: %w", ref, err)
	}
	var q string
	var id string
	switch {
	case strings.HasPrefix(ref, "approval:"):
		q, id = `UPDATE approval_requests SET channel = ?, message_ts = ? WHERE id = ?`, strings.TrimPrefix(ref, "approval:")
	case strings.HasPrefix(ref, "incident:"):
		q, id = `UPDATE incidents SET channel = ?, message_ts = ? WHERE deletion_id = ?`, strings.TrimPrefix(ref, "incident:")
	default:
		return nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), at.Channel, at.TS, id); err != nil {
		return fmt.Errorf("record %s: %w", ref, err)
	}
	return nil
}

// streamLock is the in-process lock of a conversation (SQLite).
func (s *Store) streamLock(stream string) *sync.Mutex {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	if s.out.streams == nil {
		s.out.streams = map[string]*sync.Mutex{}
	}
	mu, ok := s.out.streams[stream]
	if !ok {
		mu = &sync.Mutex{}
		s.out.streams[stream] = mu
	}
	return mu
}

// OutboxStats is the state of the outbox, for /metrics.
type OutboxStats struct {
	// Pending notes are not delivered yet; Retrying of them failed at least once.
	Pending, Retrying int
	// Oldest is when the oldest pending note was written (zero when none).
	Oldest time.Time
	// GaveUp counts notes given up on and not yet pruned.
	GaveUp int
}

// OutboxStats reads the outbox's depth, its oldest pending note and what was given up.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var row struct {
		Pending  int    `db:"pending"`
		Retrying int    `db:"retrying"`
		Oldest   *int64 `db:"oldest"`
	}
	// The oldest id is the oldest note: ids grow with time.
	if err := s.db.GetContext(ctx, &row, `SELECT count(*) AS pending, count(*) FILTER (WHERE attempts > 0) AS retrying,
		min(id) AS oldest FROM outbox WHERE `+pendingNote); err != nil {
		return OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
	}
	st := OutboxStats{Pending: row.Pending, Retrying: row.Retrying}
	if row.Oldest != nil {
		if err := s.db.GetContext(ctx, &st.Oldest, s.db.Rebind(`SELECT created_at FROM outbox WHERE id = ?`), *row.Oldest); err != nil {
			return OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
		}
	}
	if err := s.db.GetContext(ctx, &st.GaveUp, `SELECT count(*) FROM outbox WHERE gave_up_at IS NOT NULL`); err != nil {
		return OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
	}
	return st, nil
}

// NextDue is when the earliest pending note may next be tried; zero when
// nothing is pending.
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var rows []time.Time
	if err := s.db.SelectContext(ctx, &rows, `SELECT next_attempt_at FROM outbox WHERE `+pendingNote+` ORDER BY next_attempt_at LIMIT 1`); err != nil {
		return time.Time{}, fmt.Errorf("outbox: next due: %w", err)
	}
	if len(rows) == 0 {
		return time.Time{}, nil
	}
	return rows[0], nil
}

// outboxKeep is how long delivered and given-up notes and finished
// operations stay, for looking into what happened.
const outboxKeep = 7 * 24 * time.Hour

// PruneOutbox removes delivered and given-up notes and finished operations
// older than a week; where posts landed (refs) stays, for later updates.
func (s *Store) PruneOutbox(ctx context.Context) (int, error) {
	before := s.now().UTC().Add(-outboxKeep)
	total := 0
	for _, q := range []string{
		`DELETE FROM outbox WHERE delivered_at < ?`,
		`DELETE FROM outbox WHERE gave_up_at < ?`,
		`DELETE FROM operations WHERE finished_at < ?`,
	} {
		r, err := s.db.ExecContext(ctx, s.db.Rebind(q), before)
		if err != nil {
			return total, fmt.Errorf("prune outbox: %w", err)
		}
		n, _ := r.RowsAffected()
		total += int(n)
	}
	return total, nil
}
