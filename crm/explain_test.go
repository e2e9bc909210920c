package crm

import (
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestExplainSearch prints, for the search EXPLAIN_SEARCH on the PostgreSQL
// database BENCH_DATABASE_URL (a seeded one), the EXPLAIN (ANALYZE,
// BUFFERS) of each statement a page of its results runs, each prepared and
// run six times first, as the bot's pool runs it (PostgreSQL then uses the
// plan it keeps):
//
//	EXPLAIN_SEARCH='anna jansen' BENCH_DATABASE_URL=postgres://…/contactbot_bench1m go test ./crm -run TestExplainSearch -v
func TestExplainSearch(t *testing.T) {
	q, u := os.Getenv("EXPLAIN_SEARCH"), os.Getenv("BENCH_DATABASE_URL")
	if q == "" || u == "" {
		t.Skip("set EXPLAIN_SEARCH and BENCH_DATABASE_URL (PostgreSQL) to explain a search")
	}
	ctx := context.Background()
	s, err := Open(ctx, u, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.dialect != Postgres {
		t.Skip("explains PostgreSQL's plans")
	}
	res, err := s.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	plan := s.planSearch(q)
	probe := plan.probes[len(plan.probes)-1] // email, phone: their one probe
	if plan.kind == KindName {
		probe = plan.probes[0] // the exact and whole-word probes with the count
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	literal := func(a any) string {
		if v, ok := a.(driver.Valuer); ok {
			a, _ = v.Value()
		}
		switch v := a.(type) {
		case nil:
			return "NULL"
		case []byte:
			a = string(v)
		}
		return "'" + strings.ReplaceAll(fmt.Sprint(a), "'", "''") + "'"
	}
	for i, st := range []statement{probe.statement, {sql: pageLinkedSQL, args: append([]any{s.now().UTC().Format("2006-01-02T15:04:05.999999Z")}, s.pageArrays(res.Matches)...)}} {
		name := fmt.Sprintf("explain_%d", i+1)
		var lits []string
		for _, a := range st.args {
			lits = append(lits, literal(a))
		}
		execute := "EXECUTE " + name + "(" + strings.Join(lits, ", ") + ")"
		if _, err := conn.ExecContext(ctx, "PREPARE "+name+" AS "+s.db.Rebind(st.sql)); err != nil {
			t.Fatalf("statement %d: %v", i+1, err)
		}
		for range 6 {
			if _, err := conn.ExecContext(ctx, execute); err != nil {
				t.Fatal(err)
			}
		}
		var lines []string
		if err := conn.SelectContext(ctx, &lines, "EXPLAIN (ANALYZE, BUFFERS) "+execute); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("-- statement %d of %q (%s)\n%s\n\n", i+1, q, []string{"probes and count", "the page"}[i], strings.Join(lines, "\n"))
	}
}
