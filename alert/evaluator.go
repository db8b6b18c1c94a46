package alert

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/glob"
)

// Evaluator applies rules to snapshots of a source's hottest keys. It is
// pure: time is whatever the caller passes, so rules, hysteresis and
// cooldowns are tested without sleeping. It remembers a (rule, key) pair
// while the rule fires or waits out For for it, and for Cooldown after its
// last notification; nothing else. It is not safe for concurrent use; a
// Monitor serialises its calls.
type Evaluator struct {
	rules []Rule
	// state is keyed by rule index and key; entries live while the rule
	// fires or is pending for the key, or while a cooldown runs.
	state map[stateKey]*keyState

	suppressed uint64
}

type stateKey struct {
	rule      int
	key       string
	truncated bool
}

// keyState is one rule's record of one key.
type keyState struct {
	pendingSince time.Time // conditions met since; zero when not met
	firing       bool
	since        time.Time // firing since
	notified     bool      // the current firing was notified
	lastNotified time.Time // last Firing notification; zero when none
	suppressed   uint64    // firings not notified since lastNotified
	seen         bool      // in the current snapshot (scratch)
}

// NewEvaluator returns an Evaluator for rules, with defaults filled in. It
// does not keep rules.
func NewEvaluator(rules []Rule) (*Evaluator, error) {
	e := &Evaluator{state: make(map[stateKey]*keyState)}
	names := make(map[string]int, len(rules))
	for i, r := range rules {
		r, err := r.withDefaults(i)
		if err != nil {
			return nil, err
		}
		if j, dup := names[r.Name]; dup {
			return nil, fmt.Errorf("%w: Rules[%d].Name = %q, as Rules[%d]", ErrInvalidOptions, i, r.Name, j)
		}
		names[r.Name] = i
		e.rules = append(e.rules, r)
	}
	return e, nil
}

// Rules returns the rules with defaults filled in.
func (e *Evaluator) Rules() []Rule { return append([]Rule(nil), e.rules...) }

// Suppressed returns how many firings the cooldowns have kept from being
// notified so far.
func (e *Evaluator) Suppressed() uint64 { return e.suppressed }

// Firing returns how many (rule, key) pairs are firing now.
func (e *Evaluator) Firing() int {
	n := 0
	for _, st := range e.state {
		if st.firing {
			n++
		}
	}
	return n
}

// Evaluate applies the rules to a snapshot of the source at time at: its
// totals and its hottest keys (Top(n) of a tracker; a key missing from
// keys counts as idle). It returns the alerts to notify: firing alerts
// rule by rule in the order of keys, then resolved ones.
func (e *Evaluator) Evaluate(at time.Time, totals heat.Totals, keys []heat.KeyStat) []Alert {
	var out, resolved []Alert
	for _, st := range e.state {
		st.seen = false
	}
	for ri := range e.rules {
		r := &e.rules[ri]
		for i := range keys {
			ks := &keys[i]
			if r.Pattern != "" && !glob.Match(r.Pattern, ks.Key) {
				continue
			}
			rate, share := measure(r.Op, totals, ks)
			met, cooled := r.judge(ks.Hot, rate, share)
			sk := stateKey{rule: ri, key: ks.Key, truncated: ks.Truncated}
			st := e.state[sk]
			if st == nil {
				if !met {
					continue
				}
				st = &keyState{}
				e.state[sk] = st
			}
			st.seen = true
			a := Alert{
				Rule: r.Name, Key: ks.Key, Truncated: ks.Truncated, Op: r.Op,
				Rate: rate, Share: share, ReadRate: ks.ReadRate, WriteRate: ks.WriteRate,
				MinRate: r.MinRate, MinShare: r.MinShare, At: at,
			}
			if st.firing {
				if cooled {
					if a, ok := e.resolve(st, a); ok {
						resolved = append(resolved, a)
					}
				}
				continue
			}
			if !met {
				st.pendingSince = time.Time{}
				continue
			}
			if st.pendingSince.IsZero() {
				st.pendingSince = at
			}
			if at.Sub(st.pendingSince) < r.For {
				continue
			}
			if a, ok := e.fire(r, st, a); ok {
				out = append(out, a)
			}
		}
	}
	// Keys that left the snapshot are idle: a firing alert resolves and a
	// pending one starts over. Records that neither fire, nor wait, nor
	// hold a cooldown go.
	var idle []Alert
	for sk, st := range e.state {
		r := &e.rules[sk.rule]
		if !st.seen {
			if st.firing {
				a := Alert{Rule: r.Name, Key: sk.key, Truncated: sk.truncated, Op: r.Op, MinRate: r.MinRate, MinShare: r.MinShare, At: at}
				if a, ok := e.resolve(st, a); ok {
					idle = append(idle, a)
				}
			}
			st.pendingSince = time.Time{}
		}
		if !st.firing && st.pendingSince.IsZero() && (st.lastNotified.IsZero() || at.Sub(st.lastNotified) >= r.Cooldown) {
			delete(e.state, sk)
		}
	}
	slices.SortFunc(idle, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(e.ruleIndex(a.Rule), e.ruleIndex(b.Rule)), strings.Compare(a.Key, b.Key))
	})
	out = append(out, resolved...)
	return append(out, idle...)
}

// ruleIndex returns the index of the rule called name.
func (e *Evaluator) ruleIndex(name string) int {
	for i := range e.rules {
		if e.rules[i].Name == name {
			return i
		}
	}
	return -1
}

// judge says whether the rule's conditions are met and whether a firing
// alert has cooled, for a key with the given hot flag, rate and share.
func (r *Rule) judge(hot bool, rate, share float64) (met, cooled bool) {
	if r.followsSource() {
		return hot, !hot
	}
	met = (r.MinRate == 0 || rate >= r.MinRate) && (r.MinShare == 0 || share >= r.MinShare)
	cooled = (r.MinRate > 0 && rate < r.CoolRatio*r.MinRate) ||
		(r.MinShare > 0 && share < r.CoolRatio*r.MinShare)
	return met, cooled
}

// fire starts a firing; it returns the alert to notify unless the rule's
// cooldown holds it back.
func (e *Evaluator) fire(r *Rule, st *keyState, a Alert) (Alert, bool) {
	st.firing, st.since, st.pendingSince = true, a.At, time.Time{}
	if !st.lastNotified.IsZero() && a.At.Sub(st.lastNotified) < r.Cooldown {
		st.notified = false
		st.suppressed++
		e.suppressed++
		return a, false
	}
	a.Kind, a.Since, a.Suppressed = Firing, a.At, st.suppressed
	st.notified, st.lastNotified, st.suppressed = true, a.At, 0
	return a, true
}

// resolve ends a firing; it returns the alert to notify when the firing
// was notified.
func (e *Evaluator) resolve(st *keyState, a Alert) (Alert, bool) {
	st.firing = false
	a.Kind, a.Since = Resolved, st.since
	return a, st.notified
}

// measure returns a key's rate and share of the accesses op selects. A
// key's share of reads is its share of all traffic scaled by its read
// fraction and by the traffic's read fraction; writes likewise.
func measure(op Op, tot heat.Totals, ks *heat.KeyStat) (rate, share float64) {
	switch op {
	case Reads:
		return ks.ReadRate, scaledShare(ks.Share, ks.ReadRate, ks.Rate, tot.Rate, tot.ReadRate)
	case Writes:
		return ks.WriteRate, scaledShare(ks.Share, ks.WriteRate, ks.Rate, tot.Rate, tot.WriteRate)
	}
	return ks.Rate, ks.Share
}

func scaledShare(share, part, whole, total, totalPart float64) float64 {
	if part <= 0 || whole <= 0 || totalPart <= 0 {
		return 0
	}
	return min(share*(part/whole)*(total/totalPart), 1)
}
