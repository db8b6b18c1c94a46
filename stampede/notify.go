package stampede

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// notifier carries fill notifications for every key a Cache is waiting on
// over one pub/sub connection. Waiters watch a key's channel; the first
// watch of a channel subscribes to it and the last one to leave
// unsubscribes, so a Cache holds one extra connection however many keys it
// waits on, and a channel nobody waits on costs nothing.
//
// Two goroutines, both started by the first watch and stopped by close:
// the receiver reads the connection and wakes watches; the writer sends
// SUBSCRIBE and UNSUBSCRIBE in the order they were asked for, so that
// watch and unwatch never wait for the network and a quick
// unsubscribe-then-subscribe of one channel cannot be reordered into
// subscribe-then-unsubscribe.
//
// Notifications are hints: a waiter always checks Redis itself after one,
// and polls when none comes. A lost message (a broken connection, a
// subscription not yet confirmed) costs at most a poll interval.
type notifier struct {
	client redis.UniversalClient
	retry  time.Duration // pause after a receive error

	ctx    context.Context // ends at close; bounds the writer's commands
	cancel context.CancelFunc
	wg     sync.WaitGroup // the receiver and the writer

	// mu guards everything below.
	mu      sync.Mutex
	ps      *redis.PubSub            // nil until the first watch
	subs    map[string]*subscription // by channel, while watched
	pending map[string]int           // SUBSCRIBEs sent per channel, not yet confirmed
	ops     []subOp                  // commands for the writer, in order
	kick    chan struct{}            // capacity 1: wakes the writer
	closed  bool
}

// maxReceivePause bounds the pause between attempts to read the pub/sub
// connection while it keeps failing.
const maxReceivePause = 2 * time.Second

// subscription is the state of one watched channel.
type subscription struct {
	ready   chan struct{} // closed once the server confirmed the subscription
	isReady bool
	watches map[*watch]struct{}
}

// subOp is one command for the writer.
type subOp struct {
	subscribe bool // SUBSCRIBE, else UNSUBSCRIBE
	channel   string
}

// watch is one waiter's interest in a channel.
type watch struct {
	n       *notifier
	channel string
	sub     *subscription // nil when the notifier was closed

	// ready is closed once notifications for the channel are flowing.
	ready <-chan struct{}
	// C receives (without blocking the receiver; capacity 1) when a
	// notification for the channel arrives, or when the connection broke
	// and notifications may have been lost.
	C chan struct{}
}

func newNotifier(client redis.UniversalClient, retry time.Duration) *notifier {
	ctx, cancel := context.WithCancel(context.Background())
	return &notifier{
		client:  client,
		retry:   retry,
		ctx:     ctx,
		cancel:  cancel,
		subs:    make(map[string]*subscription),
		pending: make(map[string]int),
		kick:    make(chan struct{}, 1),
	}
}

// watch starts watching channel. The caller must call w.close.
func (n *notifier) watch(channel string) *watch {
	w := &watch{n: n, channel: channel, C: make(chan struct{}, 1)}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		// Nothing will come: the waiter polls.
		ready := make(chan struct{})
		close(ready)
		w.ready = ready
		return w
	}
	if n.ps == nil {
		n.ps = n.client.Subscribe(n.ctx)
		n.wg.Add(2)
		go n.receive(n.ps)
		go n.write(n.ps)
	}
	s := n.subs[channel]
	if s == nil {
		s = &subscription{ready: make(chan struct{}), watches: make(map[*watch]struct{})}
		n.subs[channel] = s
		n.pending[channel]++
		n.enqueue(subOp{subscribe: true, channel: channel})
	}
	s.watches[w] = struct{}{}
	w.sub, w.ready = s, s.ready
	return w
}

// close stops the watch; the last watch of a channel unsubscribes.
func (w *watch) close() {
	if w == nil || w.sub == nil {
		return
	}
	n := w.n
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(w.sub.watches, w)
	if len(w.sub.watches) == 0 && n.subs[w.channel] == w.sub {
		delete(n.subs, w.channel)
		if !n.closed {
			n.enqueue(subOp{channel: w.channel})
		}
	}
	w.sub = nil
}

// enqueue hands op to the writer. n.mu must be held.
func (n *notifier) enqueue(op subOp) {
	n.ops = append(n.ops, op)
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// write is the writer goroutine: it sends queued commands in order.
func (n *notifier) write(ps *redis.PubSub) {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.kick:
		}
		n.mu.Lock()
		ops := n.ops
		n.ops = nil
		n.mu.Unlock()
		for _, op := range ops {
			ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
			var err error
			if op.subscribe {
				err = ps.Subscribe(ctx, op.channel)
			} else {
				err = ps.Unsubscribe(ctx, op.channel)
			}
			cancel()
			if err != nil && op.subscribe {
				// No confirmation is coming for this one. The client keeps
				// the channel and subscribes again when it reconnects; until
				// then the waiters poll.
				n.mu.Lock()
				n.confirmLocked(op.channel, false)
				n.mu.Unlock()
			}
		}
	}
}

// receive is the receiver goroutine: it dispatches messages and
// subscription confirmations until close.
func (n *notifier) receive(ps *redis.PubSub) {
	defer n.wg.Done()
	pause := n.retry
	for {
		msg, err := ps.Receive(n.ctx)
		if err != nil {
			if n.ctx.Err() != nil {
				return
			}
			// The client reconnects and subscribes again by itself;
			// messages sent meanwhile are lost, so every waiter looks.
			// While Redis stays down, retry less and less often: waiters
			// poll anyway.
			n.wakeAll()
			t := time.NewTimer(pause)
			select {
			case <-n.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			pause = min(2*pause, maxReceivePause)
			continue
		}
		pause = n.retry
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				n.mu.Lock()
				n.confirmLocked(m.Channel, true)
				n.mu.Unlock()
			}
		case *redis.Message:
			n.mu.Lock()
			if s := n.subs[m.Channel]; s != nil {
				s.wake()
			}
			n.mu.Unlock()
		}
	}
}

// confirmLocked accounts for the answer to a SUBSCRIBE of channel: a
// confirmation from the server, or a failure to send it. A confirmation
// nobody asked for comes from the client subscribing again after a
// reconnect: notifications may have been lost, so the waiters look again.
// n.mu must be held.
func (n *notifier) confirmLocked(channel string, confirmed bool) {
	p, asked := n.pending[channel]
	if asked {
		if p <= 1 {
			delete(n.pending, channel)
			p = 0
		} else {
			p--
			n.pending[channel] = p
		}
	}
	s := n.subs[channel]
	if s == nil || !confirmed {
		return
	}
	if p == 0 && !s.isReady {
		s.isReady = true
		close(s.ready)
	}
	if !asked {
		s.wake()
	}
}

// wake signals every watch of s. The notifier's mu must be held.
func (s *subscription) wake() {
	for w := range s.watches {
		select {
		case w.C <- struct{}{}:
		default:
		}
	}
}

// wakeAll signals every watch.
func (n *notifier) wakeAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range n.subs {
		s.wake()
	}
}

// close stops both goroutines and closes the connection. Watches still
// open stay harmless: they are never signalled again.
func (n *notifier) close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	ps := n.ps
	n.mu.Unlock()
	n.cancel()
	if ps != nil {
		_ = ps.Close()
	}
	n.wg.Wait()
}
