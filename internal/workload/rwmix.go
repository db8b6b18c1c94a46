package workload

import (
	"fmt"
	"strings"
)

// KeyClass is a class of keys with its own write ratio, for RWMix. A class
// is defined either by a key prefix or by a predicate; set exactly one.
type KeyClass struct {
	// Name describes the class, e.g. "counters"; it is only used in error
	// messages.
	// default: ""
	Name string

	// Prefix puts every key that starts with it in the class.
	Prefix string

	// Match puts every key for which it returns true in the class. It is
	// called from the goroutine calling RWMix.Next, must not block, and
	// must always give the same answer for the same key. It may close over
	// a generator to classify keys by rank, such as "the 100 hottest".
	Match func(key string) bool

	// WriteRatio is the fraction of this class's accesses that are
	// writes, in [0, 1].
	// default: 0 (reads only)
	WriteRatio float64
}

// RWMixOptions configures NewRWMix.
type RWMixOptions struct {
	// Source generates the accesses whose Op RWMix sets. Required.
	Source Generator

	// Classes are tried in order; a key takes the write ratio of the first
	// class it belongs to.
	// default: none
	Classes []KeyClass

	// WriteRatio is the write ratio of keys in no class, in [0, 1].
	// default: 0 (reads only)
	WriteRatio float64

	// Seed selects the read/write decisions; the same options (and Source
	// state) give the same accesses.
	// default: 0, a seed like any other
	Seed uint64
}

// RWMix sets the Op of another generator's accesses: each access to a key
// of a class is a write with that class's probability, such as counters
// 95% writes, product pages 2% and everything else 10%.
type RWMix struct {
	src     Generator
	classes []KeyClass
	dflt    float64
	draws   rng
}

var _ Generator = (*RWMix)(nil)

// NewRWMix returns an RWMix generator. It replaces the Op of every access,
// including the recorded ops of a Replay.
func NewRWMix(opts RWMixOptions) (*RWMix, error) {
	if opts.Source == nil {
		return nil, badOption("RWMixOptions.Source", nil, "required")
	}
	for i, c := range opts.Classes {
		field := fmt.Sprintf("RWMixOptions.Classes[%d]", i)
		if (c.Prefix == "") == (c.Match == nil) {
			return nil, badOption(field+".Prefix", c.Prefix, fmt.Sprintf("class %q: set exactly one of Prefix and Match", c.Name))
		}
		if err := checkShare(field+".WriteRatio", c.WriteRatio); err != nil {
			return nil, err
		}
	}
	if err := checkShare("RWMixOptions.WriteRatio", opts.WriteRatio); err != nil {
		return nil, err
	}
	return &RWMix{
		src:     opts.Source,
		classes: append([]KeyClass(nil), opts.Classes...),
		dflt:    opts.WriteRatio,
		draws:   newRNG(opts.Seed, streamOps),
	}, nil
}

// WriteRatio returns the probability that an access to key is a write.
func (m *RWMix) WriteRatio(key string) float64 {
	for i := range m.classes {
		c := &m.classes[i]
		if c.Match != nil {
			if c.Match(key) {
				return c.WriteRatio
			}
		} else if strings.HasPrefix(key, c.Prefix) {
			return c.WriteRatio
		}
	}
	return m.dflt
}

// Next returns Source's next access with its Op drawn from the write ratio
// of its key's class.
func (m *RWMix) Next() Access {
	a := m.src.Next()
	a.Op = Read
	// Always draw, so that one key's decision does not shift the others'.
	if m.draws.float64() < m.WriteRatio(a.Key) {
		a.Op = Write
	}
	return a
}
