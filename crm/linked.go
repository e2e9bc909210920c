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

// Linked loads everything a delete of the contact would take.
func (s *Store) Linked(ctx context.Context, contactID string) (Contact, Linked, error) {
	var c Contact
	var l Linked
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		c, l, err = s.linked(ctx, tx, contactID, false)
		return err
	})
	return c, l, err
}

// linked loads a contact and its linked items inside tx; forUpdate also locks
// the contact and its conversations so that no linked row can be added until
// tx ends (an insert referencing a locked row waits for it). On SQLite the
// transaction already holds the database's write lock.
func (s *Store) linked(ctx context.Context, tx *sqlx.Tx, contactID string, forUpdate bool) (Contact, Linked, error) {
	var c Contact
	var l Linked
	q := `SELECT ` + contactColumns + ` FROM contacts c WHERE c.id = ?`
	if forUpdate {
		q += s.dialect.ForUpdate()
	}
	err := tx.GetContext(ctx, &c, tx.Rebind(q), contactID)
	if isNoRows(err) {
		return c, l, ErrContactGone
	}
	if err != nil {
		return c, l, fmt.Errorf("load contact %s: %w", contactID, err)
	}
	if forUpdate && s.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`SELECT 1 FROM conversations WHERE contact_id = ? FOR UPDATE`), contactID); err != nil {
			return c, l, fmt.Errorf("lock conversations of %s: %w", contactID, err)
		}
	}

	err = tx.GetContext(ctx, &l.Counts, tx.Rebind(`SELECT
		(SELECT count(*) FROM dnd_settings WHERE contact_id = ?) AS dnd_settings,
		(SELECT count(*) FROM conversations WHERE contact_id = ?) AS conversations,
		(SELECT count(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id WHERE v.contact_id = ?) AS messages,
		(SELECT count(*) FROM notes WHERE contact_id = ?) AS notes,
		(SELECT count(*) FROM opportunities WHERE contact_id = ?) AS opportunities,
		(SELECT count(*) FROM tasks WHERE contact_id = ?) AS tasks,
		(SELECT count(*) FROM appointments WHERE contact_id = ?) AS appointments,
		(SELECT count(*) FROM workflow_enrollments WHERE contact_id = ?) AS workflow_enrollments`),
		contactID, contactID, contactID, contactID, contactID, contactID, contactID, contactID)
	if err != nil {
		return c, l, fmt.Errorf("count linked rows of %s: %w", contactID, err)
	}

	now := s.now()
	var agg struct {
		OpenOpps   int    `db:"open_opps"`
		OpenValue  string `db:"open_value"`
		OpenTasks  int    `db:"open_tasks"`
		Upcoming   int    `db:"upcoming"`
		ActiveWfls int    `db:"active_workflows"`
	}
	err = tx.GetContext(ctx, &agg, tx.Rebind(`SELECT
		(SELECT count(*) FROM opportunities WHERE contact_id = ? AND status = 'open') AS open_opps,
		(SELECT `+s.dialect.SumMoneyText("monetary_value")+` FROM opportunities WHERE contact_id = ? AND status = 'open') AS open_value,
		(SELECT count(*) FROM tasks WHERE contact_id = ? AND NOT completed) AS open_tasks,
		(SELECT count(*) FROM appointments WHERE contact_id = ? AND status = 'confirmed' AND starts_at > ?) AS upcoming,
		(SELECT count(*) FROM workflow_enrollments WHERE contact_id = ? AND status = 'active') AS active_workflows`),
		contactID, contactID, contactID, contactID, now, contactID)
	if err != nil {
		return c, l, fmt.Errorf("summarise linked rows of %s: %w", contactID, err)
	}
	l.OpenOpportunityCount, l.OpenValue, l.OpenTasks = agg.OpenOpps, agg.OpenValue, agg.OpenTasks
	l.UpcomingCount, l.ActiveWorkflowCount = agg.Upcoming, agg.ActiveWfls
	l.ClosedOpportunities = l.Opportunities - l.OpenOpportunityCount

	if err := tx.SelectContext(ctx, &l.DND, tx.Rebind(`SELECT channel, status FROM dnd_settings WHERE contact_id = ? ORDER BY channel`), contactID); err != nil {
		return c, l, fmt.Errorf("load DND of %s: %w", contactID, err)
	}
	if err := tx.SelectContext(ctx, &l.OpenOpportunities, tx.Rebind(`SELECT id, name, status, `+s.dialect.MoneyText("monetary_value")+` AS monetary_value, created_at
		FROM opportunities WHERE contact_id = ? AND status = 'open' ORDER BY monetary_value DESC, id LIMIT ?`), contactID, itemLimit); err != nil {
		return c, l, fmt.Errorf("load opportunities of %s: %w", contactID, err)
	}
	if err := tx.SelectContext(ctx, &l.UpcomingAppointments, tx.Rebind(`SELECT id, title, starts_at, status
		FROM appointments WHERE contact_id = ? AND status = 'confirmed' AND starts_at > ? ORDER BY starts_at, id LIMIT ?`), contactID, now, itemLimit); err != nil {
		return c, l, fmt.Errorf("load appointments of %s: %w", contactID, err)
	}
	if err := tx.SelectContext(ctx, &l.ActiveWorkflows, tx.Rebind(`SELECT id, workflow_name, status, enrolled_at
		FROM workflow_enrollments WHERE contact_id = ? AND status = 'active' ORDER BY enrolled_at, id LIMIT ?`), contactID, itemLimit); err != nil {
		return c, l, fmt.Errorf("load workflows of %s: %w", contactID, err)
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
