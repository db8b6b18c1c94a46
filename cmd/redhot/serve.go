package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/redhot/redhot/dashboard"
	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/metrics"
)

func newServeCmd(e env) *cobra.Command {
	var (
		c        connFlags
		s        sourceFlags
		o        dashboard.Options
		listen   string
		history  time.Duration
		insecure bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a live web dashboard of the fleet's hot keys, a JSON API and /metrics",
		Long: `serve runs a web dashboard on --listen (127.0.0.1:7070 by default): the
fleet's hottest keys with their rates, read/write split and trend, a
rate-over-time chart per hot key, a timeline of hot and cooled events, each
node's load (INFO every --load-interval), and the fleet's live instances.
It updates live. Behind it: /api/v1/snapshot and /api/v1/stream (JSON and
Server-Sent Events, docs/dashboard.md) and /metrics (Prometheus).

It reads the fleet stream (--stream) that services using redhot's fleet
package publish to. Everything is embedded in the binary; it works offline.

A token (--token, or REDHOT_TOKEN to keep it out of ps) protects every
page: send "Authorization: Bearer <token>", or open /?token=<token> once in
a browser. Without a token, serve listens on loopback addresses only,
unless --insecure-no-token.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if c.output != "table" {
				return usageError{errors.New("serve has no --output: its JSON is at /api/v1/snapshot")}
			}
			if o.Interval < 50*time.Millisecond || o.LoadInterval < 100*time.Millisecond {
				return usageError{fmt.Errorf("--interval %v / --load-interval %v: at least 50ms / 100ms", o.Interval, o.LoadInterval)}
			}
			if o.Recorder.Keys < 1 || o.Recorder.Keys > 1000 {
				return usageError{fmt.Errorf("--top %d: 1 to 1000", o.Recorder.Keys)}
			}
			if history < o.Interval*2 {
				return usageError{fmt.Errorf("--history %v: keep at least two --interval", history)}
			}
			o.Recorder.History = int(history / o.Interval)
			if cmd.Flags().Changed("token") {
				fmt.Fprintln(stderr, "redhot: warning: a token in --token is visible to other users in ps; prefer REDHOT_TOKEN")
			} else {
				o.Token = e.getenv("REDHOT_TOKEN")
			}
			ln, err := dashboard.Listen(ctx, listen, o.Token, insecure)
			switch {
			case errors.Is(err, dashboard.ErrNoToken):
				return hintError{err, "listen on a loopback address (the default --listen 127.0.0.1:7070), or set a token with REDHOT_TOKEN (or --token), or pass --insecure-no-token to serve without one"}
			case errors.Is(err, dashboard.ErrInvalidOptions):
				return usageError{err}
			case err != nil:
				return hintError{err, "is another program using that port? pick another with --listen 127.0.0.1:<port>"}
			}
			defer ln.Close()

			t, err := connect(cmd, e, &c)
			if err != nil {
				return err
			}
			defer t.Close()
			w, err := watch(ctx, t, &s)
			if err != nil {
				return err
			}
			defer w.close()
			fc, err := metrics.NewFleetCollector(w.member, metrics.Options{TopK: o.Recorder.Keys})
			if err != nil {
				return err
			}
			o.Source, o.SourceKind, o.Title, o.Fleet = w.src, w.kind, w.title, w.member
			o.Nodes = inspect.NewLoadMeter(ctx, t)
			o.Insecure = insecure
			o.Collectors = []prometheus.Collector{fc, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
			srv, err := dashboard.New(o)
			if err != nil {
				return usageError{err}
			}
			hs := &http.Server{
				Handler:           srv,
				ReadHeaderTimeout: 10 * time.Second,
				IdleTimeout:       2 * time.Minute,
				ErrorLog:          log.New(io.Discard, "", 0),
			}
			served := make(chan error, 1)
			go func() { served <- hs.Serve(ln) }()
			url := "http://" + ln.Addr().String() + "/"
			fmt.Fprintf(stdout, "redhot: dashboard of %s on %s", w.title, url)
			if o.Token != "" {
				fmt.Fprint(stdout, " (open it once as /?token=<token>)")
			}
			fmt.Fprintln(stdout, "; Ctrl-C stops it")

			select {
			case <-ctx.Done():
				err = nil
			case err = <-served:
				err = hintError{fmt.Errorf("serving %s: %w", url, err), "restart redhot serve"}
			}
			// End the event streams first, so Shutdown need not wait for
			// them.
			srv.Close()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = hs.Shutdown(sctx)
			return err
		},
	}
	c.register(cmd)
	s.register(cmd, false)
	f := cmd.Flags()
	_ = f.MarkHidden("output")
	_ = f.MarkHidden("replicas")
	f.StringVar(&listen, "listen", "127.0.0.1:7070", "address to serve on, host:port")
	f.StringVar(&o.Token, "token", "", "bearer token every request must carry (default from REDHOT_TOKEN)")
	f.BoolVar(&insecure, "insecure-no-token", false, "serve without a token on an address other machines can reach")
	f.DurationVar(&o.Interval, "interval", time.Second, "how often the page updates")
	f.DurationVar(&o.LoadInterval, "load-interval", 5*time.Second, "how often each node's load is measured (one INFO per node)")
	f.DurationVar(&history, "history", 5*time.Minute, "how much rate history the charts keep")
	f.IntVarP(&o.Recorder.Keys, "top", "n", 20, "how many keys to show")
	return cmd
}
