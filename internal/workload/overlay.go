package workload

import (
	"fmt"
	"math"
	"time"
)

// StepOptions configures NewStep.
type StepOptions struct {
	// Background draws the accesses that do not go to Key. Its own Rate
	// and clock are not used. Required.
	Background Sampler

	// Key is the key that appears at stream time At. It should not be one
	// of Background's keys.
	// default: "viral:1"
	Key string

	// At is the stream time from which Key takes Share of the traffic;
	// before it, Key is never accessed.
	// default: 0
	At time.Duration

	// Share is the fraction of accesses that go to Key from At on, in
	// [0, 1]; Background keeps the rest.
	// default: 0 (Key never appears)
	Share float64

	// Seed selects the sequence; the same options (and Background state)
	// give the same accesses.
	// default: 0, a seed like any other
	Seed uint64

	// Rate is the number of accesses per second of stream time.
	// default: DefaultRate
	Rate float64

	// Poisson makes the gaps between accesses exponential with mean 1/Rate
	// instead of exactly 1/Rate.
	// default: false
	Poisson bool
}

// Decay is the shape of a flash sale's fade.
type Decay uint8

const (
	// DecayLinear fades the share linearly to 0 over the fade duration.
	DecayLinear Decay = iota
	// DecayExponential fades the share exponentially with the fade
	// duration as time constant: it falls to 1/e of the peak after one
	// fade duration and never quite reaches 0.
	DecayExponential
)

// FlashSaleOptions configures NewFlashSale. The share of Key over stream
// time is:
//
//	share
//	Peak |        ______
//	     |       /      \
//	     |      /        \
//	   0 |_____/          \_______
//	          Start  Ramp  Hold  Fade
type FlashSaleOptions struct {
	// Background draws the accesses that do not go to Key. Its own Rate
	// and clock are not used. Required.
	Background Sampler

	// Key is the key on sale. It should not be one of Background's keys.
	// default: "sale:1"
	Key string

	// Start is the stream time at which Key starts to be accessed.
	// default: 0
	Start time.Duration

	// Ramp is how long Key's share takes to rise linearly from 0 to Peak.
	// default: 0 (an instant jump)
	Ramp time.Duration

	// Hold is how long Key's share stays at Peak.
	// default: 0
	Hold time.Duration

	// Fade is how long Key's share takes to fall back to 0 (DecayLinear),
	// or the time constant of its fall (DecayExponential).
	// default: 0 (an instant drop)
	Fade time.Duration

	// Decay is the shape of the fade.
	// default: DecayLinear
	Decay Decay

	// Peak is Key's highest share of the traffic, in [0, 1].
	// default: 0 (Key never appears)
	Peak float64

	// Seed selects the sequence; the same options (and Background state)
	// give the same accesses.
	// default: 0, a seed like any other
	Seed uint64

	// Rate is the number of accesses per second of stream time.
	// default: DefaultRate
	Rate float64

	// Poisson makes the gaps between accesses exponential with mean 1/Rate
	// instead of exactly 1/Rate.
	// default: false
	Poisson bool
}

// Overlay adds one extra key to a background distribution and gives it a
// share of the traffic that depends on stream time: each access goes to
// the extra key with probability Share(t) and to the background
// otherwise. NewStep and NewFlashSale build one.
//
// The extra key's index is Background.Len(), one past the background's
// keys, so Len is Background.Len()+1.
type Overlay struct {
	bg    Sampler
	extra uint32 // the extra key's index, bg.Len()
	key   string
	curve shareCurve
	draws rng
	clk   clock
}

// shareCurve is the extra key's share over stream time: 0 before start, a
// linear ramp to peak over ramp, peak for hold (for ever if step), then a
// fade of the given decay over fade.
type shareCurve struct {
	start, ramp, hold, fade time.Duration
	step                    bool
	decay                   Decay
	peak                    float64
}

// at returns the share at stream time t.
func (c *shareCurve) at(t time.Duration) float64 {
	if t < c.start {
		return 0
	}
	if c.step {
		return c.peak
	}
	t -= c.start
	if t < c.ramp {
		return c.peak * float64(t) / float64(c.ramp)
	}
	t -= c.ramp
	if t < c.hold {
		return c.peak
	}
	t -= c.hold
	switch {
	case c.fade == 0:
		return 0
	case c.decay == DecayExponential:
		return c.peak * math.Exp(-float64(t)/float64(c.fade))
	case t < c.fade:
		return c.peak * (1 - float64(t)/float64(c.fade))
	}
	return 0
}

var _ IndexGenerator = (*Overlay)(nil)

// NewStep returns an Overlay whose key is absent before opts.At and takes
// opts.Share of the traffic from then on: a key that suddenly goes viral.
func NewStep(opts StepOptions) (*Overlay, error) {
	if opts.Key == "" {
		opts.Key = "viral:1"
	}
	if err := checkDuration("StepOptions.At", opts.At); err != nil {
		return nil, err
	}
	if err := checkShare("StepOptions.Share", opts.Share); err != nil {
		return nil, err
	}
	return newOverlay("StepOptions", opts.Background, opts.Key, opts.Seed, opts.Rate, opts.Poisson,
		shareCurve{start: opts.At, step: true, peak: opts.Share})
}

// NewFlashSale returns an Overlay whose key ramps up to a peak share,
// holds it and fades away, as in opts.
func NewFlashSale(opts FlashSaleOptions) (*Overlay, error) {
	if opts.Key == "" {
		opts.Key = "sale:1"
	}
	total := time.Duration(0)
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"FlashSaleOptions.Start", opts.Start},
		{"FlashSaleOptions.Ramp", opts.Ramp},
		{"FlashSaleOptions.Hold", opts.Hold},
		{"FlashSaleOptions.Fade", opts.Fade},
	} {
		if err := checkDuration(d.name, d.d); err != nil {
			return nil, err
		}
		if total > math.MaxInt64-d.d {
			return nil, badOption(d.name, d.d, "Start+Ramp+Hold+Fade overflows time.Duration")
		}
		total += d.d
	}
	if opts.Decay > DecayExponential {
		return nil, badOption("FlashSaleOptions.Decay", opts.Decay, "must be DecayLinear or DecayExponential")
	}
	if err := checkShare("FlashSaleOptions.Peak", opts.Peak); err != nil {
		return nil, err
	}
	return newOverlay("FlashSaleOptions", opts.Background, opts.Key, opts.Seed, opts.Rate, opts.Poisson,
		shareCurve{start: opts.Start, ramp: opts.Ramp, hold: opts.Hold, fade: opts.Fade, decay: opts.Decay, peak: opts.Peak})
}

// newOverlay checks the options common to NewStep and NewFlashSale and
// returns an Overlay with the given share curve.
func newOverlay(prefix string, bg Sampler, key string, seed uint64, rate float64, poisson bool, curve shareCurve) (*Overlay, error) {
	if bg == nil {
		return nil, badOption(prefix+".Background", nil, "required")
	}
	if bg.Len() >= math.MaxUint32 {
		return nil, badOption(prefix+".Background", bg.Len(), "has too many keys to add one")
	}
	rate, err := checkRate(prefix+".Rate", rate)
	if err != nil {
		return nil, err
	}
	return &Overlay{
		bg:    bg,
		extra: uint32(bg.Len()),
		key:   key,
		curve: curve,
		draws: newRNG(seed, streamKeys),
		clk:   newClock(rate, poisson, seed),
	}, nil
}

// Share returns the probability that an access at stream time t goes to
// the extra key.
func (o *Overlay) Share(t time.Duration) float64 { return o.curve.at(t) }

// KeyIndex returns the index of the extra key, Background.Len().
func (o *Overlay) KeyIndex() uint32 { return o.extra }

// Len returns the number of keys, Background.Len()+1.
func (o *Overlay) Len() int { return int(o.extra) + 1 }

// Key returns the key of index i, without allocating.
func (o *Overlay) Key(i uint32) string {
	if i == o.extra {
		return o.key
	}
	if i > o.extra {
		panic(fmt.Sprintf("workload: Overlay.Key(%d) out of range [0, %d)", i, o.Len()))
	}
	return o.bg.Key(i)
}

// Sample draws the key index of an access at stream time t.
func (o *Overlay) Sample(t time.Duration) uint32 {
	if s := o.curve.at(t); s > 0 && o.draws.float64() < s {
		return o.extra
	}
	return o.bg.Sample(t)
}

// Next returns the next access; Op is always Read.
func (o *Overlay) Next() Access {
	at := o.clk.next()
	return Access{At: at, Key: o.Key(o.Sample(at))}
}

// NextIndex returns the key index and stream time of the next access.
func (o *Overlay) NextIndex() (uint32, time.Duration) {
	at := o.clk.next()
	return o.Sample(at), at
}

// Fill sets dst to the key indices of the next len(dst) accesses.
func (o *Overlay) Fill(dst []uint32) {
	for i := range dst {
		dst[i] = o.Sample(o.clk.next())
	}
}
