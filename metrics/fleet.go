package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhot/redhot/fleet"
)

// FleetSource is what NewFleetCollector reads: *fleet.Member.
type FleetSource interface {
	TopSource
	Stats() fleet.Stats
}

// NewFleetCollector returns a collector of a fleet member's counters, the
// fleet's traffic rates and its top opts.TopK keys fleet-wide (the
// redhot_fleet_* metrics). Register it on your own registry.
func NewFleetCollector(m FleetSource, opts Options) (prometheus.Collector, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: member is nil", ErrInvalidOptions)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	const p = "redhot_fleet_"
	type S = fleet.Stats
	return &statsCollector[S]{
		read: m.Stats,
		metrics: []statMetric[S]{
			counter(p+"summaries_published_total", "Heat summaries this instance added to the fleet stream.", func(s *S) float64 { return float64(s.Published) }),
			counter(p+"publish_errors_total", "Failed attempts to publish a summary.", func(s *S) float64 { return float64(s.PublishErrors) }),
			counter(p+"published_bytes_total", "Bytes of the summaries this instance published.", func(s *S) float64 { return float64(s.PublishedBytes) }),
			gauge(p+"summary_bytes", "Bytes of the last summary this instance published.", func(s *S) float64 { return float64(s.LastSummaryBytes) }),
			counter(p+"summaries_received_total", "Summaries read from the fleet stream, this instance's included.", func(s *S) float64 { return float64(s.Received) }),
			labelled(p+"entries_skipped_total", "Stream entries skipped, by reason.", prometheus.CounterValue, []string{"reason"},
				func(s *S, emit func(float64, ...string)) {
					emit(float64(s.Malformed), "malformed")
					emit(float64(s.UnknownVersion), "unknown_version")
					emit(float64(s.Stale), "stale")
				}),
			counter(p+"summary_gaps_total", "Summaries of live instances that were never read.", func(s *S) float64 { return float64(s.Gaps) }),
			counter(p+"read_errors_total", "Failed reads of the fleet stream.", func(s *S) float64 { return float64(s.ReadErrors) }),
			gauge(p+"instances", "Live instances in the fleet view.", func(s *S) float64 { return float64(s.Instances) }),
			labelled(p+"instance_changes_total", "Instances that joined, left, or stopped publishing and expired.", prometheus.CounterValue, []string{"change"},
				func(s *S, emit func(float64, ...string)) {
					emit(float64(s.Joined), "joined")
					emit(float64(s.Left), "left")
					emit(float64(s.Expired), "expired")
				}),
			gauge(p+"hot_keys", "Keys hot fleet-wide.", func(s *S) float64 { return float64(s.Hot) }),
			counter(p+"evaluations_total", "Merges of the fleet view.", func(s *S) float64 { return float64(s.Evaluations) }),
			counter(p+"events_total", "Fleet-wide hot and cooled events produced.", func(s *S) float64 { return float64(s.Events) }),
			counter(p+"dropped_events_total", "Fleet events lost because a subscription was full.", func(s *S) float64 { return float64(s.DroppedEvents) }),
		},
		top: newTopKeys("redhot_fleet", "across the fleet", m, o),
	}, nil
}
