package crm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// BenchmarkImportWithSuppression measures what the suppression triggers
// add to a plain INSERT of a contact with an email and a phone (an import),
// on each dialect: with an empty list, and with 10,000 entries, for a
// contact that matches none (the usual case) and one that matches (its DND
// re-applied, the hit and the audit line written):
//
//	go test ./crm -run '^$' -bench ImportWithSuppression
func BenchmarkImportWithSuppression(b *testing.B) {
	for _, d := range crmtest.Dialects {
		for _, entries := range []int{0, 10000} {
			b.Run(fmt.Sprintf("%s/list=%d/nomatch", d, entries), func(b *testing.B) { benchImport(b, d, entries, false) })
		}
		b.Run(fmt.Sprintf("%s/list=10000/match", d), func(b *testing.B) { benchImport(b, d, 10000, true) })
	}
}

func benchImport(b *testing.B, d crm.Dialect, entries int, match bool) {
	ctx := context.Background()
	s := crmtest.NewStoreOf(b, d)
	// The list: entries hashes of other addresses, and one opted-out contact
	// deleted through contactbot, whose email the matching imports use.
	crmtest.InsertRows(b, s, "suppressions", "id, kind, hash, dnd, contact_dnd, source, created_by, deleted_at", entries, func(g int) []any {
		kind := "email"
		if g%2 == 0 {
			kind = "phone"
		}
		return []any{fmt.Sprintf("SBENCH%07d", g), kind, fmt.Sprintf("%064x", g), `{"sms":"active"}`, false, "deleted", "UBENCH", time.Now()}
	})
	optedOut := crmtest.InsertFull(b, s, crmtest.Contact{FirstName: "Opted", LastName: "Out", Email: "opted.out@example.com", Phone: "+1 555 010 7777"}, crmtest.SmallFull)
	if entries > 0 {
		if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: optedOut, Actor: "UBENCH", Reason: "test_contact", RestoreWindow: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
	insert := s.DB().Rebind(`INSERT INTO contacts (id, location_id, first_name, last_name, email, phone, created_at, updated_at) VALUES (?, 'loc', 'Imported', 'Contact', ?, ?, ?, ?)`)
	i := 0
	for b.Loop() {
		i++
		email, phone := fmt.Sprintf("import%d@example.com", i), fmt.Sprintf("+1 555 %07d", i)
		if match {
			email = "opted.out@example.com"
		}
		now := time.Now()
		if _, err := s.DB().ExecContext(ctx, insert, fmt.Sprintf("imp%017d", i), email, phone, now, now); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if want := map[bool]int{true: i, false: 0}[match]; crmtest.CountRows(b, s, "suppression_hits", "") != want {
		b.Errorf("%d re-applies, want %d", crmtest.CountRows(b, s, "suppression_hits", ""), want)
	}
}

// BenchmarkMergeRestoreLarge merges the large contact (11,454 rows) into a
// small original and restores the merge, on each dialect:
//
//	go test ./crm -run '^$' -bench MergeRestoreLarge -benchtime 5x
func BenchmarkMergeRestoreLarge(b *testing.B) {
	for _, d := range crmtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			s := crmtest.NewStoreOf(b, d)
			orig := crmtest.InsertFull(b, s, crmtest.Contact{FirstName: "Big", LastName: "Account", Email: "big@example.com"}, crmtest.SmallLowRisk)
			dup := crmtest.InsertFull(b, s, crmtest.Contact{FirstName: "Big", LastName: "Account", Email: "BIG@example.com", Phone: "+1 555 010 9999"}, Large)
			var merging, restoring time.Duration
			for b.Loop() {
				t0 := time.Now()
				res, err := s.Merge(ctx, crm.MergeRequest{DuplicateID: dup, OriginalID: orig, Actor: "UDEL", Reason: "duplicate", RestoreWindow: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := s.Restore(ctx, res.Deletion.ID, "UADMIN"); err != nil {
					b.Fatal(err)
				}
				merging += t1.Sub(t0)
				restoring += time.Since(t1)
			}
			b.ReportMetric(float64(merging.Milliseconds())/float64(b.N), "merge-ms/op")
			b.ReportMetric(float64(restoring.Milliseconds())/float64(b.N), "restore-ms/op")
		})
	}
}
