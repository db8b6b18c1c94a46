// Package heat is redhot's detection engine: a concurrent, bounded-memory,
// time-aware heavy-hitter tracker that answers "which keys are hot now?".
//
// It has no Redis dependency. The go-redis middleware, the MONITOR sampler
// of the CLI and the fleet view all feed it keys with [Tracker.Observe] and
// read [Tracker.Top], [Tracker.IsHot] and hot/cooled [Event]s back.
//
// # Algorithm
//
// Each stripe of a Tracker is an augmented sketch (after Roy, Khan and
// Alonso, "Augmented Sketch", SIGMOD 2016) built from two parts:
//
//   - a table of Capacity keys with counts, ordered by a min-heap, in the
//     manner of Space-Saving (Metwally, Agrawal and El Abbadi, 2005);
//   - a conservative-update Count-Min sketch (Estan and Varghese, 2002) that
//     absorbs the keys not in the table.
//
// A tracked key's access only touches the table. An untracked key's access
// updates the sketch; when the key's sketch estimate exceeds the smallest
// count in the table, the key replaces that entry, taking the sketch
// estimate as its count before admission, and the evicted key's count is
// written back into the sketch.
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
//     least its count outside the table.
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
// least Window/20. For a key tracked for a long time this is the usual
// exponentially weighted rate over Window; for a key that just appeared it
// is the rate over the time it has been seen, so a sudden hot key is
// flagged within a few tens of milliseconds instead of after Window.
//
// # Concurrency
//
// Observe is safe from many goroutines and allocates nothing. The tracker
// keeps one stripe per processor (up to Options.Stripes) and each call uses
// the stripe of the processor it runs on, so concurrent callers rarely
// share a lock or a cache line. Reads ([Tracker.Top] and friends) merge the
// stripes. Rules are evaluated by a background goroutine every EvalInterval
// (or by explicit [Tracker.Evaluate] calls when the clock is injected), and
// hot/cooled events are delivered to subscribers without ever blocking
// Observe.
package heat
