package replica

import (
	"sync"
	"sync/atomic"
	"time"
)

// writeLog remembers which keys were written recently, for ReadYourWrites.
// Lookups take no lock; a key written again moves its deadline.
type writeLog struct {
	window time.Duration
	limit  int64
	now    func() time.Time

	until sync.Map     // key (string) -> deadline (int64, UnixNano)
	count atomic.Int64 // entries in until, about
	// all is a deadline before which every read counts as recently written:
	// set when the log was full, or a write whose keys are unknown (FLUSHALL,
	// EVAL without keys) went by.
	all atomic.Int64
}

func newWriteLog(window time.Duration, limit int, now func() time.Time) *writeLog {
	return &writeLog{window: window, limit: int64(limit), now: now}
}

// wrote records that key was written now.
func (l *writeLog) wrote(key string) {
	if l == nil {
		return
	}
	now := l.now().UnixNano()
	deadline := now + int64(l.window)
	if _, loaded := l.until.Swap(key, deadline); loaded {
		return
	}
	if l.count.Add(1) > l.limit {
		l.prune(now)
		if l.count.Load() > l.limit {
			l.wroteAll()
		}
	}
}

// wroteAll records that any key may have been written now.
func (l *writeLog) wroteAll() {
	if l == nil {
		return
	}
	deadline := l.now().UnixNano() + int64(l.window)
	for {
		cur := l.all.Load()
		if cur >= deadline || l.all.CompareAndSwap(cur, deadline) {
			return
		}
	}
}

// recent reports whether key was written within the window.
func (l *writeLog) recent(key string) bool {
	if l == nil {
		return false
	}
	now := l.now().UnixNano()
	if now < l.all.Load() {
		return true
	}
	d, ok := l.until.Load(key)
	return ok && now < d.(int64)
}

// prune forgets the keys whose window has passed.
func (l *writeLog) prune(now int64) {
	if l == nil {
		return
	}
	l.until.Range(func(k, d any) bool {
		if d.(int64) <= now && l.until.CompareAndDelete(k, d) {
			l.count.Add(-1)
		}
		return true
	})
}
