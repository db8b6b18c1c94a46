package stampede

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Fallback says what Fetch does when it cannot get a value the normal way.
type Fallback uint8

const (
	// ReturnError gives up with an error (ErrLeaseTimeout, ErrUnavailable).
	ReturnError Fallback = iota
	// ServeStale returns the expired value if Redis still keeps it (see
	// Options.StaleTTL), and ErrLeaseTimeout otherwise. Valid for
	// Options.OnLeaseTimeout only.
	ServeStale
	// CallLoader calls the loader directly, still once per key per process
	// at a time, and returns its answer without caching it. Valid for
	// Options.OnUnavailable only.
	CallLoader
)

// String returns the constant's name.
func (f Fallback) String() string {
	switch f {
	case ReturnError:
		return "ReturnError"
	case ServeStale:
		return "ServeStale"
	case CallLoader:
		return "CallLoader"
	}
	return "Fallback(" + strconv.Itoa(int(f)) + ")"
}

// Clock tells a Cache the time. Expiry, compute times and the early
// recomputation decision use it; waits for other processes (WaitTimeout,
// PollInterval, lease extension) use real timers, since the other side runs
// on real time. Now must be safe for concurrent use.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options configure a Cache. The zero value of every field except Client
// gives the documented default.
type Options struct {
	// Client carries values, leases and notifications: a *redis.Client,
	// a *redis.ClusterClient or any other redis.UniversalClient. The Cache
	// does not close it.
	// default: none; required
	Client redis.UniversalClient

	// Beta is XFetch's β: how eagerly a value is recomputed before it
	// expires. A read recomputes in the background with probability
	// exp(-remaining/(delta·Beta)), where delta is how long the last
	// computation took (see EarlyProbability). Larger is earlier; under a
	// steady rate of λ reads per second the recomputation starts about
	// delta·Beta·ln(λ·delta·Beta) before expiry: for 20,000 reads/s of a
	// key that takes 100ms to compute, 0.76s early with Beta 1 and 0.19s
	// with Beta 0.3, so a 1s TTL is recomputed about three times, or once,
	// per TTL. Lower it for keys read very often with a TTL close to their
	// compute time; keep delta·Beta·ln(λ·delta·Beta) well above delta, or
	// the recomputation may finish after expiry. Negative disables early
	// recomputation.
	// default: 1
	Beta float64

	// LeaseTTL is the lifetime of the lease a process takes before calling
	// the loader. The holder extends it every LeaseTTL/3 while the loader
	// runs, so a live holder keeps it; a holder that dies lets another
	// process take over at most LeaseTTL later.
	// default: 5 seconds
	LeaseTTL time.Duration

	// WaitTimeout bounds how long a caller waits for another process's
	// lease holder before OnLeaseTimeout applies. It should exceed LeaseTTL
	// so that a caller can outlive a dead holder and take over.
	// default: 2 × LeaseTTL
	WaitTimeout time.Duration

	// PollInterval is how often a waiting caller checks Redis again when
	// no notification arrives: the fallback for a lost pub/sub message and
	// how a dead holder's expired lease is noticed.
	// default: 100 milliseconds
	PollInterval time.Duration

	// OnLeaseTimeout says what a caller does after WaitTimeout: ReturnError
	// (ErrLeaseTimeout) or ServeStale.
	// default: ReturnError
	OnLeaseTimeout Fallback

	// StaleTTL is how long Redis keeps a value after it expires, so that
	// OnLeaseTimeout: ServeStale has something to serve. An expired value
	// is never served otherwise. Required (positive) with ServeStale.
	// default: 0 (Redis drops a value when it expires)
	StaleTTL time.Duration

	// OnUnavailable says what Fetch does when a Redis command fails:
	// ReturnError (an error wrapping ErrUnavailable and the client's
	// error) or CallLoader.
	// default: ReturnError
	OnUnavailable Fallback

	// NegativeTTL, when positive, caches a loader's ErrNotFound for that
	// long, so that a missing key does not reach the loader on every
	// Fetch.
	// default: 0 (not-found answers are not cached)
	NegativeTTL time.Duration

	// ErrorTTL, when positive, caches any other loader error for that long;
	// Fetch then returns an error wrapping ErrCachedError with the original
	// message. Cancellation of the loader's context is never cached.
	// default: 0 (loader errors are not cached)
	ErrorTTL time.Duration

	// Jitter shortens every stored TTL by a random fraction in
	// [0, Jitter), so that keys filled together do not expire together.
	// In [0, 1).
	// default: 0 (no jitter)
	Jitter float64

	// Clock is the time source for expiry and early recomputation.
	// default: the system clock
	Clock Clock

	// Rand returns uniform random numbers in [0, 1) for the early
	// recomputation draw and the jitter. It must be safe for concurrent
	// use. Lease tokens always come from crypto/rand.
	// default: math/rand/v2.Float64
	Rand func() float64
}

// withDefaults returns a copy of o with zero fields replaced by defaults and
// checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Client == nil {
		return o, invalid("Client", nil, "a redis.UniversalClient")
	}
	if o.Beta == 0 {
		o.Beta = 1
	}
	if math.IsNaN(o.Beta) || math.IsInf(o.Beta, 0) {
		return o, invalid("Beta", o.Beta, "a finite number")
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = 5 * time.Second
	}
	if o.LeaseTTL < 10*time.Millisecond {
		return o, invalid("LeaseTTL", o.LeaseTTL, "at least 10ms")
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = 2 * o.LeaseTTL
	}
	if o.WaitTimeout < 0 {
		return o, invalid("WaitTimeout", o.WaitTimeout, "> 0")
	}
	if o.PollInterval == 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if o.PollInterval < time.Millisecond {
		return o, invalid("PollInterval", o.PollInterval, "at least 1ms")
	}
	switch o.OnLeaseTimeout {
	case ReturnError, ServeStale:
	default:
		return o, invalid("OnLeaseTimeout", o.OnLeaseTimeout, "ReturnError or ServeStale")
	}
	if o.StaleTTL < 0 {
		return o, invalid("StaleTTL", o.StaleTTL, ">= 0")
	}
	if o.OnLeaseTimeout == ServeStale && o.StaleTTL == 0 {
		return o, invalid("StaleTTL", o.StaleTTL, "> 0 with OnLeaseTimeout: ServeStale")
	}
	switch o.OnUnavailable {
	case ReturnError, CallLoader:
	default:
		return o, invalid("OnUnavailable", o.OnUnavailable, "ReturnError or CallLoader")
	}
	if o.NegativeTTL < 0 {
		return o, invalid("NegativeTTL", o.NegativeTTL, ">= 0")
	}
	if o.ErrorTTL < 0 {
		return o, invalid("ErrorTTL", o.ErrorTTL, ">= 0")
	}
	if !(o.Jitter >= 0 && o.Jitter < 1) {
		return o, invalid("Jitter", o.Jitter, "in [0, 1)")
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o, nil
}
