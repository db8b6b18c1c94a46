package detect

import (
	"fmt"
	"math"
	"runtime"
	"time"

	aegis "github.com/go-kratos/aegis/topk"
	boom "github.com/tylertreat/BoomFilters"

	"github.com/redhot/redhot/heat"
)

// detector is one top-k implementation under comparison, fed whole
// traces. Peers keep plain (undecayed) counts, so the comparison with them
// is on plain counts: redhot runs with a window far longer than the trace.
type detector struct {
	name string
	note string
	// build returns the observe function and a function listing the top
	// keys (best first) with their counts. forSpeed asks for the
	// configuration a service would run (redhot: the real clock).
	build func(cfg Config, forSpeed bool) (observe func(string), top func() ([]string, map[string]float64), err error)
}

var peers = []detector{
	{
		name: "exact (Go map)",
		note: "map[string]uint64 of every key; top 100 sorted at the end",
		build: func(cfg Config, _ bool) (func(string), func() ([]string, map[string]float64), error) {
			counts := make(map[string]uint64)
			obs := func(k string) { counts[k]++ }
			top := func() ([]string, map[string]float64) {
				all := make(map[string]float64, len(counts))
				for k, c := range counts {
					all[k] = float64(c)
				}
				names := topOf(all, 100)
				out := make(map[string]float64, len(names))
				for _, k := range names {
					out[k] = all[k]
				}
				return names, out
			}
			return obs, top, nil
		},
	},
	{
		name: "redhot",
		note: "heat.Tracker, capacity 1000, window 1e6 s (no decay within the trace)",
		build: func(cfg Config, forSpeed bool) (func(string), func() ([]string, map[string]float64), error) {
			if forSpeed {
				t, err := heat.New(heat.Options{Capacity: cfg.Capacity})
				if err != nil {
					return nil, nil, err
				}
				return func(k string) { t.Observe(k, heat.Read) }, nil, nil
			}
			clk := heat.NewFakeClock(epoch)
			t, err := heat.New(heat.Options{Capacity: cfg.Capacity, Clock: clk, Window: 1e6 * time.Second, Stripes: 1})
			if err != nil {
				return nil, nil, err
			}
			step := time.Duration(float64(time.Second) / cfg.Rate)
			obs := func(k string) {
				t.Observe(k, heat.Read)
				clk.Add(step)
			}
			top := func() ([]string, map[string]float64) {
				ks := t.Top(100)
				names := make([]string, len(ks))
				counts := make(map[string]float64, len(ks))
				for i, k := range ks {
					names[i] = k.Key
					counts[k.Key] = k.Rate
				}
				return names, counts
			}
			return obs, top, nil
		},
	},
	{
		name: "go-kratos/aegis topk (HeavyKeeper)",
		note: "NewHeavyKeeper(k=100, width=16384, depth=4, decay=0.9, min=0)",
		build: func(cfg Config, _ bool) (func(string), func() ([]string, map[string]float64), error) {
			hk := aegis.NewHeavyKeeper(100, 16384, 4, 0.9, 0)
			obs := func(k string) { hk.Add(k, 1) }
			top := func() ([]string, map[string]float64) {
				items := hk.List()
				names := make([]string, len(items))
				counts := make(map[string]float64, len(items))
				for i, it := range items {
					names[i] = it.Key
					counts[it.Key] = float64(it.Count)
				}
				return names, counts
			}
			return obs, top, nil
		},
	},
	{
		name: "tylertreat/BoomFilters TopK (Count-Min + heap)",
		note: "NewTopK(epsilon=0.0002, delta=0.01, k=100)",
		build: func(cfg Config, _ bool) (func(string), func() ([]string, map[string]float64), error) {
			tk := boom.NewTopK(0.0002, 0.01, 100)
			obs := func(k string) { tk.Add([]byte(k)) }
			top := func() ([]string, map[string]float64) {
				els := tk.Elements() // lowest first
				names := make([]string, len(els))
				counts := make(map[string]float64, len(els))
				for i, e := range els {
					k := string(e.Data)
					names[len(els)-1-i] = k
					counts[k] = float64(e.Freq)
				}
				return names, counts
			}
			return obs, top, nil
		},
	},
}

// runPeers feeds the whole trace to each detector and compares their plain
// counts with exact plain counts; speed is timed on the materialised keys.
func runPeers(cfg Config, tr *trace) ([]Result, error) {
	exactCounts := make(map[uint32]float64)
	for _, i := range tr.idx {
		exactCounts[i]++
	}
	exact := make(map[string]float64, len(exactCounts))
	for i, c := range exactCounts {
		exact[tr.z.Key(i)] = c
	}
	keys := materialize(tr, cfg.SpeedOps)
	var out []Result
	for _, d := range peers {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		obs, top, err := d.build(cfg, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		for _, i := range tr.idx {
			obs(tr.z.Key(i))
		}
		names, counts := top()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(obs)
		runtime.KeepAlive(top)
		mem := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		if d.name == "redhot" {
			// redhot reports rates; over a trace much shorter than its
			// window, rate × elapsed seconds is the count.
			secs := float64(len(tr.idx)) / cfg.Rate
			for k := range counts {
				counts[k] *= secs
			}
		}
		rec, prec, e10 := accuracy(names, counts, exact)
		// Speed: a fresh instance on the materialised keys.
		obs2, _, err := d.build(cfg, true)
		if err != nil {
			return nil, err
		}
		ns := timeBest(len(keys), func() {
			for _, k := range keys {
				obs2(k)
			}
		})
		out = append(out, Result{
			Workload: tr.name, Detector: d.name, Decay: "none (plain counts)",
			Keys: cfg.Keys, Ops: len(tr.idx),
			RecallAt100: f64(rec), PrecisionAt100: f64(prec), Top10RateError: f64(finite(e10)),
			NsPerOp: f64(ns), MemoryBytes: i64(mem), Note: d.note,
		})
	}
	return out, nil
}

func finite(x float64) float64 {
	if math.IsInf(x, 0) {
		return 1
	}
	return x
}
