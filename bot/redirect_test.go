package bot

import "testing"

func TestOptOutNote(t *testing.T) {
	for _, note := range []string{"Unsubscribe please", "customer unsubscribed", "Replied STOP", "stop messages", "wants to opt out",
		"opt-out request", "Opted-out last week", "optout", "DND", "asked for dnd.", "Do not disturb", "STOPPED replying? no: stop"} {
		if !optOutNote.MatchString(note) {
			t.Errorf("%q not recognised as an opt-out", note)
		}
	}
	for _, note := range []string{"created twice by import", "nonstop import", "stopwatch test", "dndx", "options outside", "test contact from QA", ""} {
		if optOutNote.MatchString(note) {
			t.Errorf("%q taken for an opt-out", note)
		}
	}
}
