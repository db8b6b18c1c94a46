package nearcache

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is an injected clock that moves only when told.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(1e12)
	return c
}

func (c *fakeClock) Now() int64              { return c.ns.Load() }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// fakeServer is a scripted RESP3 peer on a net.Pipe, for the protocol edge
// cases that a real server cannot be made to produce on cue (an
// invalidation between two replies of one pipeline). Everything else is
// tested against real redis-server processes.
type fakeServer struct {
	t     testing.TB
	reply func(cmd []string) string // the bytes to write for cmd

	mu    sync.Mutex // guards conns and cmds
	conns []net.Conn
	cmds  [][]string
	wg    sync.WaitGroup
}

// defaultReply answers the handshake and heartbeats of a tracking-capable
// primary.
func defaultReply(cmd []string) string {
	switch strings.ToUpper(cmd[0]) {
	case "HELLO":
		return "%1\r\n+proto\r\n:3\r\n"
	case "ROLE":
		return "*3\r\n+master\r\n:0\r\n*0\r\n"
	case "PING":
		return "+PONG\r\n"
	case "PTTL":
		return ":-1\r\n"
	}
	return "+OK\r\n"
}

func newFakeServer(t testing.TB, reply func(cmd []string) string) *fakeServer {
	f := &fakeServer{t: t, reply: reply}
	t.Cleanup(func() {
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *fakeServer) config() NodeConfig {
	return NodeConfig{Addr: "fake:1", Dial: func(ctx context.Context) (net.Conn, error) {
		client, server := net.Pipe()
		f.mu.Lock()
		f.conns = append(f.conns, server)
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serve(server)
		return client, nil
	}}
}

// serve answers the commands of c in order. Commands are read as they
// come, whether or not the earlier ones have been answered, as a kernel's
// socket buffer takes them from a real client: a reply that blocks holds
// up the replies after it, not the client's writes.
func (f *fakeServer) serve(c net.Conn) {
	defer f.wg.Done()
	defer c.Close()
	cmds := make(chan []string, 1024)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer close(cmds)
		r := newReader(c)
		for {
			v, err := r.read()
			if err != nil {
				return
			}
			cmd := make([]string, len(v.Elems))
			for i := range v.Elems {
				cmd[i] = v.Elems[i].Str
			}
			f.mu.Lock()
			f.cmds = append(f.cmds, cmd)
			f.mu.Unlock()
			cmds <- cmd
		}
	}()
	for cmd := range cmds {
		if _, err := c.Write([]byte(f.reply(cmd))); err != nil {
			return
		}
	}
}

// push writes raw bytes to the newest connection.
func (f *fakeServer) push(raw string) {
	f.mu.Lock()
	c := f.conns[len(f.conns)-1]
	f.mu.Unlock()
	if _, err := c.Write([]byte(raw)); err != nil {
		f.t.Fatalf("push: %v", err)
	}
}
