package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhot/redhot/heat"
)

// TrackerSource is what NewTrackerCollector reads: *heat.Tracker.
type TrackerSource interface {
	TopSource
	Stats() heat.Stats
}

// NewTrackerCollector returns a collector of tr's counters, traffic rates
// and top opts.TopK keys (the redhot_heat_* metrics). Register it on your
// own registry.
func NewTrackerCollector(tr TrackerSource, opts Options) (prometheus.Collector, error) {
	if tr == nil {
		return nil, fmt.Errorf("%w: tracker is nil", ErrInvalidOptions)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	const p = "redhot_heat_"
	type S = heat.Stats
	return &statsCollector[S]{
		read: tr.Stats,
		metrics: []statMetric[S]{
			counter(p+"observations_total", "Accesses observed by the tracker.", func(s *S) float64 { return float64(s.Observations) }),
			counter(p+"evictions_total", "Keys that replaced the least counted key of a full table.", func(s *S) float64 { return float64(s.Evictions) }),
			counter(p+"evaluations_total", "Evaluations of the hot-key rules.", func(s *S) float64 { return float64(s.Evaluations) }),
			counter(p+"events_total", "Hot and cooled events produced.", func(s *S) float64 { return float64(s.Events) }),
			counter(p+"dropped_events_total", "Events lost because a subscription was full.", func(s *S) float64 { return float64(s.DroppedEvents) }),
			gauge(p+"tracked_keys", "Keys in the tracker's tables.", func(s *S) float64 { return float64(s.Tracked) }),
			gauge(p+"hot_keys", "Keys hot at the last evaluation.", func(s *S) float64 { return float64(s.Hot) }),
			gauge(p+"memory_bytes", "Fixed memory of the tracker's sketches and tables.", func(s *S) float64 { return float64(s.MemoryBytes) }),
		},
		top: newTopKeys("redhot_heat", "seen by this tracker", tr, o),
	}, nil
}
