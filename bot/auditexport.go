package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"contactbot/crm"
	"contactbot/internal/words"
)

// Audit export formats.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// auditColumns are the export's columns, in order: the audit entry, with
// the reason's label beside its code, and last the batch a line belongs to
// (the batch's own line and each of its contacts'). Times are UTC ISO-8601
// to the second.
var auditColumns = []string{"id", "at", "actor", "action", "contact_id", "deletion_id", "request_id", "reason", "reason_label", "outcome", "detail", "batch_id"}

// auditRecord is one entry as the export's columns.
func auditRecord(e crm.AuditEntry) []string {
	label := ""
	if e.Reason != "" {
		label = reasonLabel(e.Reason)
	}
	return []string{strconv.FormatInt(e.ID, 10), auditTime(e.At), e.Actor, e.Action, e.ContactID, e.DeletionID, e.RequestID,
		e.Reason, label, e.Outcome, e.Detail, e.BatchID}
}

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula (OWASP's CSV injection list): =, +, -, @, tab and
// carriage return.
const formulaStarts = "=+-@\t\r"

// plainNumber is a number a spreadsheet reads as itself ("-12", "+44",
// "-3.50"): nothing runs, and a quote would turn it into text.
var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// spreadsheetSafe is a CSV cell as a spreadsheet may open it: text that
// starts like a formula gets a leading apostrophe, which spreadsheets show
// as text and do not run. Plain numbers are kept; nothing else changes.
// Every CSV export writes its cells through it.
func spreadsheetSafe(cell string) string {
	if cell == "" || !strings.ContainsRune(formulaStarts, rune(cell[0])) || plainNumber.MatchString(cell) {
		return cell
	}
	return "'" + cell
}

// spreadsheetRecord is a CSV row with every cell spreadsheetSafe.
func spreadsheetRecord(rec []string) []string {
	out := make([]string, len(rec))
	for i, c := range rec {
		out[i] = spreadsheetSafe(c)
	}
	return out
}

// WriteAudit writes the audit trail from since on to w, one entry per CSV
// row (after a header row) or per JSON line, oldest first, and returns how
// many entries it wrote. The trail holds ids, reasons and outcomes: no
// tokens and no contact details. CSV cells that a spreadsheet would run as
// a formula start with an apostrophe (spreadsheetSafe); JSON is written as
// it is.
func WriteAudit(ctx context.Context, store *crm.Store, w io.Writer, since time.Time, format string) (int, error) {
	n := 0
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(auditColumns); err != nil {
			return 0, fmt.Errorf("write audit export: %w", err)
		}
		err := store.EachAuditEntry(ctx, since, func(e crm.AuditEntry) error {
			n++
			return cw.Write(spreadsheetRecord(auditRecord(e)))
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		return n, err
	case FormatJSONL:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		err := store.EachAuditEntry(ctx, since, func(e crm.AuditEntry) error {
			n++
			rec := auditRecord(e)
			obj := make(map[string]any, len(rec))
			for i, col := range auditColumns {
				obj[col] = rec[i]
			}
			obj["id"] = e.ID
			return enc.Encode(obj)
		})
		return n, err
	}
	return 0, fmt.Errorf("unknown format %q: use csv or jsonl", format)
}

// Bounds of /contact audit [period].
const (
	defaultAuditPeriod = 30 * day
	minAuditPeriod     = time.Hour
	maxAuditPeriod     = 366 * day
)

// auditCommand answers `/contact audit [period]` (admins): the audit trail
// of the last period (30 days by default; "7d", "2w", "36h", a bare number
// is days) as a CSV file in the admin's DM. The file is made and uploaded
// after the ack; the answer says it is on its way.
func (b *Bot) auditCommand(ctx context.Context, name, user, rest, responseURL string) *Message {
	if !b.isAdmin(ctx, user) {
		return textMessage("Only admins can export the audit trail. Ask an admin if an auditor needs it.")
	}
	period := defaultAuditPeriod
	if arg := strings.TrimSpace(rest); arg != "" {
		d, err := ParsePeriod(arg)
		if err != nil || d < minAuditPeriod || d > maxAuditPeriod {
			return textMessage(fmt.Sprintf("Say how far back, from 1 hour to %d days: `%[2]s audit 30` (days), `%[2]s audit 2w` or `%[2]s audit 36h`. Without one it exports the last %[3]s.",
				maxAuditPeriod/day, name, periodWords(defaultAuditPeriod)))
		}
		period = d
	}
	b.goBackground("audit export", func(ctx context.Context) {
		if text := b.sendAuditExport(ctx, user, period); text != "" {
			b.respond(ctx, responseURL, *textMessage(text))
		}
	})
	return textMessage(fmt.Sprintf("📄 Exporting the audit trail of the last %s: the CSV file will be in your DM with contactbot in a moment.", periodWords(period)))
}

// sendAuditExport writes the CSV of the last period and shares it in
// user's DM; it returns what to tell them when it could not ("" when sent).
func (b *Bot) sendAuditExport(ctx context.Context, user string, last time.Duration) string {
	now := b.now().UTC()
	since := now.Add(-last)
	var buf bytes.Buffer
	n, err := WriteAudit(ctx, b.store, &buf, since, FormatCSV)
	if err != nil {
		return "The audit trail could not be exported. " + b.userMessage(err, "audit export")
	}
	period := periodWords(last)
	f := File{
		Name:  fmt.Sprintf("contactbot-audit-%s-%s.csv", now.Format(words.DayLayout), FormatPeriod(last)),
		Title: "contactbot audit trail, last " + period,
		Comment: fmt.Sprintf("📄 The audit trail of the last %s: %s from %s to %s, one row each, times in UTC (ISO-8601). It holds ids, reasons and outcomes, no contact details.",
			period, plural(n, "entry", "entries"), slackDate(since), slackDate(now)),
		Content: buf.Bytes(),
	}
	if err := b.slack.UploadFile(ctx, user, f); err != nil {
		b.log.Error("upload audit export", "user", user, "err", err)
		return "The audit export could not be sent to your DM (Slack did not take the file). Try again in a minute; an admin with server access can run `contactbot audit`."
	}
	b.log.Info("audit exported", "user", user, "period", FormatPeriod(last), "entries", n)
	b.audit(ctx, crm.AuditEntry{Actor: user, Action: crm.AuditExported, Outcome: "sent to DM",
		Detail: fmt.Sprintf("last %s, %s", period, plural(n, "entry", "entries"))})
	return ""
}
