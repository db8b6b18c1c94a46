// Command redhot finds and defuses hot keys in Redis.
//
// This file only wires flags to packages; see the README for a tour.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
)

// usageError is an error caused by the command line; main prints it with
// a hint to run --help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// errInterrupted is returned by a command that printed partial results
// after Ctrl-C.
var errInterrupted = errors.New("interrupted: the results above are partial")

// exitInterrupted is the exit status after Ctrl-C, as for shells.
const exitInterrupted = 130

// env is what commands read from the process environment; tests supply
// their own.
type env struct {
	getenv func(string) string
}

func newRoot(e env) *cobra.Command {
	root := &cobra.Command{
		Use:           "redhot",
		Short:         "Find and defuse hot keys in Redis",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newDemoCmd())
	root.AddCommand(
		newHotkeysCmd(e),
		newMonitorCmd(e),
		newNotifyCmd(e),
		newSlowlogCmd(e),
		newBigkeysCmd(e),
		newMemkeysCmd(e),
		newPatternsCmd(e),
		newBalanceCmd(e),
		newTopCmd(e),
		newServeCmd(e),
	)
	return root
}

// run runs redhot with args and returns the exit status. Errors are
// printed to stderr as one line, "redhot: <reason>", and usually a hint.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, e env) int {
	redis.SetLogger(quietLogger{})
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "redhot: %s\n", oneLine(err.Error()))
	if errors.Is(err, errInterrupted) {
		return exitInterrupted
	}
	var ue usageError
	var he hintError
	if errors.As(err, &he) {
		fmt.Fprintf(stderr, "hint: %s\n", he.hint)
	} else if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintln(stderr, "hint: run 'redhot --help' for usage")
	} else if h := hint(err); h != "" {
		fmt.Fprintf(stderr, "hint: %s\n", h)
	}
	return 1
}

// oneLine folds an error message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// quietLogger drops go-redis's own log lines (dial retries and the
// like): redhot reports failures itself, one line each.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// Parse a copy of the arguments, and hide any password in a URL
	// from ps (after warning, in run, that it was visible).
	args := hidePasswords(os.Args[1:])
	code := run(ctx, args, os.Stdout, os.Stderr, env{getenv: os.Getenv})
	stop()
	os.Exit(code)
}
