package soak

import (
	"context"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
)

// Fault kinds, in the order they are injected.
const (
	FaultKillConns      = "kill-conns"      // CLIENT KILL of the near cache's connections
	FaultPause          = "pause"           // SIGSTOP of the primary past MaxStaleness
	FaultRestart        = "restart"         // the primary killed and started again
	FaultRestartReplica = "restart-replica" // the replica killed and started again
)

var faultOrder = []string{FaultKillConns, FaultPause, FaultRestart, FaultRestartReplica}

// faultWindow records when the current or last fault ran, in nanoseconds
// since the start, so that errors can be blamed on it.
type faultWindow struct {
	active atomic.Int32
	end    atomic.Int64 // end of the last fault; 0 before any
}

// covers reports whether time at lies within a fault or grace after one.
func (w *faultWindow) covers(at, grace int64) bool {
	if w.active.Load() > 0 {
		return true
	}
	end := w.end.Load()
	return end > 0 && at-end <= grace
}

// faultLog collects the faults injected for the samples and the verdict.
type faultLog struct {
	// mu guards recent and total.
	mu     sync.Mutex
	recent []string
	total  map[string]int
}

func (l *faultLog) add(kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recent = append(l.recent, kind)
	if l.total == nil {
		l.total = map[string]int{}
	}
	l.total[kind]++
}

// take returns the faults since the last call.
func (l *faultLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recent
	l.recent = nil
	return r
}

func (l *faultLog) counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	maps.Copy(out, l.total)
	return out
}

// faulter injects the faults in turn.
type faulter struct {
	o     Options
	rs    *redistest.Replicated
	admin *redis.Client
	log   *slog.Logger
	win   *faultWindow
	since func() int64
}

// loop injects one fault every FaultEvery until ctx ends.
func (f *faulter) loop(ctx context.Context, fl *faultLog) {
	t := time.NewTicker(f.o.FaultEvery)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		kind := faultOrder[i%len(faultOrder)]
		f.win.active.Add(1)
		err := f.inject(ctx, kind)
		f.win.end.Store(f.since())
		f.win.active.Add(-1)
		if err != nil && ctx.Err() == nil {
			f.log.Warn("soak: fault failed", "fault", kind, "err", err)
			continue
		}
		f.log.Info("soak: fault", "fault", kind)
		fl.add(kind)
	}
}

func (f *faulter) inject(ctx context.Context, kind string) error {
	primary := f.rs.Primary()
	switch kind {
	case FaultKillConns:
		return killCacheConns(ctx, f.admin)
	case FaultPause:
		if err := primary.Pause(); err != nil {
			return err
		}
		t := time.NewTimer(3 * f.o.MaxStaleness)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		return primary.Resume()
	case FaultRestart:
		return primary.Restart(context.WithoutCancel(ctx))
	case FaultRestartReplica:
		for _, r := range f.rs.Replicas() {
			if err := r.Restart(context.WithoutCancel(ctx)); err != nil {
				return err
			}
		}
	}
	return nil
}

// killCacheConns kills the connections named by the near cache (its
// default CLIENT SETNAME).
func killCacheConns(ctx context.Context, admin *redis.Client) error {
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		return err
	}
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name=redhot-nearcache ") {
			continue
		}
		for _, fld := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(fld, "id="); ok {
				if err := admin.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
