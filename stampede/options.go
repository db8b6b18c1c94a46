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

	// Beta sets how long before expiry a value read while it is about to
	// expire is recomputed in the background, in units of delta, the time
	// its last computation took (the loader, the lease and a round trip to
	// store it): the recomputation is meant to finish
	// Beta·delta before expiry, so it starts at the first read that finds
	// at most delta·(1 + Beta·(0.5 + x)) left, where x in [0, 1) is a draw
	// every process derives alike from the key and the stored entry (see
	// RefreshLead), but never more than half the Fetch's ttl before expiry.
	// This point does not depend on how often the key is read or by how
	// many processes (see the package documentation for why plain XFetch
	// does). Larger is safer against a loader slower than last time, and
	// costs more: each early recomputation shortens a value's life by about
	// Beta·delta, so a key read all the time costs ttl/(ttl − Beta·delta)
	// loader calls per ttl (1.11 for a 100ms loader, a 1s ttl and Beta 1).
	// Negative disables early recomputation.
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

	// Rand returns uniform random numbers in [0, 1) for the jitter. It
	// must be safe for concurrent use. The early recomputation point is not
	// random per read but a hash of the entry (see Beta), and lease tokens
	// always come from crypto/rand.
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
