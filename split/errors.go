package split

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidOptions is returned by New and the object constructors when an
// option is out of range; the wrapping error names the field.
var ErrInvalidOptions = errors.New("split: invalid options")

// ErrHashTag is returned by the object constructors of a Splitter on a
// Redis Cluster for a key that contains '{': its own hash tag (or a '{'
// that would pair with the shard tag's '}') would decide the slot of every
// shard, putting them all on one node. On a standalone server such keys
// are accepted.
var ErrHashTag = errors.New("split: key contains '{': in a cluster its hash tag would override the shard tags and put every shard on one slot")

// ErrSpread is returned by Placement.Err when the shards of an object do
// not each have a primary of their own in the slot map last read: the
// cluster has fewer primaries than the object has shards, or its slots are
// spread so unevenly that the evenly spaced shard slots (see ShardSlot)
// bunch up.
var ErrSpread = errors.New("split: the shards do not spread over distinct primaries")

// ErrUnknownOutcome wraps the error of a write whose command may have
// reached the server before the connection failed or the context expired:
// it may or may not have been applied. Writes that got an error reply
// from Redis were not applied and do not wrap it.
var ErrUnknownOutcome = errors.New("split: outcome unknown: the write may or may not have been applied")

// ErrNotReplicated wraps the error of a write that the primary applied but
// fewer than Options.WaitReplicas replicas acknowledged within
// Options.WaitTimeout: it would be lost if the primary failed now.
var ErrNotReplicated = errors.New("split: applied on the primary but not acknowledged by enough replicas")

// ErrUnsupportedClient is returned by New for a client that is neither a
// *redis.Client nor a *redis.ClusterClient, such as a *redis.Ring.
var ErrUnsupportedClient = errors.New("split: unsupported client; use *redis.Client (plain or failover) or *redis.ClusterClient")

// ErrClosed is returned by operations after the Splitter was closed.
var ErrClosed = errors.New("split: splitter closed")

// ShardError reports which shards or copies of an object failed in an
// operation that touches several. Its Unwrap returns each shard's error,
// so errors.Is(err, ErrUnknownOutcome) tells whether some write may have
// been applied.
type ShardError struct {
	Op     string  // "total", "set", "delete", "sadd", ...
	Key    string  // the object's key
	Shards []int   // the failed shards (or copies), ascending
	Errs   []error // their errors, in the same order
}

func (e *ShardError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "split: %s %q: %d shard(s) failed", e.Op, e.Key, len(e.Shards))
	for i, s := range e.Shards {
		if i == 3 {
			fmt.Fprintf(&b, "; ...")
			break
		}
		fmt.Fprintf(&b, "; shard %d: %v", s, e.Errs[i])
	}
	return b.String()
}

func (e *ShardError) Unwrap() []error { return e.Errs }
