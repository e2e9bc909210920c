package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Audit actions: what a person did through the bot.
const (
	AuditFind            = "find"
	AuditDeleteRefused   = "delete_refused"
	AuditDeleteRequested = "delete_requested"
	AuditApproved        = "approved"
	AuditRejected        = "rejected"
	AuditExpired         = "expired"
	AuditDeleted         = "deleted"
	AuditReported        = "reported"
	AuditRestored        = "restored"
	AuditDNDSet          = "dnd_set"
	AuditFollowUpRemoved = "followup_removed"
	AuditUndone          = "undone"
	AuditPurged          = "purged"
	// AuditExported is an admin's export of the audit trail through Slack.
	AuditExported = "audit_exported"
)

// AuditEntry is one line of the audit trail. It carries ids and reasons,
// never contact details.
type AuditEntry struct {
	ID         int64     `db:"id"`
	At         time.Time `db:"at"`
	Actor      string    `db:"actor"` // Slack user id, or "system"
	Action     string    `db:"action"`
	ContactID  string    `db:"contact_id"`
	DeletionID string    `db:"deletion_id"`
	RequestID  string    `db:"request_id"`
	Reason     string    `db:"reason"`
	Outcome    string    `db:"outcome"`
	Detail     string    `db:"detail"`
	// BatchID is the batch the entry is about, when it is: the batch's own
	// line (AuditBatchDeleted, AuditBatchRestored) and each contact's.
	BatchID string `db:"batch_id"`
	// RequestKind is the Summary.Kind of the request the entry is about
	// (empty for a delete, and for entries about no request), so that its
	// line can say what was asked: "approved the merge of". It is no column
	// of its own: the entries about a request are written with it, and the
	// trail's readers (AuditTrail, ContactHistory) join it from the request.
	RequestKind Kind `db:"request_kind"`
}

// Audit appends one entry to the audit trail and returns it as stored.
func (s *Store) Audit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		e, err = s.auditTx(ctx, tx, e)
		return err
	})
	return e, err
}

// performedBy is whom the audit entry of a delete, merge or erasure names:
// the admin who approved it, who carried it out, when it was requested;
// else who did it.
func performedBy(actor, approvedBy string) string {
	if approvedBy != "" {
		return approvedBy
	}
	return actor
}

// auditTx appends e inside tx, so an action and its audit line commit together.
func (s *Store) auditTx(ctx context.Context, tx *sqlx.Tx, e AuditEntry) (AuditEntry, error) {
	if e.Actor == "" || e.Action == "" {
		return e, precondition("An audit entry needs an actor and an action.")
	}
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	q := `INSERT INTO audit_log (at, actor, action, contact_id, deletion_id, request_id, reason, outcome, detail, batch_id)
		VALUES (:at, :actor, :action, :contact_id, :deletion_id, :request_id, :reason, :outcome, :detail, :batch_id) RETURNING id`
	rows, err := sqlx.NamedQueryContext(ctx, tx, q, e)
	if err != nil {
		return e, fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&e.ID); err != nil {
			return e, fmt.Errorf("append audit %s: %w", e.Action, err)
		}
	}
	if err := rows.Err(); err != nil {
		return e, fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	rows.Close()
	feed := s.hooks.AuditNotes
	if feed == nil {
		return e, nil
	}
	// The audit feed's line commits with the entry, or not at all.
	return e, s.enqueueTx(ctx, tx, feed(e))
}

// requestKindOf selects the RequestKind of an audit entry joined with its
// request, as r.
func (d Dialect) requestKindOf() string {
	return `COALESCE(` + d.jsonField("r.summary", "kind") + `, '') AS request_kind`
}

// HasAuditTrail reports whether anything was ever audited: a database
// without one has nothing a digest or an audit export could show.
func (s *Store) HasAuditTrail(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM (SELECT 1 FROM audit_log LIMIT 1) AS any_entry`); err != nil {
		return false, fmt.Errorf("look for audit entries: %w", err)
	}
	return n > 0, nil
}

// AuditTrail lists the audit entries of a contact or a deletion, oldest first.
func (s *Store) AuditTrail(ctx context.Context, contactID, deletionID string, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT a.*, `+s.dialect.requestKindOf()+`
		FROM audit_log a LEFT JOIN approval_requests r ON r.id = a.request_id
		WHERE (? <> '' AND a.contact_id = ?) OR (? <> '' AND a.deletion_id = ?) ORDER BY a.at, a.id LIMIT ?`),
		contactID, contactID, deletionID, deletionID, limit)
	if err != nil {
		return nil, fmt.Errorf("load audit trail: %w", err)
	}
	return out, nil
}

// EachAuditEntry calls fn with every audit entry at or after since, oldest
// first, reading them as it goes (an export of months need not fit in
// memory). It stops at fn's first error and returns it.
func (s *Store) EachAuditEntry(ctx context.Context, since time.Time, fn func(AuditEntry) error) error {
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(`SELECT * FROM audit_log WHERE at >= ? ORDER BY at, id`), since.UTC())
	if err != nil {
		return fmt.Errorf("read audit trail: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("read audit trail: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read audit trail: %w", err)
	}
	return nil
}
