package inspect

import (
	"context"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(1000)
	start := time.Now()
	for range 4 {
		if err := l.wait(context.Background(), 50); err != nil {
			t.Fatal(err)
		}
	}
	// The first batch goes at once; the next three wait 50 ms each.
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("4 batches of 50 at 1000/s took %v; want at least 150ms", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.wait(ctx, 1000); err == nil {
		t.Errorf("wait on a cancelled context = nil; want its error")
	}
	var none *limiter
	if err := none.wait(context.Background(), 1_000_000); err != nil {
		t.Errorf("nil limiter wait = %v; want nil", err)
	}
}

func TestProgressLine(t *testing.T) {
	tests := []struct {
		done, total int64
		want        string
	}{
		{0, 100, "scanning   0% [------------------------]  0/100"},
		{50, 100, "scanning  50% [############------------]  50/100"},
		{150, 100, "scanning  99% [#######################-]  150/100"},
		{7, 0, "scanning  7"},
	}
	for _, tt := range tests {
		if got := progressLine("scanning", tt.done, tt.total, 0); got != tt.want {
			t.Errorf("progressLine(%d, %d) = %q; want %q", tt.done, tt.total, got, tt.want)
		}
	}
}
