package bot_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// BenchmarkDNDSubmit is the latency Slack sees for a Set DND submit: a signed
// view_submission over HTTP, signature and replay checks (Redis), Set DND with
// its audit line and undo record in one Postgres transaction, and the empty
// answer that closes the modal. The confirmation and audit post follow after
// the answer and are not timed.
func BenchmarkDNDSubmit(b *testing.B) {
	e := bottest.New(b, withAudit)
	crmtest.InsertRows(b, e.Store, "contacts", "id, location_id, first_name", b.N, func(g int) []any {
		return []any{fmt.Sprintf("bench_%d", g-1), "loc", "B"}
	})
	all := map[string][]string{"channels": crm.DNDChannels}
	took := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range b.N {
		v := slack.View{CallbackID: bot.CallbackDNDModal, PrivateMetadata: fmt.Sprintf(`{"c":"bench_%d"}`, i)}
		start := time.Now()
		if r := e.SubmitChecked(bottest.Support, v, all); r.Status != 200 || strings.TrimSpace(r.Body) != "" {
			b.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		took[i] = time.Since(start)
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	e.Bot.Wait()
	if n := len(e.AuditPosts()); n != b.N {
		b.Errorf("%d audit posts for %d submits", n, b.N)
	}
}
