package crm_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"contactbot/crm"
)

func TestZZPrintStatements(t *testing.T) {
	u := os.Getenv("SCRATCH_DB")
	if u == "" {
		t.Skip()
	}
	s, err := crm.Open(context.Background(), u, crm.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range s.SearchStatements(os.Getenv("SCRATCH_Q")) {
		fmt.Printf("-- %s %v\n%s;\n", st.Name, st.Args, st.SQL)
	}
}
