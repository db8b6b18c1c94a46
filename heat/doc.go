// Package heat is redhot's detection engine: a concurrent, bounded-memory,
// time-aware heavy-hitter tracker that answers "which keys are hot now?".
//
// It has no Redis dependency. The go-redis middleware, the MONITOR sampler
// of the CLI and the fleet view all feed it keys with [Tracker.Observe] and
// read [Tracker.Top], [Tracker.IsHot] and hot/cooled [Event]s back.
//
// # Algorithm
//
// Each stripe of a Tracker combines two parts, in the spirit of the
// augmented sketch (Roy, Khan and Alonso, SIGMOD 2016):
//
//   - a table of Capacity keys with counts, ordered by a min-heap, in the
//     manner of Space-Saving (Metwally, Agrawal and El Abbadi, 2005);
//   - a conservative-update Count-Min sketch (Estan and Varghese, 2002),
//     blocked so that each key's four counters share one cache line.
//
// Every access updates the sketch, which therefore bounds each key's whole
// count from above. An access whose estimate is below the smallest count
// in the table can belong neither to a tracked key nor to one due for
// admission, so a cold key costs one cache line of sketch and nothing
// else. Otherwise the key is looked up in the table: a tracked key's count
// grows; an untracked key whose estimate exceeds the smallest count
// replaces that entry, taking its sketch estimate as its count before
// admission.
//
// Counts are exponentially decayed with time constant Options.Window using
// forward decay (Cormode, Shkapenyuk, Srivastava and Xu, ICDE 2009): an
// access at time t adds exp((t-L)/Window) for a landmark L, so counts only
// ever grow and stay comparable; the landmark moves forward from time to time
// and every count is rescaled. A key that was hot ten minutes ago and is cold
// now therefore loses its weight and drops out.
//
// # Guarantees
//
// All counts below are decayed counts. For every key k with true count f(k):
//
//   - The sketch never underestimates: every key's sketch estimate is at
//     least its true count.
//   - A tracked key's true count lies in [exact, exact+prior], where exact
//     is the count it received since it entered the table and prior is its
//     sketch estimate at admission. [KeyStat.Low] and [KeyStat.High] are
//     these bounds as rates.
//   - Every key whose true count exceeds the smallest count in its stripe's
//     table is tracked (the Space-Saving guarantee), so a key that is
//     really hot cannot be missing from [Tracker.Top].
//   - Memory is fixed at construction by Capacity, MaxKeyBytes, the sketch
//     size and the number of stripes; no number of distinct keys grows it.
//     [Tracker.MemoryBytes] reports it.
//
// Keys are identified by a 64-bit seeded hash; two distinct keys collide
// with probability about n²/2⁶⁵ for n distinct keys (under 3·10⁻⁶ for ten
// million keys), in which case their counts are merged. Only the first
// MaxKeyBytes bytes of a key are stored for reporting.
//
// # Rates
//
// A key's rate is its exact count since admission divided by the decayed
// length of time since admission, τ(1-e^(-Δ/τ)) with τ = Window and Δ at
// least Window/20 (at most 50 ms). For a key tracked for a long time this
// is the usual exponentially weighted rate over Window; for a key that just
// appeared it is the rate over the time it has been seen, so a sudden hot
// key is flagged within a few tens of milliseconds instead of after Window.
// A key's share is likewise its count over the total traffic since its
// admission, so shares stay right while total traffic ramps up or down.
//
// # Concurrency
//
// Observe is safe from many goroutines and allocates nothing. The tracker
// keeps one stripe per processor (up to Options.Stripes) and each call uses
// the stripe of the processor it runs on, so concurrent callers rarely
// share a lock or a cache line; when that stripe is busy the call takes
// any free one. Reads ([Tracker.Top] and friends) merge the
// stripes. Rules are evaluated by a background goroutine every EvalInterval
// (or by explicit [Tracker.Evaluate] calls when the clock is injected), and
// hot/cooled events are delivered to subscribers without ever blocking
// Observe.
package heat
