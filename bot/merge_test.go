package bot

import (
	"testing"

	"contactbot/crm"
)

// TestMovedLine: what a merge moved, in the words of the merge summary;
// DND settings are combined, not moved, and are not listed.
func TestMovedLine(t *testing.T) {
	for _, c := range []struct {
		counts crm.Counts
		want   string
	}{
		{crm.Counts{Conversations: 2, Messages: 6, Notes: 2, Opportunities: 2, Tasks: 3, Appointments: 2, WorkflowEnrollments: 2, DNDSettings: 3},
			"2 conversations (6 messages), 2 notes, 2 opportunities, 3 tasks, 2 appointments, 2 workflow enrollments"},
		{crm.Counts{Conversations: 1, Notes: 1, WorkflowEnrollments: 1},
			"1 conversation (0 messages), 1 note, 1 workflow enrollment"},
		{crm.Counts{Tasks: 1, DNDSettings: 2}, "1 task"},
		{crm.Counts{DNDSettings: 1},
			"nothing: the duplicate had no conversations, notes, deals, tasks, appointments or workflows"},
	} {
		if got := movedLine(c.counts); got != c.want {
			t.Errorf("movedLine(%+v) = %q, want %q", c.counts, got, c.want)
		}
	}
}
