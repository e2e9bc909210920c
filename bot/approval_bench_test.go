package bot_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// pendingRequest stores a request to delete a contact with rows in every
// linked table, as posted to the approvals channel, without going through Slack.
func pendingRequest(b *testing.B, e *bottest.Env) string {
	b.Helper()
	ctx := context.Background()
	id := crmtest.InsertFull(b, e.Store, crmtest.Contact{FirstName: "Bench", LastName: "Mark"}, crmtest.SmallFull)
	_, l, err := e.Store.Linked(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	a, _, err := e.Store.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: bottest.Support, Reason: "duplicate", Fingerprint: l.Fingerprint, TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Store.SetApprovalMessage(ctx, a.ID, bottest.Approval, "1700000000.000100"); err != nil {
		b.Fatal(err)
	}
	return a.ID
}

func quietLogs(b *testing.B) {
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.Cleanup(func() { slog.SetDefault(old) })
}

// BenchmarkApproveClick is one admin's Approve click end to end: the signed
// HTTP request and its ack, then the work after the ack (role check, the
// request's row lock, the archived delete of 23 rows, chat.update of the
// approval message, the requester's DM).
func BenchmarkApproveClick(b *testing.B) {
	quietLogs(b)
	e := bottest.New(b)
	var ack time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id := pendingRequest(b, e)
		b.StartTimer()
		start := time.Now()
		if r := e.Click(bottest.Admin, bot.ActionApprove, id); r.Status != http.StatusOK {
			b.Fatalf("click: %d", r.Status)
		}
		ack += time.Since(start)
		e.Bot.Wait()
	}
	b.StopTimer()
	// What Slack waits for (under 3 s), beside ns/op, which is the whole decision.
	b.ReportMetric(float64(ack.Microseconds())/1000/float64(b.N), "ack-ms/op")
	if n := crmtest.CountRows(b, e.Store, "deletions", ""); n != b.N {
		b.Fatalf("%d deletions for %d approves", n, b.N)
	}
}

// BenchmarkTenConcurrentApproves is ten admins clicking Approve on one
// request at once, until all ten have their answer: one delete, nine
// "already approved".
func BenchmarkTenConcurrentApproves(b *testing.B) {
	quietLogs(b)
	opts, admins := tenAdmins()
	e := bottest.New(b, opts)
	e.Slack.SetGroupMembers("SADMINS", admins[2:]...)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id := pendingRequest(b, e)
		b.StartTimer()
		var wg sync.WaitGroup
		for _, admin := range admins {
			wg.Go(func() {
				if status, err := clickSigned(e, admin, bot.ActionApprove, id); err != nil || status != http.StatusOK {
					b.Errorf("click: %d %v", status, err)
				}
			})
		}
		wg.Wait()
		e.Bot.Wait()
	}
	b.StopTimer()
	if n := crmtest.CountRows(b, e.Store, "deletions", ""); n != b.N {
		b.Fatalf("%d deletions for %d requests", n, b.N)
	}
}
