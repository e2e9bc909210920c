// Package crm holds the Leadgains data the bot works on: contacts, their
// linked items, the archive of deleted rows, and the SQL behind them.
// It knows nothing of Slack.
package crm

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Error codes: the edge (the bot) maps them to what a user sees.
const (
	ENOTFOUND = "not_found" // the contact (or deletion) is not there
	ECONFLICT = "conflict"  // the data changed under the caller, or someone else got there first
	EINVALID  = "invalid"   // the caller's input cannot be used
	EINTERNAL = "internal"  // anything else; the cause is logged, not shown
	// EUNAVAILABLE (outage.go): the database did not answer, or not in time.
)

// Error is an error the user may see: a code and a sentence.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("crm %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrPrecondition is a call that broke what a function requires of its
// caller (an id, an actor, a restore window): a programmer's error, never
// something a person typed. It is no *Error, so it is EINTERNAL: the bot
// logs it with its cause, and the person reads the generic sentence.
var ErrPrecondition = errors.New("broken precondition")

// precondition returns ErrPrecondition saying what the call lacked.
func precondition(what string) error { return fmt.Errorf("%w: %s", ErrPrecondition, what) }

// ErrorCode returns the code of the first *Error in err's chain; for a
// database that is down, late or refuses the text, EUNAVAILABLE or
// EINVALID; else EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if c := classify(err); c != nil {
		return c.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing sentence of the first *Error in err's
// chain (or of the database failure it is), or a generic one that never
// leaks the cause.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if c := classify(err); c != nil {
		return c.Message
	}
	return "Something went wrong on our side. Please try again in a minute; if it keeps failing, tell an admin."
}

// ErrContactGone is returned when the contact is not (or no longer) there.
var ErrContactGone = &Error{Code: ENOTFOUND, Message: "This contact no longer exists: it was deleted or merged. Search again to see the current contacts."}

// Contact is one CRM contact, with the nullable text columns read as "".
type Contact struct {
	ID          string    `db:"id"`
	LocationID  string    `db:"location_id"`
	FirstName   string    `db:"first_name"`
	LastName    string    `db:"last_name"`
	Email       string    `db:"email"`
	Phone       string    `db:"phone"`
	CompanyName string    `db:"company_name"`
	Source      string    `db:"source"`
	DND         bool      `db:"dnd"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

// Name is the contact's display name, or a placeholder when both parts are empty.
func (c Contact) Name() string {
	switch {
	case c.FirstName != "" && c.LastName != "":
		return c.FirstName + " " + c.LastName
	case c.FirstName != "":
		return c.FirstName
	case c.LastName != "":
		return c.LastName
	}
	return "(no name)"
}

// DND channels, as stored in dnd_settings.channel.
var DNDChannels = []string{"sms", "email", "call", "whatsapp", "gmb", "fb"}

// DND statuses, as stored in dnd_settings.status.
const (
	DNDActive    = "active"
	DNDInactive  = "inactive"
	DNDPermanent = "permanent" // a STOP reply; never lowered by the bot
)

// DNDSetting is one channel's do-not-disturb status.
type DNDSetting struct {
	Channel string `db:"channel"`
	Status  string `db:"status"`
}

// Opportunity is a deal linked to a contact.
type Opportunity struct {
	ID            string    `db:"id"`
	Name          string    `db:"name"`
	Status        string    `db:"status"`
	MonetaryValue string    `db:"monetary_value"` // numeric(12,2) as text: no float rounding
	CreatedAt     time.Time `db:"created_at"`
}

// Appointment is a calendar booking linked to a contact.
type Appointment struct {
	ID       string    `db:"id"`
	Title    string    `db:"title"`
	StartsAt time.Time `db:"starts_at"`
	Status   string    `db:"status"`
}

// WorkflowEnrollment is a contact's place in an automation.
type WorkflowEnrollment struct {
	ID           string    `db:"id"`
	WorkflowName string    `db:"workflow_name"`
	Status       string    `db:"status"`
	EnrolledAt   time.Time `db:"enrolled_at"`
}

// Counts is how many rows of each linked kind a contact has: what a delete
// would take. It is stored with each deletion and compared to detect change.
type Counts struct {
	DNDSettings         int `json:"dnd_settings" db:"dnd_settings"`
	Conversations       int `json:"conversations" db:"conversations"`
	Messages            int `json:"messages" db:"messages"`
	Notes               int `json:"notes" db:"notes"`
	Opportunities       int `json:"opportunities" db:"opportunities"`
	Tasks               int `json:"tasks" db:"tasks"`
	Appointments        int `json:"appointments" db:"appointments"`
	WorkflowEnrollments int `json:"workflow_enrollments" db:"workflow_enrollments"`
}

// Total is the number of rows a delete removes, the contact included.
func (c Counts) Total() int {
	return 1 + c.DNDSettings + c.Conversations + c.Messages + c.Notes + c.Opportunities + c.Tasks + c.Appointments + c.WorkflowEnrollments
}

// Kinds lists the counts by table name, in a stable order, for summaries.
func (c Counts) Kinds() []KindCount {
	return []KindCount{
		{"conversations", c.Conversations},
		{"messages", c.Messages},
		{"notes", c.Notes},
		{"opportunities", c.Opportunities},
		{"tasks", c.Tasks},
		{"appointments", c.Appointments},
		{"workflow_enrollments", c.WorkflowEnrollments},
		{"dnd_settings", c.DNDSettings},
	}
}

// KindCount is one linked table and its row count.
type KindCount struct {
	Table string
	N     int
}

// Linked is everything a delete of one contact would take: counts of every
// kind, and the items that matter for the decision listed by name.
type Linked struct {
	Counts
	DND                  []DNDSetting
	OpenOpportunities    []Opportunity // up to itemLimit
	OpenOpportunityCount int
	OpenValue            string // sum of open opportunities' value, as text
	ClosedOpportunities  int
	OpenTasks            int
	UpcomingAppointments []Appointment // up to itemLimit, soonest first
	UpcomingCount        int
	ActiveWorkflows      []WorkflowEnrollment // up to itemLimit
	ActiveWorkflowCount  int
	// Fingerprint changes whenever anything above or the contact itself changes.
	Fingerprint string
}

// HasDND reports whether any channel is opted out (active or permanent).
func (l Linked) HasDND() bool {
	for _, d := range l.DND {
		if d.Status == DNDActive || d.Status == DNDPermanent {
			return true
		}
	}
	return false
}

// Risky reports why a delete of this contact deserves a second look: open
// opportunities, upcoming appointments or any DND. Empty when none.
func (l Linked) Risky(contactDND bool) []string {
	var why []string
	if l.OpenOpportunityCount > 0 {
		why = append(why, "it has open opportunities")
	}
	if l.UpcomingCount > 0 {
		why = append(why, "it has upcoming appointments")
	}
	if contactDND || l.HasDND() {
		why = append(why, "it has DND set")
	}
	return why
}

// ContactRef names another contact briefly, e.g. a possible duplicate.
type ContactRef struct {
	ID        string `db:"id"`
	FirstName string `db:"first_name"`
	LastName  string `db:"last_name"`
	// Shares says, for a possible duplicate, what it has in common with the
	// contact it was found for (Duplicates and a search's matches set it).
	Shares Shared `db:"-"`
}

// Shared is what two contacts have in common that flags them as possible
// duplicates: the same email (any case), the same phone number, or both.
type Shared struct {
	Email bool
	Phone bool
}

// Any reports whether the two contacts share anything.
func (s Shared) Any() bool { return s.Email || s.Phone }

// Name is the referenced contact's display name.
func (r ContactRef) Name() string {
	return Contact{FirstName: r.FirstName, LastName: r.LastName}.Name()
}

// Kind is what a request asks for and what a deletion record is the record
// of. The database keeps it as its text ("delete", "merge", "erasure").
type Kind string

// Kinds of request and deletion.
const (
	KindDelete  Kind = "delete"  // an archived delete, restorable
	KindMerge   Kind = "merge"   // a duplicate merged into another contact, restorable
	KindErasure Kind = "erasure" // a privacy erasure: nothing archived, never restorable
)

// Deletion is the record of one archived delete, merge or erasure.
type Deletion struct {
	ID           string     `db:"id"`
	Kind         Kind       `db:"kind"`
	ContactID    string     `db:"contact_id"`
	ContactLabel string     `db:"contact_label"`
	DeletedBy    string     `db:"deleted_by"`
	ApprovedBy   *string    `db:"approved_by"`
	RequestID    *string    `db:"request_id"`
	Reason       string     `db:"reason"`
	Note         string     `db:"note"`
	Counts       Counts     `db:"-"`
	CountsJSON   []byte     `db:"counts"`
	DeletedAt    time.Time  `db:"deleted_at"`
	RestoreUntil time.Time  `db:"restore_until"`
	RestoredBy   *string    `db:"restored_by"`
	RestoredAt   *time.Time `db:"restored_at"`
	PurgedAt     *time.Time `db:"purged_at"`
	// BatchID is the batch the deletion belongs to: the batch's own record
	// when it equals ID (IsBatch), one of its contacts otherwise; "" for a
	// deletion of no batch.
	BatchID string `db:"batch_id"`
}

// decode reads CountsJSON into Counts, as a deletion read from the
// database needs.
func (d *Deletion) decode() error {
	if err := json.Unmarshal(d.CountsJSON, &d.Counts); err != nil {
		return fmt.Errorf("decode counts of deletion %s: %w", d.ID, err)
	}
	return nil
}
