package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/heat"
)

// Source is what a Member publishes: the instance's own hottest keys and
// total traffic. *heat.Tracker implements it.
type Source interface {
	Top(k int) []heat.KeyStat
	Totals() heat.Totals
}

// ErrNoSource is returned by Publish on a Member that joined without a
// Source, as an observer.
var ErrNoSource = errors.New("fleet: member has no source to publish")

// readCount is the most entries one XREAD returns.
const readCount = 1000

// timeScript reads the clock of the server that holds the stream: run
// with the stream as its key, it is routed to that node in a cluster.
var timeScript = redis.NewScript("return redis.call('TIME')")

// Member is one instance's place in the fleet: it publishes the
// instance's heat summaries to the shared stream and merges everyone's
// into a fleet-wide view (Top, Totals, IsHot, events). Create it with Join
// and stop it with Close. All methods are safe for concurrent use.
type Member struct {
	client redis.UniversalClient
	src    Source // nil for an observer
	opts   Options
	base   time.Time // origin of the default clock (monotonic)

	hot  atomic.Pointer[hotSet] // read by IsHot
	view atomic.Pointer[view]   // read by Top and Totals

	// readMu serialises reads of the stream and guards lastID, nowID and
	// batch.
	readMu sync.Mutex
	lastID streamID
	nowID  streamID         // the server's clock at Join, for the first read
	batch  []redis.XMessage // scratch of read

	// pubMu serialises publishes and guards seq.
	pubMu sync.Mutex
	seq   uint64

	// mu guards the merged state below; evaluations hold it throughout.
	mu        sync.Mutex
	instances map[string]*instance
	hotKeys   map[aggKey]*hotKey
	agg       map[aggKey]*aggStat // scratch of evaluate

	// subsMu guards subs and subsClosed.
	subsMu     sync.Mutex
	subs       []*Subscription
	subsClosed bool

	stats   counters
	logLast [2]atomic.Int64 // Unix ms of the last logged publish and read error

	closeOnce sync.Once
	stop      chan struct{}
	ctx       context.Context // of the goroutines' I/O; cancelled by Close
	cancel    context.CancelFunc
	publisher sync.WaitGroup
	reader    sync.WaitGroup
}

// instance is the merged state's record of one instance.
type instance struct {
	id   streamID // entry of its current summary
	seen int64    // local ms when that summary was current
	sum  summary
}

// counters are the Member's statistics.
type counters struct {
	published, publishErrors, publishedBytes atomic.Uint64
	lastBytes                                atomic.Int64
	received, malformed, unknownVersion      atomic.Uint64
	stale, readErrors, gaps                  atomic.Uint64
	joined, left, expired                    atomic.Uint64
	evaluations, events, dropped             atomic.Uint64
}

// Join makes an instance a member of the fleet that shares opts.Stream on
// client: it reads the server's clock and the summaries published in the
// last TTL, so the fleet view is complete when Join returns, and then
// (unless opts.Clock is set) starts a goroutine that publishes src's
// summary every Interval and one that reads the stream with XREAD BLOCK.
// A nil src joins as an observer that reads without publishing (a
// dashboard, `redhot top`). The client stays the caller's; it must not be
// closed before the Member.
func Join(ctx context.Context, client redis.UniversalClient, src Source, opts Options) (*Member, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: client is nil", ErrInvalidOptions)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Member{
		client:    client,
		src:       src,
		opts:      o,
		base:      time.Now(),
		instances: make(map[string]*instance),
		hotKeys:   make(map[aggKey]*hotKey),
		agg:       make(map[aggKey]*aggStat),
		stop:      make(chan struct{}),
	}
	m.hot.Store(&hotSet{})
	m.view.Store(&view{})
	m.ctx, m.cancel = context.WithCancel(context.Background())
	// Start reading at the summaries of the last TTL, on the server's
	// clock.
	serverMs, err := m.serverClock(ctx)
	if err == nil {
		m.lastID = streamID{ms: uint64(max(serverMs-o.TTL.Milliseconds(), 0))}
		m.nowID = streamID{ms: uint64(max(serverMs, 0))}
		err = m.Sync(ctx)
	}
	if err != nil {
		m.cancel()
		return nil, fmt.Errorf("fleet: join %s: %w", o.Stream, err)
	}
	if o.Clock != nil {
		return m, nil
	}
	if src != nil {
		m.publisher.Add(1)
		go m.publishLoop()
	}
	m.reader.Add(1)
	go m.readLoop()
	return m, nil
}

// Options returns the Member's options with defaults filled in.
func (m *Member) Options() Options { return m.opts }

// Instance returns this instance's id.
func (m *Member) Instance() string { return m.opts.Instance }

// now returns the local clock.
func (m *Member) now() time.Time {
	if m.opts.Clock != nil {
		return m.opts.Clock.Now()
	}
	return time.Now()
}

// nowMs returns the local clock in milliseconds; the default clock is
// monotonic, so a step of the system clock does not age instances.
func (m *Member) nowMs() int64 {
	if m.opts.Clock != nil {
		return m.opts.Clock.Now().UnixMilli()
	}
	return m.base.UnixMilli() + time.Since(m.base).Milliseconds()
}

// serverClock reads the clock of the server that holds the stream, in
// Unix milliseconds.
func (m *Member) serverClock(ctx context.Context) (int64, error) {
	reply, err := timeScript.Run(ctx, m.client, []string{m.opts.Stream}).StringSlice()
	if err == nil {
		if len(reply) == 2 {
			sec, err1 := strconv.ParseInt(reply[0], 10, 64)
			usec, err2 := strconv.ParseInt(reply[1], 10, 64)
			if err1 == nil && err2 == nil {
				return sec*1000 + usec/1000, nil
			}
		}
		return 0, fmt.Errorf("TIME replied %q", reply)
	}
	// Scripts may be denied (ACL): TIME itself then, from whichever node
	// the client picks.
	tm, err2 := m.client.Time(ctx).Result()
	if err2 != nil {
		// Both refused or failed: name both, TIME's first (its refusal,
		// "-NOPERM ... 'time'", is the one the ACL hint should fix).
		return 0, fmt.Errorf("reading the server's clock: TIME: %w (the clock script: %v)", err2, err)
	}
	return tm.UnixMilli(), nil
}

// publishLoop is the publishing goroutine.
func (m *Member) publishLoop() {
	defer m.publisher.Done()
	tick := time.NewTicker(m.opts.Interval)
	defer tick.Stop()
	for {
		_ = m.Publish(m.ctx) // counted and logged
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
	}
}

// Publish sends the instance's summary to the stream now: src's Top(TopK)
// keys at or above MinRate and its totals, trimming the stream to about
// MaxLen entries. The publishing goroutine calls it every Interval; with
// Options.Clock, call it yourself.
func (m *Member) Publish(ctx context.Context) error {
	if m.src == nil {
		return ErrNoSource
	}
	return m.publish(ctx, false)
}

func (m *Member) publish(ctx context.Context, leaving bool) error {
	m.pubMu.Lock()
	defer m.pubMu.Unlock()
	m.seq++
	s := summary{instance: m.opts.Instance, seq: m.seq, sentAt: m.now(), leaving: leaving}
	if !leaving {
		s.totals = m.src.Totals()
		for _, k := range m.src.Top(m.opts.TopK) {
			if k.Rate > 0 && k.Rate >= m.opts.MinRate {
				s.keys = append(s.keys, keyRate{key: k.Key, truncated: k.Truncated, rate: k.Rate, writeRate: k.WriteRate})
			}
		}
		if m.opts.CacheStats != nil {
			cs := m.opts.CacheStats()
			s.cache = &cs
		}
	}
	values := encodeSummary(&s)
	err := m.client.XAdd(ctx, &redis.XAddArgs{
		Stream: m.opts.Stream,
		MaxLen: m.opts.MaxLen,
		Approx: true,
		Values: values,
	}).Err()
	if err != nil {
		m.stats.publishErrors.Add(1)
		err = fmt.Errorf("fleet: publish to %s: %w", m.opts.Stream, err)
		m.logError(0, "fleet publish failed", err)
		return err
	}
	n := entryBytes(values)
	m.stats.published.Add(1)
	m.stats.publishedBytes.Add(uint64(n))
	m.stats.lastBytes.Store(int64(n))
	return nil
}

// readLoop is the reading goroutine: XREAD BLOCK for at most Interval, so
// instances age out on time even when nobody publishes.
func (m *Member) readLoop() {
	defer m.reader.Done()
	for {
		select {
		case <-m.stop:
			return
		default:
		}
		if err := m.read(m.ctx, m.opts.Interval); err != nil {
			if m.ctx.Err() != nil {
				return
			}
			t := time.NewTimer(min(m.opts.Interval, time.Second))
			select {
			case <-m.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// Sync reads every summary published since the last read, without
// blocking, and updates the fleet view, ageing out instances whose last
// summary is older than TTL. The reading goroutine does this continually;
// with Options.Clock, call it yourself.
func (m *Member) Sync(ctx context.Context) error { return m.read(ctx, -1) }

// read reads the stream, blocking up to block for the first entry when
// block >= 0, until it has drained it, then evaluates the view.
func (m *Member) read(ctx context.Context, block time.Duration) error {
	m.readMu.Lock()
	defer m.readMu.Unlock()
	batch := m.batch[:0]
	from := m.lastID
	var err error
	for {
		var res []redis.XStream
		res, err = m.client.XRead(ctx, &redis.XReadArgs{
			Streams: []string{m.opts.Stream, from.String()},
			Count:   readCount,
			Block:   block,
		}).Result()
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		if err != nil {
			m.stats.readErrors.Add(1)
			err = fmt.Errorf("fleet: read %s: %w", m.opts.Stream, err)
			m.logError(1, "fleet read failed", err)
			break
		}
		n := 0
		for _, st := range res {
			for _, msg := range st.Messages {
				n++
				batch = append(batch, msg)
				if id, ok := parseID(msg.ID); ok && from.less(id) {
					from = id
				}
			}
		}
		if n < readCount {
			break
		}
		block = -1 // more may be waiting
	}
	arrival := m.nowMs()
	// The first read, at Join, knows the server's clock: summaries of
	// instances that died just before are as old as the server says, not
	// as recent as the newest of them.
	newest := from
	if newest.less(m.nowID) {
		newest = m.nowID
	}
	m.nowID = streamID{}
	m.applyBatch(batch, newest, arrival)
	m.lastID = from
	clear(batch) // let the summaries go
	m.batch = batch[:0]
	m.evaluate()
	return err
}

// applyBatch merges the entries of one read, the newest of which has ID
// newest, that reached this member at arrival (local ms).
//
// Each summary's age is measured without any instance's clock: the newest
// entry of the read (or, at Join, the server's clock) is taken to be
// current at arrival, and each older entry older by the distance between
// their stream IDs, which the server assigned on its own clock. So a
// summary never counts as fresher than when it got here, nor, in a
// backlog read after a stall, fresher than the server says it is.
func (m *Member) applyBatch(batch []redis.XMessage, newest streamID, arrival int64) {
	for _, msg := range batch {
		id, ok := parseID(msg.ID)
		if !ok {
			m.stats.malformed.Add(1)
			continue
		}
		s, err := decodeSummary(msg.Values)
		switch {
		case errors.Is(err, errUnknownVersion):
			m.stats.unknownVersion.Add(1)
			continue
		case err != nil:
			m.stats.malformed.Add(1)
			continue
		}
		m.stats.received.Add(1)
		lag := min(newest.ms-id.ms, 1<<40) // an ID far in the future must not wrap
		m.apply(&s, id, arrival-int64(lag))
	}
}

// apply merges one decoded summary from entry id, current at seen (local
// ms).
func (m *Member) apply(s *summary, id streamID, seen int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inst := m.instances[s.instance]
	if inst != nil && !inst.id.less(id) {
		return // already applied
	}
	if s.leaving {
		if inst != nil {
			delete(m.instances, s.instance)
			m.stats.left.Add(1)
		}
		return
	}
	if m.nowMs()-seen > m.opts.TTL.Milliseconds() {
		m.stats.stale.Add(1)
		return
	}
	if inst == nil {
		inst = &instance{}
		m.instances[s.instance] = inst
		m.stats.joined.Add(1)
	} else if s.seq > inst.sum.seq+1 {
		m.stats.gaps.Add(s.seq - inst.sum.seq - 1)
	}
	inst.id, inst.seen, inst.sum = id, seen, *s
}

// logError logs err at most once a second per kind (0 publish, 1 read).
func (m *Member) logError(kind int, msg string, err error) {
	if m.opts.Logger == nil {
		return
	}
	now := time.Now().UnixMilli()
	last := m.logLast[kind].Load()
	if now-last < 1000 || !m.logLast[kind].CompareAndSwap(last, now) {
		return
	}
	m.opts.Logger.LogAttrs(context.Background(), slog.LevelError, msg,
		slog.String("stream", m.opts.Stream), slog.String("instance", m.opts.Instance), slog.String("error", err.Error()))
}

// Close leaves the fleet: it stops publishing, publishes a last summary
// that tells the other members to drop this instance at once (waiting at
// most a second or TTL for it), stops reading (which may take up to
// Interval, the XREAD block), and closes every subscription. It does not
// close the client. It returns nil.
func (m *Member) Close() error {
	m.closeOnce.Do(func() {
		close(m.stop)
		m.publisher.Wait()
		if m.src != nil {
			ctx, cancel := context.WithTimeout(context.Background(), min(time.Second, m.opts.TTL))
			_ = m.publish(ctx, true)
			cancel()
		}
		m.cancel()
		m.reader.Wait()
		m.subsMu.Lock()
		subs := m.subs
		m.subs, m.subsClosed = nil, true
		m.subsMu.Unlock()
		for _, s := range subs {
			s.closeLocked()
		}
	})
	return nil
}

// Stats describe a Member's work so far.
type Stats struct {
	// Published counts summaries this instance added to the stream;
	// PublishErrors the attempts that failed.
	Published, PublishErrors uint64
	// PublishedBytes is the size of the published entries (fields and
	// values); LastSummaryBytes that of the last one.
	PublishedBytes   uint64
	LastSummaryBytes int
	// Received counts entries read and decoded, this instance's included.
	Received uint64
	// Malformed counts entries skipped because they could not be decoded;
	// UnknownVersion entries of another format version, also skipped.
	Malformed, UnknownVersion uint64
	// Stale counts summaries already older than TTL when read.
	Stale uint64
	// Gaps counts summaries of live instances that never arrived (trimmed
	// before they were read, or lost with a failed publish).
	Gaps uint64
	// ReadErrors counts failed reads of the stream or the server's clock.
	ReadErrors uint64
	// Instances is the number of live instances now, this one included
	// once its first summary has been read back.
	Instances int
	// Joined counts instances that appeared, Left those that said goodbye,
	// Expired those that stopped publishing and aged out.
	Joined, Left, Expired uint64
	// Hot is the number of keys hot fleet-wide now.
	Hot int
	// Evaluations counts merges of the view; Events hot and cooled events
	// produced; DroppedEvents those lost by full subscriptions.
	Evaluations, Events, DroppedEvents uint64
}

// Stats returns the Member's counters.
func (m *Member) Stats() Stats {
	v := m.view.Load()
	st := Stats{
		Published:        m.stats.published.Load(),
		PublishErrors:    m.stats.publishErrors.Load(),
		PublishedBytes:   m.stats.publishedBytes.Load(),
		LastSummaryBytes: int(m.stats.lastBytes.Load()),
		Received:         m.stats.received.Load(),
		Malformed:        m.stats.malformed.Load(),
		UnknownVersion:   m.stats.unknownVersion.Load(),
		Stale:            m.stats.stale.Load(),
		Gaps:             m.stats.gaps.Load(),
		ReadErrors:       m.stats.readErrors.Load(),
		Instances:        v.instances,
		Joined:           m.stats.joined.Load(),
		Left:             m.stats.left.Load(),
		Expired:          m.stats.expired.Load(),
		Hot:              v.hot,
		Evaluations:      m.stats.evaluations.Load(),
		Events:           m.stats.events.Load(),
		DroppedEvents:    m.stats.dropped.Load(),
	}
	return st
}
