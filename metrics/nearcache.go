package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhot/redhot/nearcache"
)

// nearCacheModes are the modes redhot_nearcache_mode reports, each always
// present (1 for the cache's mode, 0 for the others).
var nearCacheModes = []nearcache.Mode{
	nearcache.ModeConnecting, nearcache.ModeTracking, nearcache.ModeRedirect,
	nearcache.ModeTTLOnly, nearcache.ModeOff,
}

// flushReasons are the reasons redhot_nearcache_flushes_total always
// reports, zero or not, so that rate() sees each series from the start.
var flushReasons = []nearcache.FlushReason{
	nearcache.FlushConnLost, nearcache.FlushStale, nearcache.FlushServer,
	nearcache.FlushRole, nearcache.FlushSlots, nearcache.FlushWrite,
}

// NewNearCacheCollector returns a collector of a near cache's counters,
// size and mode (the redhot_nearcache_* metrics), reading stats at each
// scrape. For the middleware's near cache, pass
//
//	func() nearcache.Stats { return mw.Stats().Cache }
//
// and for a *nearcache.Cache its Stats method. Register it on your own
// registry. The series are fixed: none is per key or per node.
func NewNearCacheCollector(stats func() nearcache.Stats) (prometheus.Collector, error) {
	if stats == nil {
		return nil, fmt.Errorf("%w: stats is nil", ErrInvalidOptions)
	}
	const p = "redhot_nearcache_"
	type S = nearcache.Stats
	return &statsCollector[S]{
		read: stats,
		metrics: []statMetric[S]{
			counter(p+"hits_total", "Lookups answered from the near cache.", func(s *S) float64 { return float64(s.Hits) }),
			counter(p+"misses_total", "Lookups the near cache could not answer.", func(s *S) float64 { return float64(s.Misses) }),
			gauge(p+"hit_ratio", "Hits over lookups since the cache started, from 0 to 1 (0 before any lookup); for a recent ratio divide the rates of hits and misses.",
				func(s *S) float64 {
					if n := s.Hits + s.Misses; n > 0 {
						return float64(s.Hits) / float64(n)
					}
					return 0
				}),
			counter(p+"fills_total", "Replies read from Redis and published to the near cache.", func(s *S) float64 { return float64(s.Fills) }),
			counter(p+"fill_errors_total", "Fills that failed or timed out.", func(s *S) float64 { return float64(s.FillErrors) }),
			counter(p+"discarded_fills_total", "Fill replies not published because the key changed while they were in flight.", func(s *S) float64 { return float64(s.Discarded) }),
			counter(p+"joined_fills_total", "Misses that shared a read of the same key already in flight.", func(s *S) float64 { return float64(s.Joined) }),
			counter(p+"invalidations_total", "Entries dropped because the server said their key changed.", func(s *S) float64 { return float64(s.Invalidations) }),
			counter(p+"write_drops_total", "Entries dropped before a write through this client.", func(s *S) float64 { return float64(s.WriteDrops) }),
			counter(p+"drops_total", "Entries dropped because their key cooled.", func(s *S) float64 { return float64(s.Drops) }),
			counter(p+"refreshes_total", "Changed keys read again at once because they were still wanted.", func(s *S) float64 { return float64(s.Refreshes) }),
			counter(p+"refreshes_limited_total", "Changed keys left to their next miss because too many refreshes were in flight.", func(s *S) float64 { return float64(s.RefreshesLimited) }),
			labelled(p+"flushes_total", "Times every entry of a node, or of the cache, was dropped at once, by reason.", prometheus.CounterValue, []string{"reason"},
				func(s *S, emit func(float64, ...string)) {
					for _, r := range flushReasons {
						emit(float64(s.Flushes[r]), r.String())
					}
					// A reason added to nearcache after this list: still
					// bounded, since reasons are a small enumeration.
					for r, n := range s.Flushes {
						if !knownFlushReason(r) {
							emit(float64(n), r.String())
						}
					}
				}),
			gauge(p+"entries", "Keys in the near cache.", func(s *S) float64 { return float64(s.Entries) }),
			gauge(p+"bytes", "Estimated memory of the near cache's entries, as weighed against its MaxBytes.", func(s *S) float64 { return float64(s.Bytes) }),
			labelled(p+"mode", "1 for the near cache's mode (the weakest of its nodes'), 0 for the other modes.", prometheus.GaugeValue, []string{"mode"},
				func(s *S, emit func(float64, ...string)) {
					for _, m := range nearCacheModes {
						v := 0.0
						if m == s.Mode {
							v = 1
						}
						emit(v, m.String())
					}
				}),
			labelled(p+"nodes", "Redis nodes the near cache knows, by their mode.", prometheus.GaugeValue, []string{"mode"},
				func(s *S, emit func(float64, ...string)) {
					count := make(map[nearcache.Mode]int, len(nearCacheModes))
					for _, n := range s.Nodes {
						count[n.Mode]++
					}
					for _, m := range nearCacheModes {
						emit(float64(count[m]), m.String())
					}
				}),
			gauge(p+"staleness_bound_seconds", "How old a value served from the near cache may be in its current mode; 0 when nothing is served.",
				func(s *S) float64 { return s.StalenessBound.Seconds() }),
		},
	}, nil
}

// knownFlushReason reports whether r is one of flushReasons.
func knownFlushReason(r nearcache.FlushReason) bool {
	for _, k := range flushReasons {
		if r == k {
			return true
		}
	}
	return false
}
