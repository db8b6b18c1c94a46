package redhot

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/split"
)

// TestWriteHotAndSplit: a counter hot by its increments is reported as
// write-hot, a read-hot key is not; the counter's split form, made from
// the middleware, counts through the same client (observed, its shard
// keys in the tracker) without renaming anything behind the caller's back.
func TestWriteHotAndSplit(t *testing.T) {
	ctx := t.Context()
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	rdb := srv.Client()
	clk := heat.NewFakeClock(time.Now())
	mw := attach(t, rdb, Options{Tracker: heat.Options{Clock: clk}})
	for range 300 {
		if err := rdb.Incr(ctx, "views").Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Get(ctx, "product:1").Err(); err == nil {
			t.Fatal("GET product:1 found a value")
		}
	}
	clk.Add(100 * time.Millisecond)
	mw.Tracker().Evaluate()
	if !mw.Tracker().IsHot("views") || !mw.Tracker().IsHot("product:1") {
		t.Fatalf("hot: views %v, product:1 %v; want both", mw.Tracker().IsHot("views"), mw.Tracker().IsHot("product:1"))
	}
	var keys []string
	for _, k := range mw.WriteHot() {
		keys = append(keys, k.Key)
	}
	if !slices.Equal(keys, []string{"views"}) {
		t.Errorf("WriteHot() keys = %v; want [views]", keys)
	}
	if st := mw.Stats(); !slices.Equal(st.WriteHot, []string{"views"}) {
		t.Errorf("Stats().WriteHot = %v; want [views]", st.WriteHot)
	}
	if n, err := rdb.Get(ctx, "views").Int(); n != 300 || err != nil {
		t.Errorf("GET views = %d, %v; want 300: the middleware must not rename the key", n, err)
	}

	views, err := mw.Counter("views:split", split.CounterOptions{Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	cmds := mw.Stats().Commands
	for range 10 {
		if err := views.Incr(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := views.Total(ctx); n != 10 || err != nil {
		t.Errorf("Total() = %d, %v; want 10", n, err)
	}
	if d := mw.Stats().Commands - cmds; d < 11 {
		t.Errorf("the middleware observed %d commands of the split counter; want its 10 increments and the total", d)
	}
	observed := 0.0
	for i := range 4 {
		observed += mw.Tracker().Estimate(split.ShardKey("views:split", i, 4, false)).High
	}
	if observed == 0 {
		t.Error("no shard key of the split counter reached the tracker")
	}
	flags, err := mw.Value("flags", split.ValueOptions{Copies: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := flags.Set(ctx, "on", 0); err != nil {
		t.Fatal(err)
	}
	if v, err := flags.Get(ctx); v != "on" || err != nil {
		t.Errorf("Value.Get = %q, %v; want on", v, err)
	}
	if _, err := mw.Counter("", split.CounterOptions{}); err == nil {
		t.Error("Counter with an empty key succeeded")
	}
	s1, _ := mw.Splitter()
	s2, _ := mw.Splitter()
	if s1 == nil || s1 != s2 {
		t.Error("Splitter() does not return one shared Splitter")
	}
	_ = mw.Close()
	for name, f := range map[string]func() error{
		"Counter": func() error { _, err := mw.Counter("c", split.CounterOptions{}); return err },
		"Value":   func() error { _, err := mw.Value("v", split.ValueOptions{}); return err },
		"Set":     func() error { _, err := mw.Set("s", split.ShardedOptions{}); return err },
		"Hash":    func() error { _, err := mw.Hash("h", split.ShardedOptions{}); return err },
	} {
		if err := f(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v; want ErrClosed", name, err)
		}
	}
}
