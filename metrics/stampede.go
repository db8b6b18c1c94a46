package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhot/redhot/stampede"
)

// NewStampedeCollector returns a collector of a stampede cache's counters
// (the redhot_stampede_* metrics), reading stats at each scrape: pass the
// Stats method of a *stampede.Cache. Register it on your own registry;
// to export several caches, wrap the registerer of each with a label of
// your own (prometheus.WrapRegistererWith).
func NewStampedeCollector(stats func() stampede.Stats) (prometheus.Collector, error) {
	if stats == nil {
		return nil, fmt.Errorf("%w: stats is nil", ErrInvalidOptions)
	}
	const p = "redhot_stampede_"
	type S = stampede.Stats
	return &statsCollector[S]{
		read: stats,
		metrics: []statMetric[S]{
			counter(p+"hits_total", "Fetches answered from a fresh stored entry (values, cached not-found answers and cached errors).", func(s *S) float64 { return float64(s.Hits) }),
			counter(p+"negative_hits_total", "Hits that were cached not-found answers.", func(s *S) float64 { return float64(s.NegativeHits) }),
			counter(p+"misses_total", "Fetches that found no fresh entry and started or joined a fill.", func(s *S) float64 { return float64(s.Misses) }),
			counter(p+"coalesced_total", "Misses that joined a fill another caller of this process had started.", func(s *S) float64 { return float64(s.Coalesced) }),
			counter(p+"loader_calls_total", "Loader calls: fills, early recomputations and fallbacks without Redis.", func(s *S) float64 { return float64(s.LoaderCalls) }),
			counter(p+"loader_errors_total", "Loader calls that failed (other than not found) or panicked.", func(s *S) float64 { return float64(s.LoaderErrors) }),
			counter(p+"loader_panics_total", "Loader calls that panicked.", func(s *S) float64 { return float64(s.LoaderPanics) }),
			counter(p+"early_recomputations_total", "Values recomputed in the background before they expired.", func(s *S) float64 { return float64(s.EarlyRecomputations) }),
			counter(p+"lease_acquisitions_total", "Leases taken to fill or recompute a key.", func(s *S) float64 { return float64(s.LeaseAcquisitions) }),
			counter(p+"lease_waits_total", "Fills that waited for another caller's lease.", func(s *S) float64 { return float64(s.LeaseWaits) }),
			counter(p+"lease_timeouts_total", "Lease waits that gave up after the wait timeout.", func(s *S) float64 { return float64(s.LeaseTimeouts) }),
			counter(p+"leases_lost_total", "Holders that found their lease expired and taken by another caller.", func(s *S) float64 { return float64(s.LeasesLost) }),
			counter(p+"stale_served_total", "Expired values served after a lease timeout.", func(s *S) float64 { return float64(s.StaleServed) }),
			counter(p+"redis_errors_total", "Failed Redis commands.", func(s *S) float64 { return float64(s.RedisErrors) }),
			counter(p+"format_errors_total", "Stored values that were not entries this version can read.", func(s *S) float64 { return float64(s.FormatErrors) }),
		},
	}, nil
}
