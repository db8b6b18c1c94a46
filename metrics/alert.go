package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhot/redhot/alert"
)

// AlertSource is what NewAlertCollector reads: *alert.Monitor.
type AlertSource interface {
	Stats() alert.Stats
}

// NewAlertCollector returns a collector of an alert monitor's counters and
// of each notifier's deliveries (the redhot_alert_* metrics). Register it
// on your own registry.
func NewAlertCollector(m AlertSource) (prometheus.Collector, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: monitor is nil", ErrInvalidOptions)
	}
	const p = "redhot_alert_"
	type S = alert.Stats
	return &statsCollector[S]{
		read: m.Stats,
		metrics: []statMetric[S]{
			counter(p+"evaluations_total", "Evaluations of the alert rules.", func(s *S) float64 { return float64(s.Evaluations) }),
			labelled(p+"alerts_total", "Alerts raised, by kind (firing or resolved).", prometheus.CounterValue, []string{"kind"},
				func(s *S, emit func(float64, ...string)) {
					emit(float64(s.Fired), "firing")
					emit(float64(s.Resolved), "resolved")
				}),
			counter(p+"suppressed_total", "Firings the rules' cooldowns kept from being notified.", func(s *S) float64 { return float64(s.Suppressed) }),
			gauge(p+"active", "(Rule, key) pairs firing now.", func(s *S) float64 { return float64(s.Active) }),
			labelled(p+"notifications_total", "Alerts handed to each notifier, by result (sent, failed or dropped).", prometheus.CounterValue, []string{"notifier", "result"},
				func(s *S, emit func(float64, ...string)) {
					for _, n := range s.Notifiers {
						name := KeyLabel(n.Name, false, 4*len(n.Name)+8) // escaped, never cut: names stay distinct
						emit(float64(n.Sent), name, "sent")
						emit(float64(n.Failed), name, "failed")
						emit(float64(n.Dropped), name, "dropped")
					}
				}),
			labelled(p+"notifier_queue_length", "Alerts waiting for each notifier.", prometheus.GaugeValue, []string{"notifier"},
				func(s *S, emit func(float64, ...string)) {
					for _, n := range s.Notifiers {
						emit(float64(n.Queued), KeyLabel(n.Name, false, 4*len(n.Name)+8))
					}
				}),
		},
	}, nil
}
