package alert

import "time"

// Kind says whether an alert starts or ends.
type Kind uint8

const (
	// Firing: the key met the rule.
	Firing Kind = iota + 1
	// Resolved: the key, firing before, fell below the rule's cooling
	// thresholds (or was no longer hot, for rules that follow the source).
	Resolved
)

// String returns "firing" or "resolved".
func (k Kind) String() string {
	switch k {
	case Firing:
		return "firing"
	case Resolved:
		return "resolved"
	}
	return "unknown"
}

// Alert is one notification: a rule started or stopped firing for a key.
type Alert struct {
	Kind Kind
	// Rule is the rule's Name.
	Rule string
	// Key is the key, or the prefix the source kept when Truncated.
	Key       string
	Truncated bool
	// Op is the rule's Op: which accesses Rate and Share measure.
	Op Op
	// Rate and Share are the key's rate of Op accesses per second and its
	// share of Op traffic when the alert was raised.
	Rate, Share float64
	// ReadRate and WriteRate split the key's whole rate.
	ReadRate, WriteRate float64
	// MinRate and MinShare are the rule's thresholds (0 when unset).
	MinRate, MinShare float64
	// At is when the alert was raised, by the evaluation's clock.
	At time.Time
	// Since is when the rule started firing for the key.
	Since time.Time
	// Suppressed counts the firings of this rule for this key that were
	// not notified because of the rule's Cooldown, since the previous
	// notification.
	Suppressed uint64
	// Origin says who raised the alert: Options.Origin of the Monitor
	// (a host name, "fleet", ...).
	Origin string
}

// Duration returns how long the rule fired for the key: At - Since for a
// Resolved alert, 0 for a Firing one.
func (a Alert) Duration() time.Duration {
	if a.Kind != Resolved {
		return 0
	}
	return a.At.Sub(a.Since)
}
