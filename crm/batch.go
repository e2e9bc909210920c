package crm

import (
	"time"

	"contactbot/outbox"
)

// Batch clean-up: deleting test contacts (a funnel tested twenty times, an
// import run twice) in one restorable batch. A batch is one deletion record
// of its own (the head: Deletion.BatchID equal to its own ID, no contact,
// Counts the totals) and one ordinary deletion per contact (Deletion.BatchID
// the head's id), each archived exactly as Delete archives a single contact.
// Incidents, reviews and restore windows of a batch hang off its head.

// KindBatch is the Approval.Kind of a request to delete a batch.
const KindBatch Kind = "batch"

// OperationDeleteBatch is the Operation.Kind of a batch delete; its Subject
// is the batch id once the batch is recorded ("" before).
const OperationDeleteBatch OperationKind = "delete_batch"

// DefaultBulkLimit is the largest batch when BULK_LIMIT is not set.
const DefaultBulkLimit = 500

// BatchShown is how many contacts a batch's approval request keeps, to show.
const BatchShown = 20

// RecentInboundWindow is how recent an inbound message keeps its contact out
// of a batch by default (RiskRecentInbound).
const RecentInboundWindow = 30 * 24 * time.Hour

// Audit actions of batches: one line for the batch, besides the one line per
// contact (AuditDeleted, AuditRestored) each carrying the batch id.
const (
	AuditBatchDeleted  = "batch_deleted"
	AuditBatchRestored = "batch_restored"
)

// BatchFilter selects contacts by terms, all of which must hold. Every field
// is canonical: Email lower case, Name one folded word.
type BatchFilter struct {
	// Email is an address, or a pattern where '*' stands for any text
	// ("*@qa.example.com", "test+*@acme.com").
	Email string
	// Name is one word of the name, folded as search folds it ("test").
	Name string
	// Source is the contact's source, exactly ("import-2026-11-28").
	Source string
	// Location is a location id.
	Location string
	// CreatedFrom and CreatedTo are the first and last day of creation
	// (UTC midnights, inclusive); zero is open on that side.
	CreatedFrom, CreatedTo time.Time
}

// IsZero reports whether the filter has no term.
func (f BatchFilter) IsZero() bool { return f == BatchFilter{} }

// BatchRisk is why a contact is not safe to delete in bulk.
type BatchRisk string

// Risks that keep a contact out of a batch unless an admin includes them.
const (
	RiskOpenOpportunity     BatchRisk = "open_opportunity"
	RiskUpcomingAppointment BatchRisk = "upcoming_appointment"
	RiskActiveWorkflow      BatchRisk = "active_workflow"
	RiskDND                 BatchRisk = "dnd" // any DND or opt-out: the contact flag or a channel
	RiskRecentInbound       BatchRisk = "recent_inbound"
)

// BatchContact is one contact a filter matches, with what deleting it would
// take and why it is not safe to delete in bulk (Risks empty: safe).
type BatchContact struct {
	Contact Contact
	Linked  Linked // Linked.Counts are its own counts; Linked.Fingerprint its state
	Risks   []BatchRisk
}

// OptedOut reports whether deleting the contact puts it on the suppression
// list (it has DND on the contact or a channel).
func (b BatchContact) OptedOut() bool { return b.Contact.DND || b.Linked.HasDND() }

// BatchOptions tune a preview.
type BatchOptions struct {
	// Limit is BULK_LIMIT: a larger match is refused (ErrBatchTooLarge).
	// 0 means DefaultBulkLimit.
	Limit int
	// IncludeRisky puts the risky contacts in Deletes (an admin ticked the
	// box) instead of Kept.
	IncludeRisky bool
}

// BatchPreview is what a batch would delete, as it is now.
type BatchPreview struct {
	Filter       BatchFilter
	IncludeRisky bool
	Limit        int
	// Matched is how many contacts match: exact up to Limit; Limit+1 when
	// OverLimit (the count stops there).
	Matched   int
	OverLimit bool
	// Deletes are the contacts the batch would delete (all of them, oldest
	// first; show the first BatchShown); Kept those kept out as risky,
	// "check these one by one" (empty when IncludeRisky).
	Deletes []BatchContact
	Kept    []BatchContact
	// Totals are the rows the batch would take, over Deletes (Total() counts
	// the contacts too).
	Totals Counts
	// OptedOut is how many of Deletes go to the suppression list.
	OptedOut int
	// Fingerprint condenses Deletes (ids and each one's Linked.Fingerprint)
	// and IncludeRisky: a submit whose fingerprint differs is stale.
	Fingerprint string
}

// Count is how many contacts the batch would delete.
func (p BatchPreview) Count() int { return len(p.Deletes) }

// Errors of previews and batches.
var (
	// ErrBatchChanged: the contacts matching the filter, or one of them,
	// changed since the preview (or the typed count is not the count).
	// Nothing was deleted. The error is a *BatchChanged carrying the new
	// preview (errors.As).
	ErrBatchChanged = &Error{Code: ECONFLICT, Message: "The contacts this filter matches changed since the preview (a new match, or a contact's conversations, opportunities, appointments, workflows or DND changed). Nothing was deleted: check the new preview."}
	// ErrBatchCount: the typed count is not the number of contacts.
	ErrBatchCount = &Error{Code: EINVALID, Message: "The number typed is not the number of contacts this batch deletes. Nothing was deleted: type the number shown."}
	// ErrNotBatch: the id is no batch's.
	ErrNotBatch = &Error{Code: ENOTFOUND, Message: "There is no batch with this id. Check the id in the batch summary."}
)

// BatchChanged is ErrBatchChanged with the preview as it is now.
type BatchChanged struct {
	Preview BatchPreview
}

func (e *BatchChanged) Error() string { return ErrBatchChanged.Error() }

// Unwrap makes errors.Is(err, ErrBatchChanged) and ErrorCode work.
func (e *BatchChanged) Unwrap() error { return ErrBatchChanged }

// BatchRequest is who deletes a batch, on what preview, and why.
type BatchRequest struct {
	Filter       BatchFilter
	IncludeRisky bool
	Limit        int // BULK_LIMIT; 0 means DefaultBulkLimit
	// ExpectCount is the count the person typed; ExpectFingerprint the
	// preview's Fingerprint. Both must match a fresh preview or nothing is
	// deleted (ErrBatchCount, *BatchChanged).
	ExpectCount       int
	ExpectFingerprint string
	Actor             string // who deleted (or requested, when approved)
	Reason            string
	Note              string
	// ApprovedBy and RequestID are set when an admin approved the batch.
	ApprovedBy    string
	RequestID     string
	RestoreWindow time.Duration
	// Operation, when set, is the StartOperation (OperationDeleteBatch)
	// this batch finishes; when empty DeleteBatch starts one itself. It
	// makes the batch exactly-once and resolved after a crash.
	Operation string
	// Progress, when set, hears how many contacts are done (deleted or
	// skipped) of how many, after each contact. Keep it quick.
	Progress func(done, total int)
	// Notify renders the messages that announce the batch, written with
	// its last transaction.
	Notify func(BatchDeleted) ([]outbox.Note, error)
	// Review, when set, records that an admin deleted the batch alone.
	Review bool
	// chunk, when set, replaces batchChunk (tests).
	chunk int
}

// BatchState is where a batch is, stored as its text.
type BatchState string

// Batch states.
const (
	BatchRunning     BatchState = "running"     // contacts are being deleted
	BatchDone        BatchState = "done"        // every contact deleted or skipped
	BatchInterrupted BatchState = "interrupted" // the process died or failed mid-batch: Items say which are done; the rest are untouched
)

// Batch is one batch delete.
type Batch struct {
	// Deletion is the batch's own record: ID is the batch id, ContactLabel
	// "37 contacts", Counts the totals of the contacts deleted, DeletedBy,
	// ApprovedBy, RequestID, Reason, Note, DeletedAt, RestoreUntil; RestoredBy
	// and RestoredAt once restored as a whole.
	Deletion
	Filter       string // BatchFilter.String()
	IncludeRisky bool
	State        BatchState
	// Count is how many contacts the batch set out to delete; Deleted and
	// Skipped how many it deleted and skipped so far; Restored how many of
	// its deletions are restored (one by one or all at once).
	Count, Deleted, Skipped, Restored int
	Operation                         string
	FinishedAt                        *time.Time
}

// BatchItemState is where one contact of a batch is, stored as its text.
type BatchItemState string

// Batch item states.
const (
	ItemPending BatchItemState = "pending" // untouched (yet)
	ItemDeleted BatchItemState = "deleted" // deleted and archived: DeletionID
	ItemSkipped BatchItemState = "skipped" // changed or gone since the preview: Why
)

// BatchItem is one contact of a batch.
type BatchItem struct {
	BatchID      string
	Seq          int
	ContactID    string
	ContactLabel string // blanked when the batch is purged
	State        BatchItemState
	DeletionID   string // ItemDeleted
	Why          string // ItemSkipped: a sentence
	Restored     bool   // its deletion was restored
}

// BatchDeleted is the outcome of DeleteBatch (or of a batch approval).
type BatchDeleted struct {
	Batch      Batch
	Deleted    []Deleted   // one per contact deleted, in order
	Skipped    []BatchItem // contacts changed or gone mid-batch, untouched
	Suppressed []Suppression
	Audit      AuditEntry // the batch's own line
	Review     *Review
}

// IsBatch reports whether the deletion is a batch's own record.
func (d Deletion) IsBatch() bool { return d.BatchID != "" && d.BatchID == d.ID }

// BatchRestored is what restoring a batch as a whole did.
type BatchRestored struct {
	Batch Batch
	// Restored are the contacts put back by this call; Already those
	// restored one by one before (left as they are).
	Restored []Restored
	Already  []BatchItem
	Rows     int // rows put back, contacts included
}

// NewBatchApproval is a request to delete a batch, by someone who may not
// delete it directly: one request for the whole batch.
type NewBatchApproval struct {
	Filter       BatchFilter
	IncludeRisky bool
	Limit        int
	// ExpectCount and Fingerprint are the preview the requester confirmed.
	ExpectCount int
	Fingerprint string
	Requester   string
	Reason      string
	Note        string
	TTL         time.Duration
	// RequestLimit, when > 0, is NewApproval.Limit.
	RequestLimit int
	Notify       func(Approval) ([]outbox.Note, error)
}

// BatchSummary is what a batch request keeps to show (Summary.Batch).
type BatchSummary struct {
	Filter       string         `json:"filter"`
	IncludeRisky bool           `json:"include_risky,omitempty"`
	Limit        int            `json:"limit"`
	Count        int            `json:"count"`
	Kept         int            `json:"kept"`
	Totals       Counts         `json:"totals"`
	OptedOut     int            `json:"opted_out"`
	First        []BatchShownAs `json:"first"`
}

// BatchShownAs is one of the first contacts of a batch request.
type BatchShownAs struct {
	ContactID string      `json:"id"`
	Label     string      `json:"label"`
	Counts    Counts      `json:"counts"`
	Risks     []BatchRisk `json:"risks,omitempty"`
}
