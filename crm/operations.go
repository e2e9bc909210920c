package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// OperationKind is what an operation does, stored as its text.
type OperationKind string

// Kinds of operation.
const (
	OperationDelete  OperationKind = "delete"
	OperationRestore OperationKind = "restore"
)

// OperationOutcome is how an operation ended, stored as its text; "" while
// it runs.
type OperationOutcome string

// Outcomes of an operation.
const (
	OperationDone      OperationOutcome = "done"      // its change committed
	OperationFailed    OperationOutcome = "failed"    // it was refused or failed; nothing changed
	OperationAbandoned OperationOutcome = "abandoned" // the process working on it died; nothing changed
)

// ErrOperationGone is returned when an operation was already resolved
// (another replica found its process dead) before its work began.
var ErrOperationGone = &Error{Code: ECONFLICT, Message: "This took too long to start and was called off. Nothing was changed: try again."}

// Operation is a long delete or restore that shows its progress: recorded
// before its work begins and finished in the work's own transaction, so that
// one a killed process left behind is found and resolved (RecoverOperations).
type Operation struct {
	ID         string           `db:"id"`
	Kind       OperationKind    `db:"kind"`
	Actor      string           `db:"actor"`
	Subject    string           `db:"subject"` // the contact id (delete) or deletion id (restore)
	Label      string           `db:"label"`   // what the person calls it: the contact's name
	StartedAt  time.Time        `db:"started_at"`
	FinishedAt *time.Time       `db:"finished_at"`
	Outcome    OperationOutcome `db:"outcome"`
	// Batch is set for a batch delete (OperationDeleteBatch) that
	// RecoverOperations resolved: the batch as interrupted, whose items say
	// which contacts were deleted and which are untouched (Store.Batch).
	Batch *Batch `db:"-"`
	// BatchItems are that batch's contacts: ItemDeleted ones were deleted
	// (and archived), ItemPending ones untouched.
	BatchItems []BatchItem `db:"-"`
}

const operationColumns = `id, kind, actor, subject, label, started_at, finished_at, outcome`

// StartOperation records that actor begins an operation of kind on subject.
func (s *Store) StartOperation(ctx context.Context, kind OperationKind, actor, subject, label string) (Operation, error) {
	op := Operation{ID: NewID("O", 12), Kind: kind, Actor: actor, Subject: subject, Label: label, StartedAt: s.now().UTC()}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO operations (id, kind, actor, subject, label, started_at) VALUES (?, ?, ?, ?, ?, ?)`),
		op.ID, op.Kind, op.Actor, op.Subject, op.Label, op.StartedAt); err != nil {
		return op, fmt.Errorf("record %s of %s: %w", kind, subject, err)
	}
	s.runningMu.Lock()
	if s.running == nil {
		s.running = map[string]bool{}
	}
	s.running[op.ID] = true
	s.runningMu.Unlock()
	return op, nil
}

// lockOperation holds an unfinished operation's row until tx ends: while it
// is held, RecoverOperations knows the work is alive.
func (s *Store) lockOperation(ctx context.Context, tx *sqlx.Tx, id string) error {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT id FROM operations WHERE id = ? AND finished_at IS NULL`+s.dialect.ForUpdate()), id); err != nil {
		return fmt.Errorf("lock operation %s: %w", id, err)
	}
	if len(ids) == 0 {
		return ErrOperationGone
	}
	return nil
}

// finishOperationTx marks an operation finished in tx; it reports whether it
// was still unfinished.
func (s *Store) finishOperationTx(ctx context.Context, tx *sqlx.Tx, id string, outcome OperationOutcome) (bool, error) {
	r, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE operations SET finished_at = ?, outcome = ? WHERE id = ? AND finished_at IS NULL`), s.now().UTC(), outcome, id)
	if err != nil {
		return false, fmt.Errorf("finish operation %s: %w", id, err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("finish operation %s: %w", id, err)
	}
	return n == 1, nil
}

// operationEnded forgets a finished operation of this process.
func (s *Store) operationEnded(id string) {
	s.runningMu.Lock()
	delete(s.running, id)
	s.runningMu.Unlock()
	s.outbox.Forget(outbox.OperationRef(id))
}

// FinishOperation records the outcome of an operation whose work did not
// commit (refused or failed), with the notes that tell so. When the
// operation was already resolved, nothing is written.
func (s *Store) FinishOperation(ctx context.Context, id string, outcome OperationOutcome, notes []outbox.Note) error {
	defer s.operationEnded(id)
	return s.withTx(ctx, func(tx *sqlx.Tx) error {
		open, err := s.finishOperationTx(ctx, tx, id, outcome)
		if err != nil || !open {
			return err
		}
		// A batch that failed midway: what it deleted stays, the rest is
		// untouched, and its record says so.
		if _, _, err := s.resolveBatchTx(ctx, tx, id); err != nil {
			return err
		}
		return s.enqueueTx(ctx, tx, notes)
	})
}

// recoverAfter is how old an unfinished operation must be before another
// process may find it abandoned: its work takes its row lock within
// milliseconds of starting.
const recoverAfter = 5 * time.Second

// RecoverOperations resolves operations whose process died before their
// outcome committed: on PostgreSQL those whose row nobody holds (SKIP
// LOCKED: the work's transaction holds it while it runs, and PostgreSQL
// rolls it back when the process is gone), on SQLite (one process) those this
// process is not working on. Nothing of such an operation committed (its
// outcome would have finished it), so each is marked abandoned, with the
// notes notify renders, in one transaction. It returns the operations
// resolved and how many unfinished ones are still held.
func (s *Store) RecoverOperations(ctx context.Context, notify func(Operation) ([]outbox.Note, error)) (resolved []Operation, held int, err error) {
	err = s.withTx(ctx, func(tx *sqlx.Tx) error {
		resolved, held = nil, 0
		var open []Operation
		if err := tx.SelectContext(ctx, &open, tx.Rebind(`SELECT `+operationColumns+` FROM operations
			WHERE finished_at IS NULL AND started_at <= ? ORDER BY started_at LIMIT 100`+s.dialect.ForUpdateSkipLocked()),
			s.now().UTC().Add(-recoverAfter)); err != nil {
			return fmt.Errorf("find abandoned operations: %w", err)
		}
		s.runningMu.Lock()
		for _, op := range open {
			if s.dialect == SQLite && s.running[op.ID] {
				continue
			}
			resolved = append(resolved, op)
		}
		s.runningMu.Unlock()
		for i, op := range resolved {
			if _, err := s.finishOperationTx(ctx, tx, op.ID, OperationAbandoned); err != nil {
				return err
			}
			resolved[i].Outcome = OperationAbandoned
			if op.Kind == OperationDeleteBatch {
				// Unlike other operations, a batch commits contact by
				// contact: those done stay done, the rest untouched.
				if resolved[i].Batch, resolved[i].BatchItems, err = s.resolveBatchTx(ctx, tx, op.ID); err != nil {
					return err
				}
			}
			op.Batch, op.BatchItems = resolved[i].Batch, resolved[i].BatchItems
			notes, err := notify(op)
			if err != nil {
				return err
			}
			if err := s.enqueueTx(ctx, tx, notes); err != nil {
				return err
			}
		}
		var all int
		if err := tx.GetContext(ctx, &all, `SELECT count(*) FROM operations WHERE finished_at IS NULL`); err != nil {
			return fmt.Errorf("count unfinished operations: %w", err)
		}
		held = all // counted after resolving: the ones still held
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return resolved, held, nil
}

// ShowProgress runs show, which posts or updates an operation's progress
// message in conversation channel, unless the operation has finished. It
// holds the conversation's delivery lock meanwhile, so the outcome (an
// outbox note that replaces the progress message) is delivered only once
// the progress message has landed, and then updates it. show gets where the
// message is (found false before the first post) and returns where it is now.
func (s *Store) ShowProgress(ctx context.Context, opID, channel string, show func(ctx context.Context, at outbox.Sent, found bool) (outbox.Sent, error)) error {
	ref := outbox.OperationRef(opID)
	finished := func(q queryer) (bool, error) {
		var done []string
		if err := sqlx.SelectContext(ctx, q, &done, q.Rebind(`SELECT outcome FROM operations WHERE id = ? AND finished_at IS NOT NULL`), opID); err != nil {
			return false, fmt.Errorf("read operation %s: %w", opID, err)
		}
		return len(done) > 0, nil
	}
	if s.dialect == SQLite {
		release, err := s.outbox.HoldStream(ctx, nil, channel)
		if err != nil {
			return err
		}
		defer release()
		if done, err := finished(s.db); err != nil || done {
			return err
		}
		at, found := s.outbox.Remembered(ref)
		// The work's transaction holds SQLite's write lock: where the
		// message landed is kept in memory (a restart cannot update it).
		now, err := show(ctx, at, found)
		if err != nil {
			return err
		}
		s.outbox.Remember(ref, now)
		return nil
	}
	return s.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.outbox.HoldStream(ctx, tx, channel); err != nil {
			return err
		}
		if done, err := finished(tx); err != nil || done {
			return err
		}
		at, found, err := s.outbox.Posted(ctx, tx, ref)
		if err != nil {
			return err
		}
		now, err := show(ctx, at, found)
		if err != nil {
			return err
		}
		if now.Channel == "" {
			now.Channel = channel
		}
		return s.outbox.RecordPost(ctx, tx, ref, now)
	})
}
