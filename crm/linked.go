package crm

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
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

// linked is what the counts say a delete would take, without named items.
func (r summaryRow) linked() Linked {
	l := Linked{Counts: r.Counts, OpenOpportunityCount: r.OpenOpps, OpenValue: r.OpenValue, OpenTasks: r.OpenTasks,
		UpcomingCount: r.Upcoming, ActiveWorkflowCount: r.ActiveWfls}
	l.ClosedOpportunities = l.Opportunities - l.OpenOpportunityCount
	return l
}

// ContactLinked is a contact and what a delete of it would take.
type ContactLinked struct {
	Contact Contact
	Linked  Linked
}

// LinkedMany is Linked for several contacts at once (the matches a search
// shows), in a fixed number of statements however many contacts: one for
// the contacts and their counts, then one per kind of named item that any
// of them has. Contacts that no longer exist are left out; the others come
// in the order of ids.
func (s *Store) LinkedMany(ctx context.Context, ids []string) ([]ContactLinked, error) {
	return s.linkedMany(ctx, s.db, ids)
}

// linked loads a contact and its linked items on q; forUpdate (q is then a
// transaction) first locks the contact and its conversations so that no
// linked row can be added until the transaction ends (an insert referencing
// a locked row waits for it), and only then counts. On SQLite the
// transaction already holds the database's write lock.
func (s *Store) linked(ctx context.Context, q dbtx, contactID string, forUpdate bool) (Contact, Linked, error) {
	if forUpdate {
		var c Contact
		err := sqlx.GetContext(ctx, q, &c, s.db.Rebind(`SELECT `+contactColumns+` FROM contacts c WHERE c.id = ?`+s.dialect.ForUpdate()), contactID)
		if isNoRows(err) {
			return c, Linked{}, ErrContactGone
		}
		if err != nil {
			return c, Linked{}, fmt.Errorf("lock contact %s: %w", contactID, err)
		}
		if s.dialect == Postgres {
			if _, err := q.ExecContext(ctx, s.db.Rebind(`SELECT 1 FROM conversations WHERE contact_id = ? FOR UPDATE`), contactID); err != nil {
				return c, Linked{}, fmt.Errorf("lock conversations of %s: %w", contactID, err)
			}
		}
	}
	all, err := s.linkedMany(ctx, q, []string{contactID})
	if err != nil {
		return Contact{}, Linked{}, err
	}
	if len(all) == 0 {
		return Contact{}, Linked{}, ErrContactGone
	}
	return all[0].Contact, all[0].Linked, nil
}

// linkedMany is LinkedMany on q, which may be a transaction.
func (s *Store) linkedMany(ctx context.Context, q dbtx, ids []string) ([]ContactLinked, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if s.dialect == Postgres {
		return s.linkedManyOne(ctx, q, ids)
	}
	return s.linkedManyByKind(ctx, q, ids)
}

// linkedManyByKind is linkedMany on SQLite, where a statement costs no
// round trip: one statement for the contacts and their counts, then one
// per kind of named item that any of them has.
func (s *Store) linkedManyByKind(ctx context.Context, q dbtx, ids []string) ([]ContactLinked, error) {
	now := s.now()
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	idArgs := make([]any, len(ids))
	for i, id := range ids {
		idArgs[i] = id
	}
	var rows []struct {
		Contact
		summaryRow
	}
	if err := s.selectPrepared(ctx, q, &rows, `SELECT `+contactColumns+`, `+s.linkedSummary()+` FROM contacts c WHERE c.id IN `+in, append([]any{now}, idArgs...)...); err != nil {
		return nil, fmt.Errorf("load %d contacts and their linked rows: %w", len(ids), err)
	}
	byID := map[string]*Linked{}
	var need struct{ dnd, opps, appts, workflows []any }
	out := make([]ContactLinked, 0, len(rows))
	for _, r := range rows {
		l := r.linked()
		out = append(out, ContactLinked{Contact: r.Contact, Linked: l})
		// The named items, only of the kinds a contact has.
		if l.DNDSettings > 0 {
			need.dnd = append(need.dnd, r.ID)
		}
		if l.OpenOpportunityCount > 0 {
			need.opps = append(need.opps, r.ID)
		}
		if l.UpcomingCount > 0 {
			need.appts = append(need.appts, r.ID)
		}
		if l.ActiveWorkflowCount > 0 {
			need.workflows = append(need.workflows, r.ID)
		}
	}
	for i := range out {
		byID[out[i].Contact.ID] = &out[i].Linked
	}
	marks := func(ids []any) string { return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")" }
	// The first itemLimit items of each contact, by a window over its rows.
	firstItems := func(cols, from, order string) string {
		return `SELECT * FROM (SELECT contact_id, ` + cols + `, row_number() OVER (PARTITION BY contact_id ORDER BY ` + order + `) AS rn FROM ` + from + `) x WHERE rn <= ? ORDER BY contact_id, rn`
	}
	if len(need.dnd) > 0 {
		var items []struct {
			ContactID string `db:"contact_id"`
			DNDSetting
		}
		if err := s.selectPrepared(ctx, q, &items, `SELECT contact_id, channel, status FROM dnd_settings WHERE contact_id IN `+marks(need.dnd)+` ORDER BY contact_id, channel`, need.dnd...); err != nil {
			return nil, fmt.Errorf("load DND settings: %w", err)
		}
		for _, it := range items {
			byID[it.ContactID].DND = append(byID[it.ContactID].DND, it.DNDSetting)
		}
	}
	if len(need.opps) > 0 {
		var items []struct {
			ContactID string `db:"contact_id"`
			Rn        int    `db:"rn"`
			Opportunity
		}
		if err := s.selectPrepared(ctx, q, &items, firstItems(`id, name, status, `+s.dialect.MoneyText("monetary_value")+` AS monetary_value, created_at`,
			`opportunities WHERE contact_id IN `+marks(need.opps)+` AND status = 'open'`, `monetary_value DESC, id`), append(need.opps, itemLimit)...); err != nil {
			return nil, fmt.Errorf("load open opportunities: %w", err)
		}
		for _, it := range items {
			byID[it.ContactID].OpenOpportunities = append(byID[it.ContactID].OpenOpportunities, it.Opportunity)
		}
	}
	if len(need.appts) > 0 {
		var items []struct {
			ContactID string `db:"contact_id"`
			Rn        int    `db:"rn"`
			Appointment
		}
		if err := s.selectPrepared(ctx, q, &items, firstItems(`id, title, starts_at, status`,
			`appointments WHERE contact_id IN `+marks(need.appts)+` AND status = 'confirmed' AND starts_at > ?`, `starts_at, id`), append(append(need.appts, now), itemLimit)...); err != nil {
			return nil, fmt.Errorf("load upcoming appointments: %w", err)
		}
		for _, it := range items {
			byID[it.ContactID].UpcomingAppointments = append(byID[it.ContactID].UpcomingAppointments, it.Appointment)
		}
	}
	if len(need.workflows) > 0 {
		var items []struct {
			ContactID string `db:"contact_id"`
			Rn        int    `db:"rn"`
			WorkflowEnrollment
		}
		if err := s.selectPrepared(ctx, q, &items, firstItems(`id, workflow_name, status, enrolled_at`,
			`workflow_enrollments WHERE contact_id IN `+marks(need.workflows)+` AND status = 'active'`, `enrolled_at, id`), append(need.workflows, itemLimit)...); err != nil {
			return nil, fmt.Errorf("load active workflows: %w", err)
		}
		for _, it := range items {
			byID[it.ContactID].ActiveWorkflows = append(byID[it.ContactID].ActiveWorkflows, it.WorkflowEnrollment)
		}
	}
	return inOrder(out, ids), nil
}

// inOrder sorts out in the order of ids and sets each one's fingerprint.
func inOrder(out []ContactLinked, ids []string) []ContactLinked {
	pos := map[string]int{}
	for i, id := range ids {
		if _, ok := pos[id]; !ok {
			pos[id] = i
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return pos[out[i].Contact.ID] < pos[out[j].Contact.ID] })
	for i := range out {
		out[i].Linked.Fingerprint = fingerprint(out[i].Contact, out[i].Linked)
	}
	return out
}

// linkedSQL is the statement that loads contacts and what a delete of each
// would take on PostgreSQL, in one round trip: the contacts of from (which
// names them c) with every count, and the named items of the kinds each
// has as JSON, in the orders and up to the limits of the SQLite
// statements, then the columns more. One kind's counts come from one scan
// of its rows (FILTER), and a kind's items are read only when its count
// says there are some. $1 is now.
func linkedSQL(from, more string) string {
	return `SELECT ` + contactColumns + `,
	dn.n AS dnd_settings, cv.n AS conversations, cv.messages, nt.n AS notes, op.n AS opportunities, tk.n AS tasks,
	ap.n AS appointments, wf.n AS workflow_enrollments, op.open AS open_opps, op.open_value, tk.open AS open_tasks,
	ap.upcoming, wf.active AS active_workflows, dn.items AS dnd_items,
	CASE WHEN op.open > 0 THEN (SELECT json_agg(x ORDER BY x.v DESC, x.id) FROM (SELECT id, name, status, monetary_value AS v, monetary_value::text AS monetary_value, created_at
		FROM opportunities WHERE contact_id = c.id AND status = 'open' ORDER BY v DESC, id LIMIT ` + fmt.Sprint(itemLimit) + `) x) END AS opportunity_items,
	CASE WHEN ap.upcoming > 0 THEN (SELECT json_agg(x ORDER BY x.starts_at, x.id) FROM (SELECT id, title, starts_at, status
		FROM appointments WHERE contact_id = c.id AND status = 'confirmed' AND starts_at > $1 ORDER BY starts_at, id LIMIT ` + fmt.Sprint(itemLimit) + `) x) END AS appointment_items,
	CASE WHEN wf.active > 0 THEN (SELECT json_agg(x ORDER BY x.enrolled_at, x.id) FROM (SELECT id, workflow_name, status, enrolled_at
		FROM workflow_enrollments WHERE contact_id = c.id AND status = 'active' ORDER BY enrolled_at, id LIMIT ` + fmt.Sprint(itemLimit) + `) x) END AS workflow_items` + more + `
FROM ` + from + `
CROSS JOIN LATERAL (SELECT count(*) AS n, json_agg(json_build_object('channel', channel, 'status', status) ORDER BY channel) AS items FROM dnd_settings WHERE contact_id = c.id) dn
CROSS JOIN LATERAL (SELECT count(*) AS n, coalesce(sum((SELECT count(*) FROM messages m WHERE m.conversation_id = v.id)), 0) AS messages FROM conversations v WHERE v.contact_id = c.id) cv
CROSS JOIN LATERAL (SELECT count(*) AS n FROM notes WHERE contact_id = c.id) nt
CROSS JOIN LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE status = 'open') AS open,
	coalesce(sum(monetary_value) FILTER (WHERE status = 'open'), 0)::text AS open_value FROM opportunities WHERE contact_id = c.id) op
CROSS JOIN LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE NOT completed) AS open FROM tasks WHERE contact_id = c.id) tk
CROSS JOIN LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE status = 'confirmed' AND starts_at > $1) AS upcoming FROM appointments WHERE contact_id = c.id) ap
CROSS JOIN LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE status = 'active') AS active FROM workflow_enrollments WHERE contact_id = c.id) wf`
}

// linkedOneSQL is linkedMany's one statement on PostgreSQL: the contacts
// whose ids are $2 (an array).
var linkedOneSQL = linkedSQL("contacts c", "") + `
WHERE c.id = ANY($2)`

// linkedRow is a row of linkedSQL.
type linkedRow struct {
	Contact
	summaryRow
	DNDItems         []byte `db:"dnd_items"`
	OpportunityItems []byte `db:"opportunity_items"`
	AppointmentItems []byte `db:"appointment_items"`
	WorkflowItems    []byte `db:"workflow_items"`
}

// linkedManyOne is linkedMany on PostgreSQL: linkedOneSQL, prepared, one
// round trip for any number of contacts.
func (s *Store) linkedManyOne(ctx context.Context, q dbtx, ids []string) ([]ContactLinked, error) {
	// Padded with NULLs, as pageArrays: the same estimate, and so one plan,
	// for one contact as for ten.
	padded := make([]sql.NullString, max(len(ids), SearchShown))
	for i, id := range ids {
		padded[i] = sql.NullString{String: id, Valid: true}
	}
	var rows []linkedRow
	if err := s.selectPrepared(ctx, q, &rows, linkedOneSQL, s.now(), pq.Array(padded)); err != nil {
		return nil, fmt.Errorf("load %d contacts and their linked rows: %w", len(ids), err)
	}
	out := make([]ContactLinked, 0, len(rows))
	for _, r := range rows {
		cl, err := r.contactLinked()
		if err != nil {
			return nil, err
		}
		out = append(out, cl)
	}
	return inOrder(out, ids), nil
}

// contactLinked reads the row's contact, counts and named items; the
// fingerprint is inOrder's to set.
func (r linkedRow) contactLinked() (ContactLinked, error) {
	l := r.linked()
	var dnd []struct {
		Channel string `json:"channel"`
		Status  string `json:"status"`
	}
	var opps []struct {
		ID            string    `json:"id"`
		Name          string    `json:"name"`
		Status        string    `json:"status"`
		MonetaryValue string    `json:"monetary_value"`
		CreatedAt     time.Time `json:"created_at"`
	}
	var appts []struct {
		ID       string    `json:"id"`
		Title    string    `json:"title"`
		StartsAt time.Time `json:"starts_at"`
		Status   string    `json:"status"`
	}
	var wfs []struct {
		ID           string    `json:"id"`
		WorkflowName string    `json:"workflow_name"`
		Status       string    `json:"status"`
		EnrolledAt   time.Time `json:"enrolled_at"`
	}
	for _, it := range []struct {
		raw  []byte
		dest any
	}{{r.DNDItems, &dnd}, {r.OpportunityItems, &opps}, {r.AppointmentItems, &appts}, {r.WorkflowItems, &wfs}} {
		if len(it.raw) > 0 {
			if err := json.Unmarshal(it.raw, it.dest); err != nil {
				return ContactLinked{}, fmt.Errorf("read linked items of %s: %w", r.ID, err)
			}
		}
	}
	for _, d := range dnd {
		l.DND = append(l.DND, DNDSetting{Channel: d.Channel, Status: d.Status})
	}
	for _, o := range opps {
		l.OpenOpportunities = append(l.OpenOpportunities, Opportunity{ID: o.ID, Name: o.Name, Status: o.Status, MonetaryValue: o.MonetaryValue, CreatedAt: o.CreatedAt})
	}
	for _, a := range appts {
		l.UpcomingAppointments = append(l.UpcomingAppointments, Appointment{ID: a.ID, Title: a.Title, StartsAt: a.StartsAt, Status: a.Status})
	}
	for _, w := range wfs {
		l.ActiveWorkflows = append(l.ActiveWorkflows, WorkflowEnrollment{ID: w.ID, WorkflowName: w.WorkflowName, Status: w.Status, EnrolledAt: w.EnrolledAt})
	}
	return ContactLinked{Contact: r.Contact, Linked: l}, nil
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
