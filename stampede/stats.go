package stampede

import "sync/atomic"

// Stats counts what a Cache has done since New. Read a snapshot with
// Cache.Stats; every field only grows.
type Stats struct {
	// Hits are Fetches answered from a fresh stored entry (values, cached
	// not-found answers and cached errors).
	Hits uint64
	// NegativeHits are the Hits that were cached not-found answers.
	NegativeHits uint64
	// Misses are Fetches that found no fresh entry and started or joined a
	// fill.
	Misses uint64
	// Coalesced are the Misses that joined a fill another caller in this
	// process had started, instead of starting one.
	Coalesced uint64
	// LoaderCalls are calls of a loader: fills, early recomputations and
	// CallLoader fallbacks.
	LoaderCalls uint64
	// LoaderErrors are loader calls that returned an error other than
	// ErrNotFound, or panicked.
	LoaderErrors uint64
	// LoaderPanics are the LoaderErrors that were panics.
	LoaderPanics uint64
	// EarlyRecomputations are background recomputations of a value that
	// had not expired yet (see Options.Beta) that took the lease and
	// called the loader.
	EarlyRecomputations uint64
	// LeaseAcquisitions are leases taken, for fills and early
	// recomputations.
	LeaseAcquisitions uint64
	// LeaseWaits are fills that found another caller holding the lease and
	// waited for it.
	LeaseWaits uint64
	// LeaseTimeouts are the LeaseWaits that gave up after WaitTimeout.
	LeaseTimeouts uint64
	// LeasesLost are holders that found, while extending or releasing,
	// that their lease had expired and another caller had taken it.
	LeasesLost uint64
	// StaleServed are Fetches answered with an expired value after a lease
	// timeout (OnLeaseTimeout: ServeStale).
	StaleServed uint64
	// RedisErrors are failed Redis commands.
	RedisErrors uint64
	// FormatErrors are stored values that were not entries this version
	// can read (see the package documentation); they count as misses.
	FormatErrors uint64
}

// counters are the live Stats.
type counters struct {
	hits, negativeHits, misses, coalesced                atomic.Uint64
	loaderCalls, loaderErrors, loaderPanics, early       atomic.Uint64
	leaseAcquired, leaseWaits, leaseTimeouts, leasesLost atomic.Uint64
	staleServed, redisErrors, formatErrors               atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Hits:                c.hits.Load(),
		NegativeHits:        c.negativeHits.Load(),
		Misses:              c.misses.Load(),
		Coalesced:           c.coalesced.Load(),
		LoaderCalls:         c.loaderCalls.Load(),
		LoaderErrors:        c.loaderErrors.Load(),
		LoaderPanics:        c.loaderPanics.Load(),
		EarlyRecomputations: c.early.Load(),
		LeaseAcquisitions:   c.leaseAcquired.Load(),
		LeaseWaits:          c.leaseWaits.Load(),
		LeaseTimeouts:       c.leaseTimeouts.Load(),
		LeasesLost:          c.leasesLost.Load(),
		StaleServed:         c.staleServed.Load(),
		RedisErrors:         c.redisErrors.Load(),
		FormatErrors:        c.formatErrors.Load(),
	}
}
