package bot_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// fullHome fills every list of an admin's Home tab past what it shows:
// 30 requests waiting, 30 reported deletions, 30 reviews.
func fullHome(b *testing.B, e *bottest.Env) {
	b.Helper()
	ctx := context.Background()
	for i := range 30 {
		id := crmtest.InsertContact(b, e.Store, crmtest.Contact{FirstName: fmt.Sprint("Req", i), LastName: "Bench"})
		_, l, err := e.Store.Linked(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := e.Store.RequestApproval(ctx, crm.NewApproval{ContactID: id, Requester: bottest.Support, Reason: "duplicate", Fingerprint: l.Fingerprint, TTL: time.Hour}); err != nil {
			b.Fatal(err)
		}
		id = crmtest.InsertContact(b, e.Store, crmtest.Contact{FirstName: fmt.Sprint("Del", i), LastName: "Bench"})
		d, err := e.Store.Delete(ctx, crm.DeleteRequest{ContactID: id, Actor: bottest.Admin, Reason: "test_contact", RestoreWindow: time.Hour, Review: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Store.ReportDeletion(ctx, d.Deletion.ID, bottest.Support, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHomeOpened is how long an admin waits for a full Home tab: from
// the app_home_opened request to views.publish at the fake Slack (the
// event's ack, the outbox note, rendering five lists, the publish).
//
//	go test ./bot -run '^$' -bench HomeOpened -benchtime 200x
func BenchmarkHomeOpened(b *testing.B) {
	quietLogs(b)
	e := bottest.New(b)
	fullHome(b, e)
	d := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		start := time.Now()
		e.PostEvent(bottest.HomeOpenedEvent(bottest.Admin, fmt.Sprint("EvBENCH", i)), nil)
		i++
		e.Slack.WaitCalls("views.publish", i, 10*time.Second)
		d = append(d, time.Since(start))
	}
	latencies(b, d)
}

// BenchmarkHomeRefreshAfterApprove is how long the deciding admin's Home
// tab takes to show a decision: from the Approve click on the tab until
// the publish that no longer lists the request.
//
//	go test ./bot -run '^$' -bench HomeRefreshAfterApprove -benchtime 20x
func BenchmarkHomeRefreshAfterApprove(b *testing.B) {
	quietLogs(b)
	e := bottest.New(b)
	fullHome(b, e)
	e.OpenHome(bottest.Admin)
	ctx := context.Background()
	d := make([]time.Duration, 0, b.N)
	for b.Loop() {
		b.StopTimer()
		list, err := e.Store.PendingApprovals(ctx, 1)
		if err != nil || len(list) == 0 {
			b.Fatal("no request left to approve", err)
		}
		before := len(e.HomeViews(bottest.Admin))
		published := len(e.Slack.Calls("views.publish"))
		b.StartTimer()
		start := time.Now()
		e.ClickHome(bottest.Admin, bot.ActionApprove, list[0].ID)
		e.Slack.WaitCalls("views.publish", published+1, 10*time.Second)
		d = append(d, time.Since(start))
		b.StopTimer()
		e.Bot.Wait()
		if len(e.HomeViews(bottest.Admin)) == before {
			b.Fatal("not refreshed")
		}
		b.StartTimer()
	}
	latencies(b, d)
}

// latencies reports the median and 99th percentile of d as metrics.
func latencies(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
}
