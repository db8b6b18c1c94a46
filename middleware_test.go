package redhot

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

func TestCacheStandalone(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	other := srv.Client()
	mw := attach(t, rdb, Options{})
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	if err := other.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	cached(t, mw, "k")
	if got, err := rdb.Get(ctx, "k").Result(); got != "v1" || err != nil {
		t.Fatalf("GET k = %q, %v; want v1", got, err)
	}
	if got, err := mw.Get(ctx, "k"); got != "v1" || err != nil {
		t.Fatalf("Get(k) = %q, %v; want v1", got, err)
	}
	// Another client's write.
	start := time.Now()
	if err := other.Set(ctx, "k", "v2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, func() bool {
		got, _ := mw.Get(ctx, "k")
		return got == "v2"
	}, "the remote write to be seen")
	t.Logf("remote write seen after %v", time.Since(start))

	// Our own write.
	cached(t, mw, "k")
	if err := rdb.Set(ctx, "k", "v3", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, _ := mw.Get(ctx, "k"); got != "v3" {
		t.Fatalf("Get(k) after own SET = %q; want v3", got)
	}
	t.Logf("stats: %+v", mw.Stats().Cache)
	_ = redis.Nil
}
