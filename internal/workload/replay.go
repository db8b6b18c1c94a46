package workload

import (
	"fmt"
	"time"
)

// ReplayOptions configures NewReplay.
type ReplayOptions struct {
	// Trace is the recorded accesses, as from ParseTrace. It is copied.
	// Required: at least one access.
	Trace []Access

	// Rate, when positive, replays the trace at this many accesses per
	// second of stream time, ignoring the recorded timestamps.
	// default: 0: replay at the recorded timestamps
	Rate float64

	// Poisson makes the gaps between accesses exponential with mean 1/Rate
	// instead of exactly 1/Rate. It needs a Rate.
	// default: false
	Poisson bool

	// Seed selects the Poisson gaps; nothing else is random.
	// default: 0, a seed like any other
	Seed uint64

	// Period is the stream time between the starts of successive passes
	// over the trace when replaying at the recorded timestamps: pass p
	// plays access i at Trace[i].At + p·Period. It must be positive.
	// default: the last access's At plus the mean gap between accesses
	// ((last-first)/(len-1)), or one second if that is zero
	Period time.Duration
}

// Replay plays a recorded trace, in order and for ever: after the last
// access it starts again from the first.
//
// Its indices number the trace's distinct keys in order of first
// appearance. Used as a Sampler, it returns the trace's keys in order,
// ignoring t. Next and NextIndex keep the recorded ops and, unless Rate is
// set, the recorded timestamps.
type Replay struct {
	keys   *Keyspace
	index  []uint32        // index[i] is the key index of access i
	ops    []Op            // ops[i] is the op of access i
	at     []time.Duration // at[i] is the recorded stream time of access i
	period time.Duration
	timed  bool // at a fixed Rate rather than the recorded timestamps
	clk    clock

	next int           // position of the next access in the trace
	pass time.Duration // stream time offset of the current pass
}

var _ IndexGenerator = (*Replay)(nil)

// NewReplay returns a Replay of opts.Trace.
func NewReplay(opts ReplayOptions) (*Replay, error) {
	n := len(opts.Trace)
	if n == 0 {
		return nil, badOption("ReplayOptions.Trace", opts.Trace, "required: at least one access")
	}
	if n > MaxKeys {
		return nil, badOption("len(ReplayOptions.Trace)", n, fmt.Sprintf("must be at most %d", MaxKeys))
	}
	r := &Replay{
		index: make([]uint32, n),
		ops:   make([]Op, n),
		at:    make([]time.Duration, n),
	}
	if opts.Rate != 0 {
		rate, err := checkRate("ReplayOptions.Rate", opts.Rate)
		if err != nil {
			return nil, err
		}
		r.timed = true
		r.clk = newClock(rate, opts.Poisson, opts.Seed)
	} else if opts.Poisson {
		return nil, badOption("ReplayOptions.Poisson", true, "needs a Rate")
	}
	if err := checkDuration("ReplayOptions.Period", opts.Period); err != nil {
		return nil, err
	}
	ids := make(map[string]uint32)
	var distinct []string
	for i, a := range opts.Trace {
		if a.Op > Write {
			return nil, badOption(fmt.Sprintf("ReplayOptions.Trace[%d].Op", i), a.Op, "must be Read or Write")
		}
		id, ok := ids[a.Key]
		if !ok {
			id = uint32(len(distinct))
			ids[a.Key] = id
			distinct = append(distinct, a.Key)
		}
		r.index[i], r.ops[i], r.at[i] = id, a.Op, a.At
	}
	keys, err := NewKeyspaceOf(distinct)
	if err != nil {
		return nil, err
	}
	r.keys = keys
	r.period = opts.Period
	if r.period == 0 {
		first, last := r.at[0], r.at[n-1]
		if n > 1 && last > first {
			r.period = last + (last-first)/time.Duration(n-1)
		}
		if r.period <= 0 {
			r.period = time.Second
		}
	}
	return r, nil
}

// Len returns the number of distinct keys in the trace.
func (r *Replay) Len() int { return r.keys.Len() }

// Key returns the key of index i, without allocating.
func (r *Replay) Key(i uint32) string { return r.keys.Key(i) }

// advance returns the position and stream time of the next access and
// moves past it.
func (r *Replay) advance() (int, time.Duration) {
	i := r.next
	var at time.Duration
	if r.timed {
		at = r.clk.next()
	} else {
		at = r.at[i] + r.pass
	}
	r.next++
	if r.next == len(r.index) {
		r.next = 0
		r.pass += r.period
	}
	return i, at
}

// Sample returns the key index of the next access of the trace, ignoring
// t, and moves past it.
func (r *Replay) Sample(t time.Duration) uint32 {
	i, _ := r.advance()
	return r.index[i]
}

// Next returns the next access of the trace, with its recorded op.
func (r *Replay) Next() Access {
	i, at := r.advance()
	return Access{At: at, Key: r.keys.Key(r.index[i]), Op: r.ops[i]}
}

// NextIndex returns the key index and stream time of the next access.
func (r *Replay) NextIndex() (uint32, time.Duration) {
	i, at := r.advance()
	return r.index[i], at
}

// Fill sets dst to the key indices of the next len(dst) accesses.
func (r *Replay) Fill(dst []uint32) {
	for k := range dst {
		i, _ := r.advance()
		dst[k] = r.index[i]
	}
}
