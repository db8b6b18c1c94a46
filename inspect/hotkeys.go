package inspect

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// HotkeysOptions configure Hotkeys.
type HotkeysOptions struct {
	// Scan controls the walk over the keyspace.
	Scan ScanOptions

	// Top is how many keys to report.
	// default: 20
	Top int

	// AllowConfigChange lets Hotkeys switch a maxmemory-policy that keeps
	// no LFU counters to its LFU variant (allkeys-* to allkeys-lfu,
	// volatile-* to volatile-lfu) for the length of the run, restoring it
	// on exit. It refuses noeviction with a maxmemory set, where an LFU
	// policy would start evicting keys.
	// default: false (report ErrNotLFU instead)
	AllowConfigChange bool

	// Warmup is how long to let traffic build LFU counters after switching
	// the policy, before scanning. Keys not accessed during the warmup may
	// show meaningless counters (Redis reads their LRU clock as a counter).
	// default: 60 seconds
	Warmup time.Duration
}

// HotkeysReport is the result of Hotkeys.
type HotkeysReport struct {
	Header
	// Method is "lfu".
	Method string `json:"method"`
	// LFU lists each scanned node's LFU settings.
	LFU []LFUSettings `json:"lfu_settings"`
	// Scanned is the number of keys whose counter was read.
	Scanned int64 `json:"keys_scanned"`
	// Keys are the keys with the highest counters, highest first.
	Keys []HotKey `json:"keys"`
}

// LFUSettings are one node's LFU configuration.
type LFUSettings struct {
	Node string `json:"node"`
	// Policy is maxmemory-policy during the scan.
	Policy string `json:"maxmemory_policy"`
	// LogFactor is lfu-log-factor.
	LogFactor int `json:"lfu_log_factor"`
	// DecayMinutes is lfu-decay-time.
	DecayMinutes int `json:"lfu_decay_time"`
	// Switched reports that redhot switched the policy for the scan.
	Switched bool `json:"switched"`
	// Assumed reports that CONFIG GET was not permitted and the Redis
	// defaults (10 and 1) were assumed.
	Assumed bool `json:"assumed"`
}

// HotKey is one key of a Hotkeys report.
type HotKey struct {
	Rank int `json:"rank"`
	KeyRef
	// Node is the address of the node holding the key.
	Node string `json:"node"`
	// Counter is the LFU counter from OBJECT FREQ, 0 to 255.
	Counter int `json:"lfu_counter"`
	// AccessesLow and AccessesHigh are the band of accesses that typically
	// produce Counter (see LFUAccesses). AccessesHigh is null when the
	// counter is saturated at 255.
	AccessesLow  float64  `json:"accesses_low"`
	AccessesHigh *float64 `json:"accesses_high"`
}

func hotKeyLess(a, b HotKey) bool {
	if a.Counter != b.Counter {
		return a.Counter < b.Counter
	}
	return a.Key > b.Key
}

// Hotkeys scans every primary (or, with ConnOptions.Replicas, a replica of
// each) with SCAN and OBJECT FREQ in pipelined batches and reports the keys
// with the highest LFU counters, with the band of accesses each counter
// stands for. It needs an LFU maxmemory-policy: otherwise it returns an
// error of kind ErrNotLFU, unless AllowConfigChange is set. It only reads:
// OBJECT FREQ does not touch the key.
func Hotkeys(ctx context.Context, t *Target, opts HotkeysOptions) (*HotkeysReport, error) {
	var err error
	if opts.Scan, err = opts.Scan.withDefaults(); err != nil {
		return nil, err
	}
	if opts.Top == 0 {
		opts.Top = 20
	}
	if opts.Top < 0 {
		return nil, newError(ErrBadOptions, "", "top %d is negative", opts.Top)
	}
	if opts.Warmup == 0 {
		opts.Warmup = time.Minute
	}
	r := t.begin("hotkeys")
	nodes, err := r.scanNodes()
	if err != nil {
		return nil, err
	}
	guard := &configGuard{r: r}
	defer guard.restore(ctx)

	settings, nodes, err := checkLFU(ctx, r, guard, nodes, opts)
	if err != nil {
		return nil, err
	}
	rep := &HotkeysReport{Method: "lfu", LFU: settings, Keys: []HotKey{}}
	if t.opts.Replicas {
		r.note("--replicas: a replica's LFU counters count only the accesses it served itself (reads sent to it and writes replicated to it), not the reads its primary served")
	}
	sc := &scanner{r: r, o: opts.Scan, cmdsPerKey: 1}
	total := sc.total(ctx, nodes)
	r.note("cost: read-only; one SCAN COUNT %d and one pipeline of OBJECT FREQ (O(1), does not touch the key) per batch: about %s commands for %s keys%s",
		opts.Scan.Count, human(float64(total+total/int64(opts.Scan.Count))), human(float64(total)), throttleNote(opts.Scan))
	if ctx.Err() == nil && slicesAny(settings, func(s LFUSettings) bool { return s.Switched }) {
		r.note("warming up for %v so that traffic builds LFU counters", opts.Warmup)
		opts.Scan.Progress.Start("warming up", int64(opts.Warmup/time.Second))
		warm(ctx, opts.Warmup, opts.Scan.Progress)
		opts.Scan.Progress.Done()
	}

	factor := map[*node]int{}
	for i, n := range nodes {
		factor[n] = settings[i].LogFactor
	}
	var (
		mu     sync.Mutex // guards lists and rep.Scanned
		lists  [][]HotKey
		shared atomic.Int64 // candidates left out for a shared counter
	)
	if ctx.Err() == nil {
		sc.o.Progress.Start("scanning", total)
		failures := forEach(ctx, nodes, func(ctx context.Context, n *node) error {
			top := newTopN(opts.Top, hotKeyLess, func(h HotKey) string { return h.Key })
			args := make([][]any, 0, opts.Scan.Count)
			seen, err := sc.scan(ctx, n, 0, func(ctx context.Context, keys []string) error {
				args = args[:0]
				for _, k := range keys {
					args = append(args, []any{"object", "freq", k})
				}
				cmds, err := pipeline(ctx, n, args)
				if err != nil {
					return err
				}
				var cands []HotKey
				for i, c := range cmds {
					v, err := c.Int()
					if err != nil {
						if strings.Contains(c.Err().Error(), "LFU") {
							return newError(ErrNotLFU, n.addr, "the maxmemory-policy changed during the scan")
						}
						if err := sc.errs.record(c.Err()); err != nil {
							return classify(n.addr, "OBJECT FREQ", err)
						}
						continue
					}
					h := HotKey{KeyRef: KeyRef{Key: keys[i]}, Node: n.addr, Counter: v}
					if top.wouldTake(h) {
						cands = append(cands, h)
					}
				}
				return offerUnshared(ctx, n, top, cands, &shared)
			})
			mu.Lock()
			rep.Scanned += seen
			lists = append(lists, top.sorted())
			mu.Unlock()
			return err
		})
		sc.o.Progress.Done()
		if _, err := r.fail(failures); err != nil {
			return nil, err
		}
	}
	sc.errs.warn(r)
	if n := shared.Load(); n > 0 {
		r.warn("%d keys were left out of the ranking: they hold small integers (0 to 9999), which Redis stores as one shared object per number when maxmemory is 0, so their LFU counter counts the accesses of every key holding the same number; set maxmemory (any value) so that new values are not shared, or rank them with redhot monitor", n)
	}
	for i, h := range mergeTop(opts.Top, hotKeyLess, lists...) {
		h.Rank = i + 1
		h.KeyRef = keyRef(h.Key)
		n := nodeByAddr(nodes, h.Node)
		lo, hi := LFUAccesses(h.Counter, factor[n])
		h.AccessesLow = lo
		if !math.IsInf(hi, 1) {
			h.AccessesHigh = &hi
		}
		rep.Keys = append(rep.Keys, h)
	}
	f, d := settings[0].LogFactor, settings[0].DecayMinutes
	r.quietNote("lfu_counter is Redis's 8-bit logarithmic access counter: a new key starts at 5 and each access raises a counter c with probability 1/((c-5)*lfu-log-factor+1), so accesses_low..accesses_high is the range of accesses that produces it with about 95%% probability (lfu-log-factor %d; it saturates at 255, after about %s accesses)", f, human(lfuReach(255, f)))
	r.quietNote("the counter loses 1 for every lfu-decay-time (%d) minutes a key goes unaccessed, so a key accessed steadily never decays: the band counts accesses since the key was created or last sat idle, not a rate", d)
	guard.restore(ctx)
	rep.Header = r.finish(ctx)
	return rep, nil
}

// offerUnshared offers cands to top, leaving out keys whose value is a
// shared object (OBJECT REFCOUNT is INT_MAX for Redis's shared integers):
// such a key has no LFU counter of its own. Checking only the keys that
// would enter the top keeps this to a few commands per batch.
func offerUnshared(ctx context.Context, n *node, top *topN[HotKey], cands []HotKey, shared *atomic.Int64) error {
	if len(cands) == 0 {
		return nil
	}
	args := make([][]any, len(cands))
	for i, h := range cands {
		args[i] = []any{"object", "refcount", h.Key}
	}
	cmds, err := pipeline(ctx, n, args)
	if err != nil {
		return err
	}
	for i, c := range cmds {
		if rc, err := c.Int64(); err == nil && rc == sharedRefcount {
			shared.Add(1)
			continue
		}
		top.offer(cands[i])
	}
	return nil
}

// sharedRefcount is OBJ_SHARED_REFCOUNT, the refcount Redis reports for
// its shared objects (INT_MAX).
const sharedRefcount = 1<<31 - 1

// warm waits d, ticking progress once a second.
func warm(ctx context.Context, d time.Duration, p Progress) {
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 || sleep(ctx, min(left, time.Second)) != nil {
			return
		}
		p.Add(1)
	}
}

func slicesAny[T any](s []T, f func(T) bool) bool {
	for _, x := range s {
		if f(x) {
			return true
		}
	}
	return false
}

func nodeByAddr(nodes []*node, addr string) *node {
	for _, n := range nodes {
		if n.addr == addr {
			return n
		}
	}
	return nil
}

// checkLFU reads each node's policy and LFU settings, switches the policy
// where allowed, and returns the settings and the nodes that can be
// scanned, in the same order.
func checkLFU(ctx context.Context, r *run, guard *configGuard, nodes []*node, opts HotkeysOptions) ([]LFUSettings, []*node, error) {
	settings := make([]LFUSettings, len(nodes))
	maxmem := make([]int64, len(nodes))
	failures := forEach(ctx, nodes, func(ctx context.Context, n *node) error {
		i := indexOf(nodes, n)
		s := LFUSettings{Node: n.addr, LogFactor: 10, DecayMinutes: 1}
		info, err := nodeInfo(ctx, n, "memory")
		if err != nil {
			return err
		}
		s.Policy = info["maxmemory_policy"]
		maxmem[i], _ = strconv.ParseInt(info["maxmemory"], 10, 64)
		for _, p := range []struct {
			name string
			dst  *int
		}{{"lfu-log-factor", &s.LogFactor}, {"lfu-decay-time", &s.DecayMinutes}} {
			v, err := configGet(ctx, n, p.name)
			if err != nil {
				if isNoPerm(err) {
					s.Assumed = true
					continue
				}
				return err
			}
			if x, err := strconv.Atoi(v); err == nil {
				*p.dst = x
			}
		}
		settings[i] = s
		return nil
	})
	if _, err := r.fail(failures); err != nil {
		return nil, nil, err
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	var (
		okNodes []*node
		okSet   []LFUSettings
		notLFU  = map[string]string{}
		assumed bool
	)
	for i, n := range nodes {
		if _, bad := r.failed[n]; bad {
			continue
		}
		s := settings[i]
		assumed = assumed || s.Assumed
		if !isLFU(s.Policy) {
			if !opts.AllowConfigChange {
				notLFU[n.addr] = s.Policy
				continue
			}
			p, ok := lfuVariant(s.Policy, maxmem[i])
			if !ok {
				return nil, nil, newError(ErrRefused, n.addr, "maxmemory-policy is %s with maxmemory set: switching to an LFU policy would start evicting keys, so redhot will not do it even with --allow-config-change", s.Policy)
			}
			if err := guard.set(ctx, n, "maxmemory-policy", s.Policy, p); err != nil {
				return nil, nil, err
			}
			s.Policy, s.Switched = p, true
		}
		okNodes = append(okNodes, n)
		okSet = append(okSet, s)
	}
	if assumed {
		r.warn("CONFIG GET is not permitted for this user: assuming lfu-log-factor 10 and lfu-decay-time 1 (the Redis defaults)")
	}
	if len(notLFU) > 0 {
		desc := describeNodes(notLFU)
		if len(okNodes) == 0 {
			return nil, nil, newError(ErrNotLFU, "", "maxmemory-policy is %s, so Redis keeps no LFU counters to scan", desc)
		}
		for addr := range notLFU {
			r.failed[nodeByAddr(nodes, addr)] = newError(ErrNotLFU, addr, "maxmemory-policy is %s", notLFU[addr])
		}
		r.h.Partial = true
		r.warn("maxmemory-policy is %s: no LFU counters there, those nodes are left out", desc)
	}
	return okSet, okNodes, nil
}

func indexOf(nodes []*node, n *node) int {
	for i, m := range nodes {
		if m == n {
			return i
		}
	}
	return -1
}

// WriteTable implements Report.
func (rep *HotkeysReport) WriteTable(w io.Writer) error {
	h := &rep.Header
	s := rep.LFU
	settings := ""
	if len(s) > 0 {
		settings = fmt.Sprintf(" (%s, lfu-log-factor %d, lfu-decay-time %d)", s[0].Policy, s[0].LogFactor, s[0].DecayMinutes)
	}
	writeTitle(w, h, "LFU scan of %s keys on %s in %.2fs%s", human(float64(rep.Scanned)),
		plural(usedNodes(h), "node", "nodes"), h.Seconds, settings)
	tb := newTable(w, "RANK", "KEY", "LFU", "EST. ACCESSES", "NODE")
	for _, k := range rep.Keys {
		band := human(math.Round(k.AccessesLow)) + " – ∞"
		if k.AccessesHigh != nil {
			band = human(math.Round(k.AccessesLow)) + " – " + human(math.Round(*k.AccessesHigh))
		}
		tb.row(strconv.Itoa(k.Rank), shortKey(k.Key), strconv.Itoa(k.Counter), band, k.Node)
	}
	if err := tb.flush(); err != nil {
		return err
	}
	if len(rep.Keys) == 0 && !h.Interrupted {
		fmt.Fprintln(w, "(no keys)")
	}
	fmt.Fprintln(w, "LFU is Redis's logarithmic access counter (OBJECT FREQ); EST. ACCESSES is the range of accesses that gives it")
	fmt.Fprintln(w, "(~95%), counted since the key was created or last sat idle (it decays only while idle): a total, not a rate.")
	writeFooter(w, h)
	return nil
}
