package outbox

import (
	"database/sql/driver"
	"strings"
	"time"
)

// Note is one message to deliver, written to the outbox in the transaction
// of the change it announces and delivered later, until the receiver
// accepts it. Its payload is opaque here: the writer encodes it and the
// sender decodes it.
//
// Notes to one Channel (a channel id, or a user id for a DM) are delivered in
// the order they were written: a note that cannot be delivered yet holds back
// the later ones of its conversation, never those of others.
type Note struct {
	Channel string
	Payload []byte
	// Ref names this post, so that later notes can update it or reply
	// under it, on any replica and after restarts.
	Ref Ref
	// Replaces, when set, makes this note an update of the post named so:
	// it waits until that post is delivered and uses its ts. When the post
	// never happens (given up), Missing decides what becomes of the note.
	Replaces Ref
	Missing  Missing
	// Thread is the ref of a post this note replies under; when that post
	// never happens, the note is posted at the top level.
	Thread Ref
	// After is the ref of a post that must be delivered before this note.
	After Ref
	// Coalesce marks a refresh (a Home tab published again from the data as
	// it is when delivered): delivering it also settles the later pending
	// notes of its stream with the same payload that were written before,
	// so a burst of changes is one delivery.
	Coalesce bool
}

// Missing is what becomes of an update (Note.Replaces) whose post never
// happened. Its values are stored as they are.
type Missing string

const (
	// MissingDrop drops the update quietly: there is nothing to update.
	MissingDrop Missing = ""
	// MissingPost posts the update as a new message: it must arrive anyway.
	MissingPost Missing = "post"
)

// Ref names a post: what kind of post it is and the id of what it is about.
// It is stored as "kind:id"; the zero Ref names nothing.
type Ref struct {
	Kind RefKind
	ID   string
}

// RefKind is a kind of post a Ref names.
type RefKind string

// The kinds of posts later notes refer to.
const (
	// ApprovalPost is an approval request's message in the approvals channel.
	ApprovalPost RefKind = "approval"
	// RequestDM is the DM that tells a requester their request is waiting
	// (with its Withdraw button), so that the decision can update it.
	RequestDM RefKind = "request-dm"
	// IncidentPost is the incident message of a deletion.
	IncidentPost RefKind = "incident"
	// OperationPost is the progress message of a long delete or restore.
	OperationPost RefKind = "op"
	// ReviewPost is a review's post in the approvals channel.
	ReviewPost RefKind = "review"
	// SuppressionRemovalPost is a suppression removal request's post in
	// the approvals channel.
	SuppressionRemovalPost RefKind = "suppression-removal"
)

// ApprovalRef names the approval request's message in the approvals channel.
func ApprovalRef(requestID string) Ref { return Ref{ApprovalPost, requestID} }

// RequestDMRef names the DM that tells a requester their request is waiting.
func RequestDMRef(requestID string) Ref { return Ref{RequestDM, requestID} }

// IncidentRef names the incident message of a deletion.
func IncidentRef(deletionID string) Ref { return Ref{IncidentPost, deletionID} }

// OperationRef names the progress message of a long delete or restore.
func OperationRef(opID string) Ref { return Ref{OperationPost, opID} }

// ReviewRef names a review's post in the approvals channel.
func ReviewRef(reviewID string) Ref { return Ref{ReviewPost, reviewID} }

// SuppressionRemovalRef names a suppression removal request's post in the
// approvals channel.
func SuppressionRemovalRef(requestID string) Ref { return Ref{SuppressionRemovalPost, requestID} }

// String is r as stored: "kind:id", or "" for the zero Ref.
func (r Ref) String() string {
	if r == (Ref{}) {
		return ""
	}
	return string(r.Kind) + ":" + r.ID
}

// Value stores r as String does, so that a Ref is an SQL argument.
func (r Ref) Value() (driver.Value, error) { return r.String(), nil }

// parseRef reads a stored ref back.
func parseRef(s string) Ref {
	kind, id, _ := strings.Cut(s, ":")
	if s == "" {
		return Ref{}
	}
	return Ref{RefKind(kind), id}
}

// Sent is where the receiver put a delivered message.
type Sent struct {
	Channel string
	TS      string
}

// Outgoing is a note ready to send, its refs resolved.
type Outgoing struct {
	ID      int64
	Channel string
	Payload []byte
	// UpdateTS, when set, replaces the message at UpdateChannel and UpdateTS
	// instead of posting.
	UpdateChannel, UpdateTS string
	// ThreadTS, when set, posts in that message's thread.
	ThreadTS string
	// Attempts is how many deliveries of this note failed before.
	Attempts  int
	CreatedAt time.Time
}

// DeliveryError is what a send tells the outbox about a failure: when to try
// again, or to give up on the note (or on every pending note of its
// conversation, when nobody can post there).
type DeliveryError struct {
	Err          error
	RetryIn      time.Duration
	GiveUp       bool
	GiveUpStream bool
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// DefaultRetry is the wait after a failure a send did not classify.
const DefaultRetry = 5 * time.Second

// Delivery statuses of DeliverNext.
const (
	// DeliveryIdle: nothing is due (or what is due waits for another post).
	DeliveryIdle = "idle"
	// DeliveryBusy: something is due but another worker holds its conversation.
	DeliveryBusy = "busy"
	// DeliveryDone: a note was delivered, or dropped as having nothing to update.
	DeliveryDone = "delivered"
	// DeliveryFailed: a send failed; the note waits for its next attempt.
	DeliveryFailed = "failed"
	// DeliveryGaveUp: a send failed for good; the note (or its conversation's
	// pending notes, GaveUp of them) will not be delivered.
	DeliveryGaveUp = "gave_up"
)

// DeliveryResult says what one DeliverNext did.
type DeliveryResult struct {
	Status string
	Note   Outgoing
	// Err is the send's error, for DeliveryFailed and DeliveryGaveUp.
	Err error
	// GaveUp is how many notes were given up.
	GaveUp int
}

// Stats is the state of the outbox, for /metrics.
type Stats struct {
	// Pending notes are not delivered yet; Retrying of them failed at least once.
	Pending, Retrying int
	// Oldest is when the oldest pending note was written (zero when none).
	Oldest time.Time
	// GaveUp counts notes given up on and not yet pruned.
	GaveUp int
}

// Stuck is a conversation whose next note Slack has refused at least once:
// what waits behind it waits too.
type Stuck struct {
	// Channel is the conversation (a channel id, a user id for a DM).
	Channel string `db:"channel"`
	// Waiting counts its notes not delivered yet; Since is when the oldest
	// of them was written.
	Waiting int       `db:"waiting"`
	Since   time.Time `db:"since"`
	// Attempts and LastError are its next note's failed attempts and what
	// the last one answered.
	Attempts  int    `db:"attempts"`
	LastError string `db:"last_error"`
}
