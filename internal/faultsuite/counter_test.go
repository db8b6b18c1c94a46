package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redhot/redhot/split"
)

// counterLayer checks split's sharded counter: writers increment it by 1
// through the fault, counting each IncrBy by what its error says (nil:
// applied once; ErrUnknownOutcome: applied once or not at all; any other
// error: not applied). When the run ends, Total read around the fault
// must satisfy acknowledged ≤ Total ≤ acknowledged + unknown: no
// acknowledged increment lost, none applied twice.
type counterLayer struct{}

func (counterLayer) name() string { return "counter" }

type counterRun struct {
	e                    *env
	s                    *split.Splitter
	c                    *split.Counter
	acked, unknown, fail atomic.Int64
	stop                 chan struct{}
	wg                   sync.WaitGroup
}

func (counterLayer) start(t *testing.T, e *env) (run, error) {
	s, err := split.New(e.via(), split.Options{})
	if err != nil {
		return nil, err
	}
	c, err := s.Counter(keyCounter, split.CounterOptions{Shards: counterShards})
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	r := &counterRun{e: e, s: s, c: c, stop: make(chan struct{})}
	for range 2 {
		r.wg.Go(r.incr)
	}
	return r, nil
}

func (r *counterRun) incr() {
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := r.c.Incr(ctx)
		cancel()
		switch {
		case err == nil:
			r.acked.Add(1)
			time.Sleep(500 * time.Microsecond)
		case errors.Is(err, split.ErrUnknownOutcome):
			r.unknown.Add(1)
			time.Sleep(5 * time.Millisecond)
		default:
			r.fail.Add(1)
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (r *counterRun) during(context.Context, *fault) {}
func (r *counterRun) healed(context.Context)         {}

func (r *counterRun) finish(ctx context.Context) result {
	close(r.stop)
	r.wg.Wait()
	_ = r.s.Close()
	acked, unknown := r.acked.Load(), r.unknown.Load()
	res := result{ops: acked + unknown + r.fail.Load()}

	// Read the total around the fault, retrying while the system settles.
	s, err := split.New(r.e.direct(), split.Options{})
	if err != nil {
		res.violations = append(res.violations, err.Error())
		return res
	}
	defer s.Close()
	c, err := s.Counter(keyCounter, split.CounterOptions{Shards: counterShards})
	if err != nil {
		res.violations = append(res.violations, err.Error())
		return res
	}
	var total int64
	deadline := time.Now().Add(10 * time.Second)
	for {
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		total, err = c.Total(tctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		res.violations = append(res.violations, fmt.Sprintf("Total still failing 10s after the run: %v", err))
		return res
	}
	res.notes = fmt.Sprintf("%d acknowledged, %d unknown, %d failed; Total %d", acked, unknown, r.fail.Load(), total)
	switch {
	case total < acked:
		res.violations = append(res.violations, fmt.Sprintf("lost increments: Total %d < %d acknowledged", total, acked))
	case total > acked+unknown:
		res.violations = append(res.violations, fmt.Sprintf("increments applied twice: Total %d > %d acknowledged + %d unknown", total, acked, unknown))
	}
	if acked == 0 {
		res.violations = append(res.violations, "no increment was acknowledged: the run proves nothing")
	}
	return res
}
