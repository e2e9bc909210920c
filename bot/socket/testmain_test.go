package socket_test

import (
	"testing"

	"contactbot/bot/bottest"
)

// TestMain says what does not run without TEST_DATABASE_URL or TEST_REDIS_URL.
func TestMain(m *testing.M) { bottest.Main(m) }
