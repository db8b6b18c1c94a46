package nearcache

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// errConnClosed is the error of operations on a connection that was closed
// on purpose (Cache.Close, a reconnect).
var errConnClosed = errors.New("nearcache: connection closed")

// conn is one connection of the near cache to a Redis node: the fill
// connection, which carries the reads whose keys the server tracks, or in
// redirect mode the invalidation subscriber. Requests are pipelined; one
// reader goroutine reads the connection continuously, so that replies and
// invalidation messages are processed in exactly the order in which the
// server wrote them.
type conn struct {
	nc      net.Conn
	rd      *reader
	timeout time.Duration // write deadline of each send

	// isPush tells invalidation messages (RESP3 push frames, or RESP2
	// pub/sub messages on the subscriber) from replies, and onPush
	// handles them. Both run on the reader goroutine and must not block.
	isPush func(*Value) bool
	onPush func(*Value)

	// wmu serialises writers, so that requests are queued in the order in
	// which they are written.
	wmu  sync.Mutex
	wbuf []byte // guarded by wmu

	// mu guards queue and err, and the replies and killed fields of the
	// op at the head of the queue.
	mu    sync.Mutex
	queue []*op // requests written and not yet answered, oldest first
	err   error // why the connection failed; nil while it works

	running atomic.Bool   // set by start
	done    chan struct{} // closed when the reader goroutine has exited
}

// op is one pipelined request: several commands whose replies are
// delivered together.
type op struct {
	cmds    [][]string
	want    int     // replies expected: len(cmds)
	replies []Value // guarded by conn.mu until the op leaves the queue
	sentAt  int64   // real clock, taken before the op was written

	// keys are the keys an invalidation of which, once the reply of the
	// read (replies[read]) has arrived, makes the op's values stale:
	// killed is then set. An invalidation before that reply concerns a
	// write the read already saw.
	keys   []string
	read   int
	killed bool

	// finish runs on the reader goroutine once every reply is in, before
	// done is closed, in order with invalidation messages. It must not
	// block.
	finish func(*op)
	// release, if set, runs exactly once when the op is over, whether it
	// was answered (after finish), failed with the connection or could
	// not be sent, and before done is closed. It runs on the reader
	// goroutine, or on the goroutine that failed the connection or tried
	// to send, and must not block.
	release func(*op)
	done    chan struct{}
	err     error // set before done is closed if the connection failed
}

func newOp(finish func(*op), cmds ...[]string) *op {
	return &op{cmds: cmds, want: len(cmds), finish: finish, done: make(chan struct{})}
}

func newConn(nc net.Conn, timeout time.Duration) *conn {
	return &conn{nc: nc, rd: newReader(nc), timeout: timeout, done: make(chan struct{})}
}

// roundTrip sends one command and reads its reply. It is used during the
// handshake, before the reader goroutine starts.
func (c *conn) roundTrip(ctx context.Context, args ...string) (Value, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.nc.SetDeadline(dl)
		defer c.nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c.wbuf = appendCommand(c.wbuf[:0], args...)
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return Value{}, ctxErr(ctx, err)
	}
	for {
		v, err := c.rd.read()
		if err != nil {
			return Value{}, ctxErr(ctx, err)
		}
		if c.isPush != nil && c.isPush(&v) {
			continue // nothing is tracked yet
		}
		return v, nil
	}
}

// ctxErr prefers the context's error to the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// start starts the reader goroutine.
func (c *conn) start() {
	c.running.Store(true)
	go c.readLoop()
}

// started reports whether start was called.
func (c *conn) started() bool { return c.running.Load() }

// send writes the commands of ops, in one write. It returns an error, and
// no op is queued, if the connection has failed; otherwise every op
// completes (or fails) later.
func (c *conn) send(ops ...*op) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.queue = append(c.queue, ops...)
	c.mu.Unlock()
	c.wbuf = c.wbuf[:0]
	for _, o := range ops {
		for _, cmd := range o.cmds {
			c.wbuf = appendCommand(c.wbuf, cmd...)
		}
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.timeout))
	if _, err := c.nc.Write(c.wbuf); err != nil {
		c.fail(err) // fails o too
	}
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil
	}
	return nil
}

func (c *conn) readLoop() {
	defer close(c.done)
	for {
		v, err := c.rd.read()
		if err != nil {
			c.fail(err)
			return
		}
		if c.isPush(&v) {
			c.onPush(&v)
			continue
		}
		c.mu.Lock()
		if c.err != nil {
			c.mu.Unlock()
			return
		}
		if len(c.queue) == 0 {
			c.mu.Unlock()
			c.fail(protoErr("a reply nobody asked for: %s", v.Kind))
			return
		}
		o := c.queue[0]
		o.replies = append(o.replies, v)
		if len(o.replies) < o.want {
			c.mu.Unlock()
			continue
		}
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.mu.Unlock()
		if o.finish != nil {
			o.finish(o)
		}
		o.end(nil)
	}
}

// end runs o's release and closes done, with err (nil if o was answered).
func (o *op) end(err error) {
	o.err = err
	if o.release != nil {
		o.release(o)
	}
	close(o.done)
}

// kill marks the op in progress (the head of the queue, once its first
// reply has arrived) as killed if it reads key. It runs on the reader
// goroutine, for invalidation messages.
func (c *conn) kill(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return
	}
	o := c.queue[0]
	if len(o.replies) <= o.read || o.killed {
		return
	}
	for _, k := range o.keys {
		if k == key {
			o.killed = true
			return
		}
	}
}

// killAll marks the op in progress as killed, for a flush.
func (c *conn) killAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) > 0 && len(c.queue[0].replies) > c.queue[0].read {
		c.queue[0].killed = true
	}
}

// fail closes the connection with err (the first error wins) and fails
// every queued op.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	q := c.queue
	c.queue = nil
	c.mu.Unlock()
	_ = c.nc.Close()
	for _, o := range q {
		o.end(err)
	}
}

// failed returns the connection's error, nil while it works.
func (c *conn) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// close fails the connection on purpose and waits for its reader.
func (c *conn) close() {
	c.fail(errConnClosed)
	<-c.done
}

// pending returns the send time of the oldest request not yet answered,
// and whether there is one.
func (c *conn) oldest() (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return 0, false
	}
	return c.queue[0].sentAt, true
}
