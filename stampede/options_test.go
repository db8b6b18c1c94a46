package stampede

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestOptionsValidation(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	tests := []struct {
		name  string
		opts  Options
		field string // "" when valid
	}{
		{"defaults", Options{Client: client}, ""},
		{"no client", Options{}, "Client"},
		{"NaN beta", Options{Client: client, Beta: math.NaN()}, "Beta"},
		{"infinite beta", Options{Client: client, Beta: math.Inf(1)}, "Beta"},
		{"negative beta disables", Options{Client: client, Beta: -1}, ""},
		{"negative lease TTL", Options{Client: client, LeaseTTL: -time.Second}, "LeaseTTL"},
		{"tiny lease TTL", Options{Client: client, LeaseTTL: time.Millisecond}, "LeaseTTL"},
		{"negative wait timeout", Options{Client: client, WaitTimeout: -1}, "WaitTimeout"},
		{"tiny poll interval", Options{Client: client, PollInterval: time.Microsecond}, "PollInterval"},
		{"call loader on lease timeout", Options{Client: client, OnLeaseTimeout: CallLoader}, "OnLeaseTimeout"},
		{"stale without stale TTL", Options{Client: client, OnLeaseTimeout: ServeStale}, "StaleTTL"},
		{"stale with stale TTL", Options{Client: client, OnLeaseTimeout: ServeStale, StaleTTL: time.Minute}, ""},
		{"negative stale TTL", Options{Client: client, StaleTTL: -time.Second}, "StaleTTL"},
		{"serve stale when unavailable", Options{Client: client, OnUnavailable: ServeStale}, "OnUnavailable"},
		{"unknown fallback", Options{Client: client, OnUnavailable: Fallback(9)}, "OnUnavailable"},
		{"negative negative TTL", Options{Client: client, NegativeTTL: -time.Second}, "NegativeTTL"},
		{"negative error TTL", Options{Client: client, ErrorTTL: -time.Second}, "ErrorTTL"},
		{"jitter of one", Options{Client: client, Jitter: 1}, "Jitter"},
		{"negative jitter", Options{Client: client, Jitter: -0.1}, "Jitter"},
		{"NaN jitter", Options{Client: client, Jitter: math.NaN()}, "Jitter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.opts)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("New(%s) = %v; want no error", tc.name, err)
				}
				c.Close()
				return
			}
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.field+" =") {
				t.Fatalf("New(%s) = %v; want ErrInvalidOptions naming %s", tc.name, err, tc.field)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	o, err := Options{Client: client, LeaseTTL: time.Second}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Beta != 1 || o.WaitTimeout != 2*time.Second || o.PollInterval != 100*time.Millisecond ||
		o.OnLeaseTimeout != ReturnError || o.OnUnavailable != ReturnError || o.Clock == nil || o.Rand == nil {
		t.Errorf("withDefaults = %+v; want Beta 1, WaitTimeout 2s, PollInterval 100ms, ReturnError twice, a clock and a rand", o)
	}
}

func TestFetchArguments(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	c := Must(Options{Client: client})
	defer c.Close()
	load := func(ctx context.Context) ([]byte, error) { return nil, nil }
	tests := []struct {
		name string
		ttl  time.Duration
		load Loader
		want string
	}{
		{"zero ttl", 0, load, "ttl = 0s"},
		{"negative ttl", -time.Second, load, "ttl = -1s"},
		{"nil loader", time.Second, nil, "load is nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Fetch(t.Context(), "k", tc.ttl, tc.load)
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Fetch(ttl %v) = %v; want ErrInvalidArgument with %q", tc.ttl, err, tc.want)
			}
		})
	}
}

func TestFallbackString(t *testing.T) {
	for f, want := range map[Fallback]string{ReturnError: "ReturnError", ServeStale: "ServeStale", CallLoader: "CallLoader", 7: "Fallback(7)"} {
		if got := f.String(); got != want {
			t.Errorf("Fallback(%d).String() = %q; want %q", f, got, want)
		}
	}
}
