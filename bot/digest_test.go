package bot_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/slackfake"
	"contactbot/config"
	"contactbot/crm"
)

// TestDigest: the weekly digest goes to DIGEST_CHANNEL through the outbox:
// deletions by reason (label and count) and by person, restores, incidents,
// what waits, and archives that expire within a week.
func TestDigest(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, bottest.Options{Env: map[string]string{"DIGEST_CHANNEL": "CDIGEST", "DIGEST_AT": "Fri 16:30", "RESTORE_WINDOW": "120h"}})
	ctx := context.Background()
	jane, bob := lowRisk(t, e, "Jane"), lowRisk(t, e, "Bob")
	v, _ := openModal(t, e, bottest.Admin, jane)
	submitDelete(t, e, bottest.Admin, v)
	a := requestDelete(t, e, bottest.Support, bob)
	clickAndWait(t, e, bottest.Admin2, bot.ActionApprove, a.ID)
	requestDelete(t, e, bottest.Support, lowRisk(t, e, "Sue"))
	list, _, err := e.Store.DeletionsBy(ctx, bottest.Admin, time.Time{}, 1)
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	janeDel := list[0]
	e.Report(bottest.Support, janeDel.ID, "She is a customer")
	e.Clock.Advance(time.Hour)
	e.Slack.Reset()

	if err := e.Bot.PostDigest(ctx); err != nil {
		t.Fatal(err)
	}
	e.Bot.Wait()
	posts := e.Slack.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Params["channel"] != "CDIGEST" {
		t.Fatalf("digest posts: %v", posts)
	}
	now := e.Clock.Now()
	bobDel, _, _ := e.Store.DeletionsBy(ctx, bottest.Support, time.Time{}, 1)
	want := []string{
		"header: contactbot weekly digest",
		fmt.Sprintf("section: From %s to %s.", date(now.Add(-7*24*time.Hour)), date(now)),
		"section: *Deletions:* 2\n_By reason_\n• Duplicate created by mistake: 2\n_By person_\n• <@UADMIN1>: 1\n• <@USUPPORT>: 1",
		"section: *Merges:* none.",
		"section: *Privacy erasures:* none.",
		"section: *Restores:* 0 · *Wrong deletions reported:* 1",
		"section: *Suppression hits:* none (no contact was created again with an opted-out email or phone).",
		"section: *Waiting now:* 1 request for an admin · 1 review of what an admin did alone (`/contact deletions`, the Home tab)",
		fmt.Sprintf("section: *Archives expiring in the next 7 days:* 2 (after that they can no longer be restored)\n• *%s* · deletion `%s` · restorable until %s\n• *%s* · deletion `%s` · restorable until %s",
			"Jane Test", janeDel.ID, date(janeDel.RestoreUntil), "Bob Test", bobDel[0].ID, date(bobDel[0].RestoreUntil)),
	}
	// Jane and Bob were deleted within the same second: either may come first.
	got := viewLines(decodeBlocks(t, posts[0].Params["blocks"]))
	last := len(want) - 1
	if len(got) == len(want) && got[last] != want[last] {
		alt := fmt.Sprintf("section: *Archives expiring in the next 7 days:* 2 (after that they can no longer be restored)\n• *%s* · deletion `%s` · restorable until %s\n• *%s* · deletion `%s` · restorable until %s",
			"Bob Test", bobDel[0].ID, date(bobDel[0].RestoreUntil), "Jane Test", janeDel.ID, date(janeDel.RestoreUntil))
		if got[last] == alt {
			want[last] = alt
		}
	}
	sameLines(t, "digest", got, want)
	if posts[0].Params["text"] != "contactbot weekly digest: 2 deletions, 0 restores" {
		t.Errorf("digest text %q", posts[0].Params["text"])
	}

	t.Run("ScheduledOncePerWeek", func(t *testing.T) {
		job := e.Bot.DigestJob()
		if job.Name != "digest Fri 16:30" {
			t.Errorf("job %q", job.Name)
		}
		fri := time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC)
		if next := job.Next(fri.Add(-time.Minute)); !next.Equal(fri) {
			t.Errorf("next %v", next)
		}
		if next := job.Next(fri); !next.Equal(fri.AddDate(0, 0, 7)) {
			t.Errorf("next after a run %v", next)
		}
	})

	t.Run("DefaultsToApprovals", func(t *testing.T) {
		cfg, err := config.Load(map[string]string{"APPROVALS_CHANNEL": bottest.Approval})
		if err != nil || cfg.DigestTo() != bottest.Approval || cfg.DigestAt.String() != "Mon 09:00" {
			t.Errorf("defaults: %s %s %v", cfg.DigestTo(), cfg.DigestAt, err)
		}
	})
}

// TestAuditExport: `/contact audit [period]` sends an admin the audit trail
// as a CSV file in their DM (files.getUploadURLExternal, the upload,
// files.completeUploadExternal), audited; others are refused.
func TestAuditExport(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	ctx := context.Background()
	jane := lowRisk(t, e, "Jane")
	v, _ := openModal(t, e, bottest.Deleter, jane)
	submitDelete(t, e, bottest.Deleter, v)

	r := e.Command(bottest.Admin, "audit 7")
	if got := text(r); !strings.Contains(got, "📄 Exporting the audit trail of the last 7 days: the CSV file will be in your DM with contactbot in a moment.") {
		t.Fatalf("answer: %s", got)
	}
	e.Bot.Wait()
	if n := len(e.Slack.Calls("files.getUploadURLExternal")); n != 1 {
		t.Fatalf("%d files.getUploadURLExternal calls", n)
	}
	if n := len(e.Slack.Calls(slackfake.UploadMethod)); n != 1 {
		t.Fatalf("%d uploads", n)
	}
	files := e.Slack.Files()
	if len(files) != 1 {
		t.Fatalf("%d files shared", len(files))
	}
	f := files[0]
	now := e.Clock.Now().UTC()
	if f.Channel != slackfake.DMChannel(bottest.Admin) || f.Name != "contactbot-audit-"+now.Format("2006-01-02")+"-7d.csv" || f.Title != "contactbot audit trail, last 7 days" {
		t.Errorf("file %s %q %q", f.Channel, f.Name, f.Title)
	}
	rows, err := csv.NewReader(strings.NewReader(string(f.Content))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, f.Content)
	}
	if strings.Join(rows[0], ",") != "id,at,actor,action,contact_id,deletion_id,request_id,reason,reason_label,outcome,detail,batch_id" {
		t.Errorf("header %v", rows[0])
	}
	var deleted []string
	for _, row := range rows[1:] {
		if _, err := time.Parse("2006-01-02T15:04:05Z", row[1]); err != nil {
			t.Errorf("time %q is not UTC ISO-8601", row[1])
		}
		if row[3] == crm.AuditDeleted {
			deleted = row
		}
	}
	if deleted == nil || deleted[2] != bottest.Deleter || deleted[4] != jane || deleted[7] != "duplicate" || deleted[8] != "Duplicate created by mistake" || deleted[9] != "ok" {
		t.Errorf("the delete's row: %v", deleted)
	}
	wantComment := fmt.Sprintf("📄 The audit trail of the last 7 days: %d entries from %s to %s, one row each, times in UTC (ISO-8601). It holds ids, reasons and outcomes, no contact details.",
		len(rows)-1, date(now.AddDate(0, 0, -7)), date(now))
	if f.Comment != wantComment {
		t.Errorf("comment %q\nwant %q", f.Comment, wantComment)
	}
	for _, secret := range []string{"xoxb-test-token", bottest.Secret, "jane@example.com"} {
		if strings.Contains(string(f.Content), secret) {
			t.Errorf("the export contains %q", secret)
		}
	}
	var exported int
	_ = e.Store.EachAuditEntry(ctx, time.Time{}, func(a crm.AuditEntry) error {
		if a.Action == crm.AuditExported && a.Actor == bottest.Admin && a.Detail == fmt.Sprintf("last 7 days, %d entries", len(rows)-1) {
			exported++
		}
		return nil
	})
	if exported != 1 {
		t.Errorf("the export was audited %d times", exported)
	}

	t.Run("Refused", func(t *testing.T) {
		for _, c := range []struct{ user, arg, want string }{
			{bottest.Support, "audit", "Only admins can export the audit trail. Ask an admin if an auditor needs it."},
			{bottest.Admin, "audit week", "Say how far back, from 1 hour to 366 days: `/contact audit 30` (days), `/contact audit 2w` or `/contact audit 36h`. Without one it exports the last 30 days."},
			{bottest.Admin, "audit 400", "Say how far back, from 1 hour to 366 days: `/contact audit 30` (days), `/contact audit 2w` or `/contact audit 36h`. Without one it exports the last 30 days."},
			{bottest.Admin, "audit 53w", "Say how far back, from 1 hour to 366 days: `/contact audit 30` (days), `/contact audit 2w` or `/contact audit 36h`. Without one it exports the last 30 days."},
			{bottest.Admin, "audit 30m", "Say how far back, from 1 hour to 366 days: `/contact audit 30` (days), `/contact audit 2w` or `/contact audit 36h`. Without one it exports the last 30 days."},
		} {
			if got := commandText(t, e.Command(c.user, c.arg)); got != c.want {
				t.Errorf("%s %q:\n got %q\nwant %q", c.user, c.arg, got, c.want)
			}
		}
		e.Bot.Wait()
		if n := len(e.Slack.Files()); n != 1 {
			t.Errorf("%d files shared", n)
		}
	})

	// The same periods as `contactbot audit --since`: weeks, days and hours.
	t.Run("Periods", func(t *testing.T) {
		before := len(e.Slack.Files())
		for arg, want := range map[string]struct{ words, file string }{
			"2w":    {"14 days", "14d"},
			"1d12h": {"36 hours", "1d12h"},
		} {
			sameText(t, "audit "+arg, commandText(t, e.Command(bottest.Admin, "audit "+arg)),
				"📄 Exporting the audit trail of the last "+want.words+": the CSV file will be in your DM with contactbot in a moment.")
			e.Bot.Wait()
			files := e.Slack.Files()
			if f := files[len(files)-1]; f.Name != "contactbot-audit-"+e.Clock.Now().UTC().Format("2006-01-02")+"-"+want.file+".csv" || f.Title != "contactbot audit trail, last "+want.words {
				t.Errorf("audit %s shared %q %q", arg, f.Name, f.Title)
			}
		}
		if n := len(e.Slack.Files()) - before; n != 2 {
			t.Errorf("%d files shared, want 2", n)
		}
	})

	t.Run("UploadFails", func(t *testing.T) {
		e.Slack.FailHTTP(slackfake.UploadMethod, http.StatusInternalServerError)
		defer e.Slack.Unfail(slackfake.UploadMethod)
		e.Command(bottest.Admin, "audit")
		e.Bot.Wait()
		if got := lastResponse(t, e); !strings.HasPrefix(got, "The audit export could not be sent to your DM (Slack did not take the file). Try again in a minute") {
			t.Errorf("answer %q", got)
		}
	})
}
