package bot_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"contactbot/bot/bottest"
	"contactbot/crm/crmtest"
)

// BenchmarkFindPage is a signed `/contact anna jansen` request through the
// HTTP handler, answered with a page of ten contacts, each with linked
// items of every kind and a possible duplicate: what a name search costs
// the bot (its allocations are the rendering's and the encoding's).
func BenchmarkFindPage(b *testing.B) {
	e := bottest.New(b)
	for i := range 12 {
		crmtest.InsertFull(b, e.Store, crmtest.Contact{FirstName: "Anna", LastName: "Jansen", Email: fmt.Sprintf("anna%d@example.com", i%6)}, crmtest.SmallFull)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := e.Command(bottest.Support, "anna jansen")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "10 of 12 contacts") {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
}
