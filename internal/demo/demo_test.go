package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDemoDetectsViralKey(t *testing.T) {
	redistest.SkipIfShort(t)
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Duration: 3 * time.Second, ViralAt: time.Second, Workers: 4, Keys: 10_000, Out: &out})
	if err != nil {
		t.Fatalf("Run() = %v\n%s", err, out.String())
	}
	if !sum.Detected {
		t.Fatalf("viral key not detected; output:\n%s", out.String())
	}
	if sum.DetectedAfter > 500*time.Millisecond {
		t.Errorf("viral key detected %v after it appeared; want within 500ms", sum.DetectedAfter)
	}
	if sum.Commands == 0 || !strings.Contains(out.String(), ViralKey) {
		t.Errorf("summary %+v; output does not show the viral key:\n%s", sum, out.String())
	}
	for _, ev := range sum.Events {
		if ev.Key == ViralKey {
			return
		}
	}
	t.Errorf("no event for %s in %+v", ViralKey, sum.Events)
}

func TestDemoBadOptions(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		field string
	}{
		{"no output", Options{}, "Out"},
		{"viral after end", Options{Out: &bytes.Buffer{}, Duration: time.Second, ViralAt: 2 * time.Second}, "ViralAt"},
		{"share above one", Options{Out: &bytes.Buffer{}, ViralShare: 2}, "ViralShare"},
		{"too few keys", Options{Out: &bytes.Buffer{}, Keys: 1}, "Keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Run() = %v; want an error naming %s", err, tc.field)
			}
		})
	}
}

func TestDemoUnreachableURL(t *testing.T) {
	var out bytes.Buffer
	_, err := Run(context.Background(), Options{URL: "redis://127.0.0.1:1", Duration: time.Second, Out: &out})
	if err == nil || !strings.Contains(err.Error(), "connect to 127.0.0.1:1") {
		t.Fatalf("Run() = %v; want a connect error naming the address", err)
	}
}
