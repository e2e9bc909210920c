package crmtest

import (
	"fmt"
	"os"
	"testing"
)

// Main runs a package's tests; call it from TestMain. It first says in one
// line what will not run on this machine, and removes this process's
// template databases after.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit, for helpers that have more to say: each of
// notes, when not "", is printed as a line of its own.
func Run(m *testing.M, notes ...string) int {
	if AdminURL() == "" {
		notes = append([]string{"TEST_DATABASE_URL is not set: tests that need PostgreSQL are skipped, the others run on SQLite"}, notes...)
	}
	for _, n := range notes {
		if n != "" {
			fmt.Printf("contactbot tests: %s (bash .ci/run runs everything).\n", n)
		}
	}
	defer dropTemplates()
	return m.Run()
}
