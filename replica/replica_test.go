package replica

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestParseReplication(t *testing.T) {
	primary := "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
		"slave0:ip=127.0.0.1,port=7001,state=online,offset=1000,lag=0\r\n" +
		"slave1:ip=127.0.0.1,port=7002,state=wait_bgsave,offset=0,lag=1\r\n" +
		"master_failover_state:no-failover\r\nmaster_replid:abc\r\nmaster_repl_offset:1500\r\n"
	ri, err := parseReplication(primary)
	if err != nil {
		t.Fatal(err)
	}
	if ri.offset != 1500 || len(ri.replicas) != 2 {
		t.Fatalf("parseReplication = %+v; want offset 1500 and 2 replicas", ri)
	}
	tests := []struct {
		addr   string
		found  bool
		state  string
		offset int64
	}{
		{"127.0.0.1:7001", true, "online", 1000},
		{"localhost:7002", true, "wait_bgsave", 0},
		{"127.0.0.1:7003", false, "", 0},
		{"bad address", false, "", 0},
	}
	for _, tc := range tests {
		r, ok := ri.find(tc.addr)
		if ok != tc.found || r.state != tc.state || r.offset != tc.offset {
			t.Errorf("find(%q) = %+v, %v; want state %q offset %d, %v", tc.addr, r, ok, tc.state, tc.offset, tc.found)
		}
	}
	if _, err := parseReplication("role:slave\r\nmaster_host:127.0.0.1\r\n"); err == nil {
		t.Error("parseReplication of a replica's INFO succeeded; want an error")
	}
}

func TestJudge(t *testing.T) {
	ri := replicationInfo{offset: 5000, replicas: []listedReplica{
		{addr: "h:1", port: "1", state: "online", offset: 4990},
		{addr: "h:2", port: "2", state: "online", offset: 1000},
		{addr: "h:3", port: "3", state: "wait_bgsave", offset: 5000},
	}}
	tests := []struct {
		name   string
		addr   string
		infoOK bool
		ping   error
		usable bool
		reason string
		lag    int64
	}{
		{"healthy", "h:1", true, nil, true, "", 10},
		{"lagging", "h:2", true, nil, false, "lagging 4000 bytes", 4000},
		{"syncing", "h:3", true, nil, false, "state=wait_bgsave", -1},
		{"unlisted", "h:4", true, nil, false, "not listed", -1},
		{"no answer", "h:1", true, errors.New("i/o timeout"), false, "down: i/o timeout", -1},
		{"primary unknown", "h:1", false, nil, false, "offsets unknown", -1},
	}
	for _, tc := range tests {
		n := &node{addr: tc.addr}
		n.judge(ri, tc.infoOK, tc.ping, 100)
		if n.usable != tc.usable || !strings.Contains(n.reason, tc.reason) || n.lag != tc.lag {
			t.Errorf("%s: usable %v, reason %q, lag %d; want %v, %q, %d", tc.name, n.usable, n.reason, n.lag, tc.usable, tc.reason, tc.lag)
		}
	}
}

// clock is a settable clock for ReadYourWrites.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestWriteLog(t *testing.T) {
	var c clock
	c.ns.Store(time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC).UnixNano())
	l := newWriteLog(100*time.Millisecond, 3, c.now)
	l.wrote("a")
	if !l.recent("a") || l.recent("b") {
		t.Fatalf("after writing a: recent(a) = %v, recent(b) = %v; want true, false", l.recent("a"), l.recent("b"))
	}
	c.advance(60 * time.Millisecond)
	l.wrote("a") // moves its window
	c.advance(60 * time.Millisecond)
	if !l.recent("a") {
		t.Error("recent(a) = false 60ms after its second write; want true")
	}
	c.advance(50 * time.Millisecond)
	if l.recent("a") {
		t.Error("recent(a) = true 110ms after its last write; want false")
	}
	// Full: more keys than the limit in one window make every key recent.
	for _, k := range []string{"b", "c", "d", "e"} {
		l.wrote(k)
	}
	if !l.recent("never-written") {
		t.Error("recent(never-written) = false with the log over its limit; want true (reads go to the primary)")
	}
	c.advance(150 * time.Millisecond)
	if l.recent("never-written") || l.recent("e") {
		t.Error("keys still recent after the window passed")
	}
	l.prune(c.now().UnixNano())
	if n := l.count.Load(); n != 0 {
		t.Errorf("count after prune = %d; want 0", n)
	}
	l.wroteAll()
	if !l.recent("x") {
		t.Error("recent(x) = false right after wroteAll; want true")
	}
	var none *writeLog
	none.wrote("a")
	if none.recent("a") {
		t.Error("a nil log reports a recent write")
	}
}

func TestOptionsValidation(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	tests := []struct {
		name  string
		opts  Options
		field string
	}{
		{"empty pattern", Options{Patterns: []string{"a*", ""}}, "Patterns[1]"},
		{"nil replica", Options{Replicas: []*redis.Client{nil}}, "Replicas[0]"},
		{"balance", Options{Balance: 5}, "Balance"},
		{"max lag", Options{MaxLag: -1}, "MaxLag"},
		{"refresh", Options{RefreshInterval: -1}, "RefreshInterval"},
		{"timeout", Options{Timeout: -1}, "Timeout"},
		{"ryw", Options{ReadYourWrites: -1}, "ReadYourWrites"},
		{"tracked", Options{MaxTrackedWrites: -1}, "MaxTrackedWrites"},
	}
	for _, tc := range tests {
		r, err := New(rdb, tc.opts)
		if err == nil {
			r.Close()
		}
		if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: New error = %v; want ErrInvalidOptions naming %s", tc.name, err, tc.field)
		}
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cc.Close()
	if _, err := New(cc, Options{Replicas: []*redis.Client{rdb}}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("New(cluster, Replicas) error = %v; want ErrInvalidOptions", err)
	}
	ring := redis.NewRing(&redis.RingOptions{})
	defer ring.Close()
	if _, err := New(ring, Options{}); !errors.Is(err, ErrUnsupportedClient) {
		t.Errorf("New(ring) error = %v; want ErrUnsupportedClient", err)
	}
}
