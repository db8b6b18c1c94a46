package inspect_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/internal/redistest"
)

// awkward keys: spaces, quotes, newlines, invalid UTF-8, glob characters.
var awkward = []string{"sp ace", `quo"te`, "new\nline", "bin\xff\x00key", "glob*[x]?"}

func TestHotkeysStandalone(t *testing.T) {
	t.Parallel()
	// lfu-log-factor 1 (default 10) spreads the counters of 40, 300, 1000
	// and 3000 accesses far apart (about 13, 29, 49 and 82), so the
	// ranking below does not hang on the counter's coin flips: at 10,
	// 300 accesses and 40 could land one step apart.
	s := redistest.NewServer(t, redistest.ServerOptions{Config: []string{lfu, "lfu-log-factor 1"}})
	c := s.Client()
	fill(t, c, "cold:", 500)
	for _, k := range append([]string{"hot:a", "hot:b"}, awkward...) {
		c.Set(t.Context(), k, "v", 0)
	}
	// A small integer is a shared object when maxmemory is 0: its counter
	// is not the key's own. A large one is not shared.
	c.Set(t.Context(), "shared:int", "42", 0)
	c.Set(t.Context(), "hot:big", "123456", 0)
	access(t, c, "shared:int", 5000)
	access(t, c, "hot:a", 3000)
	access(t, c, "hot:big", 1000)
	access(t, c, "hot:b", 300)
	for _, k := range awkward {
		access(t, c, k, 40)
	}

	rep, err := inspect.Hotkeys(t.Context(), connect(t, urlOf(s)), inspect.HotkeysOptions{Top: 8, Scan: inspect.ScanOptions{Count: 50}})
	if err != nil {
		t.Fatalf("Hotkeys = %v", err)
	}
	if rep.Scanned != 509 {
		t.Errorf("Scanned = %d; want 509", rep.Scanned)
	}
	got := keysOf(rep.Keys, func(k inspect.HotKey) string { return k.Key })
	if len(got) != 8 || got[0] != "hot:a" || got[1] != "hot:big" || got[2] != "hot:b" {
		t.Fatalf("Hotkeys keys = %q; want hot:a, hot:big, hot:b, then the awkward keys", got)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "small integers") {
		t.Errorf("warnings = %q; want one about the shared counter of shared:int", rep.Warnings)
	}
	for _, k := range awkward {
		if !slices.Contains(got, k) {
			t.Errorf("Hotkeys keys = %q; want %q among them", got, k)
		}
	}
	a := rep.Keys[0]
	if a.AccessesLow > 3001 || a.AccessesHigh == nil || *a.AccessesHigh < 3001 {
		t.Errorf("hot:a band = %v..%v; want it to hold 3001 accesses", a.AccessesLow, *a.AccessesHigh)
	}
	if a.Node != s.Addr() {
		t.Errorf("hot:a node = %q; want %q", a.Node, s.Addr())
	}
	doc := roundTrip(t, rep, "hotkeys")
	for _, k := range doc["keys"].([]any) {
		m := k.(map[string]any)
		if strings.HasPrefix(m["key"].(string), "bin") && m["key_base64"] != "Ymlu/wBrZXk=" {
			t.Errorf("JSON of the binary key = %v; want key_base64 Ymlu/wBrZXk=", m)
		}
	}
}

func TestHotkeysNotLFU(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	admin := s.Client()
	fill(t, admin, "k:", 50)
	tg := connect(t, urlOf(s))

	_, err := inspect.Hotkeys(t.Context(), tg, inspect.HotkeysOptions{})
	if !errors.Is(err, inspect.ErrNotLFU) {
		t.Fatalf("Hotkeys on noeviction = %v; want ErrNotLFU", err)
	}
	if !strings.Contains(err.Error(), "noeviction") {
		t.Errorf("error %q does not name the policy", err)
	}

	t.Run("allow config change", func(t *testing.T) {
		rep, err := inspect.Hotkeys(t.Context(), tg, inspect.HotkeysOptions{AllowConfigChange: true, Warmup: 200 * time.Millisecond})
		if err != nil {
			t.Fatalf("Hotkeys with AllowConfigChange = %v", err)
		}
		if !rep.LFU[0].Switched || rep.LFU[0].Policy != "allkeys-lfu" {
			t.Errorf("LFU settings = %+v; want switched to allkeys-lfu", rep.LFU[0])
		}
		if got := configGet(t, admin, "maxmemory-policy"); got != "noeviction" {
			t.Errorf("maxmemory-policy after Hotkeys = %q; want it restored to noeviction", got)
		}
		if rep.Scanned != 50 {
			t.Errorf("Scanned = %d; want 50", rep.Scanned)
		}
	})

	t.Run("restored on cancel", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		rep, err := inspect.Hotkeys(ctx, tg, inspect.HotkeysOptions{AllowConfigChange: true, Warmup: time.Minute})
		if err != nil {
			t.Fatalf("Hotkeys cancelled during warmup = %v; want a partial report", err)
		}
		if !rep.Interrupted || !rep.Partial {
			t.Errorf("report interrupted %v partial %v; want both", rep.Interrupted, rep.Partial)
		}
		if got := configGet(t, admin, "maxmemory-policy"); got != "noeviction" {
			t.Errorf("maxmemory-policy after cancel = %q; want noeviction", got)
		}
	})

	t.Run("refuses to start evicting", func(t *testing.T) {
		admin.ConfigSet(t.Context(), "maxmemory", "100mb")
		defer admin.ConfigSet(context.Background(), "maxmemory", "0")
		_, err := inspect.Hotkeys(t.Context(), tg, inspect.HotkeysOptions{AllowConfigChange: true, Warmup: time.Millisecond})
		if !errors.Is(err, inspect.ErrRefused) {
			t.Fatalf("Hotkeys on noeviction with maxmemory = %v; want ErrRefused", err)
		}
		if got := configGet(t, admin, "maxmemory-policy"); got != "noeviction" {
			t.Errorf("maxmemory-policy = %q; want noeviction untouched", got)
		}
	})

	t.Run("server method", func(t *testing.T) {
		_, err := inspect.ServerHotkeys(t.Context(), tg, inspect.ServerHotkeysOptions{})
		if !errors.Is(err, inspect.ErrUnsupported) || !strings.Contains(err.Error(), "8.6") {
			t.Errorf("ServerHotkeys on 7.0 = %v; want ErrUnsupported naming Redis 8.6", err)
		}
	})
}

func TestMonitor(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	c := s.Client()
	script := redis.NewScript(`return redis.call('incr', 'lua:counter')`)
	stop := traffic(t, func(ctx context.Context) error {
		pipe := c.Pipeline()
		for range 10 {
			pipe.Get(ctx, "hot")
		}
		pipe.Set(ctx, "warm", "value-never-printed", 0)
		pipe.HGet(ctx, "h", "f")
		pipe.Get(ctx, "bin\xff\x00key")
		pipe.Get(ctx, "new\nline")
		pipe.Do(ctx, "select", 1)
		pipe.Get(ctx, "db1key")
		pipe.Do(ctx, "select", 0)
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return err
		}
		return script.Run(ctx, c, nil).Err()
	})
	defer stop()
	tg := connect(t, urlOf(s))
	rep, err := inspect.Monitor(t.Context(), tg, inspect.MonitorOptions{Duration: 1500 * time.Millisecond, Top: 10})
	if err != nil {
		t.Fatalf("Monitor = %v", err)
	}
	stop()
	got := keysOf(rep.Keys, func(k inspect.MonitorKey) string { return k.Key })
	if len(got) == 0 || got[0] != "hot" {
		t.Fatalf("Monitor keys = %q; want hot first", got)
	}
	for _, want := range []string{"warm", "h", "bin\xff\x00key", "new\nline", "lua:counter"} {
		if !slices.Contains(got, want) {
			t.Errorf("Monitor keys = %q; want %q among them", got, want)
		}
	}
	if slices.Contains(got, "db1key") {
		t.Errorf("Monitor keys = %q include a key of db 1", got)
	}
	if rep.Skipped["other_db"] == 0 {
		t.Errorf("Skipped = %v; want other_db lines counted", rep.Skipped)
	}
	byKey := map[string]inspect.MonitorKey{}
	for _, k := range rep.Keys {
		byKey[k.Key] = k
	}
	hot, warm := byKey["hot"], byKey["warm"]
	if hot.WriteRate != 0 || hot.ReadRate < 5*warm.WriteRate || warm.ReadRate != 0 {
		t.Errorf("hot read/write %v/%v, warm %v/%v; want hot read-only at ~10x warm's writes", hot.ReadRate, hot.WriteRate, warm.ReadRate, warm.WriteRate)
	}
	if len(hot.Commands) == 0 || hot.Commands[0].Name != "get" || len(hot.Clients) == 0 {
		t.Errorf("hot commands %v clients %v; want get and a client", hot.Commands, hot.Clients)
	}
	if l := byKey["lua:counter"]; len(l.Clients) == 0 || l.Clients[0].Name != "lua" {
		t.Errorf("lua:counter clients = %v; want lua", l.Clients)
	}
	if rep.CommandTable != "server" {
		t.Errorf("CommandTable = %q; want server", rep.CommandTable)
	}
	if rep.SampledSeconds < 1 || rep.SampledSeconds > 2 {
		t.Errorf("SampledSeconds = %v; want about 1.5", rep.SampledSeconds)
	}
	if hot.Rate < 100 {
		t.Errorf("hot rate = %v/s; want the rate of a tight loop", hot.Rate)
	}
	doc := roundTrip(t, rep, "monitor")
	if b, _ := jsonString(doc); strings.Contains(b, "value-never-printed") {
		t.Errorf("the report shows a value")
	}

	t.Run("max commands", func(t *testing.T) {
		traffic(t, func(ctx context.Context) error { return c.Set(ctx, "x", "v", 0).Err() })
		start := time.Now()
		rep, err := inspect.Monitor(t.Context(), tg, inspect.MonitorOptions{Duration: 20 * time.Second, MaxCommands: 100})
		if err != nil {
			t.Fatalf("Monitor = %v", err)
		}
		if rep.Sampled < 100 || time.Since(start) > 10*time.Second {
			t.Errorf("Sampled %d in %v; want at least 100 and an early stop", rep.Sampled, time.Since(start))
		}
	})
}

func TestNotify(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	admin := s.Client()
	tg := connect(t, urlOf(s))
	_, err := inspect.Notify(t.Context(), tg, inspect.NotifyOptions{Duration: time.Second})
	if !errors.Is(err, inspect.ErrNotifyOff) {
		t.Fatalf("Notify with notifications off = %v; want ErrNotifyOff", err)
	}
	c := s.Client()
	traffic(t, func(ctx context.Context) error {
		pipe := c.Pipeline()
		for range 5 {
			pipe.Incr(ctx, "counter")
		}
		pipe.HSet(ctx, "h", "f", "v")
		pipe.Get(ctx, "counter") // a read: invisible
		pipe.Set(ctx, "exp", "v", time.Millisecond)
		_, err := pipe.Exec(ctx)
		return err
	})
	rep, err := inspect.Notify(t.Context(), tg, inspect.NotifyOptions{Duration: time.Second, AllowConfigChange: true})
	if err != nil {
		t.Fatalf("Notify = %v", err)
	}
	if got := configGet(t, admin, "notify-keyspace-events"); got != "" {
		t.Errorf("notify-keyspace-events after Notify = %q; want it restored to \"\"", got)
	}
	got := keysOf(rep.Keys, func(k inspect.NotifyKey) string { return k.Key })
	if len(got) < 2 || got[0] != "counter" || !slices.Contains(got, "h") {
		t.Fatalf("Notify keys = %q; want counter first, then h", got)
	}
	if rep.Keys[0].Events[0].Name != "incrby" {
		t.Errorf("counter events = %v; want incrby", rep.Keys[0].Events)
	}
	if !rep.Settings[0].Switched {
		t.Errorf("Settings = %+v; want switched", rep.Settings)
	}
	roundTrip(t, rep, "notify")
}

func TestSlowlog(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"slowlog-log-slower-than 0", "slowlog-max-len 1000"}})
	c := s.Client()
	ctx := t.Context()
	c.MGet(ctx, "a", "b")
	c.Get(ctx, "a")
	c.HGetAll(ctx, "new\nline")
	c.Set(ctx, strings.Repeat("k", 300), "v", 0)
	rep, err := inspect.Slowlog(ctx, connect(t, urlOf(s)), inspect.SlowlogOptions{})
	if err != nil {
		t.Fatalf("Slowlog = %v", err)
	}
	byKey := map[string]inspect.SlowKey{}
	for _, k := range rep.Keys {
		byKey[k.Key] = k
	}
	if a := byKey["a"]; a.Count != 2 || len(a.Commands) != 2 || a.MaxUS > a.TotalUS {
		t.Errorf("slow key a = %+v; want 2 entries from get and mget", a)
	}
	if byKey["new\nline"].Count != 1 {
		t.Errorf("slow keys %v; want new\\nline once", keysOf(rep.Keys, func(k inspect.SlowKey) string { return k.Key }))
	}
	truncated := false
	for _, k := range rep.Keys {
		truncated = truncated || (k.Truncated && strings.HasPrefix(k.Key, "kkkk"))
	}
	if !truncated {
		t.Errorf("the 300-byte key is not marked truncated")
	}
	names := keysOf(rep.Commands, func(c inspect.SlowCommand) string { return c.Name })
	for _, want := range []string{"mget", "get", "hgetall", "set"} {
		if !slices.Contains(names, want) {
			t.Errorf("slow commands = %q; want %q", names, want)
		}
	}
	if len(rep.Settings) != 1 || rep.Settings[0].SlowerThanUS == nil || *rep.Settings[0].SlowerThanUS != 0 {
		t.Errorf("Settings = %+v; want slower_than_us 0", rep.Settings)
	}
	roundTrip(t, rep, "slowlog")
}

func TestSizes(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	c := s.Client()
	ctx := t.Context()
	c.Set(ctx, "big:str", strings.Repeat("x", 100_000), 0)
	c.Set(ctx, "small:str", "x", 0)
	for i := range 300 {
		c.RPush(ctx, "big:list", i)
		c.HSet(ctx, "big:hash", i, i)
		c.SAdd(ctx, "big:set", i)
		c.ZAdd(ctx, "big:zset", redis.Z{Score: float64(i), Member: i})
	}
	for range 50 {
		c.XAdd(ctx, &redis.XAddArgs{Stream: "big:stream", Values: []any{"f", "v"}})
	}
	c.RPush(ctx, "small:list", 1)
	tg := connect(t, urlOf(s))

	rep, err := inspect.Bigkeys(ctx, tg, inspect.BigkeysOptions{Top: 2})
	if err != nil {
		t.Fatalf("Bigkeys = %v", err)
	}
	want := map[string]struct {
		key  string
		size int64
	}{
		"string": {"big:str", 100_000}, "list": {"big:list", 300}, "hash": {"big:hash", 300},
		"set": {"big:set", 300}, "zset": {"big:zset", 300}, "stream": {"big:stream", 50},
	}
	if len(rep.Types) != len(want) {
		t.Errorf("Bigkeys types = %d; want %d", len(rep.Types), len(want))
	}
	for _, ts := range rep.Types {
		w := want[ts.Type]
		if len(ts.Largest) == 0 || ts.Largest[0].Key != w.key || ts.Largest[0].Size != w.size {
			t.Errorf("largest %s = %+v; want %s of %d", ts.Type, ts.Largest, w.key, w.size)
		}
	}
	roundTrip(t, rep, "bigkeys")

	mem, err := inspect.Memkeys(ctx, tg, inspect.MemkeysOptions{Top: 3})
	if err != nil {
		t.Fatalf("Memkeys = %v", err)
	}
	if mem.Scanned != 8 || len(mem.Keys) != 3 || mem.Keys[0].Key != "big:str" || mem.Keys[0].Size < 100_000 {
		t.Errorf("Memkeys scanned %d, keys %+v; want 8 scanned and big:str first", mem.Scanned, mem.Keys)
	}
	roundTrip(t, mem, "memkeys")
}

func TestPatterns(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	c := s.Client()
	ctx := t.Context()
	fill(t, c, "user:", 0)
	pipe := c.Pipeline()
	for i := range 60 {
		pipe.Set(ctx, "user:"+itoa(i*37)+":profile", "p", 0)
	}
	for i := range 20 {
		pipe.Set(ctx, "session:550e8400-e29b-41d4-a716-4466554400"+itoa(10+i), "s", 0)
	}
	pipe.Set(ctx, "blob", strings.Repeat("b", 50_000), 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	tg := connect(t, urlOf(s))

	rep, err := inspect.Patterns(ctx, tg, inspect.PatternsOptions{Sample: inspect.SampleAll})
	if err != nil {
		t.Fatalf("Patterns = %v", err)
	}
	byPat := map[string]inspect.PatternStats{}
	for _, p := range rep.Patterns {
		byPat[p.Pattern] = p
	}
	if p := byPat["user:*:profile"]; p.Keys != 60 {
		t.Errorf("user:*:profile = %+v; want 60 keys (patterns: %v)", p, keysOf(rep.Patterns, func(p inspect.PatternStats) string { return p.Pattern }))
	}
	if p := byPat["session:*"]; p.Keys != 20 {
		t.Errorf("session:* = %+v; want 20 keys", p)
	}
	if rep.Patterns[0].Pattern != "blob" || rep.Patterns[0].Largest.Key != "blob" {
		t.Errorf("largest pattern = %+v; want blob", rep.Patterns[0])
	}
	roundTrip(t, rep, "patterns")

	given, err := inspect.Patterns(ctx, tg, inspect.PatternsOptions{Patterns: []string{"user:*"}, Sample: 40})
	if err != nil {
		t.Fatalf("Patterns with given patterns = %v", err)
	}
	byPat = map[string]inspect.PatternStats{}
	for _, p := range given.Patterns {
		byPat[p.Pattern] = p
	}
	if given.Sampled != 40 || given.Keys != 81 {
		t.Errorf("sampled %d of %d; want 40 of 81", given.Sampled, given.Keys)
	}
	if u, o := byPat["user:*"], byPat["(other)"]; u.Keys+o.Keys != 40 || u.EstKeys+o.EstKeys < 80 || u.EstKeys+o.EstKeys > 82 {
		t.Errorf("user:* %+v and (other) %+v; want 40 sampled keys extrapolated to 81", u, o)
	}
}

func TestBalanceReplicated(t *testing.T) {
	t.Parallel()
	rs := redistest.NewReplicated(t, 1, redistest.ServerOptions{})
	if err := rs.WaitSynced(t.Context()); err != nil {
		t.Fatal(err)
	}
	primary, replica := rs.Primary().Client(), rs.Replicas()[0].Client()
	traffic(t, func(ctx context.Context) error {
		if err := primary.Set(ctx, "k", "v", 0).Err(); err != nil {
			return err
		}
		for range 4 {
			if err := replica.Get(ctx, "k").Err(); err != nil && err != redis.Nil {
				return err
			}
		}
		return nil
	})
	tg := connect(t, urlOf(rs.Primary()))
	rep, err := inspect.Balance(t.Context(), tg, inspect.BalanceOptions{Interval: time.Second})
	if err != nil {
		t.Fatalf("Balance = %v", err)
	}
	if len(rep.Nodes) != 2 {
		t.Fatalf("Balance nodes = %+v; want the primary and its replica", rep.Nodes)
	}
	var rep0, rep1 inspect.NodeLoad = rep.Nodes[0], rep.Nodes[1]
	if rep0.Role != inspect.Primary || rep1.Role != inspect.Replica || rep1.Primary != rs.Primary().Addr() {
		t.Fatalf("roles = %s, %s (primary %q); want primary then its replica", rep0.Role, rep1.Role, rep1.Primary)
	}
	if rep1.ReadShare == nil || *rep1.ReadShare < 0.9 {
		t.Errorf("replica read share = %v; want nearly all reads", rep1.ReadShare)
	}
	if rep0.WritesPerSec <= 0 || rep0.OpsPerSec <= 0 || rep.IntervalSeconds < 0.9 {
		t.Errorf("primary load %+v over %vs; want writes measured over ~1s", rep0, rep.IntervalSeconds)
	}
	roundTrip(t, rep, "balance")
}
