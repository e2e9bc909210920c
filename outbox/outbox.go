package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/internal/words"
)

// Outbox is the outbox and outbox_refs tables of a database: notes written
// in callers' transactions, delivered one conversation at a time, and where
// the posts named by refs landed.
type Outbox struct {
	db *sqlx.DB
	// postgres: conversations are locked across replicas with advisory
	// locks; else (SQLite, one process) in this process.
	postgres bool
	now      func() time.Time
	posted   func(ctx context.Context, tx *sqlx.Tx, ref Ref, at Sent) error
	written  *Signal

	mu sync.Mutex
	// txNotes marks open transactions that wrote notes.
	txNotes map[*sqlx.Tx]bool
	// streams serialise delivery per conversation on SQLite (one process).
	streams map[string]*sync.Mutex
	// refs are posts whose ts could not be written while another
	// transaction held SQLite's write lock (progress messages).
	refs map[string]Sent
}

// Options are what an Outbox calls.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Posted, when set, is called in the transaction that records where a
	// post named by a ref landed, for the writer's own records of it.
	Posted func(ctx context.Context, tx *sqlx.Tx, ref Ref, at Sent) error
	// Written, when set, is notified after every commit that wrote notes
	// (see Ended).
	Written *Signal
}

// New returns the outbox of db, a PostgreSQL database (driver "postgres")
// or an SQLite one, which has the outbox's tables.
func New(db *sqlx.DB, o Options) *Outbox {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Outbox{db: db, postgres: db.DriverName() == "postgres", now: o.Now, posted: o.Posted, written: o.Written}
}

// PendingNote is the SQL condition of a note still to deliver, for queries
// of the outbox table.
const PendingNote = `delivered_at IS NULL AND gave_up_at IS NULL`

// row is a stored note.
type row struct {
	ID        int64     `db:"id"`
	Stream    string    `db:"stream"`
	Channel   string    `db:"channel"`
	Payload   string    `db:"payload"`
	Ref       string    `db:"ref"`
	Replaces  string    `db:"replaces"`
	Thread    string    `db:"thread"`
	After     string    `db:"after_ref"`
	Missing   Missing   `db:"missing"`
	CreatedAt time.Time `db:"created_at"`
	Attempts  int       `db:"attempts"`
	Coalesce  bool      `db:"coalescing"`
}

const columns = `id, stream, channel, payload, ref, replaces, thread, after_ref, missing, created_at, attempts, coalescing`

// Queryer is a transaction or the pool.
type Queryer interface {
	sqlx.QueryerContext
	Rebind(string) string
}

// Write writes notes in tx, a transaction of InTx; they are delivered once
// it commits.
func (o *Outbox) Write(ctx context.Context, tx *sqlx.Tx, notes []Note) error {
	if len(notes) == 0 {
		return nil
	}
	now := o.now().UTC()
	for _, n := range notes {
		if n.Channel == "" || len(n.Payload) == 0 {
			return fmt.Errorf("outbox: a note needs a channel and a payload (ref %q)", n.Ref)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO outbox
			(stream, channel, payload, ref, replaces, thread, after_ref, missing, created_at, next_attempt_at, coalescing)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			n.Channel, n.Channel, string(n.Payload), n.Ref.String(), n.Replaces.String(), n.Thread.String(), n.After.String(), n.Missing, now, now, n.Coalesce); err != nil {
			return fmt.Errorf("write outbox note for %s: %w", n.Channel, err)
		}
	}
	o.mu.Lock()
	if o.txNotes == nil {
		o.txNotes = map[*sqlx.Tx]bool{}
	}
	o.txNotes[tx] = true
	o.mu.Unlock()
	return nil
}

// ended forgets tx and, when it committed notes, notifies Options.Written.
func (o *Outbox) ended(tx *sqlx.Tx, committed bool) {
	o.mu.Lock()
	wrote := o.txNotes[tx]
	delete(o.txNotes, tx)
	o.mu.Unlock()
	if wrote && committed && o.written != nil {
		o.written.Notify()
	}
}

// InTx runs fn in one transaction, committed when fn returns nil; when
// it commits notes fn wrote (Write), Options.Written is notified.
func (o *Outbox) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := o.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		o.ended(tx, false)
		return err
	}
	if err := tx.Commit(); err != nil {
		o.ended(tx, false)
		return fmt.Errorf("commit: %w", err)
	}
	o.ended(tx, true)
	return nil
}

// DeliverNext delivers at most one due note with send: the oldest one that
// heads its conversation, whose referenced posts are known. send returns
// where the receiver put it, or an error (a *DeliveryError says when to retry or to
// give up; any other error is retried after DefaultRetry).
//
// On PostgreSQL the note's conversation is held by an advisory lock for the
// whole attempt, so replicas share the outbox and never deliver one note
// twice or two notes of a conversation out of order; on SQLite (one process)
// an in-process lock does the same.
func (o *Outbox) DeliverNext(ctx context.Context, send func(context.Context, Outgoing) (Sent, error)) (DeliveryResult, error) {
	var heads []row
	if err := o.db.SelectContext(ctx, &heads, o.db.Rebind(`SELECT `+columns+` FROM outbox o
		WHERE o.`+PendingNote+` AND o.next_attempt_at <= ?
		AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.stream = o.stream AND p.id < o.id AND p.delivered_at IS NULL AND p.gave_up_at IS NULL)
		ORDER BY o.id LIMIT 20`), o.now().UTC()); err != nil {
		return DeliveryResult{}, fmt.Errorf("outbox: find due notes: %w", err)
	}
	status := DeliveryIdle
	for _, h := range heads {
		res, err := o.deliverHead(ctx, h.ID, h.Stream, send)
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
func (o *Outbox) deliverHead(ctx context.Context, id int64, stream string, send func(context.Context, Outgoing) (Sent, error)) (DeliveryResult, error) {
	if !o.postgres {
		mu := o.streamLock(stream)
		if !mu.TryLock() {
			return DeliveryResult{Status: DeliveryBusy}, nil
		}
		defer mu.Unlock()
		// No transaction across the send: it would hold SQLite's
		// write lock, and this process is the only deliverer.
		return o.attempt(ctx, o.db, id, send, func(fn func(*sqlx.Tx) error) error { return o.InTx(ctx, fn) })
	}
	tx, err := o.db.BeginTxx(ctx, nil)
	if err != nil {
		return DeliveryResult{}, fmt.Errorf("outbox: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	// Recording a delivery need not wait for the disk: only a crash of
	// PostgreSQL itself in the next fraction of a second could lose the
	// mark, and then the receiver gets the message a second time, never not at all.
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
	res, err := o.attempt(ctx, tx, id, send, func(fn func(*sqlx.Tx) error) error { return fn(tx) })
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
func (o *Outbox) attempt(ctx context.Context, q Queryer, id int64, send func(context.Context, Outgoing) (Sent, error), write func(func(*sqlx.Tx) error) error) (DeliveryResult, error) {
	var rows []row
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT `+columns+` FROM outbox o WHERE o.id = ? AND o.`+PendingNote+`
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
		at, state, err := o.resolveRef(ctx, q, ref)
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
			now := o.now().UTC()
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
		if err := sqlx.SelectContext(ctx, q, &same, q.Rebind(`SELECT id FROM outbox WHERE stream = ? AND id > ? AND coalescing AND payload = ? AND `+PendingNote),
			n.Stream, n.ID, n.Payload); err != nil {
			return DeliveryResult{}, fmt.Errorf("outbox: read refreshes like note %d: %w", n.ID, err)
		}
	}

	sent, sendErr := send(ctx, out)
	now := o.now().UTC()
	if sendErr == nil {
		err := write(func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET delivered_at = ?, last_error = '' WHERE id = ?`), now, n.ID); err != nil {
				return err
			}
			if len(same) > 0 {
				q, args, err := sqlx.In(`UPDATE outbox SET delivered_at = ?, last_error = ? WHERE id IN (?) AND `+PendingNote,
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
			return o.recordRef(ctx, tx, n.Ref, sent, now)
		})
		if err != nil {
			// The receiver has it; the worst case is a second post after a retry.
			return DeliveryResult{}, fmt.Errorf("outbox: record delivery of note %d: %w", n.ID, err)
		}
		return DeliveryResult{Status: DeliveryDone, Note: out}, nil
	}

	de := &DeliveryError{Err: sendErr, RetryIn: DefaultRetry}
	errors.As(sendErr, &de)
	res := DeliveryResult{Status: DeliveryFailed, Note: out, Err: sendErr}
	reason := words.Cut(sendErr.Error(), 300)
	err := write(func(tx *sqlx.Tx) error {
		switch {
		case de.GiveUpStream:
			r, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE outbox SET gave_up_at = ?, last_error = ? WHERE stream = ? AND `+PendingNote), now, reason, n.Stream)
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
func (o *Outbox) resolveRef(ctx context.Context, q Queryer, ref string) (Sent, string, error) {
	var found []Sent
	if err := sqlx.SelectContext(ctx, q, &found, q.Rebind(`SELECT channel AS "channel", ts AS "ts" FROM outbox_refs WHERE ref = ?`), ref); err != nil {
		return Sent{}, "", fmt.Errorf("outbox: look up %s: %w", ref, err)
	}
	if len(found) > 0 {
		return found[0], refPosted, nil
	}
	o.mu.Lock()
	at, ok := o.refs[ref]
	o.mu.Unlock()
	if ok {
		return at, refPosted, nil
	}
	var pending int
	if err := sqlx.GetContext(ctx, q, &pending, q.Rebind(`SELECT count(*) FROM outbox WHERE ref = ? AND `+PendingNote), ref); err != nil {
		return Sent{}, "", fmt.Errorf("outbox: look up %s: %w", ref, err)
	}
	if pending > 0 {
		return Sent{}, refPending, nil
	}
	return Sent{}, refMissing, nil
}

// RecordPost keeps, in tx, where the post named ref landed, for the notes
// that update it or reply under it, and tells Options.Posted: for posts
// made otherwise than through the outbox.
func (o *Outbox) RecordPost(ctx context.Context, tx *sqlx.Tx, ref Ref, at Sent) error {
	return o.recordRef(ctx, tx, ref.String(), at, o.now().UTC())
}

// recordRef keeps where the post named ref (as stored) landed.
func (o *Outbox) recordRef(ctx context.Context, tx *sqlx.Tx, ref string, at Sent, now time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO outbox_refs (ref, channel, ts, posted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (ref) DO UPDATE SET channel = excluded.channel, ts = excluded.ts, posted_at = excluded.posted_at`), ref, at.Channel, at.TS, now); err != nil {
		return fmt.Errorf("record %s: %w", ref, err)
	}
	if o.posted == nil {
		return nil
	}
	if err := o.posted(ctx, tx, parseRef(ref), at); err != nil {
		return fmt.Errorf("record %s: %w", ref, err)
	}
	return nil
}

// Posted finds, in q (a transaction or the pool), where the post named ref
// landed; found is false while it is not posted (still in the outbox, or
// never).
func (o *Outbox) Posted(ctx context.Context, q Queryer, ref Ref) (at Sent, found bool, err error) {
	at, state, err := o.resolveRef(ctx, q, ref.String())
	return at, state == refPosted, err
}

// Remember keeps where the post named ref landed in this process only: on
// SQLite, while another transaction holds the write lock.
func (o *Outbox) Remember(ref Ref, at Sent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.refs == nil {
		o.refs = map[string]Sent{}
	}
	o.refs[ref.String()] = at
}

// Remembered is where Remember kept the post named ref.
func (o *Outbox) Remembered(ref Ref) (Sent, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	at, ok := o.refs[ref.String()]
	return at, ok
}

// Forget drops what Remember kept of ref.
func (o *Outbox) Forget(ref Ref) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.refs, ref.String())
}

// HoldStream holds the delivery of conversation stream, so that nothing is
// delivered to it meanwhile: on PostgreSQL until tx ends (tx is needed),
// on SQLite until release is called (tx may be nil).
func (o *Outbox) HoldStream(ctx context.Context, tx *sqlx.Tx, stream string) (release func(), err error) {
	if !o.postgres {
		mu := o.streamLock(stream)
		mu.Lock()
		return mu.Unlock, nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('contactbot.outbox'), hashtext($1))`, stream); err != nil {
		return nil, fmt.Errorf("lock conversation: %w", err)
	}
	return func() {}, nil
}

// streamLock is the in-process lock of a conversation (SQLite).
func (o *Outbox) streamLock(stream string) *sync.Mutex {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.streams == nil {
		o.streams = map[string]*sync.Mutex{}
	}
	mu, ok := o.streams[stream]
	if !ok {
		mu = &sync.Mutex{}
		o.streams[stream] = mu
	}
	return mu
}

// Stats reads the outbox's depth, its oldest pending note and what was given up.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	var row struct {
		Pending  int    `db:"pending"`
		Retrying int    `db:"retrying"`
		Oldest   *int64 `db:"oldest"`
	}
	// The oldest id is the oldest note: ids grow with time.
	if err := o.db.GetContext(ctx, &row, `SELECT count(*) AS pending, count(*) FILTER (WHERE attempts > 0) AS retrying,
		min(id) AS oldest FROM outbox WHERE `+PendingNote); err != nil {
		return Stats{}, fmt.Errorf("outbox stats: %w", err)
	}
	st := Stats{Pending: row.Pending, Retrying: row.Retrying}
	if row.Oldest != nil {
		if err := o.db.GetContext(ctx, &st.Oldest, o.db.Rebind(`SELECT created_at FROM outbox WHERE id = ?`), *row.Oldest); err != nil {
			return Stats{}, fmt.Errorf("outbox stats: %w", err)
		}
	}
	if err := o.db.GetContext(ctx, &st.GaveUp, `SELECT count(*) FROM outbox WHERE gave_up_at IS NOT NULL`); err != nil {
		return Stats{}, fmt.Errorf("outbox stats: %w", err)
	}
	return st, nil
}

// Stuck lists, oldest first, at most limit conversations whose next note
// to deliver has failed at least once.
func (o *Outbox) Stuck(ctx context.Context, limit int) ([]Stuck, error) {
	var stuck []Stuck
	// A conversation's head is its oldest pending note: the one delivery waits on.
	if err := o.db.SelectContext(ctx, &stuck, o.db.Rebind(`SELECT o.channel, o.created_at AS since, o.attempts, o.last_error,
		(SELECT count(*) FROM outbox p WHERE p.stream = o.stream AND p.`+PendingNote+`) AS waiting
		FROM outbox o WHERE o.`+PendingNote+` AND o.attempts > 0
		AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.stream = o.stream AND p.id < o.id AND p.`+PendingNote+`)
		ORDER BY o.id LIMIT ?`), limit); err != nil {
		return nil, fmt.Errorf("outbox: find stuck conversations: %w", err)
	}
	return stuck, nil
}

// NextDue is when the earliest pending note may next be tried; zero when
// nothing is pending.
func (o *Outbox) NextDue(ctx context.Context) (time.Time, error) {
	var rows []time.Time
	if err := o.db.SelectContext(ctx, &rows, `SELECT next_attempt_at FROM outbox WHERE `+PendingNote+` ORDER BY next_attempt_at LIMIT 1`); err != nil {
		return time.Time{}, fmt.Errorf("outbox: next due: %w", err)
	}
	if len(rows) == 0 {
		return time.Time{}, nil
	}
	return rows[0], nil
}

// Keep is how long delivered and given-up notes stay, for looking into
// what happened.
const Keep = 7 * 24 * time.Hour

// Prune removes the notes delivered or given up before before; where
// posts landed (refs) stays, for later updates.
func (o *Outbox) Prune(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, q := range []string{
		`DELETE FROM outbox WHERE delivered_at < ?`,
		`DELETE FROM outbox WHERE gave_up_at < ?`,
	} {
		r, err := o.db.ExecContext(ctx, o.db.Rebind(q), before)
		if err != nil {
			return total, fmt.Errorf("prune outbox: %w", err)
		}
		n, _ := r.RowsAffected()
		total += int(n)
	}
	return total, nil
}
