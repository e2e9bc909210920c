package crm_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
	"contactbot/outbox"
)

// safeFull has rows in every linked table but nothing that keeps a contact
// out of a batch: no open opportunity, no upcoming appointment, no active
// workflow, no DND, no recent inbound message.
var safeFull = crmtest.Full{Conversations: 2, MessagesPer: 3, Notes: 2, Opportunities: 2, Tasks: 3, Appointments: 2, LowRisk: true}

// batchFixture inserts 25 contacts test+1@acme.com … test+25@acme.com, of
// which 3 are risky (test+5: open opportunity and more; test+10: DND; test+15:
// an inbound message yesterday), and 5 others in the same location.
func batchFixture(t *testing.T, s *crm.Store) (safe, risky []string) {
	t.Helper()
	for i := 1; i <= 25; i++ {
		c := crmtest.Contact{FirstName: "Test", LastName: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("Test+%d@Acme.com", i)}
		switch i {
		case 5:
			risky = append(risky, crmtest.InsertFull(t, s, c, crmtest.SmallFull))
		case 10:
			c.DND = true
			risky = append(risky, crmtest.InsertFull(t, s, c, safeFull))
		case 15:
			id := crmtest.InsertFull(t, s, c, safeFull)
			crmtest.InsertRows(t, s, "messages", "id, conversation_id, direction, body, sent_at", 1, func(int) []any {
				return []any{id + "_recent", id + "_cv1", "inbound", "still interested?", time.Now().Add(-24 * time.Hour).UTC()}
			})
			risky = append(risky, id)
		default:
			safe = append(safe, crmtest.InsertFull(t, s, c, safeFull))
		}
	}
	for i := 1; i <= 5; i++ {
		crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Real", LastName: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("real%d@acme.com", i)}, safeFull)
	}
	return safe, risky
}

func contactIDs(list []crm.BatchContact) map[string]bool {
	out := map[string]bool{}
	for _, b := range list {
		out[b.Contact.ID] = true
	}
	return out
}

func TestBatchDelete(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, testBatchDelete)
}

func testBatchDelete(t *testing.T, d crm.Dialect) {
	ctx := context.Background()
	filter, err := crm.ParseBatchFilter("email:test+*@acme.com")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("PreviewKeepsRiskyOut", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		safe, risky := batchFixture(t, s)
		p, err := s.PreviewBatch(ctx, filter, crm.BatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Matched != 25 || p.Count() != 22 || len(p.Kept) != 3 || p.OverLimit {
			t.Fatalf("preview matched %d, deletes %d, kept %d, over %t; want 25, 22, 3", p.Matched, p.Count(), len(p.Kept), p.OverLimit)
		}
		kept := contactIDs(p.Kept)
		for _, id := range risky {
			if !kept[id] {
				t.Errorf("risky contact %s not kept", id)
			}
		}
		del := contactIDs(p.Deletes)
		for _, id := range safe {
			if !del[id] {
				t.Errorf("safe contact %s not in the batch", id)
			}
		}
		wantRisks := map[string][]crm.BatchRisk{
			risky[0]: {crm.RiskOpenOpportunity, crm.RiskUpcomingAppointment, crm.RiskActiveWorkflow, crm.RiskDND},
			risky[1]: {crm.RiskDND},
			risky[2]: {crm.RiskRecentInbound},
		}
		for _, k := range p.Kept {
			if !reflect.DeepEqual(k.Risks, wantRisks[k.Contact.ID]) {
				t.Errorf("risks of %s = %v, want %v", k.Contact.Name(), k.Risks, wantRisks[k.Contact.ID])
			}
		}
		per := crm.Counts{DNDSettings: 3, Conversations: 2, Messages: 6, Notes: 2, Opportunities: 2, Tasks: 3, Appointments: 2}
		want := crm.Counts{DNDSettings: 66, Conversations: 44, Messages: 132, Notes: 44, Opportunities: 44, Tasks: 66, Appointments: 44}
		if p.Totals != want || p.Deletes[0].Linked.Counts != per {
			t.Errorf("totals = %+v, want %+v; first contact's %+v", p.Totals, want, p.Deletes[0].Linked.Counts)
		}
		withRisky, err := s.PreviewBatch(ctx, filter, crm.BatchOptions{IncludeRisky: true})
		if err != nil {
			t.Fatal(err)
		}
		if withRisky.Count() != 25 || len(withRisky.Kept) != 0 || withRisky.OptedOut != 2 || withRisky.Fingerprint == p.Fingerprint {
			t.Errorf("with risky: deletes %d, kept %d, opted out %d (want 25, 0, 2), fingerprint %s vs %s", withRisky.Count(), len(withRisky.Kept), withRisky.OptedOut, withRisky.Fingerprint, p.Fingerprint)
		}
	})

	t.Run("EveryFilterTerm", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		batchFixture(t, s)
		for text, want := range map[string]int{
			"name:TEST source:import created:2025-01-02 location:loc_main": 25,
			"name:test created:2025-01-01..2025-01-02":                     25,
			"name:test created:..2025-01-01":                               0,
			"name:test created:2025-01-03..":                               0,
			"email:*+1*@acme.com":                                          11, // 1, 10-19
			"email:test+2*":                                                7,  // 2, 20-25
			"email:test+7@acme.com":                                        1,
			"email:*@acme.com source:other":                                0,
			"name:person location:loc_other":                               0,
		} {
			f, err := crm.ParseBatchFilter(text)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.PreviewBatch(ctx, f, crm.BatchOptions{IncludeRisky: true})
			if err != nil || p.Matched != want {
				t.Errorf("%s: matched %d, %v; want %d", text, p.Matched, err, want)
			}
		}
	})

	t.Run("OverLimitAndWholeLocationRefused", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		batchFixture(t, s)
		p, err := s.PreviewBatch(ctx, filter, crm.BatchOptions{Limit: 20})
		if crm.ErrorCode(err) != crm.EINVALID || !p.OverLimit || p.Matched != 21 {
			t.Fatalf("over limit: err %v, over %t, matched %d", err, p.OverLimit, p.Matched)
		}
		// Its example is a filter that parses: the filter and a term it lacks.
		msg := crm.ErrorMessage(err)
		_, example, _ := strings.Cut(msg, "`/contact cleanup ")
		example, _, _ = strings.Cut(example, "`")
		if ex, err := crm.ParseBatchFilter(example); err != nil || ex.Email != filter.Email || ex.CreatedFrom.IsZero() {
			t.Errorf("over-limit example %q of %q: %+v, %v", example, msg, ex, err)
		}
		all, _ := crm.ParseBatchFilter("email:*@acme.com")
		if _, err := s.PreviewBatch(ctx, all, crm.BatchOptions{}); crm.ErrorCode(err) != crm.EINVALID {
			t.Fatalf("a filter matching the whole location: err %v, want EINVALID", err)
		}
		if _, err := s.DeleteBatch(ctx, crm.BatchRequest{Filter: filter, Limit: 20, ExpectCount: 21, Actor: "U1", Reason: "test_contact", RestoreWindow: time.Hour}); crm.ErrorCode(err) != crm.EINVALID {
			t.Fatalf("DeleteBatch over the limit: %v", err)
		}
		if n := crmtest.CountRows(t, s, "contacts", ""); n != 30 {
			t.Errorf("%d contacts left, want 30", n)
		}
	})

	t.Run("StaleOrMiscountedDeletesNothing", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		safe, _ := batchFixture(t, s)
		p, err := s.PreviewBatch(ctx, filter, crm.BatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		before := crmtest.Dump(t, s)
		req := crm.BatchRequest{Filter: filter, ExpectCount: 21, ExpectFingerprint: p.Fingerprint, Actor: "U1", Reason: "test_contact", RestoreWindow: time.Hour}
		if _, err := s.DeleteBatch(ctx, req); !errors.Is(err, crm.ErrBatchCount) {
			t.Fatalf("wrong count: %v, want ErrBatchCount", err)
		}
		// A new match, and a contact that now has an open opportunity.
		crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Test", LastName: "Late", Email: "test+99@acme.com"})
		crmtest.InsertRows(t, s, "opportunities", "id, contact_id, name, status, monetary_value", 1, func(int) []any { return []any{"o_new", safe[0], "Deal", "open", "10.00"} })
		req.ExpectCount = 22
		_, err = s.DeleteBatch(ctx, req)
		var changed *crm.BatchChanged
		if !errors.Is(err, crm.ErrBatchChanged) || !errors.As(err, &changed) || crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatalf("stale preview: %v, want *BatchChanged", err)
		}
		if changed.Preview.Count() != 22 || len(changed.Preview.Kept) != 4 || changed.Preview.Matched != 26 {
			t.Errorf("new preview: deletes %d, kept %d, matched %d; want 22, 4, 26", changed.Preview.Count(), len(changed.Preview.Kept), changed.Preview.Matched)
		}
		after := crmtest.Dump(t, s)
		if len(after["contacts"]) != len(before["contacts"])+1 || len(after["messages"]) != len(before["messages"]) {
			t.Errorf("a refused batch changed the CRM: %d contacts (want %d)", len(after["contacts"]), len(before["contacts"])+1)
		}
		if n := crmtest.CountRows(t, s, "deletions", ""); n != 0 {
			t.Errorf("%d deletions recorded by refused batches", n)
		}
	})

	t.Run("DeletesArchivesAndRestoresRowForRow", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		safe, risky := batchFixture(t, s)
		before := crmtest.Dump(t, s)
		p, err := s.PreviewBatch(ctx, filter, crm.BatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var progress [][2]int
		got, err := s.DeleteBatch(ctx, crm.WithBatchChunk(crm.BatchRequest{Filter: filter, ExpectCount: 22, ExpectFingerprint: p.Fingerprint, Actor: "U1",
			Reason: "test_contact", RestoreWindow: time.Hour, Progress: func(done, total int) { progress = append(progress, [2]int{done, total}) }}, 5))
		if err != nil {
			t.Fatalf("DeleteBatch: %v", err)
		}
		if len(got.Deleted) != 22 || len(got.Skipped) != 0 || got.Batch.State != crm.BatchDone || got.Batch.Deleted != 22 {
			t.Fatalf("deleted %d, skipped %d, state %s", len(got.Deleted), len(got.Skipped), got.Batch.State)
		}
		if len(progress) != 22 || progress[21] != [2]int{22, 22} {
			t.Errorf("progress = %v", progress)
		}
		for _, id := range safe {
			if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 0 {
				t.Errorf("contact %s still there", id)
			}
		}
		for _, id := range risky {
			if n := crmtest.CountRows(t, s, "contacts", "id = $1", id); n != 1 {
				t.Errorf("risky contact %s deleted", id)
			}
		}
		if n := crmtest.CountRows(t, s, "archived_rows", "deletion_id IN (SELECT id FROM deletions WHERE batch_id = $1)", got.Batch.ID); n != p.Totals.Total()-1+22 {
			t.Errorf("archived %d rows, want %d", n, p.Totals.Total()-1+22)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "batch_id = $1", got.Batch.ID); n != 23 {
			t.Errorf("%d audit lines of the batch, want 23 (one for the batch, one per contact)", n)
		}
		if got.Audit.Action != crm.AuditBatchDeleted || got.Audit.DeletionID != got.Batch.ID {
			t.Errorf("batch audit line = %+v", got.Audit)
		}
		b, items, err := s.Batch(ctx, got.Batch.ID)
		if err != nil || b.Deleted != 22 || len(items) != 22 || b.Counts != p.Totals || b.ContactLabel != "22 contacts" {
			t.Fatalf("Batch = %+v, %d items, %v", b, len(items), err)
		}

		// One member alone, then the rest in one click.
		if _, err := s.Restore(ctx, got.Deleted[0].Deletion.ID, "U2"); err != nil {
			t.Fatalf("restore one contact of the batch: %v", err)
		}
		if b, _, _ := s.Batch(ctx, got.Batch.ID); b.Restored != 1 {
			t.Errorf("batch shows %d restored, want 1", b.Restored)
		}
		res, err := s.RestoreWith(ctx, crm.RestoreRequest{DeletionID: got.Batch.ID, Actor: "U2"})
		if err != nil {
			t.Fatalf("RestoreBatch: %v", err)
		}
		if res.Batch == nil || len(res.Batch.Restored) != 21 || len(res.Batch.Already) != 1 {
			t.Fatalf("RestoreBatch = %+v", res.Batch)
		}
		if after := crmtest.Dump(t, s); !reflect.DeepEqual(after, before) {
			for _, table := range crmtest.CRMTables {
				if !reflect.DeepEqual(after[table], before[table]) {
					t.Errorf("%s differs after the restore: %d rows, %d before", table, len(after[table]), len(before[table]))
				}
			}
		}
		if n := crmtest.CountRows(t, s, "archived_rows", ""); n != 0 {
			t.Errorf("%d archived rows left after the restore", n)
		}
		if _, err := s.Restore(ctx, got.Batch.ID, "U3"); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("second restore of the batch: %v, want already restored (conflict)", err)
		}
	})

	t.Run("CrashMidBatchLeavesEachContactWholeOrUntouched", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		batchFixture(t, s)
		p, err := s.PreviewBatch(ctx, filter, crm.BatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		op, err := s.StartOperation(ctx, crm.OperationDeleteBatch, "U1", "", filter.String())
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		_, err = s.DeleteBatch(cctx, crm.WithBatchChunk(crm.BatchRequest{Filter: filter, ExpectCount: 22, ExpectFingerprint: p.Fingerprint, Actor: "U1",
			Reason: "test_contact", RestoreWindow: time.Hour, Operation: op.ID, Progress: func(done, _ int) {
				if done == 12 {
					cancel() // the process dies while its third chunk runs
				}
			}}, 5))
		if err == nil {
			t.Fatal("DeleteBatch survived its cancellation")
		}
		s.ForgetOperation(op.ID)
		clock.Advance(time.Minute)
		resolved, _, err := s.RecoverOperations(ctx, func(o crm.Operation) ([]outbox.Note, error) {
			if o.Batch == nil || o.Batch.State != crm.BatchInterrupted {
				t.Errorf("recovered operation carries batch %+v", o.Batch)
			}
			return nil, nil
		})
		if err != nil || len(resolved) != 1 {
			t.Fatalf("RecoverOperations: %d resolved, %v", len(resolved), err)
		}
		var batchID string
		if err := s.DB().Get(&batchID, s.DB().Rebind(`SELECT id FROM batches WHERE operation_id = ?`), op.ID); err != nil {
			t.Fatal(err)
		}
		b, items, err := s.Batch(ctx, batchID)
		if err != nil {
			t.Fatal(err)
		}
		if b.State != crm.BatchInterrupted || b.Deleted != 10 {
			t.Errorf("batch %s after the crash: state %s, %d deleted; want interrupted, 10 (two chunks of 5)", batchID, b.State, b.Deleted)
		}
		for _, it := range items {
			gone := crmtest.CountRows(t, s, "contacts", "id = $1", it.ContactID) == 0
			archived := crmtest.CountRows(t, s, "archived_rows", "deletion_id IN (SELECT id FROM deletions WHERE contact_id = $1)", it.ContactID)
			linked := crmtest.CountRows(t, s, "notes", "contact_id = $1", it.ContactID)
			switch it.State {
			case crm.ItemDeleted:
				if !gone || archived != 21 || linked != 0 {
					t.Errorf("item %d deleted but contact gone=%t, %d archived rows, %d notes", it.Seq, gone, archived, linked)
				}
			case crm.ItemPending:
				if gone || archived != 0 || linked != 2 {
					t.Errorf("item %d untouched but contact gone=%t, %d archived rows, %d notes", it.Seq, gone, archived, linked)
				}
			default:
				t.Errorf("item %d is %s", it.Seq, it.State)
			}
		}
	})

	t.Run("OneOperationSubmittedTwiceDeletesOnce", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		batchFixture(t, s)
		p, err := s.PreviewBatch(ctx, filter, crm.BatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		op, err := s.StartOperation(ctx, crm.OperationDeleteBatch, "U1", "", filter.String())
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := s.DeleteBatch(ctx, crm.BatchRequest{Filter: filter, ExpectCount: 22, ExpectFingerprint: p.Fingerprint, Actor: "U1",
					Reason: "test_contact", RestoreWindow: time.Hour, Operation: op.ID})
				errs <- err
			}()
		}
		var ok int
		for range 2 {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case errors.Is(err, crm.ErrOperationGone), errors.Is(err, crm.ErrBatchChanged):
			default:
				t.Errorf("the second submit: %v", err)
			}
		}
		if ok != 1 || crmtest.CountRows(t, s, "batches", "") != 1 || crmtest.CountRows(t, s, "deletions", "batch_id <> ''") != 23 {
			t.Errorf("%d submits succeeded, %d batches, %d batch deletions; want 1, 1, 23", ok,
				crmtest.CountRows(t, s, "batches", ""), crmtest.CountRows(t, s, "deletions", "batch_id <> ''"))
		}
	})

	t.Run("ApprovalOfABatch", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		batchFixture(t, s)
		p, err := s.PreviewBatch(ctx, filter, crm.BatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := s.RequestBatchApproval(ctx, crm.NewBatchApproval{Filter: filter, ExpectCount: 22, Fingerprint: p.Fingerprint, Requester: "U9",
			Reason: "test_contact", TTL: time.Hour})
		if err != nil {
			t.Fatalf("RequestBatchApproval: %v", err)
		}
		if a.Kind() != crm.KindBatch || a.Summary.Batch == nil || a.Summary.Batch.Count != 22 || len(a.Summary.Batch.First) != 20 ||
			a.Summary.Batch.Filter != "email:test+*@acme.com" || a.Counts != p.Totals || a.ContactLabel != "22 contacts" {
			t.Fatalf("request = %+v, batch %+v", a, a.Summary.Batch)
		}
		if again, _, err := s.RequestBatchApproval(ctx, crm.NewBatchApproval{Filter: filter, ExpectCount: 22, Fingerprint: p.Fingerprint, Requester: "U8",
			Reason: "test_contact", TTL: time.Hour}); !errors.Is(err, crm.ErrAlreadyRequested) || again.ID != a.ID {
			t.Errorf("second request for the filter: %v (%s)", err, again.ID)
		}
		dec := crm.Decision{RequestID: a.ID, Admin: "U9", RestoreWindow: time.Hour, ExpectCount: 22}
		if _, err := s.Approve(ctx, dec); !errors.Is(err, crm.ErrOwnRequest) {
			t.Errorf("self-approval: %v", err)
		}
		dec.Admin, dec.ExpectCount = "UA", 21
		if _, err := s.Approve(ctx, dec); !errors.Is(err, crm.ErrBatchCount) {
			t.Errorf("approval with a wrong count: %v", err)
		}
		dec.ExpectCount = 22
		// A contact that starts to match after the request: the admin sees
		// the new preview, nothing is deleted and the request stays open.
		late := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: "Test", LastName: "Person 26", Email: "test+26@acme.com"})
		before := crmtest.CountRows(t, s, "contacts", "")
		if res, err := s.Approve(ctx, dec); err != nil || !res.Changed || res.BatchPreview == nil || res.BatchPreview.Count() != 23 || res.Batch != nil {
			t.Errorf("approval of a batch changed since the request: %v, changed %t, batch %v", err, res.Changed, res.Batch)
		}
		if n := crmtest.CountRows(t, s, "contacts", ""); n != before {
			t.Errorf("%d contacts after the refused approval, want all %d", n, before)
		}
		if pending, err := s.Approval(ctx, a.ID); err != nil || pending.State != crm.ApprovalPending {
			t.Errorf("request after the refused approval: %s, %v; want pending", pending.State, err)
		}
		s.DB().MustExec(s.DB().Rebind(`DELETE FROM contacts WHERE id = ?`), late)
		res, err := s.Approve(ctx, dec)
		if err != nil || res.Batch == nil || res.Changed {
			t.Fatalf("Approve: %v (changed %t)", err, res.Changed)
		}
		id := res.Batch.Batch.ID
		if len(res.Batch.Deleted) != 22 || res.Approval.State != crm.ApprovalApproved || res.Approval.DeletionID != id {
			t.Fatalf("approved batch: %d deleted, request %s → %s", len(res.Batch.Deleted), res.Approval.State, res.Approval.DeletionID)
		}
		if got := res.Batch.Deleted[0].Deletion; deref(got.ApprovedBy) != "UA" || got.DeletedBy != "U9" || got.BatchID != id {
			t.Errorf("a contact's deletion = %+v", got)
		}
		if _, err := s.Approve(ctx, dec); !errors.Is(err, crm.ErrAlreadyDecided) {
			t.Errorf("second approval: %v", err)
		}
		if n, err := s.DirectDeletesSince(ctx, "U9", time.Time{}); err != nil || n != 0 {
			t.Errorf("direct deletes of the requester = %d, %v", n, err)
		}
		items, n, err := s.DeletionsBy(ctx, "U9", time.Time{}, 10)
		if err != nil || n != 1 || len(items) != 1 || !items[0].IsBatch() || items[0].BatchCount != 22 || items[0].BatchDeleted != 22 {
			t.Fatalf("DeletionsBy = %d items (%d), %v", len(items), n, err)
		}
		rep, err := s.ReportDeletion(ctx, id, "U7", "these were real", nil)
		if err != nil || !rep.New || rep.Batch == nil || rep.Batch.Deleted != 22 {
			t.Fatalf("report of the batch: %v, %+v", err, rep)
		}
		if open, n, err := s.OpenIncidents(ctx, 10); err != nil || n != 1 || open[0].ID != id {
			t.Errorf("open incidents = %v, %d, %v", open, n, err)
		}
		dg, err := s.Digest(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if err != nil || dg.Batches != 1 || dg.BatchContacts != 22 || dg.Deletions != 22 || len(dg.BatchesByPerson) != 1 || dg.BatchesByPerson[0].Key != "U9" {
			t.Errorf("digest: %d batches of %d contacts, %d deletions, by %v; %v", dg.Batches, dg.BatchContacts, dg.Deletions, dg.BatchesByPerson, err)
		}
		hist, n, err := s.ContactHistory(ctx, id, 100)
		if err != nil || n < 25 || hist[0].BatchID != id {
			t.Errorf("history of the batch: %d lines, %v", n, err)
		}
		batchLines := 0
		for _, e := range hist {
			if e.Action == crm.AuditBatchDeleted && e.DeletionID == id {
				batchLines++
			}
		}
		if batchLines != 1 {
			t.Errorf("history of the batch has %d batch lines, want 1", batchLines)
		}
		res2, err := s.Restore(ctx, id, "UA")
		if err != nil || res2.Batch == nil || len(res2.Batch.Restored) != 22 || !res2.Reported {
			t.Fatalf("restore of the reported batch: %v", err)
		}
	})

	t.Run("AdminAloneIsReviewedAndCounted", func(t *testing.T) {
		s := crmtest.NewStoreOf(t, d)
		batchFixture(t, s)
		p, err := s.PreviewBatch(ctx, filter, crm.BatchOptions{IncludeRisky: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.DeleteBatch(ctx, crm.BatchRequest{Filter: filter, IncludeRisky: true, ExpectCount: 25, ExpectFingerprint: p.Fingerprint, Actor: "UA",
			Reason: "test_contact", RestoreWindow: time.Hour, Review: true})
		if err != nil {
			t.Fatal(err)
		}
		if got.Review == nil || got.Review.DeletionID != got.Batch.ID || got.Review.Kind != crm.ReviewDelete {
			t.Errorf("review = %+v", got.Review)
		}
		if n, err := s.DirectDeletesSince(ctx, "UA", time.Time{}); err != nil || n != 25 {
			t.Errorf("direct deletes = %d, %v; want 25 (one per contact)", n, err)
		}
		// The two opted-out contacts went to the suppression list, as a single delete does.
		if len(got.Suppressed) == 0 || crmtest.CountRows(t, s, "suppressions", "") != len(got.Suppressed) {
			t.Errorf("suppressed %d entries", len(got.Suppressed))
		}
	})
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// An erased contact's name leaves the batch requests that showed it.
func TestBatchErasure(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		id := crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Zed", LastName: "Quux", Email: "test+a@acme.com"}, safeFull)
		crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Test", LastName: "B", Email: "test+b@acme.com"}, safeFull)
		crmtest.InsertFull(t, s, crmtest.Contact{FirstName: "Real", LastName: "C", Email: "real@acme.com"}, safeFull)
		f, _ := crm.ParseBatchFilter("email:test+*@acme.com")
		p, err := s.PreviewBatch(ctx, f, crm.BatchOptions{})
		if err != nil || p.Count() != 2 {
			t.Fatalf("preview: %d, %v", p.Count(), err)
		}
		if _, _, err := s.RequestBatchApproval(ctx, crm.NewBatchApproval{Filter: f, ExpectCount: 2, Fingerprint: p.Fingerprint, Requester: "U9", Reason: "test_contact", TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
		if found := crmtest.FindText(t, s, "Quux"); len(found) == 0 {
			t.Fatal("the batch request does not show the contact's name before the erasure")
		}
		_, l, _ := s.Linked(ctx, id)
		er, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: "UADMIN", Reason: "erasure", Kind: crm.KindErasure,
			Fingerprint: l.Fingerprint, TTL: time.Hour, RequesterIsAdmin: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Approve(ctx, crm.Decision{RequestID: er.ID, Admin: "UADMIN2", RestoreWindow: time.Hour, Confirmed: true}); err != nil {
			t.Fatal(err)
		}
		if found := crmtest.FindText(t, s, "Quux"); len(found) > 0 {
			t.Errorf("the name is left after the erasure:\n%v", found)
		}
	})
}
