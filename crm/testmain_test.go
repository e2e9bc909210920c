package crm_test

import (
	"testing"

	"contactbot/crm/crmtest"
)

// TestMain says what does not run without TEST_DATABASE_URL.
func TestMain(m *testing.M) { crmtest.Main(m) }
