package main

import (
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/redhot/redhot/dashboard"
	"github.com/redhot/redhot/dashboard/top"
)

func newTopCmd(e env) *cobra.Command {
	var (
		c        connFlags
		s        sourceFlags
		interval time.Duration
		rows     int
		count    int
	)
	cmd := &cobra.Command{
		Use:   "top",
		Short: "Watch the hottest keys live, from the fleet stream or a MONITOR sample",
		Long: `top shows the hottest keys live, refreshed every --interval: their rates,
read/write split, share of the traffic, trend and hot or cooled state, and
a timeline of hot and cooled events. q quits, p pauses.

--source fleet (the default) reads the fleet stream that services using
redhot's fleet package publish to (--stream), costing the server one
XREAD per refresh. --source monitor samples live traffic with MONITOR on
every primary for --duration (default 1m): costly, so it stops on its own
and the view keeps its last figures.

When standard output is not a terminal, top prints a plain table every
--interval instead (--count of them, or until the source ends or Ctrl-C).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.output != "table" {
				return hintError{
					usageError{errors.New("redhot top draws a live view and has no JSON output")},
					"for JSON, sample with 'redhot monitor -o json' or read /api/v1/snapshot of 'redhot serve'",
				}
			}
			if s.source != "fleet" && s.source != "monitor" {
				return usageError{fmt.Errorf("--source %q: use fleet or monitor", s.source)}
			}
			if interval < 50*time.Millisecond {
				return usageError{fmt.Errorf("--interval %v: at least 50ms", interval)}
			}
			if rows < 1 || rows > 1000 || count < 0 {
				return usageError{fmt.Errorf("--top %d / --count %d out of range", rows, count)}
			}
			t, err := connect(cmd, e, &c)
			if err != nil {
				return err
			}
			defer t.Close()
			w, err := watch(cmd.Context(), t, &s)
			if err != nil {
				return err
			}
			defer w.close()
			rec, err := dashboard.NewRecorder(w.src, dashboard.RecorderOptions{Keys: rows, History: 120})
			if err != nil {
				return err
			}
			if isTerminal(cmd.OutOrStdout()) {
				return runTopTerminal(cmd, rec, w, interval)
			}
			return runTopPlain(cmd, rec, w, interval, count)
		},
	}
	c.register(cmd)
	s.register(cmd, true)
	f := cmd.Flags()
	_ = f.MarkHidden("output")
	f.DurationVar(&interval, "interval", time.Second, "time between refreshes")
	f.IntVarP(&rows, "top", "n", 50, "how many keys to follow (a terminal shows as many as fit)")
	f.IntVar(&count, "count", 0, "without a terminal: print this many tables, then exit (0: until the source ends or Ctrl-C)")
	return cmd
}

// runTopTerminal runs the Bubble Tea view until q, Ctrl-C or a signal.
func runTopTerminal(cmd *cobra.Command, rec *dashboard.Recorder, w *watched, interval time.Duration) error {
	m := top.New(rec, top.Options{Title: w.title, Interval: interval, Status: w.status})
	p := tea.NewProgram(m, tea.WithContext(cmd.Context()), tea.WithOutput(cmd.OutOrStdout()))
	_, err := p.Run()
	if err != nil && (errors.Is(err, tea.ErrInterrupted) || cmd.Context().Err() != nil) {
		return nil // Ctrl-C or SIGTERM: the usual way to leave
	}
	return err
}

// runTopPlain prints a plain table every interval.
func runTopPlain(cmd *cobra.Command, rec *dashboard.Recorder, w *watched, interval time.Duration, count int) error {
	ctx := cmd.Context()
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for n := 0; count == 0 || n < count; n++ {
		ended := false
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		case <-w.done:
			ended = true
		}
		if err := top.WritePlain(cmd.OutOrStdout(), rec.Sample(time.Now()), w.title, w.status()); err != nil {
			return err
		}
		if ended {
			return nil
		}
	}
	return nil
}
