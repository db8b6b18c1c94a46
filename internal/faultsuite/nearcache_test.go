package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot"
)

// nearCacheLayer checks the middleware's near cache. One key is written
// with increasing versions by a plain client that bypasses the fault; one
// is written through the middleware's own client. Readers read both
// through the middleware, which has both pinned (always cached).
//
// The invariant: a read that starts at s returns a version at least as new
// as the newest write acknowledged before s − MaxStaleness; and a read
// through the middleware that starts after a write through it was
// acknowledged returns that write or a newer one (read-your-writes). A
// write whose outcome is unknown (it failed during the fault) may land at
// any later time, so its version is accepted whenever it is read.
type nearCacheLayer struct{ bound time.Duration }

func (nearCacheLayer) name() string { return "near cache" }

// versions is the history of one key's sequential writer.
type versions struct {
	mu      sync.Mutex         // guards the fields below
	acks    []ack              // acknowledged writes, in order (versions and times increase)
	unknown map[int64]struct{} // writes that failed: applied or not
	issued  int64              // the highest version sent
}

type ack struct {
	v  int64
	at time.Time // when the reply reached the writer
}

func newVersions() *versions { return &versions{unknown: map[int64]struct{}{}} }

// frontier returns the newest version acknowledged before t.
func (h *versions) frontier(t time.Time) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := sort.Search(len(h.acks), func(i int) bool { return !h.acks[i].at.Before(t) })
	if i == 0 {
		return 0
	}
	return h.acks[i-1].v
}

// check returns why reading v, in a read that started at start, breaks
// the bound, or "".
func (h *versions) check(v int64, start time.Time, bound time.Duration) string {
	want := h.frontier(start.Add(-bound))
	h.mu.Lock()
	defer h.mu.Unlock()
	if v > h.issued {
		return fmt.Sprintf("read version %d, never written (highest sent %d)", v, h.issued)
	}
	if v >= want {
		return ""
	}
	if _, ok := h.unknown[v]; ok {
		return ""
	}
	return fmt.Sprintf("read version %d, but version %d was acknowledged more than %v before the read started", v, want, bound)
}

type nearCacheRun struct {
	bound     time.Duration
	mw        *redhot.Middleware
	rdb       redis.UniversalClient // the middleware's client, through the fault
	plain     redis.UniversalClient // the plain writer, around the fault
	hist      map[string]*versions
	ops       atomic.Int64
	readErrs  atomic.Int64
	writeErrs atomic.Int64
	bad       violations
	stop      chan struct{}
	wg        sync.WaitGroup
}

func (l nearCacheLayer) start(t *testing.T, e *env) (run, error) {
	r := &nearCacheRun{
		bound: l.bound, rdb: e.via(), plain: e.direct(),
		hist: map[string]*versions{keyPlain: newVersions(), keyOwn: newVersions()},
		stop: make(chan struct{}),
	}
	mw, err := redhot.New(r.rdb, redhot.Options{MaxStaleness: l.bound, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	r.mw = mw
	mw.Pin(keyPlain)
	mw.Pin(keyOwn)
	r.wg.Go(func() { r.write(keyPlain, r.plain, nil) })
	r.wg.Go(func() { r.write(keyOwn, r.rdb, r.checkOwn) })
	for range 2 {
		r.wg.Go(r.read)
	}
	return r, nil
}

// write runs on one writer goroutine: SET key to increasing versions
// through c, recording acknowledgements, then calls after (if any) with
// the version just acknowledged.
func (r *nearCacheRun) write(key string, c redis.UniversalClient, after func(v int64)) {
	h := r.hist[key]
	for v := int64(1); ; v++ {
		select {
		case <-r.stop:
			return
		default:
		}
		h.mu.Lock()
		h.issued = v
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Set(ctx, key, v, 0).Err()
		cancel()
		r.ops.Add(1)
		now := time.Now()
		h.mu.Lock()
		if err == nil {
			h.acks = append(h.acks, ack{v: v, at: now})
		} else {
			h.unknown[v] = struct{}{}
		}
		h.mu.Unlock()
		if err != nil {
			r.writeErrs.Add(1)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if after != nil {
			after(v)
		}
		time.Sleep(time.Millisecond)
	}
}

// get reads key through the middleware and returns its version.
func (r *nearCacheRun) get(key string) (int64, time.Time, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	s, err := r.mw.Get(ctx, key)
	r.ops.Add(1)
	if errors.Is(err, redis.Nil) {
		return 0, start, nil
	}
	if err != nil {
		r.readErrs.Add(1)
		return 0, start, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.bad.add("GET %s = %q: not a version", key, s)
		return 0, start, err
	}
	return v, start, nil
}

// checkOwn is read-your-writes: right after its write of v was
// acknowledged, the writer reads the key back through the middleware.
func (r *nearCacheRun) checkOwn(v int64) {
	got, start, err := r.get(keyOwn)
	if err != nil {
		return
	}
	h := r.hist[keyOwn]
	if why := h.check(got, start, r.bound); why != "" {
		r.bad.add("%s: %s", keyOwn, why)
		return
	}
	h.mu.Lock()
	_, unknown := h.unknown[got]
	h.mu.Unlock()
	if got < v && !unknown {
		r.bad.add("%s: read-your-writes: read version %d right after version %d was acknowledged through the same client", keyOwn, got, v)
	}
}

// read runs on a reader goroutine.
func (r *nearCacheRun) read() {
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		for _, key := range []string{keyPlain, keyOwn} {
			v, start, err := r.get(key)
			if err != nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if why := r.hist[key].check(v, start, r.bound); why != "" {
				r.bad.add("%s: %s", key, why)
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func (r *nearCacheRun) during(context.Context, *fault) {}
func (r *nearCacheRun) healed(context.Context)         {}

func (r *nearCacheRun) finish(context.Context) result {
	close(r.stop)
	r.wg.Wait()
	st := r.mw.Stats().Cache
	_ = r.mw.Close()
	res := result{
		ops:        r.ops.Load(),
		violations: r.bad.get(),
		notes: fmt.Sprintf("%d hits from the near cache, %d fills, %d invalidations, %d read and %d write errors",
			st.Hits, st.Fills, st.Invalidations, r.readErrs.Load(), r.writeErrs.Load()),
	}
	if st.Hits == 0 {
		res.violations = append(res.violations, "no read was served from the near cache: the run proves nothing")
	}
	return res
}
