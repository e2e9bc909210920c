package bot_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/bottest"
	"contactbot/bot/kv"
	"contactbot/crm/crmtest"
	"contactbot/internal/testsvc"
)

// BenchmarkRedisOutage is what a Redis outage costs a request: the same
// signed requests against a bot whose Redis (a private redis-server) is up,
// stopped (connections refused) or paused (connections hang), with the
// breaker as serve configures it. Search is a `/contact <email>` (replay
// check, search, linked items); DeleteWindow a deleter's Delete… click
// (replay check, delete rate from Redis's counters and the deletions table,
// the modal). Compare ns/op across the three.
//
//	go test ./bot -run '^$' -bench RedisOutage -benchtime 2000x
func BenchmarkRedisOutage(b *testing.B) {
	for _, state := range []string{"Up", "Stopped", "Paused"} {
		b.Run(state, func(b *testing.B) {
			rd := testsvc.StartRedis(b)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			e := bottest.New(b, bottest.Options{RedisURL: rd.URL(), RedisOpenFor: kv.OpenFor, RedisNow: time.Now, Log: log})
			jane := crmtest.InsertContact(b, e.Store, crmtest.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"})
			switch state {
			case "Stopped":
				rd.Stop(b)
			case "Paused":
				rd.Pause(b)
				b.Cleanup(func() { rd.Resume(b) })
			}
			b.Run("Search", func(b *testing.B) {
				slowest := slowestOf(b)
				for b.Loop() {
					if r := slowest(func() bottest.Response { return e.Command(bottest.Support, "jane@example.com") }); r.Status != 200 {
						b.Fatalf("search: %d %s", r.Status, r.Body)
					}
				}
			})
			b.Run("DeleteWindow", func(b *testing.B) {
				slowest := slowestOf(b)
				for b.Loop() {
					if r := slowest(func() bottest.Response { return e.Click(bottest.Deleter, bot.ActionDelete, jane) }); r.Status != 200 {
						b.Fatalf("Delete…: %d %s", r.Status, r.Body)
					}
				}
				e.Bot.Wait()
			})
		})
	}
}

// slowestOf times each request and reports the slowest as max-ms: with
// Redis paused, the request that probes it again (every kv.OpenFor) waits
// for its timeouts.
func slowestOf(b *testing.B) func(func() bottest.Response) bottest.Response {
	var slowest time.Duration
	b.ReportMetric(0, "max-ms")
	return func(send func() bottest.Response) bottest.Response {
		start := time.Now()
		r := send()
		if d := time.Since(start); d > slowest {
			slowest = d
			b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
		}
		return r
	}
}
