package crm_test

import (
	"context"
	"fmt"
	"testing"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// insertContacts writes n contacts with ids bench_0… in one statement, each
// with sms inactive and email permanent, and two active enrollments.
func insertContacts(b *testing.B, s *crm.Store, n int) {
	b.Helper()
	s.DB().MustExec(`INSERT INTO contacts (id, location_id, first_name) SELECT 'bench_' || g, 'loc', 'B' FROM generate_series(0, $1::int - 1) g`, n)
	s.DB().MustExec(`INSERT INTO dnd_settings (contact_id, channel, status) SELECT 'bench_' || g, c.ch, c.st FROM generate_series(0, $1::int - 1) g,
		(VALUES ('sms', 'inactive'), ('email', 'permanent')) c(ch, st)`, n)
	s.DB().MustExec(`INSERT INTO workflow_enrollments (id, contact_id, workflow_name, status) SELECT 'bench_' || g || '_w' || w, 'bench_' || g, 'W', 'active'
		FROM generate_series(0, $1::int - 1) g, generate_series(1, 2) w`, n)
}

// BenchmarkSetDND is one Set DND on all six channels of a contact: lock,
// two inserts… four writes, contacts.dnd, the audit line and the undo record,
// in one transaction.
func BenchmarkSetDND(b *testing.B) {
	ctx := context.Background()
	s := crmtest.NewStore(b)
	insertContacts(b, s, b.N)
	b.ResetTimer()
	for i := range b.N {
		res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: fmt.Sprintf("bench_%d", i), Channels: crm.DNDChannels, Actor: "U1"})
		if err != nil || res.Undo == nil {
			b.Fatalf("SetDND: %v", err)
		}
	}
}

// BenchmarkRemoveFollowUp stops two active enrollments of a contact.
func BenchmarkRemoveFollowUp(b *testing.B) {
	ctx := context.Background()
	s := crmtest.NewStore(b)
	insertContacts(b, s, b.N)
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("bench_%d", i)
		if _, err := s.RemoveFollowUp(ctx, crm.FollowUpRequest{ContactID: id, EnrollmentIDs: []string{id + "_w1", id + "_w2"}, Actor: "U1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUndoDND undoes a Set DND (set up outside the timer).
func BenchmarkUndoDND(b *testing.B) {
	ctx := context.Background()
	s := crmtest.NewStore(b)
	insertContacts(b, s, b.N)
	undo := make([]string, b.N)
	for i := range b.N {
		res, err := s.SetDND(ctx, crm.DNDRequest{ContactID: fmt.Sprintf("bench_%d", i), Channels: crm.DNDChannels, Actor: "U1"})
		if err != nil {
			b.Fatal(err)
		}
		undo[i] = res.Undo.ID
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Undo(ctx, undo[i], "U1", false); err != nil {
			b.Fatal(err)
		}
	}
}
