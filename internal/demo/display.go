package demo

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// display shows the story as it runs: a compact screen redrawn in place on
// a terminal, plain progress lines otherwise. All its methods run on Run's
// goroutine.
type display struct {
	o       Options
	sum     *Summary
	sched   schedule
	start   time.Time
	last    *Sample
	printed time.Time // when the last plain progress line was written
	notes   []string  // recent detections and phase changes, for the screen
	phase   string    // the phase last announced on a pipe
	warning string
}

func newDisplay(o Options, sum *Summary, sched schedule) *display {
	return &display{o: o, sum: sum, sched: sched}
}

func (d *display) begin(start time.Time) {
	d.start = start
	if !d.o.TTY {
		fmt.Fprintf(d.o.Out, "%d primaries: %s; %s of traffic at %s commands/s\n",
			len(d.sum.Nodes), strings.Join(d.sum.Nodes, " "), d.o.Duration, rate(d.o.Rate))
		d.announce(0)
	}
}

// announce prints a line on a pipe when the story enters a new phase by
// offset t (the mitigation announces itself).
func (d *display) announce(t time.Duration) {
	p := d.sched.phase(t)
	if d.o.TTY || p == d.phase {
		return
	}
	d.phase = p
	if t < d.sched.mitigateAt {
		fmt.Fprintf(d.o.Out, "+%4.1fs  %s\n", t.Seconds(), p)
	}
}

// note records a line for the screen (short) and prints the long form
// on a pipe.
func (d *display) note(short, long string) {
	d.notes = append(d.notes, short)
	if len(d.notes) > 6 {
		d.notes = d.notes[1:]
	}
	if !d.o.TTY {
		fmt.Fprintln(d.o.Out, long)
	} else if d.last != nil {
		d.redraw()
	}
}

func (d *display) detected(k *KeyResult) {
	d.announce(k.Onset)
	s := fmt.Sprintf("+%4.1fs  flagged %s hot %s after onset (%s/s, %.0f%%)",
		k.DetectedAt.Seconds(), k.Key, ms(k.DetectedAfter), rate(k.Rate), 100*k.Share)
	d.note(s, s)
}

func (d *display) mitigated() {
	var on []string
	for _, k := range d.sum.Keys {
		if k.Mitigation != "" {
			on = append(on, k.Key+": "+k.Mitigation)
		}
	}
	at := time.Since(d.start).Seconds()
	d.note(fmt.Sprintf("+%4.1fs  mitigation on for %d keys; all traffic through redhot", at, len(on)),
		fmt.Sprintf("+%4.1fs  mitigation on (%s); background traffic through redhot's near cache", at, strings.Join(on, "; ")))
}

func (d *display) warn(err error) {
	d.warning = err.Error()
	if !d.o.TTY {
		fmt.Fprintf(d.o.Out, "warning: %v\n", err)
	}
}

func (d *display) interrupted() {
	fmt.Fprintf(d.o.Out, "\ninterrupted after %.1fs: traffic stopped, servers torn down, no report.\n", time.Since(d.start).Seconds())
}

func (d *display) sample(s Sample) {
	d.last = &s
	d.announce(s.At)
	if d.o.TTY {
		d.redraw()
		return
	}
	now := time.Now()
	if now.Sub(d.printed) < 990*time.Millisecond {
		return
	}
	d.printed = now
	var b strings.Builder
	fmt.Fprintf(&b, "+%4.1fs  client %s/s p99 %s  primaries", s.At.Seconds(), rate(s.ClientOps), ms(s.P99))
	for _, v := range s.Nodes {
		fmt.Fprintf(&b, " %s", rate(v))
	}
	fmt.Fprintf(&b, "  max/mean %.2f", maxOverMean(s.Nodes))
	fmt.Fprintf(&b, "  server %s/s", rate(s.ServerOps))
	fmt.Fprintln(d.o.Out, b.String())
}

// redraw draws the terminal screen, at most 80 columns wide.
func (d *display) redraw() {
	s := d.last
	var b strings.Builder
	b.WriteString("\x1b[H\x1b[J")
	fmt.Fprintf(&b, "redhot demo  +%4.1fs / %.0fs   %s\n", s.At.Seconds(), d.o.Duration.Seconds(), d.sched.phase(s.At))
	fmt.Fprintf(&b, "client %s cmd/s   server %s cmd/s   p50 %s   p99 %s\n\n",
		rate(s.ClientOps), rate(s.ServerOps), ms(s.P50), ms(s.P99))
	peak := 0.0
	for _, v := range s.Nodes {
		peak = max(peak, v)
	}
	mean := 0.0
	for _, v := range s.Nodes {
		mean += v / float64(len(s.Nodes))
	}
	fmt.Fprintf(&b, "%-21s %7s  %-30s %s\n", "primary", "cmd/s", "", "×mean")
	for i, v := range s.Nodes {
		bar := 0
		if peak > 0 {
			bar = int(30 * v / peak)
		}
		x := 0.0
		if mean > 0 {
			x = v / mean
		}
		fmt.Fprintf(&b, "%-21s %7s  %-30s %.2f\n", clip(d.sum.Nodes[i], 21), rate(v), strings.Repeat("█", bar)+strings.Repeat(" ", 30-bar), x)
	}
	fmt.Fprintf(&b, "\n%-19s %-13s %7s %9s  %s\n", "key", "role", "onset", "detected", "mitigation")
	for k, kr := range d.sum.Keys {
		onset, det := "-", "-"
		if s.At >= d.sched.onset[k] {
			onset = fmt.Sprintf("+%.1fs", d.sched.onset[k].Seconds())
			det = "…"
		}
		if kr.Detected {
			det = ms(kr.DetectedAfter)
		}
		mit := kr.Mitigation
		if mit == "" && kr.Detected {
			mit = "at +" + fmt.Sprintf("%.1fs", d.sched.mitigateAt.Seconds())
		}
		fmt.Fprintf(&b, "%-19s %-13s %7s %9s  %s\n", clip(kr.Key, 19), kr.Role, onset, det, clip(mit, 27))
	}
	if len(d.notes) > 0 {
		b.WriteString("\n")
		for _, n := range d.notes[max(0, len(d.notes)-4):] {
			fmt.Fprintln(&b, clip(n, 80))
		}
	}
	if d.warning != "" {
		fmt.Fprintln(&b, clip("warning: "+d.warning, 80))
	}
	io.WriteString(d.o.Out, b.String())
}

// printSummary writes the closing table.
func printSummary(w io.Writer, s *Summary) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nSUMMARY  %d primaries, %d replicas, %s commands/s offered for %s\n\n", len(s.Nodes), s.Replicas, rate(s.Rate), s.Duration)
	fmt.Fprintf(&b, "%-19s %-13s %9s %15s  %s\n", "KEY", "ROLE", "DETECTED", "P99 BEFORE→AFTER", "MITIGATION")
	for _, k := range s.Keys {
		det := "no"
		if k.Detected {
			det = ms(k.DetectedAfter)
		}
		mit := k.Mitigation
		if mit == "" {
			mit = "none"
		}
		fmt.Fprintf(&b, "%-19s %-13s %9s %15s  %s\n", k.Key, k.Role, det, ms(k.P99Before)+"→"+ms(k.P99After), mit)
	}
	fmt.Fprintf(&b, "%-19s %-13s %9s %15s\n", "(other keys)", "background", "", ms(s.BackgroundP99Before)+"→"+ms(s.BackgroundP99After))
	b.WriteString("(DETECTED: time from the key's first command to redhot's hot event)\n")
	if len(s.OtherHot) > 0 {
		other := s.OtherHot
		more := ""
		if len(other) > 6 {
			other, more = other[:6], fmt.Sprintf(" and %d more", len(s.OtherHot)-6)
		}
		fmt.Fprintf(&b, "also hot before mitigation: %s%s\n", strings.Join(other, ", "), more)
	}
	fmt.Fprintf(&b, "\n%-32s %10s %10s %10s\n", "", "BASELINE", "BEFORE", "AFTER")
	row := func(name string, f func(Window) string) {
		fmt.Fprintf(&b, "%-32s %10s %10s %10s\n", name, f(s.Baseline), f(s.Before), f(s.After))
	}
	row("client commands/s", func(w Window) string { return rate(w.ClientOpsPerSec) })
	row("server commands/s (primaries)", func(w Window) string { return rate(w.ServerOpsPerSec) })
	for i, n := range s.Nodes {
		row("  "+n, func(w Window) string {
			if i < len(w.NodeOpsPerSec) {
				return rate(w.NodeOpsPerSec[i])
			}
			return "-"
		})
	}
	row("primary load max/mean", func(w Window) string { return fmt.Sprintf("%.2f", w.MaxOverMean) })
	row("client p50", func(w Window) string { return ms(w.P50) })
	row("client p99", func(w Window) string { return ms(w.P99) })
	fmt.Fprintf(&b, "\nserver commands saved: %d answered by the near cache (%.0f%% of commands after mitigation)\n",
		s.NearCacheHits, 100*s.NearCacheShare)
	if s.Replicas > 0 {
		fmt.Fprintf(&b, "reads served by replicas: %d\n", s.ReplicaReads)
	}
	fmt.Fprintf(&b, "price list computations: %.1f per TTL cache-aside, %.1f behind the stampede guard\n",
		s.Prices.AsidePerTTL, s.Prices.GuardedPerTTL)
	fmt.Fprintf(&b, "order counter: %d increments acknowledged (%d unknown), total %d\n", s.CounterAcked, s.CounterUnknown, s.CounterTotal)
	if s.Errors > 0 {
		fmt.Fprintf(&b, "errors: %d commands failed; first: %s\n", s.Errors, s.FirstError)
	}
	if s.ReportDir != "" {
		fmt.Fprintf(&b, "\nreport: %s\n", s.Files[0])
		fmt.Fprintf(&b, "        (%d files in %s)\n", len(s.Files), s.ReportDir)
	}
	io.WriteString(w, b.String())
}

func maxOverMean(v []float64) float64 {
	peak, sum := 0.0, 0.0
	for _, x := range v {
		peak = max(peak, x)
		sum += x
	}
	if sum == 0 {
		return 0
	}
	return peak / (sum / float64(len(v)))
}

// rate formats a per-second figure compactly: 950, 12.3k, 1.2M.
func rate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// ms formats a duration in milliseconds with sensible precision.
func ms(d time.Duration) string {
	m := float64(d) / float64(time.Millisecond)
	switch {
	case m >= 100:
		return fmt.Sprintf("%.0fms", m)
	case m >= 10:
		return fmt.Sprintf("%.1fms", m)
	default:
		return fmt.Sprintf("%.2fms", m)
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
