package dashboard

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redhot/redhot/heat"
)

// Source is what a dashboard watches: the hottest keys with their rates
// and hot flags, and the total traffic. *fleet.Member (the fleet-wide
// view), *heat.Tracker and *inspect.MonitorStream implement it.
type Source interface {
	Top(k int) []heat.KeyStat
	Totals() heat.Totals
}

// RecorderOptions configure a Recorder. The zero value gives the
// documented defaults.
type RecorderOptions struct {
	// Keys is how many of the source's hottest keys each sample reads.
	// default: 20; at most 1000
	Keys int

	// History is how many samples of each key's rate are kept.
	// default: 300 (five minutes at one sample a second); at least 2
	History int

	// Events is how many hot and cooled events are kept.
	// default: 100
	Events int

	// Lookback is how many earlier samples a key's rate is compared with
	// to give its trend.
	// default: 5
	Lookback int
}

// ErrInvalidOptions is returned by NewRecorder and New when an option is
// out of range; the wrapping error names the field.
var ErrInvalidOptions = errors.New("dashboard: invalid options")

func (o RecorderOptions) withDefaults() (RecorderOptions, error) {
	if o.Keys == 0 {
		o.Keys = 20
	}
	if o.History == 0 {
		o.History = 300
	}
	if o.Events == 0 {
		o.Events = 100
	}
	if o.Lookback == 0 {
		o.Lookback = 5
	}
	switch {
	case o.Keys < 1 || o.Keys > 1000:
		return o, fmt.Errorf("%w: RecorderOptions.Keys = %d", ErrInvalidOptions, o.Keys)
	case o.History < 2 || o.History > 100_000:
		return o, fmt.Errorf("%w: RecorderOptions.History = %d", ErrInvalidOptions, o.History)
	case o.Events < 1:
		return o, fmt.Errorf("%w: RecorderOptions.Events = %d", ErrInvalidOptions, o.Events)
	case o.Lookback < 1 || o.Lookback >= o.History:
		return o, fmt.Errorf("%w: RecorderOptions.Lookback = %d", ErrInvalidOptions, o.Lookback)
	}
	return o, nil
}

// Trend says which way a key's rate is going: its rate against the mean of
// its previous Lookback samples, with a 15% dead band.
type Trend int8

// Trends.
const (
	Flat Trend = 0
	Up   Trend = 1
	Down Trend = -1
)

// String returns "up", "down" or "flat".
func (t Trend) String() string {
	switch t {
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return "flat"
}

// Event is a key turning hot or cooling down, as the recorder saw it.
type Event struct {
	// Kind is heat.Hot or heat.Cooled.
	Kind heat.EventKind
	// Key is the key, or the prefix the source kept when Truncated.
	Key       string
	Truncated bool
	// Rate and Share are the key's figures at the sample that saw the
	// change; 0 for a key that cooled by leaving the top Keys.
	Rate, Share float64
	// At is when it happened: the source's HotSince for a hot event, the
	// sample's time for a cooled one (so within one sample interval).
	At time.Time
	// HotFor is how long the key was hot; set on cooled events.
	HotFor time.Duration
}

// KeyView is one key of a Snapshot.
type KeyView struct {
	heat.KeyStat
	// Rank is the key's place in the snapshot, from 1.
	Rank int
	// History is the key's rate at each of Snapshot.Times, oldest first.
	// At a sample where the source did not list it among the top Keys,
	// the value is that sample's Floor or its previous value, whichever
	// is lower (0 before the key was first listed).
	History []float64
	// Trend compares Rate with the previous samples.
	Trend Trend
	// CooledAt is when the key last cooled, while it is not hot again and
	// its history is kept; zero otherwise.
	CooledAt time.Time
}

// Snapshot is what a Recorder saw at one sample. It is immutable.
type Snapshot struct {
	// Seq numbers the samples from 1; 0 is the empty snapshot before the
	// first sample.
	Seq uint64
	// At is the sample's time.
	At time.Time
	// Totals is the source's traffic.
	Totals heat.Totals
	// Keys are the source's hottest keys, highest rate first.
	Keys []KeyView
	// Times are the times of the kept samples, oldest first, matching
	// each KeyView.History.
	Times []time.Time
	// Events are the kept hot and cooled events, oldest first.
	Events []Event
	// Hot is the number of hot keys in Keys.
	Hot int
	// Floor bounds the rate of any key the source did not list: the
	// lowest listed rate when the source listed Keys keys, else 0. It is
	// what the histories record for a known key that was not listed.
	Floor float64
}

// Recorder samples a Source and keeps what a live view needs: each hot
// key's recent rates, its trend, and a timeline of hot and cooled events
// (found by comparing successive samples, so they work with any Source).
// It holds no goroutine: call Sample on your own schedule. It is safe for
// concurrent use.
type Recorder struct {
	src  Source
	opts RecorderOptions

	// mu guards everything below; Sample holds it throughout.
	mu     sync.Mutex
	seq    uint64
	times  []time.Time // ring of sample times, indexed by seq % History
	series map[seriesKey]*series
	events []Event // ring, oldest at evHead once full
	evHead int
	last   *Snapshot
}

// seriesKey identifies a key: a truncated key is the prefix the source
// kept, distinct from a whole key with the same bytes.
type seriesKey struct {
	key       string
	truncated bool
}

// series is one key's recent rates.
type series struct {
	rates    []float64 // ring, indexed by seq % History
	seen     uint64    // last sample the key was in the top
	hot      bool      // hot at its last sample
	hotSince time.Time
	cooledAt time.Time
}

// NewRecorder returns a Recorder of src.
func NewRecorder(src Source, opts RecorderOptions) (*Recorder, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: source is nil", ErrInvalidOptions)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Recorder{
		src:    src,
		opts:   o,
		times:  make([]time.Time, o.History),
		series: map[seriesKey]*series{},
		last:   &Snapshot{Keys: []KeyView{}, Times: []time.Time{}, Events: []Event{}},
	}, nil
}

// Options returns the recorder's options with defaults filled in.
func (r *Recorder) Options() RecorderOptions { return r.opts }

// Snapshot returns the last sample's snapshot, or an empty one (Seq 0)
// before the first.
func (r *Recorder) Snapshot() *Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// Sample reads the source now, records it as the sample at time now, and
// returns the new snapshot.
func (r *Recorder) Sample(now time.Time) *Snapshot {
	top := r.src.Top(r.opts.Keys)
	totals := r.src.Totals()

	r.mu.Lock()
	defer r.mu.Unlock()
	h := uint64(r.opts.History)
	r.seq++
	seq := r.seq
	slot := seq % h
	r.times[slot] = now

	var fresh []Event
	inTop := make(map[seriesKey]bool, len(top))
	for _, ks := range top {
		id := seriesKey{ks.Key, ks.Truncated}
		inTop[id] = true
		s := r.series[id]
		if s == nil {
			s = &series{rates: make([]float64, h)}
			r.series[id] = s
		}
		s.rates[slot] = ks.Rate
		s.seen = seq
		switch {
		case ks.Hot && !s.hot:
			fresh = append(fresh, hotEvent(ks, now))
			s.hot, s.hotSince = true, since(ks, now)
		case ks.Hot && ks.HotSince.After(s.hotSince):
			// Cooled and hot again between two samples.
			fresh = append(fresh, Event{Kind: heat.Cooled, Key: ks.Key, Truncated: ks.Truncated, At: ks.HotSince, HotFor: ks.HotSince.Sub(s.hotSince)})
			fresh = append(fresh, hotEvent(ks, now))
			s.hotSince = ks.HotSince
		case !ks.Hot && s.hot:
			fresh = append(fresh, Event{Kind: heat.Cooled, Key: ks.Key, Truncated: ks.Truncated, Rate: ks.Rate, Share: ks.Share, At: now, HotFor: max(now.Sub(s.hotSince), 0)})
			s.hot, s.cooledAt = false, now
		}
	}
	// A key the source did not list has at most the lowest listed rate
	// when the list was full, and none when it was not.
	floor := 0.0
	if len(top) >= r.opts.Keys && len(top) > 0 {
		floor = top[len(top)-1].Rate
	}
	for id, s := range r.series {
		if inTop[id] {
			continue
		}
		s.rates[slot] = min(s.rates[(seq-1)%h], floor)
		if s.hot {
			// Left the top while hot: its rate fell below every listed
			// key's.
			fresh = append(fresh, Event{Kind: heat.Cooled, Key: id.key, Truncated: id.truncated, At: now, HotFor: max(now.Sub(s.hotSince), 0)})
			s.hot, s.cooledAt = false, now
		}
		if seq-s.seen >= h {
			delete(r.series, id)
		}
	}
	r.bound(inTop)
	// In time order; at one instant, keys cool before others turn hot.
	slices.SortStableFunc(fresh, func(a, b Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(b.Kind, a.Kind)
	})
	for _, ev := range fresh {
		r.addEvent(ev)
	}
	r.last = r.snapshot(top, totals, now)
	r.last.Floor = floor
	return r.last
}

// bound keeps at most 4 × Keys series, dropping those that left the top
// longest ago.
func (r *Recorder) bound(inTop map[seriesKey]bool) {
	limit := 4 * r.opts.Keys
	if len(r.series) <= limit {
		return
	}
	type old struct {
		id   seriesKey
		seen uint64
	}
	var olds []old
	for id, s := range r.series {
		if !inTop[id] {
			olds = append(olds, old{id, s.seen})
		}
	}
	slices.SortFunc(olds, func(a, b old) int { return cmp.Compare(a.seen, b.seen) })
	for _, o := range olds[:min(len(olds), len(r.series)-limit)] {
		delete(r.series, o.id)
	}
}

func hotEvent(ks heat.KeyStat, now time.Time) Event {
	return Event{Kind: heat.Hot, Key: ks.Key, Truncated: ks.Truncated, Rate: ks.Rate, Share: ks.Share, At: since(ks, now)}
}

// since is when a hot key turned hot: the source's HotSince, else now.
func since(ks heat.KeyStat, now time.Time) time.Time {
	if ks.HotSince.IsZero() {
		return now
	}
	return ks.HotSince
}

func (r *Recorder) addEvent(ev Event) {
	if len(r.events) < r.opts.Events {
		r.events = append(r.events, ev)
		return
	}
	r.events[r.evHead] = ev
	r.evHead = (r.evHead + 1) % len(r.events)
}

// snapshot builds the snapshot of the current sample; r.mu is held.
func (r *Recorder) snapshot(top []heat.KeyStat, totals heat.Totals, now time.Time) *Snapshot {
	h := uint64(r.opts.History)
	n := min(r.seq, h)
	first := r.seq - n + 1 // oldest kept sample
	s := &Snapshot{
		Seq:    r.seq,
		At:     now,
		Totals: totals,
		Keys:   make([]KeyView, 0, len(top)),
		Times:  make([]time.Time, 0, n),
		Events: make([]Event, 0, len(r.events)),
	}
	for q := first; q <= r.seq; q++ {
		s.Times = append(s.Times, r.times[q%h])
	}
	for i, ks := range top {
		se := r.series[seriesKey{ks.Key, ks.Truncated}]
		kv := KeyView{KeyStat: ks, Rank: i + 1, History: make([]float64, 0, n)}
		for q := first; q <= r.seq; q++ {
			kv.History = append(kv.History, se.rates[q%h])
		}
		kv.Trend = trend(kv.History, r.opts.Lookback)
		if !ks.Hot {
			kv.CooledAt = se.cooledAt
		}
		if ks.Hot {
			s.Hot++
		}
		s.Keys = append(s.Keys, kv)
	}
	s.Events = append(s.Events, r.events[r.evHead:]...)
	s.Events = append(s.Events, r.events[:r.evHead]...)
	return s
}

// trend compares the last rate of history with the mean of the lookback
// rates before it.
func trend(history []float64, lookback int) Trend {
	if len(history) < 2 {
		return Flat
	}
	cur := history[len(history)-1]
	prev := history[max(0, len(history)-1-lookback) : len(history)-1]
	var sum float64
	for _, v := range prev {
		sum += v
	}
	mean := sum / float64(len(prev))
	const band, floor = 0.15, 0.5 // relative dead band; ignore changes below half an access a second
	switch {
	case cur > mean*(1+band) && cur-mean > floor:
		return Up
	case cur < mean*(1-band) && mean-cur > floor:
		return Down
	}
	return Flat
}
