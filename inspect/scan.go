package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// ScanOptions control how the scanning methods (Hotkeys, Bigkeys, Memkeys,
// Patterns) walk the keyspace. Each node is scanned by its own goroutine
// with SCAN, and the per-key commands of each batch go out in one
// pipeline.
type ScanOptions struct {
	// Count is the COUNT hint of each SCAN, and so roughly the number of
	// keys per pipelined batch. Larger batches finish sooner; each batch
	// occupies the server for longer.
	// default: 1000
	Count int

	// Match restricts the scan to keys matching a glob pattern (SCAN
	// MATCH). The server still walks every key.
	// default: "" (every key)
	Match string

	// MaxOpsPerSec caps the commands per second sent to each node, SCAN
	// included.
	// default: 0 (no cap)
	MaxOpsPerSec float64

	// Progress receives the progress of the scan as keys done out of the
	// total of DBSIZE of the scanned nodes.
	// default: none
	Progress Progress
}

func (o ScanOptions) withDefaults() (ScanOptions, error) {
	if o.Count == 0 {
		o.Count = 1000
	}
	if o.Count < 1 || o.Count > 100_000 {
		return o, newError(ErrBadOptions, "", "scan count %d is not in [1, 100000]", o.Count)
	}
	if o.MaxOpsPerSec < 0 {
		return o, newError(ErrBadOptions, "", "--max-ops-per-sec %v is negative", o.MaxOpsPerSec)
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	return o, nil
}

// keyErrors counts keys that could not be read during a scan, mostly
// because the keyspace changed under it.
type keyErrors struct {
	vanished atomic.Int64 // deleted or expired between SCAN and the read
	changed  atomic.Int64 // type changed between two reads, or moved slots
	other    atomic.Int64
	example  atomic.Value // string: one other error
}

// record classifies one per-key error. It returns the error when it is
// fatal for the node (no permission, a network failure).
func (k *keyErrors) record(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		k.vanished.Add(1)
	case !isRedisError(err):
		return err
	default:
		msg := err.Error()
		switch {
		case strings.HasPrefix(msg, "NOPERM"):
			return err
		case strings.HasPrefix(msg, "WRONGTYPE"), strings.HasPrefix(msg, "MOVED"), strings.HasPrefix(msg, "ASK"),
			strings.HasPrefix(msg, "TRYAGAIN"):
			k.changed.Add(1)
		case strings.Contains(msg, "no such key"):
			k.vanished.Add(1)
		default:
			k.other.Add(1)
			k.example.CompareAndSwap(nil, msg)
		}
	}
	return nil
}

// warn adds warnings for what k counted.
func (k *keyErrors) warn(r *run) {
	if v, c := k.vanished.Load(), k.changed.Load(); v+c > 0 {
		r.warn("the keyspace changed during the scan: %d keys vanished (deleted or expired) and %d changed type or slot between SCAN and the read; they are left out", v, c)
	}
	if o := k.other.Load(); o > 0 {
		ex, _ := k.example.Load().(string)
		r.warn("%d keys could not be read (for instance: %s)", o, oneLine(ex))
	}
}

// scanner walks the keyspace of several nodes.
type scanner struct {
	r    *run
	o    ScanOptions
	errs keyErrors
	// cmdsPerKey is how many commands a batch sends per key, for the
	// throttle.
	cmdsPerKey int
}

// total sums DBSIZE over nodes for the progress bar; failures give 0.
func (s *scanner) total(ctx context.Context, nodes []*node) int64 {
	var total atomic.Int64
	forEach(ctx, nodes, func(ctx context.Context, n *node) error {
		v, err := n.client.DBSize(ctx).Result()
		if err == nil {
			total.Add(v)
		}
		return nil
	})
	return total.Load()
}

// scan walks n's keys in the target's database, calling batch with each
// SCAN reply's keys. It stops early, without error, when ctx is done or
// after limit keys (0: no limit). It returns the number of keys seen.
func (s *scanner) scan(ctx context.Context, n *node, limit int64, batch func(ctx context.Context, keys []string) error) (int64, error) {
	lim := newLimiter(s.o.MaxOpsPerSec)
	var (
		cursor uint64
		seen   int64
	)
	for {
		if err := lim.wait(ctx, 1); err != nil {
			return seen, nil
		}
		var (
			keys []string
			err  error
		)
		if s.o.Match != "" {
			keys, cursor, err = n.client.Scan(ctx, cursor, s.o.Match, int64(s.o.Count)).Result()
		} else {
			keys, cursor, err = n.client.Scan(ctx, cursor, "", int64(s.o.Count)).Result()
		}
		if err != nil {
			if ctx.Err() != nil {
				return seen, nil
			}
			return seen, classify(n.addr, "SCAN", err)
		}
		if limit > 0 && seen+int64(len(keys)) > limit {
			keys = keys[:limit-seen]
		}
		if len(keys) > 0 {
			if err := lim.wait(ctx, len(keys)*s.cmdsPerKey); err != nil {
				return seen, nil
			}
			if err := batch(ctx, keys); err != nil {
				if ctx.Err() != nil {
					return seen, nil
				}
				return seen, err
			}
			seen += int64(len(keys))
			s.o.Progress.Add(int64(len(keys)))
		}
		if cursor == 0 || (limit > 0 && seen >= limit) {
			return seen, nil
		}
	}
}

// pipeline sends one command per element of args to n in one round trip
// and returns the commands; per-command errors are in each Cmd. The error
// is for the round trip as a whole (network, cancellation).
func pipeline(ctx context.Context, n *node, args [][]any) ([]*redis.Cmd, error) {
	pipe := n.client.Pipeline()
	cmds := make([]*redis.Cmd, len(args))
	for i, a := range args {
		cmds[i] = pipe.Do(ctx, a...)
	}
	if _, err := pipe.Exec(ctx); err != nil && !isRedisError(err) && !errors.Is(err, redis.Nil) {
		return nil, classify(n.addr, fmt.Sprintf("pipeline of %d commands", len(args)), err)
	}
	return cmds, nil
}

// throttleNote describes the throttle for cost notes.
func throttleNote(o ScanOptions) string {
	if o.MaxOpsPerSec <= 0 {
		return ", unthrottled (use --max-ops-per-sec to cap)"
	}
	return fmt.Sprintf(", at most %s commands/s per node", human(o.MaxOpsPerSec))
}

// scanNodes picks the nodes to scan, notes where replicas were wanted but
// missing, and marks them used. It fails when there is none.
func (r *run) scanNodes() ([]*node, error) {
	nodes, notes := r.t.scanNodes()
	for _, s := range notes {
		r.note("%s", s)
	}
	if len(nodes) == 0 {
		return nil, newError(ErrAllNodesFailed, "", "no live primary to inspect")
	}
	r.use(nodes...)
	return nodes, nil
}
