package stampede

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// flight deduplicates concurrent work on one key within a process: the
// first caller starts the work in a goroutine, callers arriving while it
// runs join it, and all of them get its result. Unlike a plain
// singleflight, the work does not run on any one caller's context: it runs
// on a context that keeps the first caller's values but is cancelled only
// when every caller has given up (or the owner shuts down), so one impatient
// caller cannot fail the others, and a panic is turned into an error for
// everyone instead of killing the process or leaving the key stuck.
type flight struct {
	// life ends when the owner closes; it cancels every call's context
	// with cause ErrClosed.
	life context.Context
	// spawn runs a call on a goroutine the owner waits for in its Close;
	// it returns false, running nothing, once the owner is closed.
	spawn func(func()) bool

	// mu guards calls and every call's waiters.
	mu    sync.Mutex
	calls map[string]*call
}

// call is one piece of work in progress.
type call struct {
	done chan struct{} // closed once val and err are set
	val  string
	err  error

	waiters int                     // callers still waiting; guarded by flight.mu
	cancel  context.CancelCauseFunc // cancels the work's context
}

// newFlight returns a flight whose calls end when life does and run on
// goroutines started by spawn.
func newFlight(life context.Context, spawn func(func()) bool) *flight {
	return &flight{life: life, spawn: spawn, calls: make(map[string]*call)}
}

// do returns the result of fn for key, running fn unless a call for key is
// already in progress, in which case it waits for that call instead. It
// returns early with ctx's error when ctx ends first; shared reports
// whether the caller joined another caller's call. fn runs on its own
// goroutine with a context that ends when every waiting caller has given
// up or the flight's life ends.
func (f *flight) do(ctx context.Context, key string, fn func(context.Context) (string, error)) (val string, err error, shared bool) {
	f.mu.Lock()
	c, shared := f.calls[key]
	if shared {
		c.waiters++
	} else {
		c = f.start(ctx, key, fn)
	}
	f.mu.Unlock()

	select {
	case <-c.done:
		return c.val, c.err, shared
	case <-ctx.Done():
	}
	f.mu.Lock()
	c.waiters--
	if c.waiters == 0 {
		// Nobody wants this call any more: stop it, and forget it now, in
		// the same critical section, so that a caller arriving next starts
		// a fresh call instead of joining one whose context is cancelled.
		// The check is needed because the call may have finished and been
		// replaced by a newer call for the same key in the meantime.
		if f.calls[key] == c {
			delete(f.calls, key)
		}
		c.cancel(context.Cause(ctx))
	}
	f.mu.Unlock()
	return "", ctx.Err(), shared
}

// start registers and launches a call for key. f.mu must be held.
func (f *flight) start(ctx context.Context, key string, fn func(context.Context) (string, error)) *call {
	cctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	c := &call{done: make(chan struct{}), waiters: 1, cancel: cancel}
	f.calls[key] = c
	stop := context.AfterFunc(f.life, func() { cancel(ErrClosed) })
	started := f.spawn(func() {
		defer stop()
		f.run(cctx, key, c, fn)
	})
	if !started {
		stop()
		delete(f.calls, key)
		c.err = ErrClosed
		close(c.done)
		cancel(nil)
	}
	return c
}

// run calls fn and publishes its result to c's waiters.
//
// The order of the deferred steps matters. Two interleavings are worth
// spelling out (A finishes a call, B is a new caller for the same key):
//
//	A: sets c.val, c.err        B: locks, finds c, joins it, unlocks
//	A: locks, deletes c         B: waits on c.done
//	A: unlocks, closes c.done   B: gets A's result (fresh: it just finished)
//
//	A: sets c.val, c.err
//	A: locks, deletes c, unlocks
//	                            B: locks, finds nothing, starts c2, unlocks
//	A: closes c.done            B: waits on c2.done
//
// Either way B gets a result no older than its arrival. What must never
// happen is a call that stays in the map after its done channel is closed
// (B would join a finished call and return a result from an arbitrarily
// old past) or stays there forever because fn panicked (every later caller
// would hang): so the removal runs in a deferred function, after a
// recover, and only removes c itself, never a newer call another caller
// has started since c was abandoned (see do).
//
// The deduplication covers only calls that overlap. Two callers that both
// read a miss, one of them finishing its call before the other starts one,
// would run fn twice in a row; fill closes that gap by reading the value
// again in the same script that takes the lease.
func (f *flight) run(ctx context.Context, key string, c *call, fn func(context.Context) (string, error)) {
	defer func() {
		if r := recover(); r != nil {
			c.val, c.err = "", fmt.Errorf("%w: %v\n%s", ErrLoaderPanic, r, debug.Stack())
		}
		f.mu.Lock()
		if f.calls[key] == c {
			delete(f.calls, key)
		}
		f.mu.Unlock()
		close(c.done)
		c.cancel(nil)
	}()
	c.val, c.err = fn(ctx)
}
