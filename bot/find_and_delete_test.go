package bot_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

const wait = 5 * time.Second

// TestFindAndDelete walks the whole path of a direct delete (an admin: this
// contact is risky, so anyone else would need an approval), through the
// HTTP routes with signed requests: find, Delete…, a wrong confirmation, the
// right one, and the summary.
func TestFindAndDelete(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	keep := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Janet", LastName: "Keep", Email: "janet@example.com"}, crmtest.SmallFull)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com", Phone: "+1 (555) 010-2233"}, crmtest.SmallFull)
	before := crmtest.Dump(t, e.Store)

	// Find.
	resp := e.Command(bottest.Admin, "jane@example.com")
	if resp.Status != http.StatusOK {
		t.Fatalf("find: %d %s", resp.Status, resp.Body)
	}
	msg := resp.JSON(t)
	if msg["response_type"] != "ephemeral" {
		t.Errorf("find answer is %v, want ephemeral", msg["response_type"])
	}
	for _, want := range []string{"Jane Doe", "jane@example.com", "+1 (555) 010-2233", id, "2 conversations (6 messages)", "2 notes",
		"1 open / 1 closed opportunities", "1 upcoming appointment", "1 active workflow: Nurture 1", "opted out (DND)", `"action_id":"contact.delete"`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("find message lacks %q:\n%s", want, resp.Body)
		}
	}

	// Delete… opens the modal with the click's trigger id.
	if r := e.Click(bottest.Admin, bot.ActionDelete, id); r.Status != http.StatusOK {
		t.Fatalf("click Delete…: %d %s", r.Status, r.Body)
	}
	open, _ := e.Slack.Last("views.open")
	if !strings.HasPrefix(open.Params["trigger_id"], "trigger-") {
		t.Errorf("views.open without the click's trigger id: %v", open.Params)
	}
	view := e.LastView()
	if view.CallbackID != bot.CallbackDeleteModal || !strings.Contains(open.Text(), "Type DELETE to confirm") || !strings.Contains(open.Text(), "Jane Doe") {
		t.Fatalf("modal is not the delete modal: %s", open.Text())
	}

	// "delete" in lower case: an inline error on the confirm field, nothing deleted.
	r := e.Submit(bottest.Admin, view, map[string]string{"reason": "duplicate", "confirm": "delete"})
	var sub map[string]any
	if err := json.Unmarshal([]byte(r.Body), &sub); err != nil || sub["response_action"] != "errors" {
		t.Fatalf("lower-case delete: want response_action errors, got %d %s", r.Status, r.Body)
	}
	if errs, _ := sub["errors"].(map[string]any); !strings.Contains(errs["confirm"].(string), "Type DELETE") {
		t.Errorf("confirm error = %v", sub["errors"])
	}
	e.Bot.Wait()
	if got := crmtest.Dump(t, e.Store); len(got["contacts"]) != len(before["contacts"]) {
		t.Fatal("a wrong confirmation deleted something")
	}

	// DELETE with a reason: the modal closes, the delete runs, the summary arrives.
	r = e.Submit(bottest.Admin, view, map[string]string{"reason": "duplicate", "note": "created twice by import", "confirm": "  DELETE "})
	if r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "" {
		t.Fatalf("DELETE submit: want an empty 200 that closes the modal, got %d %q", r.Status, r.Body)
	}
	e.Bot.Wait()
	for _, table := range crmtest.CRMTables {
		where := "contact_id = $1"
		switch table {
		case "contacts":
			where = "id = $1"
		case "messages":
			where = "conversation_id LIKE $1 || '_cv%'"
		}
		if n := crmtest.CountRows(t, e.Store, table, where, id); n != 0 {
			t.Errorf("%s still holds %d rows of the deleted contact", table, n)
		}
	}
	if n := crmtest.CountRows(t, e.Store, "archived_rows", ""); n != 23 {
		t.Errorf("archive holds %d rows, want 23 (1 contact + 22 linked)", n)
	}
	if n := crmtest.CountRows(t, e.Store, "contacts", "id = $1", keep); n != 1 {
		t.Error("the other contact was touched")
	}
	dm := e.Slack.WaitCalls("chat.postMessage", 1, wait)[0]
	if dm.Params["channel"] != bottest.Admin {
		t.Errorf("summary went to %s, want the deleter's DM", dm.Params["channel"])
	}
	for _, want := range []string{"Deleted Jane Doe", "Deletion id", "restorable until", "2 conversations", "6 messages", "(23 rows)", "Report wrong deletion", "created twice by import"} {
		if !strings.Contains(dm.Text(), want) {
			t.Errorf("summary lacks %q: %s", want, dm.Text())
		}
	}
	if !strings.Contains(string(dm.Body), bot.ActionReport) {
		t.Error("summary has no Report wrong deletion button")
	}

	// The same modal submitted again: the contact is gone, the user is told.
	r = e.Submit(bottest.Admin, view, map[string]string{"reason": "duplicate", "confirm": "DELETE"})
	if !strings.Contains(r.Body, "no longer exists") {
		t.Errorf("second submit: %s", r.Body)
	}
}

func TestDeleteModalChecks(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	id := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"}, crmtest.SmallFull)
	e.Click(bottest.Admin, bot.ActionDelete, id)
	view := e.LastView()
	contactsLeft := func() int { return crmtest.CountRows(t, e.Store, "contacts", "id = $1", id) }

	t.Run("UnsubscribeNeverDeletes", func(t *testing.T) {
		r := e.Submit(bottest.Admin, view, map[string]string{"reason": "unsubscribe", "confirm": "DELETE"})
		if !strings.Contains(r.Body, "Nothing was deleted") || !strings.Contains(r.Body, "Do not use Delete to process an unsubscribe") || !strings.Contains(r.Body, "Set DND") {
			t.Errorf("unsubscribe reason answer: %s", r.Body)
		}
		e.Bot.Wait()
		if contactsLeft() != 1 {
			t.Fatal("unsubscribe reason deleted the contact")
		}
	})
	t.Run("StopFollowUpNeverDeletes", func(t *testing.T) {
		r := e.Submit(bottest.Admin, view, map[string]string{"reason": "stop_followup", "confirm": "DELETE"})
		if !strings.Contains(r.Body, "Remove follow-up") {
			t.Errorf("stop follow-up answer: %s", r.Body)
		}
		e.Bot.Wait()
		if contactsLeft() != 1 {
			t.Fatal("stop follow-up reason deleted the contact")
		}
	})
	t.Run("OtherNeedsNote", func(t *testing.T) {
		r := e.Submit(bottest.Admin, view, map[string]string{"reason": "other", "confirm": "DELETE"})
		if !strings.Contains(r.Body, `"note":"Explain`) {
			t.Errorf("other without note: %s", r.Body)
		}
	})
	t.Run("NoReason", func(t *testing.T) {
		r := e.Submit(bottest.Admin, view, map[string]string{"confirm": "DELETE"})
		if !strings.Contains(r.Body, `"reason":"Choose why`) {
			t.Errorf("no reason: %s", r.Body)
		}
	})
	t.Run("NoRightsNeedsApproval", func(t *testing.T) {
		r := e.Submit(bottest.Support, view, map[string]string{"reason": "duplicate", "confirm": "DELETE"})
		if !strings.Contains(r.Body, "needs an admin") {
			t.Errorf("support user's submit: %s", r.Body)
		}
		e.Bot.Wait()
		if contactsLeft() != 1 {
			t.Fatal("a user without rights deleted the contact")
		}
	})
	t.Run("ChangedSinceOpened", func(t *testing.T) {
		e.Store.DB().MustExec(`INSERT INTO notes (id, contact_id, body) VALUES ('late_note', $1, 'new')`, id)
		r := e.Submit(bottest.Admin, view, map[string]string{"reason": "duplicate", "confirm": "DELETE"})
		if !strings.Contains(r.Body, "changed since you opened") || !strings.Contains(r.Body, "notes 2 → 3") || !strings.Contains(r.Body, `"response_action":"update"`) {
			t.Errorf("changed contact: %s", r.Body)
		}
		e.Bot.Wait()
		if contactsLeft() != 1 {
			t.Fatal("a changed contact was deleted")
		}
	})
	if n := crmtest.CountRows(t, e.Store, "deletions", ""); n != 0 {
		t.Errorf("%d deletions recorded, want none", n)
	}
}

// TestUnknownVerbNoted: a first word typed as a verb but not one is named
// above the search of the whole text; a name typed in lower case is not.
func TestUnknownVerbNoted(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Zoe", LastName: "Roe", Email: "zoe@example.com"})
	noMatch := func(q string) string {
		return "No contact matches *" + q + "*. Try the email address, the phone number with or without its country code, the start of a name (“jane do”), or the contact id from Leadgains."
	}
	for text, want := range map[string]string{
		"frobnicate jane": "`frobnicate` is not a `/contact` command (`/contact help` lists them); searched for the whole text:\n" + noMatch("frobnicate jane"),
		"delte jane@example.com": "`delte` is not a `/contact` command; did you mean `/contact delete`? Searched for the whole text:\n" +
			"No contact matches *delte jane@example.com*. Try the email address, the phone number with or without its country code, the start of a name (“jane do”), or the contact id from Leadgains.",
		"hisotry jane": "`hisotry` is not a `/contact` command; did you mean `/contact history`? Searched for the whole text:\n" + noMatch("hisotry jane"),
		// Nothing but a search: a name's start ("zoe"), a first word that
		// finds nobody before a rest that finds nobody either, one word,
		// a capital.
		"zoe doe":         noMatch("zoe doe"),
		"frobnicate xyzw": noMatch("frobnicate xyzw"),
		"frobnicate":      noMatch("frobnicate"),
		"Frobnicate jane": noMatch("Frobnicate jane"),
	} {
		r := e.Command(bottest.Support, text)
		sameText(t, text, commandText(t, r), want)
		var m struct{ Blocks []map[string]any }
		if err := json.Unmarshal([]byte(r.Body), &m); err != nil || len(m.Blocks) == 0 {
			t.Fatalf("%s: no blocks: %s", text, r.Body)
		}
		if first, _ := m.Blocks[0]["text"].(map[string]any); first["text"] != strings.Split(want, "\n")[0] {
			t.Errorf("%s: the first block says %q", text, first["text"])
		}
	}
	// A verb's own search is unchanged, and a found contact has no note.
	if got := commandText(t, e.Command(bottest.Support, "jane doe")); got != "1 contact for “jane doe”" {
		t.Errorf("jane doe: %q", got)
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Roe", Email: "roe@example.com"})

	t.Run("EmptyShowsHelp", func(t *testing.T) {
		r := e.Command(bottest.Support, "")
		if !strings.Contains(r.Body, "Never delete to process an unsubscribe") || !strings.Contains(r.Body, "/contact delete") {
			t.Errorf("help: %s", r.Body)
		}
	})
	t.Run("NothingFoundSuggests", func(t *testing.T) {
		r := e.Command(bottest.Support, "nobody@example.com")
		if !strings.Contains(r.Body, "No contact matches") || !strings.Contains(r.Body, "Try the email") {
			t.Errorf("nothing found: %s", r.Body)
		}
		// A name matches from the start of a word: "oe" is inside "Doe"
		// and "Roe" and finds neither, as the tips say.
		sameText(t, "oe", commandText(t, e.Command(bottest.Support, "oe")),
			"No contact matches *oe*. Try the email address, the phone number with or without its country code, the start of a name (“jane do”), or the contact id from Leadgains.")
	})
	t.Run("FindVerb", func(t *testing.T) {
		r := e.Command(bottest.Support, "find jane")
		if !strings.Contains(r.Body, "2 contacts") || !strings.Contains(r.Body, "Jane Roe") {
			t.Errorf("find jane: %s", r.Body)
		}
	})
	t.Run("DeleteOneMatchOpensModal", func(t *testing.T) {
		r := e.Command(bottest.Deleter, "delete jane@example.com")
		if r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "" {
			t.Errorf("delete command: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(e.LastView().PrivateMetadata, `"c":"`) {
			t.Error("no delete modal opened")
		}
	})
	t.Run("DeleteSeveralMatchesLists", func(t *testing.T) {
		r := e.Command(bottest.Deleter, "delete jane")
		if !strings.Contains(r.Body, "Several contacts match") {
			t.Errorf("delete jane: %s", r.Body)
		}
	})
	t.Run("MentionsAreEscaped", func(t *testing.T) {
		crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "<!channel>", LastName: "Spam", Email: "spam@example.com"})
		r := e.Command(bottest.Support, "spam@example.com")
		blocks, _ := json.Marshal(r.JSON(t)["blocks"])
		var decoded []map[string]any
		json.Unmarshal(blocks, &decoded)
		text := fmtBlocks(decoded)
		if strings.Contains(text, "<!channel>") || !strings.Contains(text, "&lt;!channel&gt;") {
			t.Errorf("contact data not escaped: %s", r.Body)
		}
	})
	t.Run("OtherWorkspaceRefused", func(t *testing.T) {
		e2 := bottest.New(t, bottest.Options{Env: map[string]string{"SLACK_TEAM_ID": "TOTHER"}})
		r := e2.Command(bottest.Admin, "jane")
		if !strings.Contains(r.Body, "another Slack workspace") {
			t.Errorf("other team: %s", r.Body)
		}
	})
}

// fmtBlocks joins the mrkdwn texts of section blocks, as Slack would read them.
func fmtBlocks(blocks []map[string]any) string {
	var parts []string
	for _, b := range blocks {
		if t, ok := b["text"].(map[string]any); ok {
			parts = append(parts, t["text"].(string))
		}
	}
	return strings.Join(parts, "\n")
}

// TestFindCounts checks how many more the find message says there are: an
// exact count, a capped one ("200+"), and a lower bound ("12+") when a word
// also starts longer names that were not counted.
func TestFindCounts(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	add := func(n int, first, last string) {
		crmtest.InsertRows(t, e.Store, "contacts", "id, location_id, first_name, last_name, created_at, updated_at", n, func(g int) []any {
			return []any{crm.NewID("", 20), "loc", first, last, crmtest.ContactCreatedAt, crmtest.ContactUpdatedAt}
		})
	}
	add(12, "Jan", "Smith")
	add(1, "Janet", "Smith")
	add(13, "Ola", "Nordmann")
	add(205, "Test", "Person")
	for _, c := range []struct{ q, title, more string }{
		{"ola nordmann", "10 of 13 contacts for “ola nordmann”", "3 more: refine your search (add a last name, or use the email or phone)."},
		{"test person", "10 of 200+ contacts for “test person”", "190+ more: refine your search (add a last name, or use the email or phone)."},
		{"jan smith", "10 of 12+ contacts for “jan smith”", "2+ more: refine your search (add a last name, or use the email or phone)."},
	} {
		r := e.Command(bottest.Support, c.q)
		var msg struct {
			Text   string            `json:"text"`
			Blocks []json.RawMessage `json:"blocks"`
		}
		var last struct {
			Type     string `json:"type"`
			Elements []struct {
				Text string `json:"text"`
			} `json:"elements"`
		}
		if err := json.Unmarshal([]byte(r.Body), &msg); err != nil || len(msg.Blocks) == 0 {
			t.Fatalf("%q: %v\n%s", c.q, err, r.Body)
		}
		if err := json.Unmarshal(msg.Blocks[len(msg.Blocks)-1], &last); err != nil {
			t.Fatal(err)
		}
		if msg.Text != c.title || last.Type != "context" || len(last.Elements) != 1 || last.Elements[0].Text != c.more {
			t.Errorf("%q: title %q, last block %+v; want %q and %q", c.q, msg.Text, last, c.title, c.more)
		}
	}
}

// TestCommandAnsweredLate: a command whose work runs past the ack budget
// answers "working on it" at once, then the same answer on its response
// URL, which replaces the first (what bottest's Command reads then).
func TestCommandAnsweredLate(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	crmtest.InsertContact(t, e.Store, crmtest.Contact{FirstName: "Ola", LastName: "Nordmann", Email: "ola@example.com"})
	onTime := body(t, e.Command(bottest.Support, "ola@example.com"))
	e.Bot.SetAckBudget(0)
	late := e.Command(bottest.Support, "ola@example.com")
	if strings.Contains(late.Body, bot.LateAnswerText) || !strings.Contains(late.Body, `"replace_original":true`) {
		t.Errorf("the late answer is not the response URL's replacement: %s", late.Body)
	}
	if got := body(t, late); !strings.Contains(got, "Ola Nordmann") || !strings.Contains(onTime, "Ola Nordmann") {
		t.Errorf("answers differ: on time %s\nlate %s", onTime, got)
	}
	if n := len(e.Slack.Responses()); n != 1 {
		t.Errorf("%d response URL posts, want the one late answer", n)
	}
}
