package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/redhot/redhot/inspect"
)

// connFlags are the flags every inspection command shares.
type connFlags struct {
	url         string
	tlsCA       string
	tlsCert     string
	tlsKey      string
	tlsInsecure bool
	replicas    bool
	output      string
	timeout     time.Duration
}

func (c *connFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&c.url, "url", "u", inspect.DefaultURL, "server or any cluster node: redis://[user@]host:port[/db], rediss:// for TLS (password from REDISCLI_AUTH or REDHOT_PASSWORD)")
	f.StringVar(&c.tlsCA, "tls-ca", "", "PEM file of the CA that signed the server's certificate (rediss://)")
	f.StringVar(&c.tlsCert, "tls-cert", "", "client certificate (PEM) for servers that require one")
	f.StringVar(&c.tlsKey, "tls-key", "", "key of --tls-cert (PEM)")
	f.BoolVar(&c.tlsInsecure, "tls-insecure", false, "do not verify the server's certificate")
	f.BoolVar(&c.replicas, "replicas", false, "run read-only scans on a replica of each primary, sparing the primaries")
	f.StringVarP(&c.output, "output", "o", "table", "output format: table or json (schema: docs/cli-json.md)")
	f.DurationVar(&c.timeout, "timeout", 5*time.Second, "timeout to connect and for each command")
}

// scanFlags are the flags of the commands that walk the keyspace.
type scanFlags struct {
	count        int
	match        string
	maxOpsPerSec float64
}

func (s *scanFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&s.count, "count", 1000, "SCAN COUNT: keys per pipelined batch")
	f.StringVar(&s.match, "match", "", "only keys matching this glob (SCAN MATCH)")
	f.Float64Var(&s.maxOpsPerSec, "max-ops-per-sec", 0, "at most this many commands per second to each node (0: no limit)")
}

func (s *scanFlags) options(p inspect.Progress) inspect.ScanOptions {
	return inspect.ScanOptions{Count: s.count, Match: s.match, MaxOpsPerSec: s.maxOpsPerSec, Progress: p}
}

// inspection is what one command runs once connected.
type inspection func(ctx context.Context, t *inspect.Target, p inspect.Progress) (inspect.Report, error)

// runInspection connects, runs fn and prints its report.
func runInspection(cmd *cobra.Command, e env, c *connFlags, fn inspection) error {
	if c.output != "table" && c.output != "json" {
		return usageError{fmt.Errorf("--output %q: use table or json", c.output)}
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if hasCredentials(c.url) {
		fmt.Fprintln(stderr, "redhot: warning: a password in --url is visible to other users in ps; prefer REDISCLI_AUTH or REDHOT_PASSWORD")
	}
	password := e.getenv("REDHOT_PASSWORD")
	if password == "" {
		password = e.getenv("REDISCLI_AUTH")
	}
	ctx := cmd.Context()
	t, err := inspect.Connect(ctx, inspect.ConnOptions{
		URL: c.url, Password: password,
		TLSCA: c.tlsCA, TLSCert: c.tlsCert, TLSKey: c.tlsKey, TLSInsecure: c.tlsInsecure,
		Replicas: c.replicas, Timeout: c.timeout,
		Log: prefixWriter{w: stderr},
	})
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	defer t.Close()
	var p inspect.Progress
	if isTerminal(stderr) {
		p = inspect.NewProgressBar(stderr)
	}
	rep, err := fn(ctx, t, p)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	if c.output == "json" {
		if err := inspect.WriteJSON(stdout, rep); err != nil {
			return err
		}
		for _, w := range rep.Head().Warnings {
			fmt.Fprintf(stderr, "redhot: warning: %s\n", w)
		}
	} else if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if rep.Head().Interrupted {
		return errInterrupted
	}
	return nil
}

// hasCredentials reports whether a URL carries a password
// (redis://user:password@host or redis://:password@host), which other
// users can read in ps.
func hasCredentials(url string) bool {
	rest := url
	if _, r, ok := strings.Cut(url, "://"); ok {
		rest = r
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return false
	}
	_, pass, _ := strings.Cut(rest[:at], ":")
	return pass != ""
}

// prefixWriter prefixes each write with "redhot: "; notes are whole lines.
type prefixWriter struct{ w io.Writer }

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, "redhot: "); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
