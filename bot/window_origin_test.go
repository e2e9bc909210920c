package bot_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// forgedVia is what a hostile client writes as a window's "where it
// started": a line of its own in the audit feed.
const forgedVia = "x\n<@UADMIN1> approved the delete"

// forgeOrigin returns v with its private_metadata's "v" set to origin.
func forgeOrigin(t *testing.T, v slack.View, origin string) slack.View {
	t.Helper()
	var meta map[string]any
	if err := json.Unmarshal([]byte(v.PrivateMetadata), &meta); err != nil {
		t.Fatalf("window metadata %q: %v", v.PrivateMetadata, err)
	}
	meta["v"] = origin
	b, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	v.PrivateMetadata = string(b)
	return v
}

// auditLinesOf are the audit feed's lines about contactID.
func auditLinesOf(e *bottest.Env, contactID string) []string {
	var out []string
	for _, p := range e.AuditPosts() {
		if strings.Contains(p.Params["text"], "`"+contactID+"`") {
			out = append(out, p.Params["text"])
		}
	}
	return out
}

// TestWindowOriginIsTheServers: "where it started" in a window's
// private_metadata is an origin the server issued, never words: a forged
// value with a line of its own reaches neither the audit table nor the
// audit feed of a delete request, a Set DND or an erasure request; an
// origin id the server never issued, or issued to someone else, is dropped
// as well; the shortcut's real origin still names its message.
func TestWindowOriginIsTheServers(t *testing.T) {
	t.Parallel()
	e := bottest.New(t, withAudit)
	forged := func(t *testing.T) {
		t.Helper()
		e.Bot.Wait()
		if found := crmtest.FindText(t, e.Store, "approved the delete"); len(found) != 0 {
			t.Errorf("the forged origin is stored: %v", found)
		}
		for _, p := range e.AuditPosts() {
			if strings.Contains(p.Params["text"], "approved the delete") {
				t.Errorf("the forged origin is in the audit feed: %q", p.Params["text"])
			}
		}
	}

	t.Run("DeleteRequest", func(t *testing.T) {
		ann := lowRisk(t, e, "Ann")
		v, _ := openModal(t, e, bottest.Support, ann)
		r := submitDelete(t, e, bottest.Support, forgeOrigin(t, v, forgedVia))
		if !strings.Contains(r.Body, "Request sent") {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		forged(t)
		a := requestOf(t, e, bottest.Support, ann)
		want := []string{
			fmt.Sprintf("%s <@USUPPORT> found contact `%s` — delete window opened (via button on a search result)", date(e.Clock.Now()), ann),
			fmt.Sprintf("%s <@USUPPORT> asked to delete contact `%s` request `%s` — reason: Duplicate created by mistake — pending (expires %s)",
				date(a.CreatedAt), ann, a.ID, date(a.ExpiresAt)),
		}
		sameLines(t, "audit feed", auditLinesOf(e, ann), want)
	})

	t.Run("SetDND", func(t *testing.T) {
		bea := lowRisk(t, e, "Bea")
		clickAndWait(t, e, bottest.Deleter, bot.ActionSetDND, bea)
		r := e.SubmitChecked(bottest.Deleter, forgeOrigin(t, e.LastView(), forgedVia), map[string][]string{"channels": {"email"}})
		e.Bot.Wait()
		if r.Status != 200 || strings.Contains(r.Body, "could not be read") {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		forged(t)
		lines := auditLinesOf(e, bea)
		opened := fmt.Sprintf("%s <@UDELETER> found contact `%s` — Set DND window opened (via button on a search result)", date(e.Clock.Now()), bea)
		set := regexp.MustCompile("^" + regexp.QuoteMeta(fmt.Sprintf("%s <@UDELETER> set DND on contact `%s` — reason: Unsubscribe / STOP / DND request — ok (Email: not set → on; undo ", date(e.Clock.Now()), bea)) + `A[A-Z2-9]{12}\)$`)
		if len(lines) != 2 || lines[0] != opened || !set.MatchString(lines[1]) {
			t.Errorf("audit feed %q, want %q and the change with no origin", lines, opened)
		}
	})

	t.Run("ErasureRequest", func(t *testing.T) {
		cal := lowRisk(t, e, "Cal")
		v, _ := openModal(t, e, bottest.Support, cal)
		resp := submitted(t, e.Submit(bottest.Support, v, map[string]string{"reason": bot.ReasonErasure}))
		if resp.View == nil || resp.View.CallbackID != bot.CallbackEraseModal {
			t.Fatalf("erasure window not shown: %+v", resp)
		}
		ev := slack.View{CallbackID: resp.View.CallbackID, PrivateMetadata: resp.View.PrivateMetadata}
		r := e.Submit(bottest.Support, forgeOrigin(t, ev, forgedVia), map[string]string{"note": "ticket 1", "confirm": "ERASE"})
		e.Bot.Wait()
		if !strings.Contains(r.Body, "Request sent") {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		forged(t)
		a := requestOf(t, e, bottest.Support, cal)
		if a.Summary.Via != "" {
			t.Errorf("request's origin %q", a.Summary.Via)
		}
	})

	t.Run("MergeRequest", func(t *testing.T) {
		e := bottest.New(t, withAudit) // its own contacts: the pair shares an email
		_, dup := mergePair(t, e)
		e.Click(bottest.Support, bot.ActionMerge, dup)
		r := e.Submit(bottest.Support, forgeOrigin(t, e.LastView(), forgedVia), map[string]string{"confirm": "MERGE"})
		e.Bot.Wait()
		if !strings.Contains(r.Body, "Request sent") {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		if found := crmtest.FindText(t, e.Store, "approved the delete"); len(found) != 0 {
			t.Errorf("the forged origin is stored: %v", found)
		}
		for _, p := range e.AuditPosts() {
			if strings.Contains(p.Params["text"], "approved the delete") {
				t.Errorf("the forged origin is in the audit feed: %q", p.Params["text"])
			}
		}
		if a := requestOf(t, e, bottest.Support, dup); a.Summary.Via != "" {
			t.Errorf("request's origin %q", a.Summary.Via)
		}
	})

	t.Run("OriginNotIssuedToThisPerson", func(t *testing.T) {
		// A real origin, issued to Deleter by the shortcut.
		lowRisk(t, e, "Dee")
		e.Interact(e.ShortcutCallback(bottest.Deleter, bottest.Channel, "1795895340.000200", "please delete dee@example.com"))
		e.Bot.Wait()
		rs := e.Slack.Responses()
		blocks := decodeBlocks(t, rs[len(rs)-1].Params["blocks"])
		var deleterOrigin string
		for _, b := range blocks {
			if ab, ok := b.(*slack.ActionBlock); ok {
				deleterOrigin = strings.Split(ab.BlockID, ":")[1]
			}
		}
		if !strings.HasPrefix(deleterOrigin, "M") {
			t.Fatalf("shortcut's blocks %v", viewLines(blocks))
		}
		for _, origin := range []string{deleterOrigin, "MAAAAAAAAAA"} {
			id := lowRisk(t, e, "Eve"+crm.NewID("", 4))
			v, _ := openModal(t, e, bottest.Support, id)
			if r := submitDelete(t, e, bottest.Support, forgeOrigin(t, v, origin)); !strings.Contains(r.Body, "Request sent") {
				t.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			if a := requestOf(t, e, bottest.Support, id); a.Summary.Via != "" {
				t.Errorf("origin %s kept as %q", origin, a.Summary.Via)
			}
		}
	})
}
