// Package alert tells people and other systems about hot keys: rules on
// top of a heat source decide when a key deserves an alert, and notifiers
// deliver it (a Go callback, log/slog, a webhook, a Redis pub/sub channel).
//
// It is the seed article's HotKeyMonitor done properly. A [Monitor] watches
// a [Source] — a *heat.Tracker for this process's traffic, or a
// *fleet.Member for the whole fleet's — by reading its Top keys every
// Options.Interval, and at once whenever the tracker reports a hot or
// cooled key (for a fleet.Member, call [Monitor.Wake] from its events). Each [Rule] selects keys by Redis glob pattern (byte by byte,
// so binary keys work), looks at all accesses, reads or writes, and fires
// on an absolute rate, a share of traffic, or, with neither, the source's
// own hot flag. A firing alert resolves only when the key falls below
// CoolRatio of the thresholds (hysteresis), and a key pages at most once
// per Cooldown per rule (five minutes by default, as in the article).
//
// The rule engine is the [Evaluator]: pure, driven by the caller's
// timestamps, usable without a Monitor.
//
// # Delivery
//
// Detection never waits for delivery. Each notifier has its own bounded
// queue and goroutine; when a queue is full the alert is dropped for that
// notifier only and counted ([NotifierStats].Dropped). A webhook that
// hangs delays its own queue and nothing else.
//
// Webhooks and the pub/sub channel carry the JSON document described by
// [Payload] (schema version [PayloadVersion]).
package alert
