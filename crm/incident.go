package crm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// Incident is a deletion reported as wrong, and where it was announced.
type Incident struct {
	DeletionID string    `db:"deletion_id"`
	ReportedBy string    `db:"reported_by"`
	ReportedAt time.Time `db:"reported_at"`
	// Channel and MessageTS locate the incident message; empty while the
	// first reporter is still posting it.
	Channel   string `db:"channel"`
	MessageTS string `db:"message_ts"`
	// Note is what the reporter said was wrong, if anything.
	Note string `db:"note"`
}

// MaxReportNote bounds what a reporter may say was wrong.
const MaxReportNote = 500

// Report is the outcome of ReportDeletion.
type Report struct {
	// Deletion is the deletion reported. On a refusal (already restored,
	// window closed) it is the record as found.
	Deletion Deletion
	// Contact is the deleted contact as archived.
	Contact Contact
	// MergedInto is set for a merge: the contact it was merged into.
	MergedInto *ContactRef
	// Incident is the incident: this report's when New, else the first one.
	Incident Incident
	// New is true when this call recorded the incident, and wrote the
	// messages that announce it (the incident message, named
	// IncidentRef, and the DMs).
	New bool
	// Audit is the audit line written in the same transaction.
	Audit AuditEntry
	// Batch is set when the deletion reported is a batch's own record
	// (Contact is then empty): the whole batch is reported.
	Batch *Batch
}

// staleClaim is how long a report may stay without its message, and
// without a note in the outbox that will post it, before another report
// takes it over (reports from before the outbox, or whose message was given
// up on).
const staleClaim = 2 * time.Minute

// ReportDeletion records that reporter reports a deletion as wrong. A
// deletion has at most one incident, whoever reports it and on whichever
// replica: the first report gets New; later ones get the first incident.
// A deletion already restored, or past its restore window, is refused.
// notify renders the messages of a new incident, written in its
// transaction. note is what the reporter says was wrong (may be empty);
// it stays out of the audit line, which never holds contact details.
func (s *Store) ReportDeletion(ctx context.Context, deletionID, reporter, note string, notify func(Report) ([]outbox.Note, error)) (Report, error) {
	var out Report
	if deletionID == "" || reporter == "" {
		return out, precondition("A report needs a deletion id and who reports it.")
	}
	if len([]rune(note)) > MaxReportNote {
		return out, Errorf(EINVALID, "Say what was wrong in at most %d characters.", MaxReportNote)
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		d, err := loadDeletion(ctx, tx, deletionID, "")
		if err != nil {
			return err
		}
		out.Deletion = d
		now := s.now().UTC()
		if err := restorable(d, now); err != nil {
			return err
		}
		if d.IsBatch() {
			// The whole batch is reported: there is no one contact.
			b, _, err := s.loadBatch(ctx, tx, d.ID, "")
			if err != nil {
				return err
			}
			out.Batch = &b
		} else if out.Contact, err = archivedContact(ctx, tx, d.ID); err != nil {
			return err
		}
		if d.Kind == KindMerge {
			m, err := loadMerge(ctx, tx, d.ID)
			if err != nil {
				return err
			}
			ref := ContactRef{ID: m.OriginalID}
			if err := tx.GetContext(ctx, &ref, tx.Rebind(`SELECT id, first_name, last_name FROM contacts WHERE id = ?`), m.OriginalID); err != nil && !isNoRows(err) {
				return fmt.Errorf("load contact %s: %w", m.OriginalID, err)
			}
			out.MergedInto = &ref
		}
		// ON CONFLICT DO NOTHING: of two concurrent reports the second waits
		// for the first to commit, then inserts nothing.
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO incidents (deletion_id, reported_by, reported_at, note)
			VALUES (?, ?, ?, ?) ON CONFLICT (deletion_id) DO NOTHING`), d.ID, reporter, now, note)
		if err != nil {
			return fmt.Errorf("record incident of %s: %w", d.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("record incident of %s: %w", d.ID, err)
		}
		if n == 0 {
			res, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE incidents SET reported_by = ?, reported_at = ?, note = ?
				WHERE deletion_id = ? AND message_ts = '' AND reported_at < ?
				AND NOT EXISTS (SELECT 1 FROM outbox WHERE ref = ? AND `+outbox.PendingNote+`)`), reporter, now, note, d.ID, now.Add(-staleClaim), outbox.IncidentRef(d.ID).String())
			if err != nil {
				return fmt.Errorf("take over incident of %s: %w", d.ID, err)
			}
			if n, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("take over incident of %s: %w", d.ID, err)
			}
		}
		out.New = n == 1
		if err := tx.GetContext(ctx, &out.Incident, tx.Rebind(`SELECT * FROM incidents WHERE deletion_id = ?`), d.ID); err != nil {
			return fmt.Errorf("load incident of %s: %w", d.ID, err)
		}
		e := AuditEntry{Actor: reporter, Action: AuditReported, ContactID: d.ContactID, DeletionID: d.ID,
			RequestID: deref(d.RequestID), Outcome: "reported", At: now, BatchID: d.BatchID} // the note stays out: it may name the contact
		if !out.New {
			e.Outcome = "already reported by " + out.Incident.ReportedBy
		}
		if out.Audit, err = s.auditTx(ctx, tx, e); err != nil || !out.New {
			return err
		}
		return notifyOf(ctx, s, tx, notify, out)
	})
	return out, err
}

// Incident loads the incident of a deletion; found is false when it was never reported.
func (s *Store) Incident(ctx context.Context, deletionID string) (inc Incident, found bool, err error) {
	err = s.db.GetContext(ctx, &inc, s.db.Rebind(`SELECT * FROM incidents WHERE deletion_id = ?`), deletionID)
	if isNoRows(err) {
		return inc, false, nil
	}
	if err != nil {
		return inc, false, fmt.Errorf("load incident of %s: %w", deletionID, err)
	}
	return inc, true, nil
}

// FindDeletions finds the deletions a report may be about, newest first, at
// most SearchShown: by deletion id or deleted contact's id (whatever their
// state), or by the deleted contact's email (any case) or phone (by digits),
// which are read from the archive and so find only deletions that can still
// be restored. Every branch is served by an index (migrations 00003, 00020).
func (s *Store) FindDeletions(ctx context.Context, query string) ([]Deletion, error) {
	q := strings.TrimSpace(query)
	var archiveWhere string
	var args []any
	switch {
	case q == "":
		return nil, Errorf(EINVALID, "Say which deletion: its id from the delete summary, or the deleted contact's email or phone number.")
	case len(q) > MaxQueryLen:
		return nil, Errorf(EINVALID, "That is too long (%d characters) for a deletion id, an email or a phone number.", len(q))
	case strings.Contains(q, "@") || isPhoneQuery(q):
		archiveWhere, args = s.dialect.archivedContactWhere(q, s.phoneCountry)
	case looksLikeID(q):
		args = []any{q, q}
	default:
		return nil, Errorf(EINVALID, "%q is not a deletion id, an email or a phone number. Use the deletion id from the delete summary, or the deleted contact's email or phone.", shorten(q, 60))
	}
	where := `(d.id = ? OR d.contact_id = ?)`
	if archiveWhere != "" {
		// Two steps: the archive's expression index finds the deletion ids,
		// then their primary key finds the deletions. (One join would let the
		// planner, which has no statistics on a partial expression index,
		// scan deletions.)
		var ids []string
		if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(`SELECT a.deletion_id FROM archived_rows a
			WHERE a.table_name = 'contacts' AND `+archiveWhere+` LIMIT 100`), args...); err != nil {
			return nil, fmt.Errorf("find deletions in the archive: %w", err)
		}
		if len(ids) == 0 {
			return nil, nil
		}
		var err error
		if where, args, err = sqlx.In(`d.id IN (?)`, ids); err != nil {
			return nil, fmt.Errorf("find deletions: %w", err)
		}
	}
	var out []Deletion
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT d.* FROM deletions d WHERE `+where+
		` ORDER BY d.deleted_at DESC, d.id LIMIT `+fmt.Sprint(SearchShown)), args...); err != nil {
		return nil, fmt.Errorf("find deletions: %w", err)
	}
	for i := range out {
		if err := out[i].decode(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// archivedContactWhere matches archived contacts (archived_rows a) by the
// email in q (any case) or, when q has no @, by its national phone number
// (country: the default country, see NationalNumber), through the
// expression indexes of migration 00020.
func (d Dialect) archivedContactWhere(q, country string) (string, []any) {
	if strings.Contains(q, "@") {
		return `lower(` + d.jsonField("a.data", "email") + `) = lower(?)`, []any{q}
	}
	return d.phoneKeyMatch(d.jsonField("a.data", "phone"), NationalNumber(q, country))
}

// shorten cuts s to at most n characters, for echoing input back.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
