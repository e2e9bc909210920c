package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm/crmtest"
	"contactbot/crm/demo"
)

// demoEnv is a bot on the demo CRM (the shell's contacts).
func demoEnv(t *testing.T) *bottest.Env {
	t.Helper()
	e := bottest.New(t)
	if ok, err := demo.Seed(context.Background(), e.Store, e.Clock.Now()); err != nil || !ok {
		t.Fatalf("seed the demo CRM: %v, %v", ok, err)
	}
	return e
}

// mergeWindowLines is a Merge duplicate window as lines: its blocks, and
// its choice of the contact that stays with each option ("*" marks the
// one selected).
func mergeWindowLines(v slack.View) []string {
	var out []string
	for _, line := range viewLines(v.Blocks.BlockSet) {
		out = append(out, line)
		if line != "input: Which contact stays?" {
			continue
		}
		for _, b := range v.Blocks.BlockSet {
			in, ok := b.(*slack.InputBlock)
			if !ok || in.BlockID != "original" {
				continue
			}
			sel := in.Element.(*slack.SelectBlockElement)
			for _, o := range sel.Options {
				mark := " "
				if sel.InitialOption != nil && sel.InitialOption.Value == o.Value {
					mark = "*"
				}
				out = append(out, mark+" "+o.Text.Text+" ["+o.Value+"]")
			}
		}
	}
	return out
}

// chooseMergeWay picks an option of the open Merge duplicate window's
// choice, as Slack sends it at once (dispatch_action), and returns the
// window as redrawn by views.update; ok is false when it was not redrawn.
func chooseMergeWay(t *testing.T, e *bottest.Env, user string, v slack.View, value string) (slack.View, bool) {
	t.Helper()
	before := len(e.Slack.Calls("views.update"))
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}, Team: slack.Team{ID: bottest.Team},
		View: v, ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{
			ActionID: "original", BlockID: "original", Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: value}}}}}
	if r := e.Interact(cb); r.Status != http.StatusOK || r.Body != "" {
		t.Fatalf("choose %s: %d %q", value, r.Status, r.Body)
	}
	e.Bot.Wait()
	calls := e.Slack.Calls("views.update")
	if len(calls) == before {
		return slack.View{}, false
	}
	call := calls[len(calls)-1]
	if call.Params["view_id"] != v.ID {
		t.Fatalf("views.update of %q, want the merge window %q", call.Params["view_id"], v.ID)
	}
	var got slack.View
	if err := json.Unmarshal([]byte(call.Params["view"]), &got); err != nil {
		t.Fatal(err)
	}
	return got, true
}

// rowsOf counts a contact's linked rows, table by table.
func rowsOf(t *testing.T, e *bottest.Env, id string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"conversations", "notes", "opportunities", "tasks", "appointments", "workflow_enrollments"} {
		out[table] = crmtest.CountRows(t, e.Store, table, "contact_id = $1", id)
	}
	return out
}

// TestMergeOffersEitherWay: Merge… pressed on the older, richer Jane Doe
// of the demo CRM offers to keep her (the richer one first) and merge the
// bare imported Jane Doe into her, or, chosen in the window, the other way
// round; the window is redrawn for the choice, and the merge moves the rows
// the way it said.
func TestMergeOffersEitherWay(t *testing.T) {
	t.Parallel()
	jane, imported := demo.ID("jane"), demo.ID("jane-import")
	keepJane, keepImported := bot.MergeChoice(jane, imported), bot.MergeChoice(imported, jane)
	const tail = "context: The contact that stays gets this one's email, phone and company where its own are empty, and the stricter DND of the two (permanent is never lowered). Then this contact, emptied, is deleted through the archive: the merge can be restored like a delete, putting both contacts back as they were."
	janeLine := "*Jane Doe* · jane.doe@example.com · +1 (555) 010-2233 · `" + jane + "`\nDND: off"
	importedLine := "*Jane Doe* · 555.010.2233 · `" + imported + "`\nDND: off"
	options := func(selected string) []string {
		mark := map[bool]string{true: "*", false: " "}
		return []string{
			// Slack allows an option 75 characters: the phone does not fit.
			mark[selected == keepJane] + " Keep Jane Doe (" + jane + ") · jane.doe@example.com [" + keepJane + "]",
			mark[selected == keepImported] + " Keep Jane Doe (" + imported + ") · 555.010.2233 [" + keepImported + "]",
		}
	}
	window := func(selected string, goes, stays, fills, moves string) []string {
		lines := append([]string{"input: Which contact stays?"}, options(selected)...)
		lines = append(lines,
			"section: *This contact goes:* "+goes,
			"section: *It merges into the contact that stays:* "+stays)
		if fills != "" {
			lines = append(lines, "context: "+fills)
		}
		return append(lines,
			"context: Flagged as possible duplicates: same phone "+map[bool]string{true: "555.010.2233", false: "+1 (555) 010-2233"}[selected == keepJane]+".",
			"section: *Moves to the contact that stays:*\n"+moves,
			tail,
			"context: ✅ You are an admin: the contact is merged when you confirm.",
			"input: Note",
			"input: Type MERGE to confirm",
		)
	}

	// merged submits window v keeping choice's contact, stays, and checks
	// that gone is gone and stays has both contacts' rows.
	merged := func(t *testing.T, e *bottest.Env, v slack.View, choice, stays, gone string) {
		t.Helper()
		staysRows, goneRows := rowsOf(t, e, stays), rowsOf(t, e, gone)
		if r := e.Submit(bottest.Admin, v, map[string]string{"original": choice, "confirm": "MERGE"}); r.Status != http.StatusOK || r.Body != "" {
			t.Fatalf("merge: %d %s", r.Status, r.Body)
		}
		e.Bot.Wait()
		if contactExists(t, e, gone) || !contactExists(t, e, stays) {
			t.Fatalf("after the merge: %s there %v, %s there %v; want only %s", stays, contactExists(t, e, stays), gone, contactExists(t, e, gone), stays)
		}
		for table, n := range rowsOf(t, e, stays) {
			if n != staysRows[table]+goneRows[table] {
				t.Errorf("%s has %d %s, want its %d and %s's %d", stays, n, table, staysRows[table], gone, goneRows[table])
			}
		}
	}

	t.Run("TheRicherStaysByDefault", func(t *testing.T) {
		e := demoEnv(t)
		e.Click(bottest.Admin, bot.ActionMerge, jane)
		v := e.LastView()
		sameLines(t, "merge window", mergeWindowLines(v), window(keepJane, importedLine, janeLine, "",
			"💬 0 conversations (0 messages)\n📝 1 note\n💼 0 opportunities (0 open)\n✅ 0 tasks (0 open)\n📅 0 appointments (0 upcoming)\n⚙️ 0 workflow enrollments (0 active)"))
		// Submitted as shown (Slack sends the initial option).
		merged(t, e, v, keepJane, jane, imported)
	})

	t.Run("ThePressedOneGoesWhenChosen", func(t *testing.T) {
		e := demoEnv(t)
		e.Click(bottest.Admin, bot.ActionMerge, jane)
		redrawn, ok := chooseMergeWay(t, e, bottest.Admin, e.LastView(), keepImported)
		if !ok {
			t.Fatal("choosing to keep the imported Jane Doe did not redraw the window")
		}
		sameLines(t, "redrawn window", mergeWindowLines(redrawn), window(keepImported, janeLine, importedLine,
			"*Fills in:* email jane.doe@example.com, company Doe Family Dental",
			"💬 2 conversations (5 messages)\n📝 2 notes\n💼 1 opportunity (0 open)\n✅ 2 tasks (1 open)\n📅 1 appointment (0 upcoming)\n⚙️ 1 workflow enrollment (0 active)"))
		merged(t, e, redrawn, keepImported, imported, jane)
		dms := dmsTo(e, bottest.Admin)
		wantAll(t, "merge summary", dms[len(dms)-1], "*Gone:* *Jane Doe* · jane.doe@example.com · +1 (555) 010-2233 · `"+jane+"`\n*Stays:* *Jane Doe* · jane.doe@example.com · 555.010.2233 · `"+imported+"`")
	})
}

// TestMergeRefusesForgedChoice: a choice the window did not offer (a
// contact outside the pair, a contact with itself, no pair at all, or a
// window whose metadata names another contact) is refused, whether picked
// or submitted, and nothing changes.
func TestMergeRefusesForgedChoice(t *testing.T) {
	t.Parallel()
	e := demoEnv(t)
	jane, imported, sofia, mateo := demo.ID("jane"), demo.ID("jane-import"), demo.ID("sofia"), demo.ID("mateo")
	before := crmtest.Dump(t, e.Store)
	e.Click(bottest.Admin, bot.ActionMerge, jane)
	v := e.LastView()
	for _, forged := range []string{bot.MergeChoice(sofia, jane), bot.MergeChoice(jane, sofia), bot.MergeChoice(mateo, sofia), bot.MergeChoice(jane, jane), jane, "x:y:z"} {
		if _, redrawn := chooseMergeWay(t, e, bottest.Admin, v, forged); redrawn {
			t.Errorf("picking %q redrew the window", forged)
		}
		r := e.Submit(bottest.Admin, v, map[string]string{"original": forged, "confirm": "MERGE"})
		if errs := submitErrors(t, r); errs["original"] != "Choose which contact stays. Nothing was merged." || len(errs) != 1 {
			t.Errorf("submitting %q: %d %s", forged, r.Status, r.Body)
		}
	}
	// The window's own contact swapped for another in its metadata: the
	// pair is not one the server finds for that contact.
	forgedMeta := v
	forgedMeta.PrivateMetadata = strings.Replace(v.PrivateMetadata, `"c":"`+jane+`"`, `"c":"`+sofia+`"`, 1)
	r := e.Submit(bottest.Admin, forgedMeta, map[string]string{"original": bot.MergeChoice(imported, sofia), "confirm": "MERGE"})
	wantAll(t, "forged metadata", readable(t, r).Body, "*Nothing was merged.* "+bot.ErrNothingToMergeInto.Message)
	e.Bot.Wait()
	sameDump(t, "after forged choices", before, crmtest.Dump(t, e.Store))
}

// TestDuplicateWarningsSayWhatMatched: Mateo and Sofia García (demo) share
// the family phone. Their search results, the delete window and the Merge
// duplicate window say it is the phone, and the merge window warns that
// the first names and emails differ. Sam and Samuel Lee share both.
func TestDuplicateWarningsSayWhatMatched(t *testing.T) {
	t.Parallel()
	e := demoEnv(t)
	mateo, sofia, samuel := demo.ID("mateo"), demo.ID("sofia"), demo.ID("samuel")

	found := blockTexts(answerBlocks(t, e.Command(bottest.Admin, "+34 91 555 0101")))
	wantText(t, "search result", found, "⚠️ Possible duplicate of Sofia García (`"+sofia+"`): same phone +34 91 555 0101.")
	wantText(t, "search result", found, "⚠️ Possible duplicate of Mateo García (`"+mateo+"`): same phone +34 91 555 0101.")
	found = blockTexts(answerBlocks(t, e.Command(bottest.Admin, "sam lee")))
	wantText(t, "search result", found, "⚠️ Possible duplicate of Samuel Lee (`"+samuel+"`): same email sam.lee@example.com and phone +1 (555) 016-2020.")

	_, open := openModal(t, e, bottest.Admin, sofia)
	wantText(t, "delete window", blockTexts(open.Blocks()),
		"⚠️ Possible duplicate of Mateo García (`"+mateo+"`): same phone +34 91 555 0101. Check that you are deleting the right one.")

	e.Click(bottest.Admin, bot.ActionMerge, sofia)
	lines := mergeWindowLines(e.LastView())
	// Mateo has a note, Sofia nothing: he is offered to stay.
	sameLines(t, "merge window, its contacts and warnings", lines[:6], []string{
		"input: Which contact stays?",
		"* Keep Mateo García (" + mateo + ") · mateo.garcia@example.es [" + bot.MergeChoice(mateo, sofia) + "]",
		"  Keep Sofia García (" + sofia + ") · sofia.garcia@example.es [" + bot.MergeChoice(sofia, mateo) + "]",
		"section: *This contact goes:* *Sofia García* · sofia.garcia@example.es · +34 91 555 0101 · `" + sofia + "`\nDND: off",
		"section: *It merges into the contact that stays:* *Mateo García* · mateo.garcia@example.es · +34 91 555 0101 · `" + mateo + "`\nDND: off",
		"context: Flagged as possible duplicates: same phone +34 91 555 0101. | ⚠️ *These may be two different people:* the first names differ (Sofia, Mateo) and the emails differ (sofia.garcia@example.es, mateo.garcia@example.es). Merge only if they are the same person.",
	})
	// The same first name and email: no such warning.
	e.Click(bottest.Admin, bot.ActionMerge, demo.ID("jane"))
	if text := strings.Join(mergeWindowLines(e.LastView()), "\n"); strings.Contains(text, "two different people") {
		t.Errorf("the two Jane Does are warned of as two people:\n%s", text)
	}
}

// TestMergeChoiceRechecksPermission: the delete rule applies to the contact
// that goes, whichever way is chosen. A deleter may merge a low-risk
// contact into a risky one directly, but the other way round asks an admin;
// a window forged to show that way with the direct mode is redrawn, and
// nothing is merged or requested.
func TestMergeChoiceRechecksPermission(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	bare := lowRisk(t, e, "Jane")
	rich := crmtest.InsertFull(t, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Test", Email: "JANE@example.com"}, crmtest.SmallFull)
	before := crmtest.Dump(t, e.Store)
	e.Click(bottest.Deleter, bot.ActionMerge, bare)
	v := e.LastView()
	if v.Submit.Text != "Merge" || !strings.Contains(strings.Join(viewLines(v.Blocks.BlockSet), "\n"), "context: ✅ You are a deleter and this contact is low-risk: it is merged when you confirm.") {
		t.Fatalf("the low-risk contact going: %q\n%s", v.Submit.Text, strings.Join(viewLines(v.Blocks.BlockSet), "\n"))
	}
	keepBare := bot.MergeChoice(bare, rich)
	redrawn, ok := chooseMergeWay(t, e, bottest.Deleter, v, keepBare)
	if !ok {
		t.Fatal("the choice did not redraw the window")
	}
	wantText(t, "the risky contact going", strings.Split(strings.Join(viewLines(redrawn.Blocks.BlockSet), "\n"), "\n"),
		"section: 🔒 *Submitting asks an admin; nothing is merged until one approves.* You may delete low-risk contacts directly, but this one needs an admin's approval: it has open opportunities, it has upcoming appointments, it has DND set. Your request goes to <#CAPPROVALS> and you will hear the outcome.")
	if redrawn.Submit.Text != "Request approval" {
		t.Errorf("the redrawn window submits %q", redrawn.Submit.Text)
	}

	// The first window's metadata forged to show the risky way, still direct.
	var meta map[string]any
	if err := json.Unmarshal([]byte(v.PrivateMetadata), &meta); err != nil {
		t.Fatal(err)
	}
	meta["s"] = keepBare
	raw, _ := json.Marshal(meta)
	forged := v
	forged.PrivateMetadata = string(raw)
	r := e.Submit(bottest.Deleter, forged, map[string]string{"original": keepBare, "confirm": "MERGE"})
	wantAll(t, "forged direct mode", readable(t, r).Body, "⚠️ *What this window does has changed since you opened it.* Nothing was merged or sent. Check below and submit again.")
	e.Bot.Wait()
	sameDump(t, "after the forged window", before, crmtest.Dump(t, e.Store))
	if n := crmtest.CountRows(t, e.Store, "approval_requests", "contact_id = $1", rich); n != 0 {
		t.Errorf("%d requests filed by the forged window", n)
	}
}

// TestMergeWindowOpenedBeforeTheChoice: a Merge duplicate window opened
// before the choice existed (no way shown in its metadata) still merges
// its contact into the one it named, after the same checks.
func TestMergeWindowOpenedBeforeTheChoice(t *testing.T) {
	t.Parallel()
	e := bottest.New(t)
	orig, dup := mergePair(t, e)
	e.Click(bottest.Admin, bot.ActionMerge, dup)
	v := e.LastView()
	var meta map[string]any
	if err := json.Unmarshal([]byte(v.PrivateMetadata), &meta); err != nil {
		t.Fatal(err)
	}
	delete(meta, "s")
	raw, _ := json.Marshal(meta)
	v.PrivateMetadata = string(raw)
	if r := e.Submit(bottest.Admin, v, map[string]string{"confirm": "MERGE"}); r.Status != http.StatusOK || r.Body != "" {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	e.Bot.Wait()
	if contactExists(t, e, dup) || crmtest.CountRows(t, e.Store, "notes", "contact_id = $1", orig) != 4 {
		t.Error("the older window's contact was not merged into the one it named")
	}
}
