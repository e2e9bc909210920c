package crm

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// itemLimit caps the named items loaded per kind; counts stay exact.
const itemLimit = 10

// Linked loads everything a delete of the contact would take. It reads
// outside any transaction: one statement for the contact with every count,
// then the named items only of the kinds it has.
func (s *Store) Linked(ctx context.Context, contactID string) (Contact, Linked, error) {
	return s.linked(ctx, s.db, contactID, false)
}

// dbtx is a connection pool or a transaction.
type dbtx interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// linkedSummary is the select list that counts every linked kind of the
// contact c and sums up the ones that matter; its one parameter is now.
func (s *Store) linkedSummary() string {
	return `(SELECT count(*) FROM dnd_settings WHERE contact_id = c.id) AS dnd_settings,
		(SELECT count(*) FROM conversations WHERE contact_id = c.id) AS conversations,
		(SELECT count(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id WHERE v.contact_id = c.id) AS messages,
		(SELECT count(*) FROM notes WHERE contact_id = c.id) AS notes,
		(SELECT count(*) FROM opportunities WHERE contact_id = c.id) AS opportunities,
		(SELECT count(*) FROM tasks WHERE contact_id = c.id) AS tasks,
		(SELECT count(*) FROM appointments WHERE contact_id = c.id) AS appointments,
		(SELECT count(*) FROM workflow_enrollments WHERE contact_id = c.id) AS workflow_enrollments,
		(SELECT count(*) FROM opportunities WHERE contact_id = c.id AND status = 'open') AS open_opps,
		(SELECT ` + s.dialect.SumMoneyText("monetary_value") + ` FROM opportunities WHERE contact_id = c.id AND status = 'open') AS open_value,
		(SELECT count(*) FROM tasks WHERE contact_id = c.id AND NOT completed) AS open_tasks,
		(SELECT count(*) FROM appointments WHERE contact_id = c.id AND status = 'confirmed' AND starts_at > ?) AS upcoming,
		(SELECT count(*) FROM workflow_enrollments WHERE contact_id = c.id AND status = 'active') AS active_workflows`
}

// summaryRow is what linkedSummary selects.
type summaryRow struct {
	Counts
	OpenOpps   int    `db:"open_opps"`
	OpenValue  string `db:"open_value"`
	OpenTasks  int    `db:"open_tasks"`
	Upcoming   int    `db:"upcoming"`
	ActiveWfls int    `db:"active_workflows"`
}

// linked loads a contact and its linked items on q; forUpdate (q is then a
// transaction) first locks the contact and its conversations so that no
// linked row can be added until the transaction ends (an insert referencing
// a locked row waits for it), and only then counts. On SQLite the
// transaction already holds the database's write lock.
func (s *Store) linked(ctx context.Context, q dbtx, contactID string, forUpdate bool) (Contact, Linked, error) {
	var row struct {
		Contact
		summaryRow
	}
	var l Linked
	now := s.now()
	var err error
	if forUpdate {
		err = sqlx.GetContext(ctx, q, &row.Contact, s.db.Rebind(`SELECT `+contactColumns+` FROM contacts c WHERE c.id = ?`+s.dialect.ForUpdate()), contactID)
		if err == nil && s.dialect == Postgres {
			if _, err := q.ExecContext(ctx, s.db.Rebind(`SELECT 1 FROM conversations WHERE contact_id = ? FOR UPDATE`), contactID); err != nil {
				return row.Contact, l, fmt.Errorf("lock conversations of %s: %w", contactID, err)
			}
		}
		if err == nil {
			err = sqlx.GetContext(ctx, q, &row.summaryRow, s.db.Rebind(`SELECT `+s.linkedSummary()+` FROM contacts c WHERE c.id = ?`), now, contactID)
		}
	} else {
		var rows []struct {
			Contact
			summaryRow
		}
		err = s.selectPrepared(ctx, q, &rows, `SELECT `+contactColumns+`, `+s.linkedSummary()+` FROM contacts c WHERE c.id = ?`, now, contactID)
		if err == nil && len(rows) == 0 {
			err = sql.ErrNoRows
		}
		if err == nil {
			row = rows[0]
		}
	}
	c := row.Contact
	if isNoRows(err) {
		return c, l, ErrContactGone
	}
	if err != nil {
		return c, l, fmt.Errorf("load contact %s and its linked rows: %w", contactID, err)
	}
	l.Counts = row.Counts
	l.OpenOpportunityCount, l.OpenValue, l.OpenTasks = row.OpenOpps, row.OpenValue, row.OpenTasks
	l.UpcomingCount, l.ActiveWorkflowCount = row.Upcoming, row.ActiveWfls
	l.ClosedOpportunities = l.Opportunities - l.OpenOpportunityCount

	// The named items, only of the kinds the contact has.
	if l.DNDSettings > 0 {
		if err := s.selectPrepared(ctx, q, &l.DND, `SELECT channel, status FROM dnd_settings WHERE contact_id = ? ORDER BY channel`, contactID); err != nil {
			return c, l, fmt.Errorf("load DND of %s: %w", contactID, err)
		}
	}
	if l.OpenOpportunityCount > 0 {
		if err := s.selectPrepared(ctx, q, &l.OpenOpportunities, `SELECT id, name, status, `+s.dialect.MoneyText("monetary_value")+` AS monetary_value, created_at
		FROM opportunities WHERE contact_id = ? AND status = 'open' ORDER BY monetary_value DESC, id LIMIT ?`, contactID, itemLimit); err != nil {
			return c, l, fmt.Errorf("load opportunities of %s: %w", contactID, err)
		}
	}
	if l.UpcomingCount > 0 {
		if err := s.selectPrepared(ctx, q, &l.UpcomingAppointments, `SELECT id, title, starts_at, status
		FROM appointments WHERE contact_id = ? AND status = 'confirmed' AND starts_at > ? ORDER BY starts_at, id LIMIT ?`, contactID, now, itemLimit); err != nil {
			return c, l, fmt.Errorf("load appointments of %s: %w", contactID, err)
		}
	}
	if l.ActiveWorkflowCount > 0 {
		if err := s.selectPrepared(ctx, q, &l.ActiveWorkflows, `SELECT id, workflow_name, status, enrolled_at
		FROM workflow_enrollments WHERE contact_id = ? AND status = 'active' ORDER BY enrolled_at, id LIMIT ?`, contactID, itemLimit); err != nil {
			return c, l, fmt.Errorf("load workflows of %s: %w", contactID, err)
		}
	}
	l.Fingerprint = fingerprint(c, l)
	return c, l, nil
}

// fingerprint condenses what a person deciding on a delete looked at; if it
// differs between the modal and the submit, the decision was made on stale data.
func fingerprint(c Contact, l Linked) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%s|%t|%s|", c.ID, c.FirstName, c.LastName, c.Email, c.Phone, c.DND, c.UpdatedAt.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(h, "%+v|%d|%s|%d|%d|%d|", l.Counts, l.OpenOpportunityCount, l.OpenValue, l.OpenTasks, l.UpcomingCount, l.ActiveWorkflowCount)
	for _, d := range l.DND {
		fmt.Fprintf(h, "%s=%s,", d.Channel, d.Status)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
