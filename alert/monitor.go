package alert

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redhot/redhot/heat"
)

// Source is what a Monitor watches: the hottest keys and the total
// traffic. *heat.Tracker (this process's traffic) and *fleet.Member (the
// whole fleet's) implement it.
type Source interface {
	Top(k int) []heat.KeyStat
	Totals() heat.Totals
}

// eventSource is implemented by sources with hot and cooled events, such
// as *heat.Tracker: the Monitor then evaluates as soon as an event comes
// instead of at the next Interval.
type eventSource interface {
	Subscribe(buffer int) *heat.Subscription
}

// Options configure a Monitor. The zero value gives the documented
// defaults.
type Options struct {
	// Rules decide which keys raise alerts; see Rule.
	// default: one rule, "hot", that follows the source's own hot flag
	// (heat's rules), with the default 5-minute cooldown
	Rules []Rule

	// Notifiers deliver the alerts, each from its own goroutine and queue.
	// Their names must differ.
	// default: none (alerts are only counted, and returned by Evaluate)
	Notifiers []Notifier

	// Interval is how often the source's Top keys are read and the rules
	// applied. With a *heat.Tracker the Monitor also evaluates at once on
	// each hot or cooled event; other sources can call Wake.
	// default: 1 second
	Interval time.Duration

	// TopN is how many of the source's hottest keys each evaluation looks
	// at. A key outside them counts as idle.
	// default: 100
	TopN int

	// QueueSize is how many alerts may wait for each notifier; when a
	// queue is full, new alerts for that notifier are dropped and counted.
	// default: 256
	QueueSize int

	// DrainTimeout is how long Close lets notifiers deliver the alerts
	// still queued before cancelling their contexts; alerts left after
	// that are dropped. Negative: cancel at once.
	// default: 5 seconds
	DrainTimeout time.Duration

	// Origin is written into every alert (Alert.Origin): a host or
	// instance name, "fleet", ...
	// default: ""
	Origin string

	// Clock is the time source for alert timestamps, For and Cooldown.
	// When set, the Monitor starts no evaluation goroutine: call Evaluate.
	// Notifier goroutines run either way.
	// default: the system clock, with evaluations every Interval
	Clock heat.Clock

	// Logger receives a record for each failed or panicking notification.
	// default: none (failures are counted in Stats only)
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	bad := func(field string, v any) (Options, error) {
		return o, fmt.Errorf("%w: Options.%s = %v", ErrInvalidOptions, field, v)
	}
	if len(o.Rules) == 0 {
		o.Rules = []Rule{{Name: "hot"}}
	}
	names := make(map[string]int, len(o.Notifiers))
	for i, n := range o.Notifiers {
		if n == nil {
			return bad(fmt.Sprintf("Notifiers[%d]", i), "nil")
		}
		if j, dup := names[n.Name()]; dup {
			return bad(fmt.Sprintf("Notifiers[%d]", i), fmt.Sprintf("%q, a name Notifiers[%d] has", n.Name(), j))
		}
		names[n.Name()] = i
	}
	o.Notifiers = append([]Notifier(nil), o.Notifiers...)
	if o.Interval == 0 {
		o.Interval = time.Second
	}
	if o.Interval < time.Millisecond {
		return bad("Interval", o.Interval)
	}
	if o.TopN == 0 {
		o.TopN = 100
	}
	if o.TopN < 1 || o.TopN > 100_000 {
		return bad("TopN", o.TopN)
	}
	if o.QueueSize == 0 {
		o.QueueSize = 256
	}
	if o.QueueSize < 1 {
		return bad("QueueSize", o.QueueSize)
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 5 * time.Second
	}
	o.DrainTimeout = max(o.DrainTimeout, 0)
	return o, nil
}

// Monitor watches a Source, applies rules and hands alerts to notifiers.
// Create it with New and stop it with Close. All methods are safe for
// concurrent use.
type Monitor struct {
	src    Source
	opts   Options
	queues []*queue

	// mu serialises evaluations and guards eval and closed: once closed
	// is set no alert is queued, so the queues can be closed.
	mu     sync.Mutex
	eval   *Evaluator
	closed bool

	evaluations atomic.Uint64
	fired       atomic.Uint64
	resolved    atomic.Uint64
	suppressed  atomic.Uint64
	active      atomic.Int64

	wake chan struct{} // capacity 1: a pending wake-up
	sub  *heat.Subscription

	// ctx is given to notifiers; cancel ends it DrainTimeout into Close.
	ctx    context.Context
	cancel context.CancelFunc

	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{} // closed when the evaluation goroutine ends
	notifying sync.WaitGroup
}

// New returns a Monitor of src configured by opts. It starts one goroutine
// per notifier and, unless opts.Clock is set, one that evaluates every
// Interval (and on the source's events); Close stops them.
func New(src Source, opts Options) (*Monitor, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: source is nil", ErrInvalidOptions)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ev, err := NewEvaluator(o.Rules)
	if err != nil {
		return nil, err
	}
	o.Rules = ev.Rules()
	m := &Monitor{
		src:  src,
		opts: o,
		eval: ev,
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	for _, n := range o.Notifiers {
		q := &queue{n: n, c: make(chan Alert, o.QueueSize)}
		m.queues = append(m.queues, q)
		m.notifying.Add(1)
		go m.deliver(q)
	}
	if o.Clock != nil {
		close(m.done)
		return m, nil
	}
	if es, ok := src.(eventSource); ok {
		m.sub = es.Subscribe(64)
	}
	go m.run()
	return m, nil
}

// Options returns the Monitor's options with defaults filled in.
func (m *Monitor) Options() Options { return m.opts }

// run is the evaluation goroutine: every Interval, and when woken.
func (m *Monitor) run() {
	defer close(m.done)
	tick := time.NewTicker(m.opts.Interval)
	defer tick.Stop()
	var events <-chan heat.Event
	if m.sub != nil {
		events = m.sub.C
	}
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		case <-m.wake:
		case _, ok := <-events:
			if !ok {
				events = nil // the tracker closed; keep polling
				continue
			}
			// One evaluation answers a burst of events.
			for drained := false; !drained; {
				select {
				case _, ok := <-events:
					if !ok {
						events, drained = nil, true
					}
				default:
					drained = true
				}
			}
		}
		m.Evaluate()
	}
}

// Wake asks for an evaluation now instead of at the next Interval; wakes
// that come while one is pending merge. It never blocks. Sources other
// than *heat.Tracker (a fleet.Member, say) call it from their events.
func (m *Monitor) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Evaluate reads the source's Top keys and totals, applies the rules and
// queues the resulting alerts for every notifier. It returns those alerts.
// The evaluation goroutine calls it every Interval; with Options.Clock,
// call it yourself. After Close it does nothing.
func (m *Monitor) Evaluate() []Alert {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	top := m.src.Top(m.opts.TopN)
	tot := m.src.Totals()
	at := time.Now()
	if m.opts.Clock != nil {
		at = m.opts.Clock.Now()
	}
	alerts := m.eval.Evaluate(at, tot, top)
	m.evaluations.Add(1)
	m.suppressed.Store(m.eval.Suppressed())
	m.active.Store(int64(m.eval.Firing()))
	for i := range alerts {
		a := &alerts[i]
		a.Origin = m.opts.Origin
		if a.Kind == Firing {
			m.fired.Add(1)
		} else {
			m.resolved.Add(1)
		}
		for _, q := range m.queues {
			select {
			case q.c <- *a:
			default:
				q.dropped.Add(1)
			}
		}
	}
	return alerts
}

// Close stops evaluating, lets notifiers deliver what is queued for up to
// DrainTimeout, then cancels them and waits for their goroutines. It does
// not close the source or the clients notifiers use. It returns nil.
func (m *Monitor) Close() error {
	m.closeOnce.Do(func() {
		close(m.stop)
		<-m.done
		if m.sub != nil {
			m.sub.Close()
		}
		m.mu.Lock()
		m.closed = true
		for _, q := range m.queues {
			close(q.c)
		}
		m.mu.Unlock()
		drained := make(chan struct{})
		go func() {
			m.notifying.Wait()
			close(drained)
		}()
		t := time.NewTimer(m.opts.DrainTimeout)
		select {
		case <-drained:
		case <-t.C:
		}
		t.Stop()
		m.cancel()
		<-drained
	})
	return nil
}

// queue is one notifier's backlog. Its goroutine (deliver) is the only
// caller of n.Notify.
type queue struct {
	n Notifier
	c chan Alert // closed by Close, under Monitor.mu

	sent, failed, dropped atomic.Uint64
	lastErr               atomic.Pointer[string]
}

// deliver is a notifier's goroutine: it sends queued alerts one at a time
// until Close closes the queue, and drops what is left once the drain
// timeout has cancelled the context.
func (m *Monitor) deliver(q *queue) {
	defer m.notifying.Done()
	for a := range q.c {
		if m.ctx.Err() != nil {
			q.dropped.Add(1)
			continue
		}
		if err := m.notify(q, a); err != nil {
			q.failed.Add(1)
			msg := err.Error()
			q.lastErr.Store(&msg)
			if m.opts.Logger != nil {
				m.opts.Logger.LogAttrs(m.ctx, slog.LevelError, "alert notification failed",
					slog.String("notifier", q.n.Name()), slog.String("rule", a.Rule),
					slog.String("key", readableKey(a.Key)), slog.String("kind", a.Kind.String()),
					slog.String("error", msg))
			}
			continue
		}
		q.sent.Add(1)
	}
}

// notify calls the notifier, turning a panic into an error so that one
// bad callback cannot stop its queue or the process.
func (m *Monitor) notify(q *queue, a Alert) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("alert: notifier %s panicked: %v", q.n.Name(), p)
		}
	}()
	return q.n.Notify(m.ctx, a)
}

// Stats describe a Monitor's work so far.
type Stats struct {
	// Evaluations is the number of evaluations.
	Evaluations uint64
	// Fired and Resolved count the firing and resolved alerts raised
	// (before delivery).
	Fired, Resolved uint64
	// Suppressed counts firings the rules' cooldowns kept from notifying.
	Suppressed uint64
	// Active is the number of (rule, key) pairs firing now.
	Active int
	// Notifiers has one entry per notifier, in Options order.
	Notifiers []NotifierStats
}

// NotifierStats describe one notifier's deliveries.
type NotifierStats struct {
	// Name is the notifier's name.
	Name string
	// Sent counts alerts delivered; Failed alerts whose Notify returned an
	// error or panicked; Dropped alerts that found the queue full, or
	// were still queued when Close cancelled delivery.
	Sent, Failed, Dropped uint64
	// Queued is the number of alerts waiting now.
	Queued int
	// LastError is the last failure's message, "" when none.
	LastError string
}

// Stats returns the Monitor's counters.
func (m *Monitor) Stats() Stats {
	st := Stats{
		Evaluations: m.evaluations.Load(),
		Fired:       m.fired.Load(),
		Resolved:    m.resolved.Load(),
		Suppressed:  m.suppressed.Load(),
		Active:      int(m.active.Load()),
		Notifiers:   make([]NotifierStats, len(m.queues)),
	}
	for i, q := range m.queues {
		ns := NotifierStats{
			Name:    q.n.Name(),
			Sent:    q.sent.Load(),
			Failed:  q.failed.Load(),
			Dropped: q.dropped.Load(),
			Queued:  len(q.c),
		}
		if e := q.lastErr.Load(); e != nil {
			ns.LastError = *e
		}
		st.Notifiers[i] = ns
	}
	return st
}
