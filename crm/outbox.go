package crm

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// newOutbox is the outbox of s's database, on s's clock, which keeps where
// approval requests and incidents were posted on their rows.
func newOutbox(s *Store) *outbox.Outbox {
	return outbox.New(s.db, outbox.Options{Now: func() time.Time { return s.now() }, Posted: messagePosted, Written: s.hooks.NotesWritten})
}

// messagePosted keeps where an approval request's or an incident's message
// landed on its row, where deciders and reporters find it.
func messagePosted(ctx context.Context, tx *sqlx.Tx, ref outbox.Ref, at outbox.Sent) error {
	var q string
	switch ref.Kind {
	case outbox.ApprovalPost:
		q = `UPDATE approval_requests SET channel = ?, message_ts = ? WHERE id = ?`
	case outbox.IncidentPost:
		q = `UPDATE incidents SET channel = ?, message_ts = ? WHERE deletion_id = ?`
	default:
		return nil
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(q), at.Channel, at.TS, ref.ID)
	return err
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
func (s *Store) Enqueue(ctx context.Context, notes ...outbox.Note) error {
	return s.withTx(ctx, func(tx *sqlx.Tx) error { return s.enqueueTx(ctx, tx, notes) })
}

// enqueueTx writes notes in tx; they are delivered once tx commits.
func (s *Store) enqueueTx(ctx context.Context, tx *sqlx.Tx, notes []outbox.Note) error {
	return s.outbox.Write(ctx, tx, notes)
}

// DeliverNext delivers at most one due note with send (outbox.DeliverNext).
func (s *Store) DeliverNext(ctx context.Context, send func(context.Context, outbox.Outgoing) (outbox.Sent, error)) (outbox.DeliveryResult, error) {
	return s.outbox.DeliverNext(ctx, send)
}

// OutboxStats reads the outbox's depth, its oldest pending note and what was given up.
func (s *Store) OutboxStats(ctx context.Context) (outbox.Stats, error) { return s.outbox.Stats(ctx) }

// NextDue is when the earliest pending note may next be tried; zero when
// nothing is pending.
func (s *Store) NextDue(ctx context.Context) (time.Time, error) { return s.outbox.NextDue(ctx) }

// PruneOutbox removes delivered and given-up notes and finished operations
// older than outbox.Keep; where posts landed (refs) stays, for later updates.
func (s *Store) PruneOutbox(ctx context.Context) (int, error) {
	before := s.now().UTC().Add(-outbox.Keep)
	total, err := s.outbox.Prune(ctx, before)
	if err != nil {
		return total, err
	}
	r, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM operations WHERE finished_at < ?`), before)
	if err != nil {
		return total, fmt.Errorf("prune outbox: %w", err)
	}
	n, _ := r.RowsAffected()
	return total + int(n), nil
}

// ClaimJob registers j (when new) and reports whether the caller should run
// it now (outbox.Outbox.ClaimJob).
func (s *Store) ClaimJob(ctx context.Context, j outbox.Job) (bool, error) {
	return s.outbox.ClaimJob(ctx, j)
}

// RunJobs runs the jobs due, each once across replicas, until ctx ends
// (outbox.Outbox.RunJobs).
func (s *Store) RunJobs(ctx context.Context, jobs []outbox.Job, tick time.Duration, log *slog.Logger) {
	s.outbox.RunJobs(ctx, jobs, tick, log)
}
