package stampede

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newTestFlight returns a flight whose goroutines t waits for.
func newTestFlight(t *testing.T) (*flight, context.CancelCauseFunc) {
	t.Helper()
	life, cancel := context.WithCancelCause(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	closed := false
	spawn := func(fn func()) bool {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return false
		}
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
		return true
	}
	t.Cleanup(func() {
		mu.Lock()
		closed = true
		mu.Unlock()
		cancel(ErrClosed)
		wg.Wait()
	})
	return newFlight(life, spawn), cancel
}

func TestFlightShares(t *testing.T) {
	f, _ := newTestFlight(t)
	const n = 50
	var calls atomic.Int64
	gate := make(chan struct{})
	fn := func(context.Context) (string, error) {
		calls.Add(1)
		<-gate
		return "v", nil
	}
	var wg sync.WaitGroup
	var shared atomic.Int64
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err, s := f.do(t.Context(), "k", fn)
			if v != "v" || err != nil {
				t.Errorf("do = %q, %v; want v, nil", v, err)
			}
			if s {
				shared.Add(1)
			}
		}()
	}
	eventually(t, 5*time.Second, "all callers joined", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		c := f.calls["k"]
		return c != nil && c.waiters == n
	})
	close(gate)
	wg.Wait()
	if calls.Load() != 1 || shared.Load() != n-1 {
		t.Fatalf("%d calls, %d shared; want 1 and %d", calls.Load(), shared.Load(), n-1)
	}
}

func TestFlightPanic(t *testing.T) {
	f, _ := newTestFlight(t)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err, _ := f.do(t.Context(), "k", func(context.Context) (string, error) {
				<-gate
				panic("boom")
			})
			if !errors.Is(err, ErrLoaderPanic) {
				t.Errorf("do after panic = %v; want ErrLoaderPanic", err)
			}
		}()
	}
	close(gate)
	wg.Wait()
	// The key is not stuck.
	v, err, _ := f.do(t.Context(), "k", func(context.Context) (string, error) { return "ok", nil })
	if v != "ok" || err != nil {
		t.Fatalf("do after a panic = %q, %v; want ok, nil", v, err)
	}
}

func TestFlightAbandoned(t *testing.T) {
	f, _ := newTestFlight(t)
	started := make(chan struct{})
	cancelled := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err, _ := f.do(ctx, "k", func(fctx context.Context) (string, error) {
				close(started)
				<-fctx.Done()
				cancelled <- context.Cause(fctx)
				return "", fctx.Err()
			})
			errs <- err
		}()
	}
	<-started
	eventually(t, 5*time.Second, "both callers joined", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.calls["k"] != nil && f.calls["k"].waiters == 2
	})
	cancel()
	for range 2 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Errorf("do with cancelled context = %v; want context.Canceled", err)
		}
	}
	// Once every caller has gone, the work is cancelled...
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("cause seen by the abandoned work = %v; want context.Canceled", err)
	}
	// ...and a new caller starts afresh rather than joining it.
	v, err, shared := f.do(t.Context(), "k", func(context.Context) (string, error) { return "new", nil })
	if v != "new" || err != nil || shared {
		t.Fatalf("do after abandonment = %q, %v, shared %v; want new, nil, false", v, err, shared)
	}
}

func TestFlightOneImpatientCaller(t *testing.T) {
	f, _ := newTestFlight(t)
	gate := make(chan struct{})
	fn := func(ctx context.Context) (string, error) {
		select {
		case <-gate:
			return "v", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	patient := make(chan error, 1)
	go func() {
		_, err, _ := f.do(t.Context(), "k", fn)
		patient <- err
	}()
	eventually(t, 5*time.Second, "first caller started", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.calls["k"] != nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err, _ := f.do(ctx, "k", fn); !errors.Is(err, context.Canceled) {
		t.Fatalf("impatient do = %v; want context.Canceled", err)
	}
	close(gate)
	if err := <-patient; err != nil {
		t.Fatalf("patient do = %v; want the value (another caller's cancellation must not fail it)", err)
	}
}

func TestFlightClosed(t *testing.T) {
	f, cancel := newTestFlight(t)
	errs := make(chan error, 1)
	go func() {
		_, err, _ := f.do(t.Context(), "k", func(ctx context.Context) (string, error) {
			<-ctx.Done()
			return "", context.Cause(ctx)
		})
		errs <- err
	}()
	eventually(t, 5*time.Second, "call started", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.calls["k"] != nil
	})
	cancel(ErrClosed)
	if err := <-errs; !errors.Is(err, ErrClosed) {
		t.Fatalf("do when the owner closes = %v; want ErrClosed", err)
	}
}
