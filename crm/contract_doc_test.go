package crm_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"contactbot/crm"
)

// TestContractDocMatches: docs/crm-contract.md's table of the CRM's tables
// and columns is crm.Contract, row for row: neither changes alone.
func TestContractDocMatches(t *testing.T) {
	doc, err := os.ReadFile("../docs/crm-contract.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "<!-- contract:begin -->")
	block, _, ok2 := strings.Cut(block, "<!-- contract:end -->")
	if !ok || !ok2 {
		t.Fatal("docs/crm-contract.md has no contract:begin … contract:end block")
	}
	row := regexp.MustCompile("^\\| `(\\w+)` \\| `(\\w+)` \\| (\\w+) \\|$")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			got = append(got, m[1]+"."+m[2]+" "+m[3])
		} else if !strings.HasPrefix(line, "| table |") && !strings.HasPrefix(line, "| ---") {
			t.Errorf("not a contract row: %q", line)
		}
	}
	var want []string
	for _, tb := range crm.Contract {
		for _, c := range tb.Columns {
			want = append(want, tb.Name+"."+c.Name+" "+c.Type)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("docs/crm-contract.md and crm.Contract differ (-Contract +doc):\n%s", diff)
	}
}
