package heat

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Op says whether an access reads or writes its key.
type Op uint8

const (
	// Read is an access that leaves the key unchanged (GET, HGETALL, ...).
	Read Op = iota
	// Write is an access that changes the key (SET, INCR, DEL, ...).
	Write
)

// String returns "read" or "write".
func (o Op) String() string {
	if o == Write {
		return "write"
	}
	return "read"
}

// Options configure a Tracker. The zero value gives the documented defaults.
type Options struct {
	// Capacity is the number of keys each stripe tracks with exact counts.
	// Top(k) is accurate for k well below Capacity.
	// default: 1000
	Capacity int

	// Window is the time constant of the exponential decay: an access
	// weighs e times less after each Window, so rates average over roughly
	// the last Window.
	// default: 1 second
	Window time.Duration

	// Rules decide which keys are hot. See Rules for its defaults.
	Rules Rules

	// MaxKeyBytes is how many bytes of each tracked key are kept for
	// reporting; longer keys are still counted exactly (by hash), IsHot
	// still answers for them, and they are reported with KeyStat.Truncated
	// set.
	// default: 64
	MaxKeyBytes int

	// Stripes is the number of independent sketches observations are spread
	// over, one per processor, so that concurrent callers do not contend.
	// default: GOMAXPROCS, at most 4
	Stripes int

	// SketchCounters is the number of sketch counters, shared out among
	// the stripes (each gets a power of two, at least 512). Each key
	// updates four of them, all in one cache line. Too small a sketch for
	// the number of distinct keys seen per Window lets cold keys into the
	// table; 32 counters per tracked key kept recall@100 at 1.0 on ten
	// million undecayed Zipf accesses over a million keys.
	// default: 32 × Capacity
	SketchCounters int

	// Clock is the time source. When set, Observe calls Clock.Now on every
	// access and the tracker runs no goroutine: call Evaluate to apply the
	// rules.
	// default: the system clock, sampled every Resolution
	Clock Clock

	// Resolution is how often the default clock is sampled. Ignored when
	// Clock is set.
	// default: 1 millisecond
	Resolution time.Duration

	// EvalInterval is how often the background goroutine applies the rules
	// and emits events. Ignored when Clock is set.
	// default: 10 milliseconds
	EvalInterval time.Duration
}

// Rules decide when a key is hot. A key turns hot when every enabled
// condition holds, and cools when any of them fails by the CoolRatio margin
// after it has been hot for at least MinHot.
type Rules struct {
	// MinRate is the smallest rate (accesses per second, or weight per
	// second for weighted observations) of a hot key. Negative disables.
	// default: 50
	MinRate float64

	// MinShare is the smallest share of all traffic of a hot key, in (0, 1].
	// Negative disables.
	// default: 0.01 (1%)
	MinShare float64

	// TopK, when positive, lets only the K highest-rate keys be hot.
	// default: 0 (no limit)
	TopK int

	// CoolRatio is the hysteresis: a hot key cools when its rate falls
	// below CoolRatio × MinRate, its share below CoolRatio × MinShare, or
	// its rank beyond TopK / CoolRatio. In (0, 1].
	// default: 0.5
	CoolRatio float64

	// MinHot is the shortest time a key stays hot once flagged.
	// default: Window
	MinHot time.Duration
}

// ErrInvalidOptions is returned by New when an option is out of range; the
// wrapping error names the field.
var ErrInvalidOptions = errors.New("heat: invalid options")

func (o Options) withDefaults() (Options, error) {
	bad := func(field string, v any) (Options, error) {
		return o, fmt.Errorf("%w: %s = %v", ErrInvalidOptions, field, v)
	}
	if o.Capacity == 0 {
		o.Capacity = 1000
	}
	if o.Capacity < 1 || o.Capacity > 1<<20 {
		return bad("Capacity", o.Capacity)
	}
	if o.Window == 0 {
		o.Window = time.Second
	}
	if o.Window < time.Millisecond {
		return bad("Window", o.Window)
	}
	if o.MaxKeyBytes == 0 {
		o.MaxKeyBytes = 64
	}
	if o.MaxKeyBytes < 1 || o.MaxKeyBytes > 1<<16 {
		return bad("MaxKeyBytes", o.MaxKeyBytes)
	}
	if o.Stripes == 0 {
		o.Stripes = min(runtime.GOMAXPROCS(0), 4)
	}
	if o.Stripes < 1 || o.Stripes > 64 {
		return bad("Stripes", o.Stripes)
	}
	if o.SketchCounters == 0 {
		o.SketchCounters = 32 * o.Capacity
	}
	if o.SketchCounters < 1 || o.SketchCounters > 1<<28 {
		return bad("SketchCounters", o.SketchCounters)
	}
	if o.Resolution == 0 {
		o.Resolution = time.Millisecond
	}
	if o.Resolution < 0 {
		return bad("Resolution", o.Resolution)
	}
	if o.EvalInterval == 0 {
		o.EvalInterval = 10 * time.Millisecond
	}
	if o.EvalInterval < 0 {
		return bad("EvalInterval", o.EvalInterval)
	}
	r := &o.Rules
	if r.MinRate == 0 {
		r.MinRate = 50
	}
	if r.MinShare == 0 {
		r.MinShare = 0.01
	}
	if math.IsNaN(r.MinRate) || math.IsInf(r.MinRate, 0) {
		return bad("Rules.MinRate", r.MinRate)
	}
	if math.IsNaN(r.MinShare) || r.MinShare > 1 {
		return bad("Rules.MinShare", r.MinShare)
	}
	if r.TopK < 0 {
		return bad("Rules.TopK", r.TopK)
	}
	if r.CoolRatio == 0 {
		r.CoolRatio = 0.5
	}
	if !(r.CoolRatio > 0 && r.CoolRatio <= 1) {
		return bad("Rules.CoolRatio", r.CoolRatio)
	}
	if r.MinHot == 0 {
		r.MinHot = o.Window
	}
	if r.MinHot < 0 {
		return bad("Rules.MinHot", r.MinHot)
	}
	if r.MinRate < 0 && r.MinShare < 0 && r.TopK == 0 {
		return bad("Rules", "no condition enabled (MinRate, MinShare and TopK all disabled)")
	}
	return o, nil
}

// Tracker finds the hot keys of a stream of accesses. Create one with New
// and stop it with Close. All methods are safe for concurrent use.
type Tracker struct {
	opts   Options
	seed   maphash.Seed
	window float64 // Window in nanoseconds
	minAge int64   // smallest age used to normalise a key's rate, ns
	start  int64   // clock nanoseconds at New

	stripes []*stripe

	clock  Clock // nil: coarse
	coarse coarseClock

	hot atomic.Pointer[hotSet] // published by evaluations, read by IsHot

	// evalMu serialises evaluations and guards eval.
	evalMu sync.Mutex
	eval   evaluator

	// subsMu guards subs.
	subsMu sync.Mutex
	subs   []*Subscription

	evaluations atomic.Uint64
	events      atomic.Uint64

	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

// New returns a Tracker configured by opts. Unless opts.Clock is set it
// starts a goroutine that samples the clock and applies the rules; Close
// stops it.
func New(opts Options) (*Tracker, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	t := &Tracker{
		opts:   o,
		seed:   maphash.MakeSeed(),
		window: float64(o.Window),
		minAge: int64(min(o.Window/20, 50*time.Millisecond)),
		clock:  o.Clock,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	if t.clock == nil {
		t.coarse.set(time.Now())
	}
	t.start = t.now()
	blocks := 64 // 512 counters
	for blocks*8*o.Stripes < o.SketchCounters {
		blocks <<= 1
	}
	t.stripes = make([]*stripe, o.Stripes)
	for i := range t.stripes {
		t.stripes[i] = newStripe(o.Capacity, o.MaxKeyBytes, blocks, int64(o.Window), t.start)
	}
	t.eval.init()
	t.hot.Store(&hotSet{})
	if t.clock == nil {
		go t.run()
	} else {
		close(t.done)
	}
	return t, nil
}

// Must is New that panics on invalid options, for package-level setup in
// programs whose options are constants.
func Must(opts Options) *Tracker {
	t, err := New(opts)
	if err != nil {
		panic(err)
	}
	return t
}

// Close stops the tracker's goroutine and waits for it, and closes every
// subscription. Observe keeps working after Close but nothing is evaluated.
func (t *Tracker) Close() error {
	t.closeOnce.Do(func() {
		close(t.stop)
		<-t.done
		t.subsMu.Lock()
		subs := t.subs
		t.subs = nil
		t.subsMu.Unlock()
		for _, s := range subs {
			s.closeLocked()
		}
	})
	return nil
}

func (t *Tracker) run() {
	defer close(t.done)
	tick := time.NewTicker(t.opts.Resolution)
	defer tick.Stop()
	nextEval := time.Now().Add(t.opts.EvalInterval)
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			// Not the ticker's time, which may lag: the present.
			now := time.Now()
			t.coarse.set(now)
			if !now.Before(nextEval) {
				t.Evaluate()
				nextEval = now.Add(t.opts.EvalInterval)
			}
		}
	}
}

// now returns the tracker's clock in nanoseconds.
func (t *Tracker) now() int64 {
	if t.clock != nil {
		return t.clock.Now().UnixNano()
	}
	return t.coarse.now()
}

// Observe records one access of key. It is safe for concurrent use and
// allocates nothing.
func (t *Tracker) Observe(key string, op Op) {
	t.observe(key, op == Write, 1)
}

// ObserveBytes is Observe for a key held in a byte slice. The slice is not
// retained.
func (t *Tracker) ObserveBytes(key []byte, op Op) {
	t.observe(unsafe.String(unsafe.SliceData(key), len(key)), op == Write, 1)
}

// ObserveWeighted records an access of key that weighs w (for example the
// bytes transferred). Rates then count weight per second. Observations
// with a weight that is not a positive finite number are ignored.
func (t *Tracker) ObserveWeighted(key string, op Op, w float64) {
	if !(w > 0) || math.IsInf(w, 1) {
		return
	}
	t.observe(key, op == Write, w)
}

func (t *Tracker) observe(key string, write bool, mult float64) {
	h := maphash.String(t.seed, key)
	now := t.now()
	s := t.stripes[procID()%len(t.stripes)]
	if !s.mu.TryLock() {
		s = t.lockOther(s)
	}
	s.observe(h, key, write, mult, now)
	s.mu.Unlock()
}

// lockOther is Observe's slow path, taken when this processor's stripe is
// busy: another processor shares it (more processors than stripes, or the
// goroutine moved between reading its processor and locking), or a reader
// holds it. It locks the first free stripe, or waits for its own.
func (t *Tracker) lockOther(own *stripe) *stripe {
	for _, o := range t.stripes {
		if o != own && o.mu.TryLock() {
			return o
		}
	}
	own.mu.Lock()
	return own
}

// norm returns the decayed length, in seconds, of the span from since to
// now: τ(1-e^(-Δ/τ)) with Δ at least the tracker's minimum age.
func (t *Tracker) norm(now, since int64) float64 {
	d := now - since
	if d < t.minAge {
		d = t.minAge
	}
	return t.window * -math.Expm1(-float64(d)/t.window) / 1e9
}

// MemoryBytes returns the memory the tracker's sketches and tables hold. It
// is fixed at New.
func (t *Tracker) MemoryBytes() int {
	n := int(unsafe.Sizeof(*t))
	for _, s := range t.stripes {
		n += s.memoryBytes()
	}
	return n
}

// Options returns the tracker's options with defaults filled in.
func (t *Tracker) Options() Options { return t.opts }
