package workload

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// DefaultRate is the stream rate, in accesses per second of stream time,
// of a generator whose options leave Rate zero.
const DefaultRate = 50_000

// ErrInvalidOptions is returned by every constructor in this package when an
// option is out of range; the wrapping error names the field, as in
// "workload: invalid options: ZipfOptions.S = -1 (must be a finite number
// > 0)".
var ErrInvalidOptions = errors.New("workload: invalid options")

// badOption returns an ErrInvalidOptions error naming field, its value and
// the rule it breaks.
func badOption(field string, v any, rule string) error {
	switch x := v.(type) {
	case nil:
		v = "nil"
	case string:
		v = fmt.Sprintf("%q", x)
	}
	return fmt.Errorf("%w: %s = %v (%s)", ErrInvalidOptions, field, v, rule)
}

// checkRate validates a Rate option and applies its default.
func checkRate(field string, rate float64) (float64, error) {
	if rate == 0 {
		return DefaultRate, nil
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return 0, badOption(field, rate, "must be a positive, finite number of accesses per second")
	}
	return rate, nil
}

// checkShare validates a share option: a probability in [0, 1].
func checkShare(field string, share float64) error {
	if !(share >= 0 && share <= 1) {
		return badOption(field, share, "must be in [0, 1]")
	}
	return nil
}

// checkDuration validates a duration option that must not be negative.
func checkDuration(field string, d time.Duration) error {
	if d < 0 {
		return badOption(field, d, "must not be negative")
	}
	return nil
}

// checkN validates a key count and reconciles it with an optional
// Keyspace: N defaults to keys.Len() and must match it when both are set.
func checkN(prefix string, n int, keys *Keyspace) (int, *Keyspace, error) {
	if keys != nil {
		if n == 0 {
			return keys.Len(), keys, nil
		}
		if n != keys.Len() {
			return 0, nil, badOption(prefix+".N", n, fmt.Sprintf("must be 0 or Keys.Len() = %d", keys.Len()))
		}
		return n, keys, nil
	}
	if n < 1 || n > MaxKeys {
		return 0, nil, badOption(prefix+".N", n, fmt.Sprintf("must be in [1, %d]", MaxKeys))
	}
	ks, err := NewKeyspace(KeyspaceOptions{N: n})
	if err != nil {
		return 0, nil, err
	}
	return n, ks, nil
}
