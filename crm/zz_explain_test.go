package crm

import (
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"strings"
	"testing"
)

// go test ./crm -run ZZExplain -v with ZZ_DB and ZZ_Q: prints a psql script
// that prepares and explains the two statements of a name search.
func TestZZExplain(t *testing.T) {
	u := os.Getenv("ZZ_DB")
	if u == "" {
		t.Skip()
	}
	ctx := context.Background()
	s, err := Open(ctx, u, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	q := os.Getenv("ZZ_Q")
	plan := s.planSearch(q)
	lit := func(a any) string {
		if v, ok := a.(driver.Valuer); ok {
			x, _ := v.Value()
			a = x
		}
		switch v := a.(type) {
		case nil:
			return "NULL"
		case []byte:
			return "'" + strings.ReplaceAll(string(v), "'", "''") + "'"
		case string:
			return "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		return "'" + strings.ReplaceAll(fmt.Sprint(a), "'", "''") + "'"
	}
	out := "SET max_parallel_workers_per_gather = 0; SET jit = off;\n"
	emit := func(name, sqlText string, args []any) {
		sqlText = s.db.Rebind(sqlText)
		var ls []string
		for _, a := range args {
			ls = append(ls, lit(a))
		}
		ex := "EXECUTE " + name + "(" + strings.Join(ls, ", ") + ");\n"
		out += "PREPARE " + name + " AS " + sqlText + ";\n" + strings.Repeat(ex, 6) + "EXPLAIN (ANALYZE, BUFFERS) " + ex
	}
	p := plan.probes[len(plan.probes)-1]
	if plan.kind == KindName {
		p = plan.probes[0]
	}
	emit("probe", p.sql, p.args)
	res, err := s.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]any{s.now().UTC().Format("2006-01-02T15:04:05Z")}, s.pageArrays(res.Matches)...)
	emit("page", pageLinkedSQL, args)
	os.WriteFile(os.Getenv("ZZ_OUT"), []byte(out), 0o644)
}
