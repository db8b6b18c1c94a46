package redhot

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redhot/redhot/command"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/replica"
	"github.com/redhot/redhot/split"
)

// Options configure a Middleware. The zero value observes every command,
// finds hot keys with the heat package's default rules and caches them with
// server-assisted invalidation and a one-second staleness bound.
type Options struct {
	// Tracker configures hot-key detection: the window, the capacity and
	// the Rules that decide when a key is hot, and so cached. See
	// heat.Options for each field's default.
	// default: the zero heat.Options
	Tracker heat.Options

	// Patterns are Redis glob patterns ("trending:*", "flag:[ab]?") of keys
	// that are cached whether hot or not, as if pinned. The syntax is
	// that of KEYS and SCAN MATCH: * ? [abc] [^a] [a-z] and \ to escape,
	// matched byte by byte, so binary keys work.
	// default: none
	Patterns []string

	// Commands is the command table that says which arguments of a
	// command are keys and whether it reads or writes them.
	// default: command.Builtin() at once, replaced by command.Load on the
	// client (the server's own table, module commands included) as soon
	// as it has been read in the background
	Commands *command.Table

	// DisableCache turns the near cache off: the middleware only observes.
	// default: false
	DisableCache bool

	// MaxEntries bounds the number of keys in the near cache.
	// default: 10000
	MaxEntries int

	// MaxBytes bounds the near cache's memory (estimated).
	// default: 64 MiB
	MaxBytes int64

	// TTL is the longest a cached key lives locally; the key's own TTL on
	// the server (read with every fill) shortens it. Invalidation keeps
	// entries fresh; the TTL only bounds how long a key that cooled keeps
	// its memory.
	// default: 1 minute (with 10% jitter)
	TTL time.Duration

	// MaxStaleness bounds how old a cached value may be when it is served,
	// even when invalidation messages are lost: a value is served only
	// while its node's invalidation stream was proven complete at most
	// MaxStaleness ago. See the package documentation.
	// default: 1 second
	MaxStaleness time.Duration

	// AllowTTLOnly lets the near cache work without invalidation on a
	// server that refuses CLIENT TRACKING (an ACL without it, some
	// managed services), with entries that live at most TTLOnly; the
	// staleness bound is then TTLOnly. Without it caching stays off on
	// such a server, and a log line says so.
	// default: false
	AllowTTLOnly bool

	// TTLOnly is the lifetime of entries in TTL-only mode.
	// default: 100 milliseconds
	TTLOnly time.Duration

	// Logger receives the near cache's connection events and mode.
	// default: slog.Default()
	Logger *slog.Logger

	// Replicas, when set, sends the reads of hot keys that the near cache
	// does not answer (the cache is off or not yet connected, the read is
	// not one it caches, a fill failed) to in-sync replicas through a
	// replica.Router, and everything else to the primary. A key is routed
	// when the middleware would cache it (hot in its tracker, pinned,
	// matching Patterns, or hot across the fleet after JoinFleet), when
	// Replicas.Hot says so, or when it matches Replicas.Patterns; the
	// fleet's own stream is never routed. Replicas.ReadYourWrites of
	// zero becomes 2 seconds here, so that keys this client wrote are read
	// from the primary until replicas have them; Replicas.Commands of nil
	// becomes Commands. See package replica for the other fields.
	// default: nil (every read goes where the client sends it)
	Replicas *replica.Options

	// Split configures the split.Splitter behind Counter, Value, Set and
	// Hash, made on first use on the middleware's client.
	// default: the zero split.Options
	Split split.Options
}

// defaultReadYourWrites is Options.Replicas.ReadYourWrites when zero.
const defaultReadYourWrites = 2 * time.Second

// ErrInvalidOptions is returned by New when an option is out of range; the
// wrapping error names the field.
var ErrInvalidOptions = errors.New("redhot: invalid options")

// ErrUnsupportedClient is returned by New for a client it cannot attach
// to: anything but *redis.Client (plain or Sentinel failover) and
// *redis.ClusterClient, such as *redis.Ring.
var ErrUnsupportedClient = errors.New("redhot: unsupported client type; use *redis.Client, a failover client or *redis.ClusterClient")

func (o Options) validate() error {
	bad := func(field string, v any) error {
		return fmt.Errorf("%w: %s = %v", ErrInvalidOptions, field, v)
	}
	for i, p := range o.Patterns {
		if p == "" {
			return bad(fmt.Sprintf("Patterns[%d]", i), `""`)
		}
	}
	switch {
	case o.MaxEntries < 0:
		return bad("MaxEntries", o.MaxEntries)
	case o.MaxBytes < 0:
		return bad("MaxBytes", o.MaxBytes)
	case o.TTL < 0:
		return bad("TTL", o.TTL)
	case o.MaxStaleness < 0:
		return bad("MaxStaleness", o.MaxStaleness)
	case o.TTLOnly < 0:
		return bad("TTLOnly", o.TTLOnly)
	}
	return nil
}
