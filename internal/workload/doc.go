// Package workload generates deterministic key-access traffic for redhot's
// tests, benchmarks and demo.
//
// Every generator is seeded: the same options always give the same stream,
// on every machine. A stream is infinite and carries its own stream time
// ([Access.At], advancing by 1/Rate per access or by exponential gaps), so a
// detector can be driven on an injected clock without sleeping.
//
// # Shapes
//
//   - [Zipf]: rank r drawn with probability (r+1)^-s / H(N,s), for any s > 0
//     (including s < 1, which the standard library's rand.Zipf rejects).
//   - [Uniform]: every key equally likely.
//   - [Hotspot]: a share of the traffic on k keys, the rest from a
//     background.
//   - [Overlay]: one extra key over a background, whose share changes with
//     stream time: a step change ([NewStep]) or a flash sale that ramps,
//     holds and fades ([NewFlashSale]).
//   - [Mix]: several key distributions merged with weights.
//   - [Replay]: a recorded trace (see [TraceReader] for the file format,
//     [ParseTrace] and [WriteTrace]).
//   - [RWMix]: sets each access's Op from per-class write ratios.
//
// # Indices and keys
//
// Generators draw a key index in [0, Len()) and name it with Key(i), which
// returns a string built once at construction (see [Keyspace]) and so
// allocates nothing. Hot benchmark loops pre-generate a []uint32 trace with
// Fill and look keys up as they go:
//
//	z, _ := workload.NewZipf(workload.ZipfOptions{N: 1_000_000, S: 0.9, Seed: 1})
//	trace := make([]uint32, 10_000_000)
//	z.Fill(trace)
//	for _, i := range trace {
//		tracker.Observe(z.Key(i))
//	}
//
// Composite generators ([Hotspot], [Overlay], [Mix]) take other generators
// as [Sampler]s: they use only their key distributions, and the composite's
// own Rate, Poisson and clock govern stream time. A composite passes each
// access's stream time down, so time-dependent parts (an Overlay inside a
// Mix) see the right time.
//
// Generators are not safe for concurrent use; give each goroutine its own.
package workload
