package main

import (
	"os"
	"testing"

	"contactbot/bot/bottest"
)

// runMainVariable set to 1 makes the test binary contactbot itself: main
// runs instead of the tests (startServe starts it so).
const runMainVariable = "CONTACTBOT_TEST_RUN_MAIN"

// TestMain says what does not run without TEST_DATABASE_URL or
// TEST_REDIS_URL, or runs main (runMainVariable).
func TestMain(m *testing.M) {
	if os.Getenv(runMainVariable) == "1" {
		main()
		return
	}
	bottest.Main(m)
}
