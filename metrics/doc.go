// Package metrics exports redhot's state to Prometheus: collectors for the
// heat tracker, the fleet view, the alert monitor, the near cache and
// stampede protection, registered on a prometheus.Registerer the caller
// owns (never the global default registry).
//
// Each collector reads its source when scraped (Stats, Totals, Top) and
// keeps no state of its own, so it costs nothing between scrapes and its
// series are never stale.
//
//	reg := prometheus.NewRegistry()
//	c, err := metrics.NewTrackerCollector(tracker, metrics.Options{})
//	if err != nil { ... }
//	reg.MustRegister(c)
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// To tell several trackers (or services) apart, register each collector
// through prometheus.WrapRegistererWith(prometheus.Labels{"tracker":
// "sessions"}, reg).
//
// # Per-key series and cardinality
//
// Hot keys are what operators want to see, but keys are unbounded, so
// per-key series exist only for the current top Options.TopK keys (20 by
// default) of a source: at most 4 × TopK per-key series per collector,
// whatever the traffic. A key that leaves the top K simply is not in the
// next scrape, so its series disappear (Prometheus marks them stale);
// nothing accumulates. Keys become the value of the "key" label through
// [KeyLabel]: printable UTF-8 is kept, a backslash is doubled, other bytes
// are written \xNN (so binary keys are safe and distinct keys stay
// distinct), and labels longer than Options.MaxKeyBytes, or keys the
// tracker kept only a prefix of, are cut and end in "…". Two keys that
// still share a label (long keys with a common prefix) are reported once,
// for the hotter key.
//
// # Metrics
//
// Tracker ([NewTrackerCollector], for *heat.Tracker):
//
//	redhot_heat_observations_total             counter  accesses observed
//	redhot_heat_evictions_total                counter  keys replaced at the bottom of the tables
//	redhot_heat_evaluations_total              counter  rule evaluations
//	redhot_heat_events_total                   counter  hot and cooled events
//	redhot_heat_dropped_events_total           counter  events lost by full subscriptions
//	redhot_heat_tracked_keys                   gauge    keys in the tables
//	redhot_heat_hot_keys                       gauge    size of the hot set
//	redhot_heat_memory_bytes                   gauge    fixed memory of sketches and tables
//	redhot_heat_ops_per_second{op}             gauge    traffic rate, op="read" or "write" (sum for the total)
//	redhot_heat_key_ops_per_second{key,op}     gauge    top-K key rates
//	redhot_heat_key_share{key}                 gauge    top-K key share of traffic, 0 to 1
//	redhot_heat_key_hot{key}                   gauge    1 when the key is hot
//
// Fleet ([NewFleetCollector], for *fleet.Member): the same rate and
// per-key families under redhot_fleet_ (fleet-wide sums), and
//
//	redhot_fleet_summaries_published_total     counter
//	redhot_fleet_publish_errors_total          counter
//	redhot_fleet_published_bytes_total         counter
//	redhot_fleet_summary_bytes                 gauge    size of the last summary published
//	redhot_fleet_summaries_received_total      counter
//	redhot_fleet_entries_skipped_total{reason} counter  reason="malformed", "unknown_version" or "stale"
//	redhot_fleet_summary_gaps_total            counter  summaries of live instances never read
//	redhot_fleet_read_errors_total             counter
//	redhot_fleet_instances                     gauge    live instances
//	redhot_fleet_instance_changes_total{change} counter change="joined", "left" or "expired"
//	redhot_fleet_hot_keys                      gauge    keys hot fleet-wide
//	redhot_fleet_evaluations_total, redhot_fleet_events_total, redhot_fleet_dropped_events_total
//
// Alerts ([NewAlertCollector], for *alert.Monitor):
//
//	redhot_alert_evaluations_total                          counter
//	redhot_alert_alerts_total{kind}                         counter  kind="firing" or "resolved"
//	redhot_alert_suppressed_total                           counter  firings held back by cooldowns
//	redhot_alert_active                                     gauge    (rule, key) pairs firing
//	redhot_alert_notifications_total{notifier,result}       counter  result="sent", "failed" or "dropped"
//	redhot_alert_notifier_queue_length{notifier}            gauge
//
// Near cache ([NewNearCacheCollector], for the middleware's
// Stats().Cache or a *nearcache.Cache's Stats; no per-key or per-node
// series):
//
//	redhot_nearcache_hits_total, redhot_nearcache_misses_total   counter  lookups
//	redhot_nearcache_hit_ratio                   gauge    hits / lookups since start (0 before any)
//	redhot_nearcache_fills_total                 counter  replies published to the cache
//	redhot_nearcache_fill_errors_total           counter
//	redhot_nearcache_discarded_fills_total       counter  fills the key changed under
//	redhot_nearcache_joined_fills_total          counter  misses that shared a read in flight
//	redhot_nearcache_invalidations_total         counter  entries dropped on the server's word
//	redhot_nearcache_write_drops_total           counter  entries dropped before a write through the client
//	redhot_nearcache_drops_total                 counter  entries dropped when their key cooled
//	redhot_nearcache_refreshes_total, redhot_nearcache_refreshes_limited_total
//	redhot_nearcache_flushes_total{reason}       counter  reason="connection-lost", "stale", "server-flush",
//	                                                      "role-change", "slots-moved" or "write"
//	redhot_nearcache_entries                     gauge
//	redhot_nearcache_bytes                       gauge    estimated memory, as weighed against MaxBytes
//	redhot_nearcache_mode{mode}                  gauge    1 for the current mode, 0 for the others:
//	                                                      "connecting", "tracking", "redirect", "ttl-only", "off"
//	redhot_nearcache_nodes{mode}                 gauge    nodes in each mode
//	redhot_nearcache_staleness_bound_seconds     gauge
//
// Stampede protection ([NewStampedeCollector], for a *stampede.Cache's
// Stats), one counter per field of stampede.Stats:
//
//	redhot_stampede_{hits,negative_hits,misses,coalesced}_total
//	redhot_stampede_{loader_calls,loader_errors,loader_panics,early_recomputations}_total
//	redhot_stampede_{lease_acquisitions,lease_waits,lease_timeouts,leases_lost}_total
//	redhot_stampede_{stale_served,redis_errors,format_errors}_total
//
// Key splitting (package split) keeps no counters, so it has no collector.
package metrics
