package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/redhot/redhot/dashboard"
	"github.com/redhot/redhot/dashboard/top"
	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/inspect"
)

// hintError is an error with its own one-line hint, for failures the
// shared hint table does not know.
type hintError struct {
	err  error
	hint string
}

func (e hintError) Error() string { return e.err.Error() }
func (e hintError) Unwrap() error { return e.err }

// sourceFlags choose what the live views (top, serve) watch.
type sourceFlags struct {
	source      string
	stream      string
	duration    time.Duration
	maxCommands int64
	minRate     float64
	minShare    float64
}

func (s *sourceFlags) register(cmd *cobra.Command, monitor bool) {
	f := cmd.Flags()
	if monitor {
		f.StringVar(&s.source, "source", "fleet", "what to watch: fleet (the fleet stream that instrumented services publish to) or monitor (a bounded MONITOR sample)")
		f.DurationVar(&s.duration, "duration", time.Minute, "--source monitor: how long MONITOR runs (it is costly); the view keeps the last figures after")
		f.Int64Var(&s.maxCommands, "max-commands", 0, "--source monitor: stop MONITOR after this many commands (0: no limit)")
	} else {
		s.source = "fleet"
	}
	f.StringVar(&s.stream, "stream", fleet.DefaultStream, "--source fleet: the Redis Stream the services' fleet members publish to")
	f.Float64Var(&s.minRate, "min-rate", 50, "a key is hot from this many accesses per second (fleet-wide, or per node with MONITOR); negative disables")
	f.Float64Var(&s.minShare, "min-share", 0.01, "and from this share of the traffic, 0 to 1; negative disables")
}

// connect connects to the target of the connection flags, as the
// inspection commands do.
func connect(cmd *cobra.Command, e env, c *connFlags) (*inspect.Target, error) {
	stderr := cmd.ErrOrStderr()
	if hasCredentials(c.url) {
		fmt.Fprintln(stderr, "redhot: warning: a password in --url is visible to other users in ps; prefer REDISCLI_AUTH or REDHOT_PASSWORD")
	}
	password := e.getenv("REDHOT_PASSWORD")
	if password == "" {
		password = e.getenv("REDISCLI_AUTH")
	}
	t, err := inspect.Connect(cmd.Context(), inspect.ConnOptions{
		URL: c.url, Password: password,
		TLSCA: c.tlsCA, TLSCert: c.tlsCert, TLSKey: c.tlsKey, TLSInsecure: c.tlsInsecure,
		Replicas: c.replicas, Timeout: c.timeout,
		Log: prefixWriter{w: stderr},
	})
	if err != nil && cmd.Context().Err() != nil {
		return nil, errInterrupted
	}
	return t, err
}

// watched is a live source with what the views show about it.
type watched struct {
	src    dashboard.Source
	kind   string // "fleet" or "monitor"
	title  string
	status func() top.Status
	member *fleet.Member   // --source fleet
	done   <-chan struct{} // closed when a bounded source ends; nil if it never does
	close  func()
}

// watch starts the source the flags ask for on t.
func watch(ctx context.Context, t *inspect.Target, s *sourceFlags) (*watched, error) {
	switch s.source {
	case "fleet":
		client := t.NewClient()
		m, err := fleet.Join(ctx, client, nil, fleet.Options{
			Stream: s.stream,
			Rules:  fleet.Rules{MinRate: nonZero(s.minRate), MinShare: nonZero(s.minShare)},
		})
		if err != nil {
			client.Close()
			if ctx.Err() != nil {
				return nil, errInterrupted
			}
			return nil, hintError{err, fmt.Sprintf("redhot reads the fleet stream with XREAD (and EVAL or TIME for the server's clock): check that the user may, and that --stream %s is the stream your services publish to", s.stream)}
		}
		w := &watched{
			src: m, kind: "fleet", member: m,
			title: fmt.Sprintf("fleet %s on %s", inspect.QuoteKey(s.stream), t.URL()),
			close: func() { m.Close(); client.Close() },
		}
		w.status = func() top.Status { return fleetStatus(m, s.stream) }
		return w, nil
	case "monitor":
		ms, err := inspect.StartMonitor(ctx, t, inspect.MonitorStreamOptions{
			Duration:    s.duration,
			MaxCommands: s.maxCommands,
			Rules:       heatRules(s),
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, errInterrupted
			}
			return nil, err
		}
		w := &watched{
			src: ms, kind: "monitor", done: ms.Done(),
			title: fmt.Sprintf("MONITOR on %s", t.URL()),
			close: func() { ms.Close() },
		}
		w.status = func() top.Status { return monitorStatus(ms) }
		return w, nil
	}
	return nil, usageError{fmt.Errorf("--source %q: use fleet or monitor", s.source)}
}

// nonZero maps a flag's 0 to a tiny positive value: 0 means "the default"
// in the fleet and heat options, but a user who asks for 0 means no floor.
func nonZero(v float64) float64 {
	if v == 0 {
		return 1e-9
	}
	return v
}

func fleetStatus(m *fleet.Member, stream string) top.Status {
	n := len(m.Instances())
	st := top.Status{Line: fmt.Sprintf("%d instance%s publishing", n, plural(n))}
	if n == 0 {
		st.Warning = fmt.Sprintf("no instance is publishing to %s: services join the fleet with fleet.Join(ctx, client, tracker, fleet.Options{Stream: %q})", inspect.QuoteKey(stream), stream)
	}
	if fs := m.Stats(); fs.Malformed+fs.UnknownVersion > 0 {
		st.Line += fmt.Sprintf(", %d entries skipped (malformed or another version)", fs.Malformed+fs.UnknownVersion)
	}
	return st
}

func monitorStatus(ms *inspect.MonitorStream) top.Status {
	s := ms.Stats()
	st := top.Status{
		Line:    fmt.Sprintf("MONITOR %s of %s, %d commands", s.Elapsed.Round(time.Second), s.Duration, s.Sampled),
		Warning: strings.Join(s.Warnings, "; "),
		Ended:   !s.Running,
	}
	if !s.Running {
		st.Line = fmt.Sprintf("MONITOR sample ended after %s, %d commands", s.Elapsed.Round(100*time.Millisecond), s.Sampled)
	}
	return st
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// heatRules turns the hot-rule flags into heat.Rules for MONITOR samples.
func heatRules(s *sourceFlags) heat.Rules {
	return heat.Rules{MinRate: nonZero(s.minRate), MinShare: nonZero(s.minShare)}
}
