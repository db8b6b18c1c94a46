package redistest

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// Direction is one way through a Proxy.
type Direction int

const (
	// ClientToServer is the way requests travel: from the proxy's clients
	// to the server behind it.
	ClientToServer Direction = iota
	// ServerToClient is the way replies and pushes travel.
	ServerToClient
)

// String returns "client→server" or "server→client".
func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "client→server"
	case ServerToClient:
		return "server→client"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// proxyFaults is the fault state of a Proxy; the zero value forwards
// everything at once.
type proxyFaults struct {
	latency [2]time.Duration // added to each chunk, per Direction
	held    [2]bool          // nothing read or written in this Direction
	drop    bool             // new connections are accepted and closed
	reset   bool             // new connections are accepted and reset
}

// Proxy is a TCP proxy on 127.0.0.1 in front of one server that injects
// network faults: added latency, dropped and reset connections, silent
// (half-open) connections and one-way partitions. Every control applies
// at once to the connections already open and to those made later, until
// Heal. Clients reach the server through it by dialing Addr instead of
// the server's address.
//
// Each connection is two TCP connections (client side and server side)
// and four goroutines: a reader and a writer for each direction, so that
// latency delays bytes without limiting throughput. All methods are safe
// for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup // the accept loop and every connection's goroutines

	// mu guards faults, changed, conns, closed and accepted.
	mu       sync.Mutex
	faults   proxyFaults
	changed  chan struct{} // closed and replaced whenever faults change
	conns    map[*proxyConn]struct{}
	closed   bool
	accepted int
}

// NewProxy starts a proxy to target ("host:port") on a free loopback port
// and closes it, with every connection through it, when tb ends. It fails
// tb if it cannot listen.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p, err := StartProxy(target)
	if err != nil {
		tb.Fatalf("redistest.StartProxy: %v", err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	return p
}

// StartProxy starts a proxy to target on a free loopback port. The caller
// must Close it. It does not dial target until a client connects.
func StartProxy(target string) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, fmt.Errorf("redistest: proxy target %q: %w", target, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("redistest: proxy listen: %w", err)
	}
	p := &Proxy{
		target:  target,
		ln:      ln,
		changed: make(chan struct{}),
		conns:   make(map[*proxyConn]struct{}),
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.accept()
	}()
	return p, nil
}

// Addr returns the address clients dial, "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target returns the address of the server behind the proxy.
func (p *Proxy) Target() string { return p.target }

// String returns "proxy addr → target".
func (p *Proxy) String() string { return p.Addr() + " → " + p.target }

// Accepted returns how many client connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Open returns how many connections are open through the proxy.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// SetLatency delays every chunk of bytes by d in the given directions
// (both when none is given), on open and new connections. Bytes keep
// their order; throughput is not limited. Zero removes the delay; values
// that are not a Direction are ignored.
func (p *Proxy) SetLatency(d time.Duration, dirs ...Direction) {
	if len(dirs) == 0 {
		dirs = []Direction{ClientToServer, ServerToClient}
	}
	p.update(func(f *proxyFaults) {
		for _, dir := range dirs {
			if dir == ClientToServer || dir == ServerToClient {
				f.latency[dir] = max(d, 0)
			}
		}
	})
}

// Partition cuts one direction of every connection, open or new: the
// proxy stops reading and writing it, while the other direction keeps
// flowing. Partition(ServerToClient) is a server that applies commands
// whose replies (and pushes) never arrive; Partition(ClientToServer) one
// that never hears them, though it can still speak.
//
// Bytes are held back, never thrown away: TCP cannot lose bytes in the
// middle of a stream, it retransmits them until the path heals or the
// connection dies. So they wait in the kernel's buffers and are delivered
// after Heal, unless the connection is closed first. (Discarding them and
// resuming the stream afterwards would hand the receiver a stream with a
// hole, which no real network produces.) A dir that is not a Direction
// is ignored.
func (p *Proxy) Partition(dir Direction) {
	p.update(func(f *proxyFaults) {
		if dir == ClientToServer || dir == ServerToClient {
			f.held[dir] = true
		}
	})
}

// HalfOpen makes every connection, open or new, silent: the proxy stops
// reading and writing but keeps the sockets open, as when a peer vanished
// without a FIN or a firewall started dropping packets. New connections
// are still accepted by the kernel, so to a client the server is
// blackholed: dials succeed, nothing is ever answered. Bytes sent in the
// meantime wait in the kernel's buffers and are delivered after Heal,
// as delayed packets would be.
func (p *Proxy) HalfOpen() {
	p.update(func(f *proxyFaults) { f.held = [2]bool{true, true} })
}

// Drop closes every open connection (a FIN to both ends) and, until
// Heal, accepts each new connection and closes it at once.
func (p *Proxy) Drop() {
	p.update(func(f *proxyFaults) { f.drop = true })
	for _, c := range p.snapshot() {
		c.close(false)
	}
}

// Reset resets every open connection (an RST to both ends, as a
// crashed middlebox would) and, until Heal, resets each new connection
// as soon as it is accepted.
func (p *Proxy) Reset() {
	p.update(func(f *proxyFaults) { f.reset = true })
	for _, c := range p.snapshot() {
		c.close(true)
	}
}

// Heal removes every fault: latency, partitions, silence, drops and
// resets. Connections that survived the fault carry on; bytes held back
// by Partition and HalfOpen are delivered.
func (p *Proxy) Heal() {
	p.update(func(f *proxyFaults) { *f = proxyFaults{} })
}

// Close stops accepting, closes every connection and waits for the
// proxy's goroutines. Later calls return nil.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	for _, c := range p.snapshot() {
		c.close(false)
	}
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// update changes the fault state under mu and wakes every goroutine
// waiting for a change.
func (p *Proxy) update(change func(*proxyFaults)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	change(&p.faults)
	close(p.changed)
	p.changed = make(chan struct{})
}

// state returns the current faults and a channel closed when they change.
func (p *Proxy) state() (proxyFaults, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults, p.changed
}

// snapshot returns the open connections.
func (p *Proxy) snapshot() []*proxyConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*proxyConn, 0, len(p.conns))
	for c := range p.conns {
		out = append(out, c)
	}
	return out
}

// accept runs on the proxy's accept goroutine until the listener closes.
func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure (too many open files): wait a little
			// instead of spinning.
			time.Sleep(5 * time.Millisecond)
			continue
		}
		p.mu.Lock()
		f, closed := p.faults, p.closed
		p.accepted++
		p.mu.Unlock()
		switch {
		case closed || f.drop:
			_ = client.Close()
			continue
		case f.reset:
			resetConn(client)
			continue
		}
		server, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			// The server is down: the client sees its connection
			// refused the only way a proxy can say it, with a reset.
			resetConn(client)
			continue
		}
		c := &proxyConn{p: p, sides: [2]net.Conn{client, server}, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = client.Close()
			_ = server.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		for _, dir := range []Direction{ClientToServer, ServerToClient} {
			chunks := make(chan chunk, 64)
			p.wg.Add(2)
			go func() {
				defer p.wg.Done()
				c.read(dir, chunks)
			}()
			go func() {
				defer p.wg.Done()
				c.write(dir, chunks)
			}()
		}
	}
}

// resetConn closes conn with an RST instead of a FIN.
func resetConn(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// chunk is what one read returned, with the time it was read; a chunk
// with err set is the last of its direction.
type chunk struct {
	b   []byte
	at  time.Time
	err error
}

// proxyConn is one client connection through the proxy.
type proxyConn struct {
	p     *Proxy
	sides [2]net.Conn // [0] the client's side, [1] the server's side

	once sync.Once
	done chan struct{} // closed by close
}

// source and sink return the connections a direction reads and writes.
func (c *proxyConn) source(dir Direction) net.Conn { return c.sides[dir] }
func (c *proxyConn) sink(dir Direction) net.Conn   { return c.sides[1-dir] }

// close closes both sides once, with an RST if reset.
func (c *proxyConn) close(reset bool) {
	c.once.Do(func() {
		close(c.done)
		for _, s := range c.sides {
			if reset {
				resetConn(s)
			} else {
				_ = s.Close()
			}
		}
		c.p.mu.Lock()
		delete(c.p.conns, c)
		c.p.mu.Unlock()
	})
}

// waitUntil blocks until ok(faults) holds, and returns those faults; it
// returns false if the connection closed first.
func (c *proxyConn) waitUntil(ok func(proxyFaults) bool) (proxyFaults, bool) {
	for {
		f, changed := c.p.state()
		if ok(f) {
			return f, true
		}
		select {
		case <-changed:
		case <-c.done:
			return f, false
		}
	}
}

// read runs on the reader goroutine of dir: it reads from the source
// (unless dir is held) and hands chunks to the writer.
func (c *proxyConn) read(dir Direction, chunks chan<- chunk) {
	src := c.source(dir)
	flows := func(f proxyFaults) bool { return !f.held[dir] }
	for {
		if _, ok := c.waitUntil(flows); !ok {
			return
		}
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		ch := chunk{b: buf[:n], at: time.Now(), err: err}
		if err != nil && n > 0 {
			// Deliver the bytes first, then the end.
			select {
			case chunks <- chunk{b: buf[:n], at: ch.at}:
			case <-c.done:
				return
			}
			ch.b = nil
		}
		select {
		case chunks <- ch:
		case <-c.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// write runs on the writer goroutine of dir: it delivers chunks to the
// sink after the latency, and holds them while dir is held. The end of
// the source closes the whole connection once what came before it is
// delivered.
func (c *proxyConn) write(dir Direction, chunks <-chan chunk) {
	dst := c.sink(dir)
	flows := func(f proxyFaults) bool { return !f.held[dir] }
	for {
		var ch chunk
		select {
		case ch = <-chunks:
		case <-c.done:
			return
		}
		f, ok := c.waitUntil(flows)
		if !ok {
			return
		}
		if len(ch.b) > 0 {
			if wait := time.Until(ch.at.Add(f.latency[dir])); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-c.done:
					t.Stop()
					return
				}
			}
			if _, err := dst.Write(ch.b); err != nil {
				c.close(false)
				return
			}
		}
		if ch.err != nil {
			c.close(false)
			return
		}
	}
}
