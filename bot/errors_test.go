package bot

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"contactbot/crm"
)

// TestBrokenPreconditionLogged: a crm call that breaks what it requires of
// its caller (here a delete without a restore window) is the program's
// mistake: it is logged as an error with its cause, and the person reads
// the generic sentence, never the precondition.
func TestBrokenPreconditionLogged(t *testing.T) {
	var logged bytes.Buffer
	b := &Bot{log: slog.New(slog.NewTextHandler(&logged, nil))}
	var store crm.Store // the precondition is checked before the database is used
	_, err := store.Delete(context.Background(), crm.DeleteRequest{ContactID: "c1", Actor: "U1", Reason: ReasonDuplicate})
	if err == nil {
		t.Fatal("a delete without a restore window was not refused")
	}
	shown := b.userMessage(err, "delete", "contact", "c1")
	const want = "Something went wrong on our side. Please try again in a minute; if it keeps failing, tell an admin."
	if shown != want || strings.Contains(shown, "restore window") {
		t.Errorf("the person reads %q, want the generic sentence %q", shown, want)
	}
	line := logged.String()
	for _, want := range []string{"level=ERROR", "msg=delete", "contact=c1", "A delete needs a restore window."} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
}
