package workload

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running after it returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
