package split

import (
	"testing"

	"go.uber.org/goleak"
)

// go-redis redials a node that went down (TestClusterCrash kills one) from
// a goroutine that sleeps a second between attempts and sees that its pool
// was closed only when it wakes: it ends by itself, after the test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}
