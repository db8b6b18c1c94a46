package alert_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redhot/redhot/alert"
	"github.com/redhot/redhot/heat"
)

// source is a Source whose snapshot the test sets.
type source struct {
	mu   sync.Mutex
	keys []heat.KeyStat
}

func (s *source) set(keys ...heat.KeyStat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *source) Top(k int) []heat.KeyStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]heat.KeyStat(nil), s.keys[:min(k, len(s.keys))]...)
}

func (s *source) Totals() heat.Totals { return totals }

// monitor starts a Monitor and closes it when the test ends.
func monitor(t *testing.T, src alert.Source, opts alert.Options) *alert.Monitor {
	t.Helper()
	m, err := alert.New(src, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// recorder is a notifier that sends every alert to a channel.
func recorder(name string) (alert.Notifier, chan alert.Alert) {
	c := make(chan alert.Alert, 1000)
	return alert.Func(name, func(_ context.Context, a alert.Alert) error {
		c <- a
		return nil
	}), c
}

func receive(t *testing.T, c <-chan alert.Alert) alert.Alert {
	t.Helper()
	select {
	case a := <-c:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no alert within 10s")
		return alert.Alert{}
	}
}

// TestMonitorSlowNotifier: a notifier that hangs fills its own queue and
// loses alerts, counted, while the other notifier and the evaluations go
// on; Close cancels it after the drain timeout.
func TestMonitorSlowNotifier(t *testing.T) {
	const queue, alerts = 4, 20
	started := make(chan struct{}, 1)
	slow := alert.Func("slow", func(ctx context.Context, _ alert.Alert) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	})
	fast, got := recorder("fast")
	src := &source{}
	m := monitor(t, src, alert.Options{
		Rules:        []alert.Rule{{Name: "r", MinRate: 1000}},
		Notifiers:    []alert.Notifier{slow, fast},
		QueueSize:    queue,
		DrainTimeout: 20 * time.Millisecond,
		Clock:        heat.NewFakeClock(t0),
	})
	for i := range alerts {
		src.set(key(fmt.Sprintf("k%d", i), 2000, 0)) // a new key fires, the last one resolves
		if n := len(m.Evaluate()); n == 0 {
			t.Fatalf("evaluation %d raised no alert", i)
		}
		if i == 0 {
			<-started
		}
		receive(t, got)
		if i > 0 {
			receive(t, got) // the resolution of the previous key
		}
	}
	st := m.Stats()
	raised := uint64(2*alerts - 1)
	if st.Fired+st.Resolved != raised {
		t.Fatalf("Stats() = %+v; want %d alerts raised", st, raised)
	}
	s := st.Notifiers[0]
	if s.Name != "slow" || s.Queued != queue || s.Dropped != raised-1-queue || s.Sent != 0 {
		t.Errorf("slow notifier: %+v; want %d queued, %d dropped, none sent", s, queue, raised-1-queue)
	}
	if f := st.Notifiers[1]; f.Sent != raised || f.Dropped != 0 {
		t.Errorf("fast notifier: %+v; want %d sent, none dropped", f, raised)
	}
	start := time.Now()
	m.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v with a hanging notifier", d)
	}
	s = m.Stats().Notifiers[0]
	if s.Failed != 1 || s.Dropped != raised-1 || s.Queued != 0 {
		t.Errorf("after Close, slow notifier: %+v; want the hanging call failed and the rest dropped", s)
	}
}

// TestMonitorFailingNotifiers: errors and panics are counted and logged,
// and the notifier goes on with the next alert.
func TestMonitorFailingNotifiers(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))
	failing := alert.Func("failing", func(context.Context, alert.Alert) error { return errors.New("boom") })
	panicking := alert.Func("panicking", func(_ context.Context, a alert.Alert) error {
		if a.Key == "k0" {
			panic("bad callback")
		}
		return nil
	})
	ok, got := recorder("ok")
	src := &source{}
	m := monitor(t, src, alert.Options{
		Rules:     []alert.Rule{{Name: "r", MinRate: 1000, Cooldown: -1}},
		Notifiers: []alert.Notifier{failing, panicking, ok},
		Clock:     heat.NewFakeClock(t0),
		Logger:    logger,
	})
	src.set(key("k0", 2000, 0), key("k1", 2000, 0))
	m.Evaluate()
	receive(t, got)
	receive(t, got)
	m.Close() // delivers what is queued
	st := m.Stats()
	want := []alert.NotifierStats{
		{Name: "failing", Failed: 2, LastError: "boom"},
		{Name: "panicking", Sent: 1, Failed: 1, LastError: "alert: notifier panicking panicked: bad callback"},
		{Name: "ok", Sent: 2},
	}
	for i, w := range want {
		if st.Notifiers[i] != w {
			t.Errorf("Stats().Notifiers[%d] = %+v; want %+v", i, st.Notifiers[i], w)
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logs.String(), "alert notification failed"); n != 3 {
		t.Errorf("%d failure records logged; want 3:\n%s", n, logs.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestMonitorCloseDrains: Close waits for queued alerts to be delivered.
func TestMonitorCloseDrains(t *testing.T) {
	var mu sync.Mutex
	var delivered []string
	slowish := alert.Func("slowish", func(context.Context, alert.Alert) error {
		time.Sleep(5 * time.Millisecond) // a slow receiver, not a clock
		mu.Lock()
		defer mu.Unlock()
		delivered = append(delivered, "x")
		return nil
	})
	src := &source{}
	m := monitor(t, src, alert.Options{Rules: []alert.Rule{{MinRate: 1}}, Notifiers: []alert.Notifier{slowish}, Clock: heat.NewFakeClock(t0)})
	var keys []heat.KeyStat
	for i := range 10 {
		keys = append(keys, key(fmt.Sprint(i), 10, 0))
	}
	src.set(keys...)
	if n := len(m.Evaluate()); n != 10 {
		t.Fatalf("Evaluate raised %d alerts; want 10", n)
	}
	m.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != 10 {
		t.Errorf("%d alerts delivered by Close; want 10", len(delivered))
	}
	if a := m.Evaluate(); a != nil {
		t.Errorf("Evaluate after Close = %v; want nil", a)
	}
}

// TestMonitorTracker drives a heat tracker and a Monitor on one injected
// clock: a key takes a fifth of the traffic, fires, and resolves when its
// traffic stops.
func TestMonitorTracker(t *testing.T) {
	clk := heat.NewFakeClock(t0)
	tr := heat.Must(heat.Options{Clock: clk})
	defer tr.Close()
	note, got := recorder("rec")
	m := monitor(t, tr, alert.Options{
		Rules:     []alert.Rule{{Name: "viral", Pattern: "product:*", MinShare: 0.1}},
		Notifiers: []alert.Notifier{note},
		Clock:     clk,
		Origin:    "test",
	})
	traffic := func(d time.Duration, viral bool) {
		for i := range int(d / time.Millisecond) {
			for j := range 4 {
				tr.Observe(fmt.Sprintf("user:%d", (4*i+j)%500), heat.Read)
			}
			if viral {
				tr.Observe("product:viral", heat.Write)
			}
			clk.Add(time.Millisecond)
		}
		tr.Evaluate()
	}
	traffic(2*time.Second, false)
	if a := m.Evaluate(); len(a) != 0 {
		t.Fatalf("alerts before the key went viral: %v", a)
	}
	traffic(2*time.Second, true)
	a := m.Evaluate()
	if len(a) != 1 || a[0].Kind != alert.Firing || a[0].Key != "product:viral" || a[0].Share < 0.15 || a[0].WriteRate < 900 {
		t.Fatalf("Evaluate = %+v; want product:viral firing at about 20%% share, 1000 writes/s", a)
	}
	if r := receive(t, got); r.Key != "product:viral" || r.Origin != "test" {
		t.Errorf("notified %+v; want product:viral from test", r)
	}
	traffic(5*time.Second, false)
	a = m.Evaluate()
	if len(a) != 1 || a[0].Kind != alert.Resolved || a[0].Duration() != 5*time.Second {
		t.Fatalf("Evaluate = %+v; want product:viral resolved after 5s", a)
	}
}

// TestMonitorWakesOnHotEvent: with a real tracker, a hot event triggers an
// evaluation long before the (one hour) Interval.
func TestMonitorWakesOnHotEvent(t *testing.T) {
	tr := heat.Must(heat.Options{})
	defer tr.Close()
	note, got := recorder("rec")
	monitor(t, tr, alert.Options{Notifiers: []alert.Notifier{note}, Interval: time.Hour})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			tr.Observe("flag:global", heat.Read)
			tr.Observe(fmt.Sprintf("user:%d", i%1000), heat.Read)
			if i%64 == 0 {
				time.Sleep(time.Millisecond) // keep rates moderate
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()
	if a := receive(t, got); a.Kind != alert.Firing || a.Key != "flag:global" || a.Rule != "hot" {
		t.Errorf("alert %+v; want flag:global firing under rule hot", a)
	}
}

// TestMonitorWake: Wake evaluates at once, for sources without events.
func TestMonitorWake(t *testing.T) {
	note, got := recorder("rec")
	src := &source{}
	m := monitor(t, src, alert.Options{Rules: []alert.Rule{{MinRate: 1000}}, Notifiers: []alert.Notifier{note}, Interval: time.Hour})
	src.set(key("k", 5000, 0))
	m.Wake()
	if a := receive(t, got); a.Key != "k" || a.Rule != "rule0" {
		t.Errorf("alert %+v; want k under rule0", a)
	}
}

func TestNewInvalid(t *testing.T) {
	n1, _ := recorder("same")
	n2, _ := recorder("same")
	cases := []struct {
		name  string
		src   alert.Source
		opts  alert.Options
		field string
	}{
		{"nil source", nil, alert.Options{}, "source"},
		{"nil notifier", &source{}, alert.Options{Notifiers: []alert.Notifier{nil}}, "Notifiers[0]"},
		{"duplicate names", &source{}, alert.Options{Notifiers: []alert.Notifier{n1, n2}}, "Notifiers[1]"},
		{"interval", &source{}, alert.Options{Interval: time.Microsecond}, "Interval"},
		{"top", &source{}, alert.Options{TopN: -1}, "TopN"},
		{"queue", &source{}, alert.Options{QueueSize: -1}, "QueueSize"},
		{"rule", &source{}, alert.Options{Rules: []alert.Rule{{MinShare: 2}}}, "Rules[0].MinShare"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := alert.New(c.src, c.opts)
			if err == nil {
				m.Close()
			}
			if !errors.Is(err, alert.ErrInvalidOptions) || !strings.Contains(err.Error(), c.field) {
				t.Errorf("New = %v; want ErrInvalidOptions naming %s", err, c.field)
			}
		})
	}
}
