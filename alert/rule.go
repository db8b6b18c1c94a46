package alert

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Op selects which accesses a rule's thresholds apply to.
type Op uint8

const (
	// AnyOp applies the thresholds to all accesses of the key.
	AnyOp Op = iota
	// Reads applies them to the key's reads: its read rate, and its reads
	// as a share of all reads.
	Reads
	// Writes applies them to the key's writes: its write rate, and its
	// writes as a share of all writes.
	Writes
)

// String returns "any", "read" or "write".
func (o Op) String() string {
	switch o {
	case Reads:
		return "read"
	case Writes:
		return "write"
	}
	return "any"
}

// DefaultCooldown is Rule.Cooldown's default: five minutes between two
// notifications of one key, as in the seed article's HotKeyMonitor.
const DefaultCooldown = 5 * time.Minute

// Rule says when a key deserves an alert. A rule fires for a key when
// every condition it sets holds (for at least For), and resolves when any
// of them falls below CoolRatio of its threshold. A rule with neither
// MinRate nor MinShare follows the source's own verdict: it fires while
// the source flags the key hot (heat.KeyStat.Hot) and resolves when it
// cools.
type Rule struct {
	// Name identifies the rule in alerts and logs.
	// default: "rule<index>" ("rule0" for the first rule)
	Name string

	// Pattern limits the rule to keys matching this Redis glob pattern
	// ('*', '?', "[a-z]", "[^x]", '\' to quote), compared byte by byte as
	// KEYS and SCAN MATCH do, so binary keys and patterns work. Keys the
	// source reports truncated are matched by the prefix it kept.
	// default: "" (every key)
	Pattern string

	// Op selects the accesses MinRate and MinShare measure.
	// default: AnyOp
	Op Op

	// MinRate is the smallest rate of Op accesses per second that fires
	// the rule. Zero or negative: no rate condition.
	// default: 0
	MinRate float64

	// MinShare is the smallest share of Op traffic (of all accesses for
	// AnyOp, of all reads for Reads, of all writes for Writes), in (0, 1],
	// that fires the rule. Zero or negative: no share condition.
	// default: 0
	MinShare float64

	// CoolRatio is the hysteresis, in (0, 1]: a firing alert resolves when
	// the rate falls below CoolRatio × MinRate or the share below
	// CoolRatio × MinShare, not as soon as it dips below the threshold.
	// Ignored by rules without thresholds, which follow the source's own
	// hysteresis.
	// default: 0.5
	CoolRatio float64

	// For is how long the conditions must hold, at every evaluation,
	// before the rule fires, as in Prometheus alerting rules.
	// default: 0 (fire at the first evaluation that meets them)
	For time.Duration

	// Cooldown is the shortest time between two firing notifications of
	// this rule for one key: a key that resolves and fires again within
	// Cooldown of its last notification is not notified again (its firing
	// is counted in Stats.Suppressed and its resolution is silent).
	// Negative: no cooldown.
	// default: DefaultCooldown (5 minutes)
	Cooldown time.Duration
}

// ErrInvalidOptions is returned by New, NewEvaluator, NewWebhook and
// NewPubSub when an option or rule is out of range; the wrapping error
// names the field (Rules[2].MinShare, WebhookOptions.URL, ...).
var ErrInvalidOptions = errors.New("alert: invalid options")

// withDefaults returns r with defaults filled in, or an error naming the
// field (as Rules[i].Field).
func (r Rule) withDefaults(i int) (Rule, error) {
	bad := func(field string, v any) (Rule, error) {
		return r, fmt.Errorf("%w: Rules[%d].%s = %v", ErrInvalidOptions, i, field, v)
	}
	if r.Name == "" {
		r.Name = fmt.Sprintf("rule%d", i)
	}
	if r.Op > Writes {
		return bad("Op", r.Op)
	}
	if math.IsNaN(r.MinRate) || math.IsInf(r.MinRate, 1) {
		return bad("MinRate", r.MinRate)
	}
	if math.IsNaN(r.MinShare) || r.MinShare > 1 {
		return bad("MinShare", r.MinShare)
	}
	r.MinRate = max(r.MinRate, 0)
	r.MinShare = max(r.MinShare, 0)
	if r.CoolRatio == 0 {
		r.CoolRatio = 0.5
	}
	if !(r.CoolRatio > 0 && r.CoolRatio <= 1) {
		return bad("CoolRatio", r.CoolRatio)
	}
	if r.For < 0 {
		return bad("For", r.For)
	}
	if r.Cooldown == 0 {
		r.Cooldown = DefaultCooldown
	}
	if r.Cooldown < 0 {
		r.Cooldown = 0
	}
	return r, nil
}

// followsSource reports whether r has no threshold of its own and follows
// the source's hot flag.
func (r *Rule) followsSource() bool { return r.MinRate == 0 && r.MinShare == 0 }
