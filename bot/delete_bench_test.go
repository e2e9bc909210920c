package bot_test

import (
	"net/http"
	"testing"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/crm/crmtest"
)

// BenchmarkDeleteSubmit is an admin's confirmed delete end to end: the
// signed view submission and its ack, the archived delete of 23 rows, and
// the summary DM delivered to Slack.
func BenchmarkDeleteSubmit(b *testing.B) {
	quietLogs(b)
	e := bottest.New(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id := crmtest.InsertFull(b, e.Store, crmtest.Contact{FirstName: "Bench", LastName: "Mark"}, crmtest.SmallLowRisk)
		e.Click(bottest.Admin, bot.ActionDelete, id)
		v := e.LastView()
		b.StartTimer()
		if r := e.Submit(bottest.Admin, v, map[string]string{"reason": "duplicate", "confirm": "DELETE"}); r.Status != http.StatusOK {
			b.Fatalf("submit: %d", r.Status)
		}
		e.Bot.Wait()
	}
	b.StopTimer()
	if n := crmtest.CountRows(b, e.Store, "deletions", ""); n != b.N {
		b.Fatalf("%d deletions for %d submits", n, b.N)
	}
}
