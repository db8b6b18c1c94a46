package split

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// op is one single-key command of a multi-shard operation.
type op struct {
	cmd   redis.Cmder
	key   string
	shard int
}

// noRetry wraps a command that must not be sent twice, such as INCRBY:
// go-redis then never resends it after a failure that may have come after
// the server received it (a dropped connection, a read timeout). Redirects
// (MOVED, ASK) and failures before sending are still retried: the command
// was not applied.
type noRetry struct{ *redis.Cmd }

func (noRetry) NoRetry() bool { return true }

// run sends ops, each with one key, in one pipeline per node, the nodes in
// parallel: one round trip per node. With Options.WaitReplicas each node's
// pipeline ends with WAIT. The ops' own errors say how each fared; run
// returns only errors of the whole operation (a closed Splitter, a
// cancelled context).
func (s *Splitter) run(ctx context.Context, ops []op) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if len(ops) == 0 {
		return nil
	}
	if s.opts.WaitReplicas > 0 {
		return s.runDurable(ctx, ops)
	}
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, o := range ops {
			_ = p.Process(ctx, o.cmd)
		}
		return nil
	})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// maxDurableRounds bounds how often runDurable resends commands that were
// redirected (MOVED, ASK) or refused while a slot moves or a failover
// settles.
const maxDurableRounds = 8

// runDurable is run with a WAIT after each node's commands. go-redis's
// cluster pipeline cannot carry it (WAIT has no key, so it would go to
// some other node), so the commands are grouped by node here, and
// redirects followed here.
func (s *Splitter) runDurable(ctx context.Context, ops []op) error {
	type target struct {
		node *redis.Client
		ask  bool
	}
	pending := make([]int, len(ops))
	for i := range pending {
		pending[i] = i
	}
	asks := make(map[int]*redis.Client) // op index -> node to send it to with ASKING
	for round := 0; len(pending) > 0; round++ {
		if round > 0 {
			if err := sleepCtx(ctx, time.Duration(round)*10*time.Millisecond); err != nil {
				return err
			}
		}
		groups := make(map[target][]int)
		for _, i := range pending {
			ops[i].cmd.SetErr(nil)
			t := target{node: asks[i], ask: true}
			if t.node == nil {
				n, err := s.nodeFor(ctx, ops[i].key)
				if err != nil {
					ops[i].cmd.SetErr(err)
					continue
				}
				t = target{node: n}
			}
			groups[t] = append(groups[t], i)
		}
		clear(asks)
		var wg sync.WaitGroup
		for t, idx := range groups {
			wg.Go(func() {
				pipe := t.node.Pipeline()
				for _, i := range idx {
					if t.ask {
						_ = pipe.Process(ctx, redis.NewCmd(ctx, "asking"))
					}
					_ = pipe.Process(ctx, ops[i].cmd)
				}
				wait := redis.NewIntCmd(ctx, "wait", s.opts.WaitReplicas, s.opts.WaitTimeout.Milliseconds())
				_ = pipe.Process(ctx, wait)
				_, _ = pipe.Exec(ctx)
				acked, werr := wait.Result()
				if werr == nil && acked >= int64(s.opts.WaitReplicas) {
					return
				}
				if werr == nil {
					werr = fmt.Errorf("WAIT %d on %s: %d replica(s) acknowledged", s.opts.WaitReplicas, t.node.Options().Addr, acked)
				}
				for _, i := range idx {
					if ops[i].cmd.Err() == nil {
						ops[i].cmd.SetErr(fmt.Errorf("%w: %w", ErrNotReplicated, werr))
					}
				}
			})
		}
		wg.Wait()
		if round+1 == maxDurableRounds {
			break
		}
		next := pending[:0]
		for _, i := range pending {
			err := ops[i].cmd.Err()
			if err == nil {
				continue
			}
			if addr, ask, ok := redirect(err); ok {
				if ask {
					if n := s.nodeByAddr(ctx, addr); n != nil {
						asks[i] = n
					}
				} else {
					s.cluster.ReloadState(ctx)
				}
				next = append(next, i)
				continue
			}
			if retryable(err) {
				if s.cluster != nil {
					s.cluster.ReloadState(ctx)
				}
				next = append(next, i)
			}
		}
		pending = next
	}
	return ctx.Err()
}

// nodeFor returns the client of the node that serves key's writes.
func (s *Splitter) nodeFor(ctx context.Context, key string) (*redis.Client, error) {
	if s.cluster == nil {
		return s.client.(*redis.Client), nil
	}
	return s.cluster.MasterForKey(ctx, key)
}

// nodeByAddr returns go-redis's client of the cluster node at addr, or nil.
func (s *Splitter) nodeByAddr(ctx context.Context, addr string) *redis.Client {
	if s.cluster == nil {
		return nil
	}
	var mu sync.Mutex
	var found *redis.Client
	_ = s.cluster.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error {
		if n.Options().Addr == addr {
			mu.Lock()
			found = n
			mu.Unlock()
		}
		return nil
	})
	return found
}

// redirect reports whether err is a MOVED or ASK reply, and its address.
func redirect(err error) (addr string, ask, ok bool) {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return "", false, false
	}
	msg := rerr.Error()
	switch {
	case strings.HasPrefix(msg, "MOVED "):
	case strings.HasPrefix(msg, "ASK "):
		ask = true
	default:
		return "", false, false
	}
	f := strings.Fields(msg)
	if len(f) < 3 {
		return "", false, false
	}
	return f[2], ask, true
}

// retryable reports whether err is a refusal that says the command was not
// applied and may succeed shortly: the cluster or the node is settling.
func retryable(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return false
	}
	msg := rerr.Error()
	for _, p := range []string{"TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN", "READONLY"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// classify wraps err with ErrUnknownOutcome if the write it failed may
// still have been applied: anything but an error reply from Redis or a
// failure to connect.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrNotReplicated) || errors.Is(err, ErrUnknownOutcome) || errors.Is(err, ErrClosed) {
		return err
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return err
	}
	var nerr *net.OpError
	if errors.As(err, &nerr) && nerr.Op == "dial" {
		return err
	}
	if errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
}

// shardErrors collects the failed ops of a multi-shard operation into a
// *ShardError, or returns nil if none failed. isMiss says which errors
// are not failures (redis.Nil for reads).
func shardErrors(opName, key string, ops []op, wrap func(error) error) error {
	var e *ShardError
	for _, o := range ops {
		err := o.cmd.Err()
		if err == nil || errors.Is(err, redis.Nil) {
			continue
		}
		if e == nil {
			e = &ShardError{Op: opName, Key: key}
		}
		if wrap != nil {
			err = wrap(err)
		}
		e.Shards = append(e.Shards, o.shard)
		e.Errs = append(e.Errs, err)
	}
	if e == nil {
		return nil
	}
	return e
}
