package command

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind (go-redis clients
// and pools of the integration tests included).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
