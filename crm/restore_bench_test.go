package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// Large is the large contact of the restore measurement: 10,000 messages in
// 50 conversations, 1,000 notes and 100 of every other kind (11,454 rows).
var Large = crmtest.Full{Conversations: 50, MessagesPer: 200, Notes: 1000, Opportunities: 100, Tasks: 100, Appointments: 100, Workflows: 100}

// BenchmarkDeleteRestoreLarge deletes and restores the large contact on
// each dialect, and reports each step's time separately:
//
//	go test ./crm -run '^$' -bench DeleteRestoreLarge -benchtime 10x
func BenchmarkDeleteRestoreLarge(b *testing.B) {
	for _, d := range crmtest.Dialects {
		b.Run(string(d), func(b *testing.B) { benchDeleteRestoreLarge(b, crmtest.NewStoreOf(b, d)) })
	}
}

func benchDeleteRestoreLarge(b *testing.B, s *crm.Store) {
	ctx := context.Background()
	crmtest.InsertFull(b, s, crmtest.Contact{FirstName: "Other", Email: "other@example.com"}, crmtest.SmallFull)
	id := crmtest.InsertFull(b, s, crmtest.Contact{FirstName: "Big", LastName: "Account", Email: "big@example.com", Phone: "+1 555 010 9999"}, Large)
	before := crmtest.Dump(b, s)
	var deleting, restoring time.Duration
	rows := 0
	for b.Loop() {
		t0 := time.Now()
		d, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "duplicate", RestoreWindow: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, err := s.Restore(ctx, d.Deletion.ID, "UADMIN")
		if err != nil {
			b.Fatal(err)
		}
		deleting += t1.Sub(t0)
		restoring += time.Since(t1)
		rows = res.Rows
	}
	b.StopTimer()
	if rows != 11454 {
		b.Errorf("restored %d rows, want 11454", rows)
	}
	if diff := cmp.Diff(before, crmtest.Dump(b, s)); diff != "" {
		b.Errorf("CRM after delete + restore differs from before (-before +after):\n%.2000s", diff)
	}
	b.ReportMetric(float64(deleting.Milliseconds())/float64(b.N), "delete-ms/op")
	b.ReportMetric(float64(restoring.Milliseconds())/float64(b.N), "restore-ms/op")
	b.ReportMetric(float64(rows), "rows")
}
