package replica

import (
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/command"
)

// Balance says how reads spread over the usable replicas.
type Balance int

const (
	// RoundRobin takes the usable replicas in turn.
	RoundRobin Balance = iota
	// LowestLatency takes the usable replica with the lowest round-trip
	// time at the last refresh.
	LowestLatency
)

// Options configure a Router. The zero value routes nothing until Hot or
// Patterns say which keys are hot.
type Options struct {
	// Hot reports whether key is hot now: its reads then go to a replica.
	// It is called on the goroutine that runs the command, for every
	// single-key read, so it must be fast and must not block; the redhot
	// middleware passes its tracker's IsHot.
	// default: no key is hot (only Patterns route)
	Hot func(key string) bool

	// Patterns are Redis glob patterns ("trending:*") of keys whose reads
	// always go to replicas, hot or not, with the syntax of KEYS and of the
	// middleware's Options.Patterns.
	// default: none
	Patterns []string

	// Replicas are the replicas of a standalone primary to read from. Only
	// for a *redis.Client; the Router does not close them.
	// default: discovered from INFO replication on the primary at every
	// refresh, and dialled with Dial
	Replicas []*redis.Client

	// ClientOptions returns the options of the client the Router makes for
	// a replica it discovered (any replica of a cluster, or of a standalone
	// primary without Replicas); the Router owns that client, closes it
	// when the replica goes away and on Close, turns its retries off
	// (MaxRetries -1: a read that fails on a replica goes to the primary
	// instead) and, in a cluster, adds READONLY to its OnConnect.
	// default: the cluster's options, or the primary client's with the
	// replica's address (and, for a Sentinel failover client, the default
	// dialer instead of the one that always reaches the primary)
	ClientOptions func(addr string) *redis.Options

	// Balance spreads reads over the usable replicas.
	// default: RoundRobin
	Balance Balance

	// MaxLag is how many bytes of the replication stream a replica may be
	// behind its primary (master_repl_offset minus the replica's acked
	// offset, from INFO replication on the primary) and still be read
	// from. Replicas acknowledge once a second, so under a steady write
	// load a healthy replica shows up to a second of writes.
	// default: 1 MiB
	MaxLag int64

	// RefreshInterval is how often the Router rereads the replicas'
	// offsets and pings them (and, in a cluster, rereads CLUSTER SLOTS).
	// A replica that fails a read is skipped at once, until a refresh
	// finds it well again, and brings the next refresh forward to about
	// 100 milliseconds later.
	// default: 500 milliseconds
	RefreshInterval time.Duration

	// Timeout bounds each health-check PING: a replica that does not
	// answer in time (paused, overloaded) is skipped.
	// default: 250 milliseconds
	Timeout time.Duration

	// ReadYourWrites, if set, sends reads of keys this Router saw written
	// in the last ReadYourWrites to the primary, so a client reads its own
	// writes although replicas lag. It should exceed the replicas' usual
	// lag (about a second under load, see MaxLag).
	// default: 0 (off)
	ReadYourWrites time.Duration

	// MaxTrackedWrites bounds how many recently written keys
	// ReadYourWrites remembers. When more are written within the window,
	// every read goes to the primary until the window passes: never a
	// stale read.
	// default: 100000
	MaxTrackedWrites int

	// Commands says which arguments of a command are keys and which
	// commands are read-only.
	// default: command.Builtin()
	Commands *command.Table

	// Now is the clock of ReadYourWrites.
	// default: time.Now
	Now func() time.Time
}

// ErrInvalidOptions is returned by New when an option is out of range; the
// wrapping error names the field.
var ErrInvalidOptions = errors.New("replica: invalid options")

// ErrUnsupportedClient is returned by New for a client that is neither a
// *redis.Client nor a *redis.ClusterClient.
var ErrUnsupportedClient = errors.New("replica: unsupported client; use *redis.Client (plain or failover) or *redis.ClusterClient")

func (o Options) withDefaults(cluster bool) (Options, error) {
	bad := func(field string, v any) error {
		return fmt.Errorf("%w: Options.%s = %v", ErrInvalidOptions, field, v)
	}
	for i, p := range o.Patterns {
		if p == "" {
			return o, bad(fmt.Sprintf("Patterns[%d]", i), `""`)
		}
	}
	for i, r := range o.Replicas {
		if r == nil {
			return o, bad(fmt.Sprintf("Replicas[%d]", i), "nil")
		}
	}
	switch {
	case cluster && len(o.Replicas) > 0:
		return o, fmt.Errorf("%w: Options.Replicas is for a standalone primary; a cluster's replicas come from CLUSTER SLOTS", ErrInvalidOptions)
	case o.Balance != RoundRobin && o.Balance != LowestLatency:
		return o, bad("Balance", int(o.Balance))
	case o.MaxLag < 0:
		return o, bad("MaxLag", o.MaxLag)
	case o.RefreshInterval < 0:
		return o, bad("RefreshInterval", o.RefreshInterval)
	case o.Timeout < 0:
		return o, bad("Timeout", o.Timeout)
	case o.ReadYourWrites < 0:
		return o, bad("ReadYourWrites", o.ReadYourWrites)
	case o.MaxTrackedWrites < 0:
		return o, bad("MaxTrackedWrites", o.MaxTrackedWrites)
	}
	o.Patterns = append([]string(nil), o.Patterns...)
	o.Replicas = append([]*redis.Client(nil), o.Replicas...)
	if o.MaxLag == 0 {
		o.MaxLag = 1 << 20
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = 500 * time.Millisecond
	}
	if o.Timeout == 0 {
		o.Timeout = 250 * time.Millisecond
	}
	if o.MaxTrackedWrites == 0 {
		o.MaxTrackedWrites = 100000
	}
	if o.Commands == nil {
		o.Commands = command.Builtin()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}
