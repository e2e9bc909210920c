package bot_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"contactbot/bot/bottest"
	"contactbot/crm"
)

// BenchmarkOutboxDelivery is how long a message waits in the outbox when
// Slack is up: from the commit that writes it (an audit line) until the
// fake Slack has it.
func BenchmarkOutboxDelivery(b *testing.B) {
	quietLogs(b)
	e := bottest.New(b, bottest.Options{Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit}})
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if _, err := e.Store.Audit(ctx, crm.AuditEntry{Actor: bottest.Admin, Action: crm.AuditFind, Outcome: "bench"}); err != nil {
			b.Fatal(err)
		}
		e.Slack.WaitCalls("chat.postMessage", i+1, 10*time.Second)
	}
}

// BenchmarkOutboxAfterRecovery is how long a message written during a Slack
// outage (HTTP 500 for 20 s of the bot's clock, which runs here at real
// speed) waits once Slack answers again.
func BenchmarkOutboxAfterRecovery(b *testing.B) {
	quietLogs(b)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		e := bottest.New(b, bottest.Options{Env: map[string]string{"AUDIT_CHANNEL": bottest.Audit}})
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { // the test clock follows real time
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			last := time.Now()
			for {
				select {
				case <-stop:
					return
				case now := <-t.C:
					e.Clock.Advance(now.Sub(last))
					last = now
				}
			}
		})
		e.Slack.FailHTTP("chat.postMessage", http.StatusInternalServerError)
		if _, err := e.Store.Audit(context.Background(), crm.AuditEntry{Actor: bottest.Admin, Action: crm.AuditFind, Outcome: "during the outage"}); err != nil {
			b.Fatal(err)
		}
		time.Sleep(20 * time.Second)
		failed := len(e.Slack.Calls("chat.postMessage"))
		e.Slack.Unfail("chat.postMessage")
		recovered := time.Now()
		e.Slack.WaitCalls("chat.postMessage", failed+1, time.Minute)
		total += time.Since(recovered)
		close(stop)
		wg.Wait()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-after-recovery")
}
