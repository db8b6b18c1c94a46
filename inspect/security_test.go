package inspect_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/internal/redistest"
)

// secretValue returns a random value that no report could contain by
// chance.
func secretValue(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "secret-" + hex.EncodeToString(b)
}

// TestMonitorValues checks that a MONITOR report names the keys a secret
// value was written to and read from, never the value, unless ShowValues
// asks for it; and that the slow log report, whose entries carry the
// arguments too, never shows it.
func TestMonitorValues(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"slowlog-log-slower-than 0"}})
	c := s.Client()
	secret := secretValue(t)
	field := secretValue(t)
	stop := traffic(t, func(ctx context.Context) error {
		pipe := c.Pipeline()
		pipe.Set(ctx, "session:42", secret, 0)
		pipe.Get(ctx, "session:42")
		pipe.HSet(ctx, "user:42", "token", field)
		pipe.Publish(ctx, "news", secret)
		_, err := pipe.Exec(ctx)
		return err
	})
	tg := connect(t, urlOf(s))

	for _, show := range []bool{false, true} {
		rep, err := inspect.Monitor(t.Context(), tg, inspect.MonitorOptions{Duration: 300 * time.Millisecond, ShowValues: show})
		if err != nil {
			t.Fatalf("Monitor(ShowValues %v): %v", show, err)
		}
		out := render(t, rep)
		for _, k := range []string{"session:42", "user:42"} {
			if !strings.Contains(out, k) {
				t.Errorf("ShowValues %v: report lacks key %s:\n%s", show, k, out)
			}
		}
		// user:42 is only ever written by HSET, so its example line,
		// when there is one, holds the field's value.
		if got := strings.Contains(out, field); got != show {
			t.Errorf("ShowValues %v: report shows the HSET value: %v; want %v:\n%s", show, got, show, out)
		}
		if !show && (strings.Contains(out, secret) || strings.Contains(out, field)) {
			t.Errorf("report without ShowValues shows a value:\n%s", out)
		}
		if show {
			for _, k := range rep.Keys {
				if k.Example == "" {
					t.Errorf("ShowValues: key %s has no example line", k.Key)
				}
			}
		}
	}
	stop()

	rep, err := inspect.Slowlog(t.Context(), tg, inspect.SlowlogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, rep)
	if !strings.Contains(out, "session:42") {
		t.Errorf("slowlog report lacks the key session:42:\n%s", out)
	}
	if strings.Contains(out, secret) || strings.Contains(out, field) {
		t.Errorf("slowlog report shows a value:\n%s", out)
	}
}

// render returns a report as JSON and as a table, one after the other.
func render(tb testing.TB, rep inspect.Report) string {
	tb.Helper()
	var b bytes.Buffer
	if err := inspect.WriteJSON(&b, rep); err != nil {
		tb.Fatal(err)
	}
	if err := rep.WriteTable(&b); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}
