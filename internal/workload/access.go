package workload

import (
	"fmt"
	"strings"
	"time"
)

// Op is the kind of an access: a read or a write.
type Op uint8

const (
	// Read is an access that reads the key (GET, HGET, ...). It is the zero
	// Op: generators that have no notion of writes emit only reads.
	Read Op = iota
	// Write is an access that modifies the key (SET, INCR, ...).
	Write
)

// String returns "read" or "write".
func (o Op) String() string {
	switch o {
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// ParseOp parses an op name as written in traces: "r", "read" or "get" for
// Read and "w", "write" or "set" for Write, in any case.
func ParseOp(s string) (Op, error) {
	if op, ok := parseOp(s); ok {
		return op, nil
	}
	return 0, fmt.Errorf("workload: unknown op %q (want r, read, get, w, write or set)", s)
}

func parseOp(s string) (Op, bool) {
	if len(s) > 5 {
		return 0, false
	}
	switch strings.ToLower(s) {
	case "r", "read", "get":
		return Read, true
	case "w", "write", "set":
		return Write, true
	}
	return 0, false
}

// Access is one key access of a generated or replayed stream.
type Access struct {
	// At is the stream time of the access, measured from the start of the
	// stream.
	At time.Duration
	// Key is the accessed key.
	Key string
	// Op says whether the access reads or writes Key.
	Op Op
}

// Generator is an infinite, deterministic stream of accesses.
type Generator interface {
	// Next returns the next access. Its At is never before the previous
	// access's At, except in a replayed trace whose timestamps go back.
	Next() Access
}

// Sampler is a key distribution over the indices [0, Len()) that may change
// with stream time. Composite generators draw from Samplers.
type Sampler interface {
	// Sample draws the key index of an access at stream time t.
	Sample(t time.Duration) uint32
	// Key returns the key of index i, without allocating. It panics if i
	// is not below Len().
	Key(i uint32) string
	// Len returns the number of key indices.
	Len() int
}

// IndexGenerator is a Generator that also exposes its key indices, for hot
// loops that must not build an Access per operation. Every generator in
// this package except RWMix is one.
type IndexGenerator interface {
	Generator
	Sampler
	// NextIndex returns the key index and stream time of the next access:
	// the same access Next would have returned, without building it.
	NextIndex() (uint32, time.Duration)
	// Fill sets dst to the key indices of the next len(dst) accesses, as
	// len(dst) calls of NextIndex would.
	Fill(dst []uint32)
}

// Take returns the next n accesses of g.
func Take(g Generator, n int) []Access {
	out := make([]Access, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}
