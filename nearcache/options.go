package nearcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Options configure a Cache. Zero values mean the documented defaults;
// Topology is required.
type Options struct {
	// Topology says which node serves a key. Required.
	Topology Topology

	// Cluster makes the cache check, with every heartbeat, which hash
	// slots each node owns (CLUSTER SLOTS), and flush a node's entries
	// when that changes.
	// default: false
	Cluster bool

	// MaxEntries bounds the number of cached keys.
	// default: 10000
	MaxEntries int

	// MaxBytes bounds the estimated memory of the cached replies, keys
	// and bookkeeping included.
	// default: 64 MiB
	MaxBytes int64

	// TTL is the longest an entry lives locally, before jitter. The
	// server's own TTL of the key (PTTL, read with every fill) shortens it.
	// Invalidation, not the TTL, keeps entries fresh; the TTL bounds how
	// long a key that cooled keeps its memory.
	// default: 1 minute
	TTL time.Duration

	// TTLJitter shortens each entry's TTL by a random fraction in
	// [0, TTLJitter), so that entries filled together do not expire
	// together. In [0, 1); negative means none.
	// default: 0.1
	TTLJitter float64

	// MaxStaleness is the bound on how old a value served from the cache
	// may be: an entry is served only while the invalidation stream of
	// its node was verified, by a heartbeat or any other reply on the same
	// ordered stream, at most MaxStaleness ago. Heartbeats go out every
	// MaxStaleness/4; a connection whose oldest request has waited
	// MaxStaleness is closed and its entries dropped.
	// default: 1 second; at least 20 milliseconds
	MaxStaleness time.Duration

	// AllowTTLOnly lets the cache keep working, with entries that live at
	// most TTLOnly and no invalidation, on a node that refuses CLIENT
	// TRACKING (an ACL without it, a managed service that disables it).
	// Without it such a node is not cached at all.
	// default: false
	AllowTTLOnly bool

	// TTLOnly is the local TTL in TTL-only mode, and therefore that
	// mode's staleness bound.
	// default: 100 milliseconds
	TTLOnly time.Duration

	// FillTimeout bounds how long a fill waits for its reply. A fill that
	// times out returns an error; the connection is judged by its
	// heartbeats.
	// default: 1 second
	FillTimeout time.Duration

	// DialTimeout bounds connecting and the handshake of a connection.
	// default: 5 seconds
	DialTimeout time.Duration

	// ClientName is the CLIENT SETNAME of the cache's connections, so
	// that operators can tell them apart in CLIENT LIST.
	// default: "redhot-nearcache"
	ClientName string

	// OnHit, when set, is called for one in SampleEvery hits of
	// GetString with that weight, so that a detector that no longer sees
	// the reads a hit saves still counts them. It runs on the goroutine of
	// the hit and must be fast and not block.
	// default: nil
	OnHit func(key string, weight float64)

	// Refresh, when set, is asked whether key is still worth caching when
	// its entry has just been dropped because the key changed: an
	// invalidation from the server, or the end of a write through the
	// client (EndWrite). If it says yes, the cache reads every variant of
	// the entry again at once on the node's fill connection, so that the
	// next reads find the new value, and misses meanwhile wait for that
	// read instead of sending their own. It runs on a connection's reader
	// goroutine or on the goroutine that calls EndWrite, and must be fast
	// and not block.
	// default: nil (no refresh; the next miss fills the key again)
	Refresh func(key string) bool

	// MaxRefreshes bounds the refreshes (see Refresh) in flight on each
	// node; a key dropped while as many are in flight is left for the
	// next miss to fill.
	// default: 64
	MaxRefreshes int

	// OnMoved, when set, is called when a fill is answered with MOVED or
	// ASK, so that the owner can refresh its view of the cluster. It runs
	// on a connection's reader goroutine and must not block.
	// default: nil
	OnMoved func()

	// Logger receives connection events: the mode of each node, lost
	// connections, refused tracking.
	// default: slog.Default()
	Logger *slog.Logger

	// Clock is the time source of expiry and staleness checks.
	// default: the monotonic clock, sampled every millisecond for hits
	Clock Clock
}

// SampleEvery is how many direct hits (GetString) are counted for each one
// that also checks the real clock and is reported to Options.OnHit.
const SampleEvery = 64

// Topology tells the cache which node serves key. It is called on the fill
// path only.
type Topology func(ctx context.Context, key string) (NodeConfig, error)

// NodeConfig says how to reach one Redis node.
type NodeConfig struct {
	// Addr identifies the node ("host:port"); connections to the same Addr
	// are shared.
	Addr string
	// Dial opens a connection to the node, TLS included.
	Dial func(ctx context.Context) (net.Conn, error)
	// Auth returns the credentials for HELLO or AUTH, or an empty password
	// for none. Nil means none.
	Auth func(ctx context.Context) (username, password string, err error)
	// DB is the database to SELECT.
	DB int
}

// ErrInvalidOptions is returned by New when an option is out of range; the
// wrapping error names the field.
var ErrInvalidOptions = errors.New("nearcache: invalid options")

func (o Options) withDefaults() (Options, error) {
	bad := func(field string, v any) (Options, error) {
		return o, fmt.Errorf("%w: %s = %v", ErrInvalidOptions, field, v)
	}
	if o.Topology == nil {
		return bad("Topology", "nil")
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = 10000
	}
	if o.MaxEntries < 1 {
		return bad("MaxEntries", o.MaxEntries)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxBytes < 1<<10 {
		return bad("MaxBytes", o.MaxBytes)
	}
	if o.TTL == 0 {
		o.TTL = time.Minute
	}
	if o.TTL < time.Millisecond {
		return bad("TTL", o.TTL)
	}
	if o.TTLJitter == 0 {
		o.TTLJitter = 0.1
	}
	if o.TTLJitter < 0 {
		o.TTLJitter = 0
	}
	if !(o.TTLJitter < 1) {
		return bad("TTLJitter", o.TTLJitter)
	}
	if o.MaxStaleness == 0 {
		o.MaxStaleness = time.Second
	}
	if o.MaxStaleness < 20*time.Millisecond {
		return bad("MaxStaleness", o.MaxStaleness)
	}
	if o.TTLOnly == 0 {
		o.TTLOnly = 100 * time.Millisecond
	}
	if o.TTLOnly < time.Millisecond {
		return bad("TTLOnly", o.TTLOnly)
	}
	if o.FillTimeout == 0 {
		o.FillTimeout = time.Second
	}
	if o.FillTimeout < 0 {
		return bad("FillTimeout", o.FillTimeout)
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.DialTimeout < 0 {
		return bad("DialTimeout", o.DialTimeout)
	}
	if o.MaxRefreshes == 0 {
		o.MaxRefreshes = 64
	}
	if o.MaxRefreshes < 1 {
		return bad("MaxRefreshes", o.MaxRefreshes)
	}
	if o.ClientName == "" {
		o.ClientName = "redhot-nearcache"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}
