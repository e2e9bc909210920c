package crm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"contactbot/outbox"
)

// ReviewKind is what an admin did alone that a review is of. The database
// keeps it as its text ("delete", "restore", "suppression_removal").
type ReviewKind string

// Kinds of review: what an admin did alone.
const (
	ReviewDelete  ReviewKind = "delete"  // a direct delete, nobody approved it
	ReviewRestore ReviewKind = "restore" // a restore, which admins do alone
	// ReviewSuppressionRemoval is the removal of a suppression entry that
	// no privacy erasure wrote (an erasure's needs a second admin first).
	ReviewSuppressionRemoval ReviewKind = "suppression_removal"
)

// AuditReviewAcknowledged is another admin's acknowledgement of a review.
const AuditReviewAcknowledged = "review_acknowledged"

// ReviewRemindAfter is how long a review waits for an acknowledgement
// before the approvals channel is reminded of it, once.
const ReviewRemindAfter = 24 * time.Hour

// Errors of AcknowledgeReview. The bot words its own answers from the
// Review returned alongside (who acknowledged, when).
var (
	ErrNoReview           = &Error{Code: ENOTFOUND, Message: "There is no such review. It may be from another workspace or an older version of contactbot."}
	ErrOwnReview          = &Error{Code: EINVALID, Message: "You did this yourself, so another admin must acknowledge it."}
	ErrAlreadyAcknowledge = &Error{Code: ECONFLICT, Message: "This has already been acknowledged."}
)

// Review is a delete or restore an admin did alone, waiting for a second
// admin to look at it. The contact's label comes from its deletion (and
// goes when that is purged).
type Review struct {
	ID             string     `db:"id"`
	Kind           ReviewKind `db:"kind"`
	DeletionID     string     `db:"deletion_id"`
	Actor          string     `db:"actor"`
	CreatedAt      time.Time  `db:"created_at"`
	RemindAt       time.Time  `db:"remind_at"`
	RemindedAt     *time.Time `db:"reminded_at"`
	AcknowledgedBy string     `db:"acknowledged_by"`
	AcknowledgedAt *time.Time `db:"acknowledged_at"`
	ContactID      string     `db:"contact_id"`
	ContactLabel   string     `db:"contact_label"`
	Reason         string     `db:"reason"`
	// DeletionKind is the deletion's kind: a review of kind ReviewDelete
	// is of a direct merge when it is KindMerge.
	DeletionKind Kind `db:"deletion_kind"`
	// MergedInto is the contact a merge kept (KindMerge), else "".
	MergedInto string `db:"merged_into"`
	// EntryID and EntryKind name the suppression entry a review of kind
	// ReviewSuppressionRemoval is of (SuppressionEmail or SuppressionPhone).
	EntryID   string `db:"entry_id"`
	EntryKind string `db:"entry_kind"`
}

// Open reports whether the review still waits for an acknowledgement.
func (r Review) Open() bool { return r.AcknowledgedAt == nil }

const reviewSelect = `SELECT r.id, r.kind, r.deletion_id, r.actor, r.created_at, r.remind_at, r.reminded_at,
	coalesce(r.acknowledged_by, '') AS acknowledged_by, r.acknowledged_at, d.contact_id, d.contact_label, d.reason,
	d.kind AS deletion_kind, coalesce(m.original_id, '') AS merged_into, r.entry_id, r.entry_kind
	FROM reviews r JOIN deletions d ON d.id = r.deletion_id LEFT JOIN merges m ON m.deletion_id = r.deletion_id `

// openReviewTx records, in the transaction of the delete or restore, that
// actor did it alone.
func (s *Store) openReviewTx(ctx context.Context, tx *sqlx.Tx, kind ReviewKind, deletionID, actor string, now time.Time) (*Review, error) {
	return s.openEntryReviewTx(ctx, tx, Review{Kind: kind, DeletionID: deletionID, Actor: actor}, now)
}

// openEntryReviewTx records a review of r's kind, deletion, actor and
// suppression entry (for ReviewSuppressionRemoval).
func (s *Store) openEntryReviewTx(ctx context.Context, tx *sqlx.Tx, r Review, now time.Time) (*Review, error) {
	r.ID, r.CreatedAt, r.RemindAt = NewID("V", 10), now, now.Add(ReviewRemindAfter)
	kind, deletionID := r.Kind, r.DeletionID
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO reviews (id, kind, deletion_id, actor, created_at, remind_at, entry_id, entry_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		r.ID, r.Kind, r.DeletionID, r.Actor, r.CreatedAt, r.RemindAt, r.EntryID, r.EntryKind); err != nil {
		return nil, fmt.Errorf("record review of %s %s: %w", kind, deletionID, err)
	}
	got, err := s.selectReviews(ctx, tx, `WHERE r.id = ?`, r.ID)
	if err != nil || len(got) == 0 {
		return nil, fmt.Errorf("load review %s: %w", r.ID, err)
	}
	return &got[0], nil
}

func (s *Store) selectReviews(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]Review, error) {
	var out []Review
	if err := sqlx.SelectContext(ctx, q, &out, s.db.Rebind(reviewSelect+where), args...); err != nil {
		return nil, fmt.Errorf("load reviews: %w", err)
	}
	return out, nil
}

// Review loads one review.
func (s *Store) Review(ctx context.Context, id string) (Review, error) {
	list, err := s.selectReviews(ctx, s.db, `WHERE r.id = ?`, id)
	if err != nil {
		return Review{}, err
	}
	if len(list) == 0 {
		return Review{}, ErrNoReview
	}
	return list[0], nil
}

// ReviewOf loads the review of a deletion's delete or restore; found is
// false when there is none (someone else approved it, or a deleter did it).
func (s *Store) ReviewOf(ctx context.Context, kind ReviewKind, deletionID string) (r Review, found bool, err error) {
	list, err := s.selectReviews(ctx, s.db, `WHERE r.kind = ? AND r.deletion_id = ?`, kind, deletionID)
	if err != nil || len(list) == 0 {
		return Review{}, false, err
	}
	return list[0], true, nil
}

// OpenReviews lists the reviews waiting for an acknowledgement, oldest
// first, at most limit, and how many there are.
func (s *Store) OpenReviews(ctx context.Context, limit int) ([]Review, int, error) {
	return s.openReviews(ctx, limit, "")
}

// ReviewsFor lists, oldest first, the open reviews admin can acknowledge:
// those of what another admin did alone; total counts them all.
func (s *Store) ReviewsFor(ctx context.Context, admin string, limit int) ([]Review, int, error) {
	return s.openReviews(ctx, limit, ` AND r.actor <> ?`, admin)
}

// openReviews lists the open reviews that also meet and (a condition on
// reviews r, with args; "" for all), oldest first, at most limit, and
// counts them all.
func (s *Store) openReviews(ctx context.Context, limit int, and string, args ...any) ([]Review, int, error) {
	where := `WHERE r.acknowledged_at IS NULL` + and
	list, err := s.selectReviews(ctx, s.db, where+` ORDER BY r.created_at, r.id LIMIT ?`, append(slices.Clip(args), limit)...)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT count(*) FROM reviews r `+where), args...); err != nil {
		return nil, 0, fmt.Errorf("count open reviews: %w", err)
	}
	return list, total, nil
}

// AcknowledgeReview records that admin looked at a review, once: of any
// number of concurrent acknowledgements one wins and the others get
// ErrAlreadyAcknowledge with the review as acknowledged. The admin who did
// it alone gets ErrOwnReview. notify renders the messages that announce it,
// written in its transaction with the audit line.
func (s *Store) AcknowledgeReview(ctx context.Context, id, admin string, notify func(Review) ([]outbox.Note, error)) (Review, error) {
	var r Review
	if id == "" || admin == "" {
		return r, precondition("An acknowledgement needs a review and an admin.")
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		list, err := s.selectReviews(ctx, tx, `WHERE r.id = ?`+s.dialect.ForUpdateOf("r"), id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return ErrNoReview
		}
		r = list[0]
		switch {
		case !r.Open():
			return ErrAlreadyAcknowledge
		case r.Actor == admin:
			return ErrOwnReview
		}
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE reviews SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL`), admin, now, id); err != nil {
			return fmt.Errorf("acknowledge review %s: %w", id, err)
		}
		r.AcknowledgedBy, r.AcknowledgedAt = admin, &now
		what := "direct delete by "
		switch {
		case r.Kind == ReviewRestore:
			what = "restore by "
		case r.Kind == ReviewSuppressionRemoval:
			what = r.EntryKind + " suppression entry " + r.EntryID + " removed by "
		case r.DeletionKind == KindMerge:
			what = "direct merge by "
		}
		if _, err := s.auditTx(ctx, tx, AuditEntry{Actor: admin, Action: AuditReviewAcknowledged, ContactID: r.ContactID, DeletionID: r.DeletionID,
			Reason: r.Reason, Outcome: "acknowledged", Detail: what + r.Actor, At: now}); err != nil {
			return err
		}
		return notifyOf(ctx, s, tx, notify, r)
	})
	return r, err
}

// ClaimReviewReminders returns open reviews past their reminder time that
// nobody was reminded of yet, marking them reminded: each to exactly one
// caller. notify renders each reminder, written in the same transaction,
// which also wants the admins called (ClaimAdminCall).
func (s *Store) ClaimReviewReminders(ctx context.Context, notify func(Review) ([]outbox.Note, error)) ([]Review, error) {
	var out []Review
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		now := s.now().UTC()
		var ids []string
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`UPDATE reviews SET reminded_at = ?
			WHERE acknowledged_at IS NULL AND reminded_at IS NULL AND remind_at <= ? AND id IN (
				SELECT id FROM reviews WHERE acknowledged_at IS NULL AND reminded_at IS NULL AND remind_at <= ? ORDER BY remind_at LIMIT ?)
			RETURNING id`), now, now, now, jobBatch); err != nil {
			return fmt.Errorf("claim review reminders: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		where, args, err := sqlx.In(`WHERE r.id IN (?) ORDER BY r.remind_at, r.id`, ids)
		if err != nil {
			return fmt.Errorf("claim review reminders: %w", err)
		}
		if out, err = s.selectReviews(ctx, tx, where, args...); err != nil {
			return err
		}
		for _, r := range out {
			if err := notifyOf(ctx, s, tx, notify, r); err != nil {
				return err
			}
		}
		if len(out) > 0 {
			return wantAdminCallTx(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReviewJobsDue reports, with one indexed read, whether a review reminder
// is due: the job that sends them runs every few seconds and mostly finds
// nothing.
func (s *Store) ReviewJobsDue(ctx context.Context) (bool, error) {
	var due bool
	err := s.db.GetContext(ctx, &due, s.db.Rebind(`SELECT EXISTS (SELECT 1 FROM reviews
		WHERE acknowledged_at IS NULL AND reminded_at IS NULL AND remind_at <= ?)`), s.now().UTC())
	if err != nil {
		return false, fmt.Errorf("review reminders due: %w", err)
	}
	return due, nil
}

// ForUpdateOf is ForUpdate for a join: only the rows of the table alias
// names are locked (PostgreSQL; SQLite's write lock covers everything).
func (d Dialect) ForUpdateOf(alias string) string {
	if d == SQLite {
		return ""
	}
	return " FOR UPDATE OF " + alias
}

// PurgeDue reports, with one read of a partial index, whether an archive's
// restore window has passed: serve checks every few seconds, so that a
// short RESTORE_WINDOW behaves like a long one.
func (s *Store) PurgeDue(ctx context.Context) (bool, error) {
	var due bool
	err := s.db.GetContext(ctx, &due, s.db.Rebind(`SELECT EXISTS (SELECT 1 FROM deletions
		WHERE purged_at IS NULL AND restored_at IS NULL AND restore_until < ?)`), s.now().UTC())
	if err != nil {
		return false, fmt.Errorf("purge due: %w", err)
	}
	return due, nil
}
