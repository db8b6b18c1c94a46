package inspect

import (
	"context"
	"time"
)

// limiter paces commands to at most rate per second on one node. The zero
// rate means no limit. It is used by one goroutine.
type limiter struct {
	rate float64
	next time.Time
}

func newLimiter(rate float64) *limiter { return &limiter{rate: rate} }

// wait blocks until n more commands may be sent, or ctx is done. A batch
// goes out at once and the wait comes before the next one, so the average
// stays at rate while batches stay pipelined.
func (l *limiter) wait(ctx context.Context, n int) error {
	if l == nil || l.rate <= 0 || n <= 0 {
		return ctx.Err()
	}
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	d := l.next.Sub(now)
	l.next = l.next.Add(time.Duration(float64(n) / l.rate * float64(time.Second)))
	return sleep(ctx, d)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
