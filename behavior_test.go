package redhot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

func TestNewOptions(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	tests := []struct {
		name string
		c    redis.UniversalClient
		opts Options
		want error
	}{
		{"nil client", nil, Options{}, ErrUnsupportedClient},
		{"ring", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": srv.Addr()}}), Options{}, ErrUnsupportedClient},
		{"empty pattern", srv.Client(), Options{Patterns: []string{""}}, ErrInvalidOptions},
		{"negative staleness", srv.Client(), Options{MaxStaleness: -1}, ErrInvalidOptions},
		{"bad tracker", srv.Client(), Options{Tracker: heat.Options{Capacity: -1}}, heat.ErrInvalidOptions},
		{"tiny staleness", srv.Client(), Options{MaxStaleness: time.Millisecond}, nearcache.ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, ok := tt.c.(*redis.Ring); ok {
				defer r.Close()
			}
			mw, err := New(tt.c, tt.opts)
			if !errors.Is(err, tt.want) {
				if mw != nil {
					mw.Close()
				}
				t.Fatalf("New error = %v; want %v", err, tt.want)
			}
		})
	}
}

// TestHotKeyIsCached checks the whole loop: traffic makes a key hot, the
// tracker flags it, and its reads are then served locally; Top and the
// event subscription see it too.
func TestHotKeyIsCached(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	mw := attach(t, rdb, Options{Tracker: heat.Options{Window: 200 * time.Millisecond, Rules: heat.Rules{MinRate: 10, MinShare: 0.2}}})
	sub := mw.Subscribe(16)
	waitMode(t, mw, nearcache.ModeTracking)
	rdb.Set(ctx, "viral", "x", 0)
	for i := range 200 {
		rdb.Get(ctx, "cold:"+string(rune('a'+i%26)))
		rdb.Get(ctx, "viral")
	}
	select {
	case ev := <-sub.C:
		if ev.Kind != heat.Hot || ev.Key != "viral" {
			t.Errorf("event %v %q; want hot viral", ev.Kind, ev.Key)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no hot event")
	}
	if top := mw.Top(1); len(top) != 1 || top[0].Key != "viral" || !top[0].Hot {
		t.Errorf("Top(1) = %+v; want viral, hot", top)
	}
	cached(t, mw, "viral")
	if _, _, ok := mw.cache.GetString("cold:a"); ok {
		t.Error("a cold key was cached")
	}
	st := mw.Stats()
	if st.Commands < 400 || st.Keys < 400 {
		t.Errorf("Stats: %d commands, %d keys observed; want at least 400 each", st.Commands, st.Keys)
	}
}

func TestPatterns(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	mw := attach(t, rdb, Options{Patterns: []string{"trending:*"}})
	waitMode(t, mw, nearcache.ModeTracking)
	rdb.Set(ctx, "trending:1", "a", 0)
	rdb.Set(ctx, "news:1", "b", 0)
	cached(t, mw, "trending:1")
	rdb.Get(ctx, "news:1")
	rdb.Get(ctx, "news:1")
	if _, _, ok := mw.cache.GetString("news:1"); ok {
		t.Error("news:1 was cached; it matches no pattern and is not hot")
	}
	mw.Pin("news:1")
	cached(t, mw, "news:1")
	if got := mw.Stats().Pinned; got != 1 {
		t.Errorf("Stats().Pinned = %d; want 1", got)
	}
	mw.Unpin("news:1")
	if got := mw.Stats().Pinned; got != 0 {
		t.Errorf("Stats().Pinned after Unpin = %d; want 0", got)
	}
}

// TestWatchBypassesCache checks that a transaction's reads after WATCH go
// to the server, so that its optimistic check is against what the server
// holds.
func TestWatchBypassesCache(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	mw := attach(t, rdb, Options{})
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("balance")
	rdb.Set(ctx, "balance", "10", 0)
	cached(t, mw, "balance")
	err := rdb.Watch(ctx, func(tx *redis.Tx) error {
		before := mw.Stats().Cache.Hits
		if v, err := tx.Get(ctx, "balance").Result(); v != "10" || err != nil {
			t.Errorf("tx GET = %q, %v", v, err)
		}
		if mw.Stats().Cache.Hits != before {
			t.Error("a read in a transaction after WATCH was served from the cache")
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "balance", "9", 0)
			return nil
		})
		return err
	}, "balance")
	if err != nil {
		t.Fatal(err)
	}
	// The transaction's write dropped the key.
	if v, _ := mw.Get(ctx, "balance"); v != "9" {
		t.Errorf("Get after the transaction = %q; want 9", v)
	}
	// The client itself still reads from the cache.
	cached(t, mw, "balance")
}

func TestPipelines(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	mw := attach(t, rdb, Options{})
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	rdb.Set(ctx, "k", "1", 0)
	cached(t, mw, "k")
	// go-redis's own commands on a new connection (HELLO, CLIENT
	// SETINFO) pass through hooks too; they name no key.
	before := mw.Stats().Keys
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "k", "2", 0)
		p.Get(ctx, "k")
		return nil
	})
	if err != nil || cmds[1].(*redis.StringCmd).Val() != "2" {
		t.Fatalf("pipeline: %v, GET %v", err, cmds[1])
	}
	if got := mw.Stats().Keys - before; got != 2 {
		t.Errorf("pipeline of 2 single-key commands observed as %d key accesses", got)
	}
	if v, _ := mw.Get(ctx, "k"); v != "2" {
		t.Errorf("Get after a pipelined SET = %q; want 2", v)
	}
	cached(t, mw, "k")
	if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "k")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if v, _ := mw.Get(ctx, "k"); v != "3" {
		t.Errorf("Get after MULTI/INCR/EXEC = %q; want 3", v)
	}
}

// TestWritesDropWhatTheyMayChange checks which commands drop which keys:
// a key a command writes, every key for a command that may write anything.
func TestWritesDropWhatTheyMayChange(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	// No key can become hot by traffic (cached's GET loop would make a
	// and b hot), so only pins decide what is refreshed.
	mw := attach(t, rdb, Options{Tracker: heat.Options{Rules: heat.Rules{MinRate: 1e15}}})
	waitMode(t, mw, nearcache.ModeTracking)
	tests := []struct {
		name   string
		run    func() error
		dropsA bool
		dropsB bool
	}{
		{"DEL a", func() error { return rdb.Del(ctx, "a").Err() }, true, false},
		{"EXPIRE a", func() error { return rdb.Expire(ctx, "a", time.Hour).Err() }, true, false},
		{"RENAME b c", func() error { return rdb.Rename(ctx, "b", "c").Err() }, false, true},
		{"EVAL with key a", func() error { return rdb.Eval(ctx, "return 1", []string{"a"}).Err() }, true, false},
		{"EVAL without keys", func() error { return rdb.Eval(ctx, "return 1", nil).Err() }, true, true},
		{"FLUSHDB", func() error { return rdb.FlushDB(ctx).Err() }, true, true},
		{"unknown command", func() error { rdb.Do(ctx, "NOSUCHCOMMAND", "x"); return nil }, true, true},
		{"GET c", func() error { return rdb.Get(ctx, "c").Err() }, false, false},
		{"EVAL_RO with key a", func() error { return rdb.EvalRO(ctx, "return 1", []string{"a"}).Err() }, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"a", "b"} {
				mw.Pin(k)
				rdb.Set(ctx, k, "v", 0)
				cached(t, mw, k)
			}
			// Unpinned (and never hot here), a key the command drops is not
			// read again at once (see TestRefresh), so whether it is
			// still cached tells whether it was dropped.
			mw.Unpin("a")
			mw.Unpin("b")
			if err := tt.run(); err != nil && !errors.Is(err, redis.Nil) {
				t.Fatal(err)
			}
			for _, c := range []struct {
				key   string
				drops bool
			}{{"a", tt.dropsA}, {"b", tt.dropsB}} {
				_, _, hit := mw.cache.GetString(c.key)
				if hit == c.drops {
					t.Errorf("%s: key %s cached = %v; want %v", tt.name, c.key, hit, !c.drops)
				}
			}
		})
	}
}

func TestCloseDetaches(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	mw, err := New(rdb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	rdb.Set(ctx, "k", "1", 0)
	cached(t, mw, "k")
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	before := mw.Stats()
	rdb.Set(ctx, "k", "2", 0)
	if v, err := rdb.Get(ctx, "k").Result(); v != "2" || err != nil {
		t.Fatalf("GET after Close = %q, %v", v, err)
	}
	if v, err := mw.Get(ctx, "k"); v != "2" || err != nil {
		t.Fatalf("Get after Close = %q, %v", v, err)
	}
	if after := mw.Stats(); after.Commands != before.Commands || after.Cache.Hits != before.Cache.Hits {
		t.Errorf("the hook still works after Close: %+v -> %+v", before, after)
	}
	if err := mw.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
