package crm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// BenchmarkContactInsertCost is what the bot's additions to contacts cost
// the CRM's inserts (docs/crm-contract.md): one INSERT of a contact with a
// name, email and phone, as the CRM's own session (search_path: its
// schema), on the CRM's tables alone ("crm_only"), once migrate added the
// search indexes and triggers ("with_bot"), and with a suppression key set
// and entries on the list, so that the suppression trigger hashes the
// email and phone of each insert ("with_bot_and_list"). The inserts run in
// one transaction, so that what is measured is the work per row, not the
// commit's flush to disk (which a CRM pays per commit either way).
// PostgreSQL only.
//
//	go test -run '^$' -bench BenchmarkContactInsertCost -benchtime 5000x ./crm
func BenchmarkContactInsertCost(b *testing.B) {
	crmtest.RequirePostgres(b)
	for _, stage := range []string{"crm_only", "with_bot", "with_bot_and_list"} {
		b.Run(stage, func(b *testing.B) {
			ctx := context.Background()
			url := crmtest.NewDatabase(b)
			s, err := crm.Open(ctx, url, crm.Hooks{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for _, q := range crmDDL(crm.Postgres, "public", "body text NOT NULL DEFAULT ''", "source text") {
				s.DB().MustExec(q)
			}
			if stage != "crm_only" {
				if err := s.Migrate(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
			if stage == "with_bot_and_list" {
				if err := s.SetSuppressionKey(ctx, crmtest.SuppressionKey); err != nil {
					b.Fatal(err)
				}
				for i := range 20 {
					id := crmtest.InsertFull(b, s, crmtest.Contact{FirstName: "Opted", LastName: fmt.Sprint("Out", i), Email: fmt.Sprintf("out%d@example.com", i), Phone: fmt.Sprintf("+1 555 020 %04d", i)}, crmtest.SmallFull)
					if _, err := s.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: "UDEL", Reason: "unsubscribe", RestoreWindow: time.Hour}); err != nil {
						b.Fatal(err)
					}
				}
			}
			// The CRM's own session: its schema only.
			crmDB, err := crm.Open(ctx, url+"&search_path=public", crm.Hooks{})
			if err != nil {
				b.Fatal(err)
			}
			defer crmDB.Close()
			conn, err := crmDB.DB().Conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, `SET search_path = public`); err != nil {
				b.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
				b.Fatal(err)
			}
			defer conn.ExecContext(ctx, `ROLLBACK`)
			b.ResetTimer()
			for i := range b.N {
				if _, err := conn.ExecContext(ctx, `INSERT INTO contacts (id, location_id, first_name, last_name, email, phone, created_at, updated_at)
					VALUES ($1, 'loc_main', $2, 'Bench', $3, $4, now(), now())`,
					fmt.Sprintf("bench_%015d", i), fmt.Sprintf("Émile%d", i), fmt.Sprintf("bench%d@example.com", i), fmt.Sprintf("+1 555 %03d %04d", i/10000, i%10000)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
