package inspect

import "math"

// lfuInitVal is LFU_INIT_VAL in Redis: the counter a new key starts at, so
// that it is not evicted before it had a chance to be read.
const lfuInitVal = 5

// LFUAccesses translates a Redis LFU counter (OBJECT FREQ) into the range
// of accesses that produced it with about 95% probability, for the
// server's lfu-log-factor.
//
// Redis keeps an 8-bit logarithmic counter per key. A new key starts at 5;
// each access raises a counter c with probability p(c) = 1/((c-5)·factor+1)
// (always when c < 5), so the accesses it takes to go from c to c+1 are
// geometric with mean (c-5)·factor+1, and reaching c from 5 takes on
// average N(c) = (c-5) + factor·(c-5)(c-6)/2 accesses, with variance V(c),
// the sum of the geometric variances (1-p)/p². The counter saturates at
// 255 (N(255) is about 311,000 accesses with the default factor 10).
//
// A key showing counter c was between reaching c and reaching c+1, so
// LFUAccesses returns low = N(c) - 2·√V(c) and high = N(c+1) + 2·√V(c+1)
// (low at least c-5: every step of the counter takes an access). For
// c = 255 high is +Inf. For c < 5, both are 0: a counter below 5 has
// decayed (see below) and says only that the key has been idle.
//
// The counter decays: on each access (and on OBJECT FREQ) it first loses 1
// for every lfu-decay-time minutes since the key's previous access. A key
// accessed at least once every lfu-decay-time minutes therefore never
// decays, so the band counts accesses since the key was created (or since
// it last sat idle), not accesses per minute.
func LFUAccesses(counter, logFactor int) (low, high float64) {
	if counter < lfuInitVal {
		return 0, 0
	}
	c := min(counter, 255)
	// Each step of the counter takes an access, so c-5 is a hard floor.
	low = math.Max(float64(c-lfuInitVal), lfuReach(c, logFactor)-2*math.Sqrt(lfuVar(c, logFactor)))
	if c == 255 {
		return low, math.Inf(1)
	}
	return low, lfuReach(c+1, logFactor) + 2*math.Sqrt(lfuVar(c+1, logFactor))
}

// lfuReach is N(c), the expected number of accesses that take a new key's
// counter from 5 to c.
func lfuReach(c, factor int) float64 {
	if c <= lfuInitVal {
		return 0
	}
	d := float64(c - lfuInitVal)
	return d + float64(max(factor, 0))*d*(d-1)/2
}

// lfuVar is the variance of the number of accesses that take a counter
// from 5 to c: the sum over the levels of (1-p)/p² with 1/p = b·factor+1.
func lfuVar(c, factor int) float64 {
	var v float64
	for b := 0; b < c-lfuInitVal; b++ {
		inv := float64(b*max(factor, 0)) + 1 // 1/p
		v += (1 - 1/inv) * inv * inv
	}
	return v
}

// isLFU reports whether a maxmemory-policy keeps LFU counters.
func isLFU(policy string) bool {
	return policy == "allkeys-lfu" || policy == "volatile-lfu"
}

// lfuVariant returns the LFU policy that evicts the same set of keys as
// policy: allkeys-* becomes allkeys-lfu and volatile-* volatile-lfu. With
// noeviction it is allowed only when maxmemory is 0 (nothing is ever
// evicted), since any LFU policy would start evicting keys.
func lfuVariant(policy string, maxmemory int64) (string, bool) {
	switch {
	case isLFU(policy):
		return policy, true
	case len(policy) > 8 && policy[:8] == "allkeys-":
		return "allkeys-lfu", true
	case len(policy) > 9 && policy[:9] == "volatile-":
		return "volatile-lfu", true
	case maxmemory == 0:
		return "allkeys-lfu", true
	}
	return "", false
}
