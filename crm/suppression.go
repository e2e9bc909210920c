package crm

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The suppression list keeps the opt-out of a deleted contact as keyed
// hashes (HMAC-SHA-256 with SUPPRESSION_KEY) of its normalised email and of
// its phone's national number, with the DND channels and statuses it had.
// Triggers on contacts (migration 00300 of each dialect) give a contact
// created later with that email or phone the same DND back. The list holds
// no contact details: without the key a hash cannot be tested against an
// address, and the key lives only in the bot's environment and in
// contactbot_settings, which only the role that runs the migrations can
// read: the triggers hash as that role (SECURITY DEFINER), this package
// hashes with the key SetSuppressionKey was given, so serve may run as a
// role that cannot read it (docs/operations.md, Security).

// Suppression sources: what put an entry on the list.
const (
	SuppressionDeleted = "deleted" // a delete of a contact with DND
	SuppressionMerged  = "merged"  // a merged-away duplicate with DND
	SuppressionErased  = "erased"  // a privacy erasure: every channel permanent
)

// Suppression kinds: what an entry's hash is of.
const (
	SuppressionEmail = "email"
	SuppressionPhone = "phone"
)

// Audit actions of the suppression list.
const (
	// AuditDNDReapplied is written by the database trigger when a new
	// contact gets a suppressed opt-out back (actor "system").
	AuditDNDReapplied = "dnd_reapplied"
	// AuditSuppressionRemoved is an admin removing an entry.
	AuditSuppressionRemoved = "suppression_removed"
)

// suppressionKeySetting names the key in contactbot_settings.
const suppressionKeySetting = "suppression_key"

// minSuppressionKeyBytes is the shortest SUPPRESSION_KEY accepted: 256 bits,
// as long as the hash.
const minSuppressionKeyBytes = 32

// Phone endings compared with an entry's national number: at least
// minSuppressedPhone digits (shorter numbers match too much), at most 15
// (the longest international number).
const (
	minSuppressedPhone = 7
	maxSuppressedPhone = 15
)

// ErrNoSuppressionKey is returned when a contact with DND would be deleted
// but its opt-out cannot be kept: no key was ever set up.
var ErrNoSuppressionKey = &Error{Code: EINTERNAL, Message: "This contact has DND, and its opt-out must be kept on the suppression list before it goes, but contactbot has no SUPPRESSION_KEY set up. Nothing was changed: ask an admin to set SUPPRESSION_KEY (see Configuration in docs/operations.md)."}

// Suppression is one entry of the suppression list.
type Suppression struct {
	ID   string `db:"id"`
	Kind string `db:"kind"` // SuppressionEmail or SuppressionPhone
	Hash string `db:"hash"`
	// DND maps each opted-out channel to its status (active or permanent).
	DND        map[string]string `db:"-"`
	DNDJSON    string            `db:"dnd"`
	ContactDND bool              `db:"contact_dnd"` // the contact-wide flag
	Source     string            `db:"source"`
	DeletionID string            `db:"deletion_id"`
	ContactID  string            `db:"contact_id"`
	CreatedBy  string            `db:"created_by"`
	DeletedAt  time.Time         `db:"deleted_at"`
}

// Channels lists the entry's channels with their statuses, in DNDChannels order.
func (s Suppression) Channels() []DNDSetting {
	var out []DNDSetting
	for _, ch := range DNDChannels {
		if st, ok := s.DND[ch]; ok {
			out = append(out, DNDSetting{Channel: ch, Status: st})
		}
	}
	return out
}

// EmailKey is the form of an email its hash is of: outer spaces cut, ASCII
// letters in lower case (contactbot_email_key in SQL does the same; a
// locale-dependent lower() would not agree across databases).
func EmailKey(email string) string {
	b := []byte(strings.Trim(email, " "))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// phoneSuffixes are the endings of a phone's digits an entry's national
// number is compared with (contactbot_phone_suffixes in SQL): every ending
// from minSuppressedPhone to maxSuppressedPhone digits.
func phoneSuffixes(phone string) []string {
	d := PhoneDigits(phone)
	var out []string
	for n := minSuppressedPhone; n <= min(len(d), maxSuppressedPhone); n++ {
		out = append(out, d[len(d)-n:])
	}
	return out
}

// phoneHashes are the keyed hashes of a phone's endings (phoneSuffixes):
// one of them is the hash of an entry for that number.
func phoneHashes(key []byte, phone string) []string {
	hashes := []string{}
	for _, x := range phoneSuffixes(phone) {
		hashes = append(hashes, keyedHash(key, x))
	}
	return hashes
}

// suppressedPhone is the national number a phone's entry is the hash of, or
// "" when it has too few digits to be suppressed on its own.
func suppressedPhone(phone string) string {
	n := nationalDigits(phone)
	if len(n) < minSuppressedPhone || len(n) > maxSuppressedPhone {
		return ""
	}
	return n
}

// nationalDigits is a phone's national significant number as search reads
// it (NationalNumber), but without a default country, so that a hash never
// depends on configuration: "+49 30 901820", "0049 30 901820" and
// "030 901820" all give "30901820". It ends the number's digits however the
// number is written, which is what the triggers rely on. A number of zeros
// only has none.
func nationalDigits(phone string) string {
	if strings.Trim(PhoneDigits(phone), "0") == "" {
		return ""
	}
	return NationalNumber(phone, "")
}

// keyedHash is the hex HMAC-SHA-256 of s under key, as pgcrypto's
// encode(hmac(s, key, 'sha256'), 'hex') writes it.
func keyedHash(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// ParseSuppressionKey checks a SUPPRESSION_KEY: hex, at least 32 bytes.
func ParseSuppressionKey(s string) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) < minSuppressionKeyBytes {
		return nil, Errorf(EINVALID, "SUPPRESSION_KEY must be at least %d hex characters (%d random bytes); make one with: openssl rand -hex 32", 2*minSuppressionKeyBytes, minSuppressionKeyBytes)
	}
	return k, nil
}

// NewSuppressionKey returns a fresh random key in SUPPRESSION_KEY's form,
// for the shell, which keeps its own.
func NewSuppressionKey() string {
	k := make([]byte, minSuppressionKeyBytes)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(k)
}

// suppressionKeyCheckText is the fixed text whose keyed hash tells whether
// two keys agree (the view contactbot_suppression_key_check, migration 00530).
const suppressionKeyCheckText = "contactbot suppression key check"

// suppressionKeyCheck is the keyed hash of suppressionKeyCheckText under key.
func suppressionKeyCheck(key []byte) string { return keyedHash(key, suppressionKeyCheckText) }

// storedKeyCheck is the check of the key stored in the database ("" when
// none is stored), read through a view that hands out only the check: the
// key itself never leaves the database, and serve's own role may not read
// it (see Security in docs/operations.md).
func storedKeyCheck(ctx context.Context, q sqlx.QueryerContext) (string, error) {
	var v []sql.NullString
	if err := sqlx.SelectContext(ctx, q, &v, `SELECT key_check FROM contactbot_suppression_key_check`); err != nil {
		return "", fmt.Errorf("check the stored suppression key: %w", err)
	}
	if len(v) == 0 {
		return "", nil
	}
	return v[0].String, nil
}

// ErrSuppressionKeyNotStorable answers a start whose SUPPRESSION_KEY must be
// stored (none is yet) by a database role that may not write it.
var ErrSuppressionKeyNotStorable = &Error{Code: EINVALID, Message: "SUPPRESSION_KEY is not stored in the database yet, and this database role may not store it. Run `contactbot migrate` once with SUPPRESSION_KEY set, as the role that owns the schema (see Security in docs/operations.md)."}

// errOtherSuppressionKey refuses a key other than the one n entries on the
// list were made with.
func errOtherSuppressionKey(n int) *Error {
	return Errorf(EINVALID, "SUPPRESSION_KEY is not the key the %s on the suppression list were made with: with another key they would no longer match anyone. Set the key this database was first run with.", plural(n, "entry", "entries"))
}

// SetSuppressionKey makes hexKey the key of the suppression list, for this
// Store (its deletes hash with it) and, the first time, for the database
// (contactbot_settings, where the triggers read it). A key the database
// already holds is only compared, through its keyed hash of a fixed text:
// nothing is written and the key is sent nowhere. Another key replaces the
// stored one only while the list is empty; with entries it is refused,
// since their hashes were made with the stored key and would silently stop
// matching.
func (s *Store) SetSuppressionKey(ctx context.Context, hexKey string) error {
	key, err := ParseSuppressionKey(hexKey)
	if err != nil {
		return err
	}
	check := suppressionKeyCheck(key)
	err = s.withTx(ctx, func(tx *sqlx.Tx) error {
		stored, err := storedKeyCheck(ctx, tx)
		if err != nil || stored == check {
			return err
		}
		if stored != "" {
			n, err := countSuppressions(ctx, tx)
			if err != nil {
				return err
			}
			if n > 0 {
				return errOtherSuppressionKey(n)
			}
		}
		// The one statement that carries the key: its first start, or a
		// new key while the list is empty (entries written meanwhile by
		// another process keep the stored key, checked below).
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO contactbot_settings (name, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
			WHERE NOT EXISTS (SELECT 1 FROM suppressions)`),
			suppressionKeySetting, hex.EncodeToString(key), s.now().UTC()); err != nil {
			if isPermissionDenied(err) {
				return ErrSuppressionKeyNotStorable
			}
			return fmt.Errorf("store the suppression key: %w", err)
		}
		if stored, err = storedKeyCheck(ctx, tx); err != nil || stored == check {
			return err
		}
		n, err := countSuppressions(ctx, tx)
		if err != nil {
			return err
		}
		return errOtherSuppressionKey(n)
	})
	if err != nil {
		return err
	}
	s.suppressionKey.Store(&key)
	return nil
}

// isPermissionDenied tells PostgreSQL's refusal of a statement to a role
// without the right (SQLSTATE 42501).
func isPermissionDenied(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "42501"
}

func countSuppressions(ctx context.Context, q sqlx.QueryerContext) (int, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM suppressions`); err != nil {
		return 0, fmt.Errorf("count suppression entries: %w", err)
	}
	return n, nil
}

// suppressionKeyFor is the key this Store hashes with, checked in tx
// against the stored one: ErrNoSuppressionKey when either is missing, and
// a refusal when they differ (the stored key was changed under a running
// process), so that no entry is written that the triggers would not match.
func (s *Store) suppressionKeyFor(ctx context.Context, tx *sqlx.Tx) ([]byte, error) {
	stored, err := storedKeyCheck(ctx, tx)
	if err != nil {
		return nil, err
	}
	key := s.suppressionKey.Load()
	if key == nil || stored == "" {
		return nil, ErrNoSuppressionKey
	}
	if stored != suppressionKeyCheck(*key) {
		n, err := countSuppressions(ctx, tx)
		if err != nil {
			return nil, err
		}
		return nil, errOtherSuppressionKey(n)
	}
	return *key, nil
}

// optOut is what a suppression entry keeps of a contact's DND.
type optOut struct {
	dnd        map[string]string
	contactDND bool
}

// optOutOf returns a contact's opt-out: its active and permanent channels
// and the contact-wide flag; ok is false when it has none.
func optOutOf(c Contact, l Linked) (o optOut, ok bool) {
	o = optOut{dnd: map[string]string{}, contactDND: c.DND}
	for _, d := range l.DND {
		if d.Status == DNDActive || d.Status == DNDPermanent {
			o.dnd[d.Channel] = d.Status
		}
	}
	return o, c.DND || len(o.dnd) > 0
}

// everyChannelPermanent is the opt-out an erasure keeps: never messaged again.
func everyChannelPermanent() optOut {
	o := optOut{dnd: map[string]string{}, contactDND: true}
	for _, ch := range DNDChannels {
		o.dnd[ch] = DNDPermanent
	}
	return o
}

// suppressTx puts a contact's email and phone on the suppression list with
// its opt-out, for the deletion that removes it. It returns the entries
// written (none when the contact has neither an email nor a usable phone).
func (s *Store) suppressTx(ctx context.Context, tx *sqlx.Tx, c Contact, o optOut, source, deletionID, actor string, at time.Time) ([]Suppression, error) {
	key, err := s.suppressionKeyFor(ctx, tx)
	if err != nil {
		return nil, err
	}
	dnd, err := json.Marshal(o.dnd)
	if err != nil {
		return nil, fmt.Errorf("encode opt-out: %w", err)
	}
	var out []Suppression
	add := func(kind, value string) {
		if value != "" {
			out = append(out, Suppression{ID: NewID("S", 10), Kind: kind, Hash: keyedHash(key, value), DND: o.dnd, DNDJSON: string(dnd),
				ContactDND: o.contactDND, Source: source, DeletionID: deletionID, ContactID: c.ID, CreatedBy: actor, DeletedAt: at})
		}
	}
	add(SuppressionEmail, EmailKey(c.Email))
	add(SuppressionPhone, suppressedPhone(c.Phone))
	for _, e := range out {
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO suppressions (id, kind, hash, dnd, contact_dnd, source, deletion_id, contact_id, created_by, deleted_at)
			VALUES (:id, :kind, :hash, :dnd, :contact_dnd, :source, :deletion_id, :contact_id, :created_by, :deleted_at)`, e); err != nil {
			return nil, fmt.Errorf("suppress %s of contact %s: %w", e.Kind, c.ID, err)
		}
	}
	return out, nil
}

// describeSuppressed says which entries keep an opt-out, for audit lines:
// "opt-out kept on the suppression list: email S…, phone S…".
func describeSuppressed(list []Suppression) string {
	if len(list) == 0 {
		return "opt-out not kept: no email or phone to suppress"
	}
	var parts []string
	for _, e := range list {
		parts = append(parts, e.Kind+" "+e.ID)
	}
	return "opt-out kept on the suppression list: " + strings.Join(parts, ", ")
}

// unsuppressTx removes the entries a deletion wrote, when it is restored:
// the contact carries its DND again. It returns how many it removed.
func unsuppressTx(ctx context.Context, tx *sqlx.Tx, deletionID string) (int, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM suppressions WHERE deletion_id = ? AND source IN ('deleted', 'merged')`), deletionID)
	if err != nil {
		return 0, fmt.Errorf("remove suppression entries of %s: %w", deletionID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// skipReapply marks contacts whose rows this transaction puts back itself
// (a restore, a merge), so that the triggers leave their DND alone;
// resumeReapply clears the mark before the transaction ends.
func skipReapply(ctx context.Context, tx *sqlx.Tx, contactIDs ...string) error {
	for _, id := range contactIDs {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO suppression_skip (contact_id) VALUES (?)`), id); err != nil {
			return fmt.Errorf("pause the suppression triggers for %s: %w", id, err)
		}
	}
	return nil
}

func resumeReapply(ctx context.Context, tx *sqlx.Tx, contactIDs ...string) error {
	for _, id := range contactIDs {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM suppression_skip WHERE contact_id = ?`), id); err != nil {
			return fmt.Errorf("resume the suppression triggers for %s: %w", id, err)
		}
	}
	return nil
}

// SuppressionLookup is what FindSuppressions looked for.
type SuppressionLookup struct {
	Kind  string // SuppressionEmail or SuppressionPhone
	Value string // the normalised email, or the phone's digits
}

// FindSuppressions lists the entries an email or phone number matches, as
// the triggers would match a contact created with it, newest first.
func (s *Store) FindSuppressions(ctx context.Context, query string) (SuppressionLookup, []Suppression, error) {
	q := strings.TrimSpace(query)
	var look SuppressionLookup
	switch {
	case q == "":
		return look, nil, Errorf(EINVALID, "Give an email address or a phone number to look up.")
	case len(q) > MaxQueryLen:
		return look, nil, Errorf(EINVALID, "That is too long (%d characters) for an email address or a phone number.", len(q))
	case strings.Contains(q, "@"):
		look = SuppressionLookup{Kind: SuppressionEmail, Value: EmailKey(q)}
	case isPhoneQuery(q):
		look = SuppressionLookup{Kind: SuppressionPhone, Value: PhoneDigits(q)}
	default:
		return look, nil, Errorf(EINVALID, "%q is not an email address or a phone number.", shorten(q, 60))
	}
	stored, err := storedKeyCheck(ctx, s.db)
	if err != nil {
		return look, nil, err
	}
	if stored == "" {
		return look, nil, nil // nothing can be on the list without a key
	}
	k := s.suppressionKey.Load()
	if k == nil {
		return look, nil, ErrNoSuppressionKey
	}
	key := *k
	var hashes []string
	if look.Kind == SuppressionEmail {
		hashes = []string{keyedHash(key, look.Value)}
	} else {
		hashes = phoneHashes(key, look.Value)
	}
	q2, args, err := sqlx.In(`SELECT `+suppressionColumns+` FROM suppressions WHERE kind = ? AND hash IN (?) ORDER BY deleted_at DESC, id`, look.Kind, hashes)
	if err != nil {
		return look, nil, fmt.Errorf("find suppression entries: %w", err)
	}
	list, err := selectSuppressions(ctx, s.db, q2, args...)
	return look, list, err
}

const suppressionColumns = `id, kind, hash, dnd, contact_dnd, source, deletion_id, contact_id, created_by, deleted_at`

func selectSuppressions(ctx context.Context, q queryer, query string, args ...any) ([]Suppression, error) {
	var out []Suppression
	if err := sqlx.SelectContext(ctx, q, &out, q.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("load suppression entries: %w", err)
	}
	for i := range out {
		if err := json.Unmarshal([]byte(out[i].DNDJSON), &out[i].DND); err != nil {
			return nil, fmt.Errorf("decode suppression entry %s: %w", out[i].ID, err)
		}
	}
	return out, nil
}

// describeOptOut lists an entry's channels for an audit line, e.g. "SMS
// on, Email on (permanent); contact DND on for all channels", as the
// triggers word a re-apply.
func describeOptOut(e Suppression) string {
	var parts []string
	for _, d := range e.Channels() {
		st := "on"
		if d.Status == DNDPermanent {
			st = "on (permanent)" // not only STOP replies: an erasure's are too
		}
		parts = append(parts, ChannelLabel(d.Channel)+" "+st)
	}
	s := strings.Join(parts, ", ")
	if s == "" {
		s = "no channel"
	}
	if e.ContactDND {
		s += "; contact DND " + contactDNDLabel(true)
	}
	return s
}

// optedOutBefore returns, for each of the contacts that got an opt-out back
// from the suppression list, the newest delete date it came from.
func (s *Store) optedOutBefore(ctx context.Context, ids []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT contact_id, deleted_at FROM suppression_hits WHERE contact_id IN (?)`, ids)
	if err != nil {
		return nil, fmt.Errorf("find re-applied opt-outs: %w", err)
	}
	var rows []struct {
		ContactID string    `db:"contact_id"`
		DeletedAt time.Time `db:"deleted_at"`
	}
	// Prepared: search runs it for every result (its text depends only on
	// how many contacts are shown).
	if err := s.selectPrepared(ctx, s.db, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("find re-applied opt-outs: %w", err)
	}
	for _, r := range rows {
		if r.DeletedAt.After(out[r.ContactID]) {
			out[r.ContactID] = r.DeletedAt.UTC()
		}
	}
	return out, nil
}

// feedBatch bounds the re-apply lines one FeedReapplied takes.
const feedBatch = 100

// FeedReapplied writes the audit feed's notes (Hooks.AuditNotes) for the
// re-apply lines the database triggers wrote since the last call: the
// triggers run in whatever session creates the contact, which cannot render
// Slack messages, so they leave the line's id in suppression_feed. Each line
// is taken once, by one caller, whatever the number of replicas: the rows
// are deleted in the transaction that writes their notes. It returns how many
// lines it took.
func (s *Store) FeedReapplied(ctx context.Context) (int, error) {
	n := 0
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`DELETE FROM suppression_feed WHERE audit_id IN
			(SELECT audit_id FROM suppression_feed ORDER BY audit_id LIMIT ?`+s.dialect.ForUpdateSkipLocked()+`) RETURNING audit_id`), feedBatch); err != nil {
			return fmt.Errorf("take re-apply audit lines: %w", err)
		}
		n = len(ids)
		if n == 0 {
			return nil
		}
		feed := s.hooks.AuditNotes
		if feed == nil {
			return nil // no audit channel: the lines are in the audit trail, which is enough
		}
		q, args, err := sqlx.In(`SELECT * FROM audit_log WHERE id IN (?) ORDER BY id`, ids)
		if err != nil {
			return fmt.Errorf("load re-apply audit lines: %w", err)
		}
		var entries []AuditEntry
		if err := tx.SelectContext(ctx, &entries, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("load re-apply audit lines: %w", err)
		}
		for _, e := range entries {
			if err := s.enqueueTx(ctx, tx, feed(e)); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
