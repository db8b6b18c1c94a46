package faultsuite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// buildCLI builds the redhot command into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "redhot")
	// The go command of $GOROOT when it is set, else the one on PATH.
	goCmd := "go"
	if root := os.Getenv("GOROOT"); root != "" {
		goCmd = filepath.Join(root, "bin", "go")
	}
	out, err := exec.Command(goCmd, "build", "-o", bin, "github.com/redhot/redhot/cmd/redhot").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/redhot: %v\n%s", err, out)
	}
	return bin
}

// cliLayer runs the built redhot command (hotkeys, bigkeys and monitor,
// each with --timeout 500ms) while each fault is on. Whatever happens it
// must end within limit, print no panic or goroutine dump, and then:
// exit 0 when the fault leaves the server usable (latency, no fault); exit
// non-zero with one line "redhot: <reason>" and one "hint: ..." line when
// the fault makes it unusable; either, cleanly, during a restart, a
// failover or a slot migration.
type cliLayer struct {
	bin   string
	limit time.Duration
}

func (cliLayer) name() string { return "cli" }

// cliCommands are the commands each fault runs.
var cliCommands = [][]string{
	{"hotkeys", "--timeout", "500ms"},
	{"bigkeys", "--timeout", "500ms"},
	{"monitor", "--timeout", "500ms", "--duration", "500ms"},
}

type cliRun struct {
	l     cliLayer
	url   string
	ops   atomic.Int64
	bad   violations
	mu    sync.Mutex     // guards exits
	exits map[string]int // runs by command and exit status
}

func (l cliLayer) start(t *testing.T, e *env) (run, error) {
	return &cliRun{l: l, url: e.cliURL, exits: map[string]int{}}, nil
}

func (r *cliRun) during(_ context.Context, f *fault) {
	var wg sync.WaitGroup
	for _, args := range cliCommands {
		wg.Go(func() { r.runOnce(f, args) })
	}
	wg.Wait()
}

// runOnce runs one command and checks how it ended. It deliberately does
// not take the fault's context: a command is never cut short by the heal,
// only by the hang limit.
func (r *cliRun) runOnce(f *fault, args []string) {
	ctx, cancel := context.WithTimeout(context.Background(), r.l.limit)
	defer cancel()
	args = append(append([]string(nil), args...), "--url", r.url)
	cmd := exec.CommandContext(ctx, r.l.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	r.ops.Add(1)
	name := args[0]
	code := cmd.ProcessState.ExitCode()
	r.mu.Lock()
	r.exits[fmt.Sprintf("%s→%d", name, code)]++
	r.mu.Unlock()
	errText := stderr.String()
	switch {
	case ctx.Err() != nil:
		r.bad.add("redhot %s hung: killed after %v", name, r.l.limit)
		return
	case strings.Contains(errText, "goroutine ") || strings.Contains(errText, "panic:"):
		r.bad.add("redhot %s printed a stack trace: %s", name, firstLines(errText, 3))
		return
	}
	if err == nil {
		if f.cli == expectError {
			r.bad.add("redhot %s exited 0 under %s; want an error", name, f.name)
		}
		return
	}
	if f.cli == expectOK {
		r.bad.add("redhot %s exited %d under %s after %v; want success: %s", name, code, f.name, took.Round(time.Millisecond), firstLines(errText, 2))
		return
	}
	if why := cleanError(errText); why != "" {
		r.bad.add("redhot %s exited %d under %s: %s: %q", name, code, f.name, why, firstLines(errText, 4))
	}
}

// cleanError returns what is wrong with a failed command's stderr, or "".
// Progress and cost lines may come first; the error is the last
// "redhot: " line and a "hint: " line must follow it.
func cleanError(stderr string) string {
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "redhot: ") && !strings.HasPrefix(l, "redhot: warning:") {
			last = i
		}
	}
	switch {
	case last < 0:
		return "no \"redhot: <reason>\" line"
	case last+1 >= len(lines) || !strings.HasPrefix(lines[last+1], "hint: "):
		return "no hint after the error"
	case last+2 < len(lines):
		return "more output after the hint"
	}
	return ""
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

func (r *cliRun) healed(context.Context) {}

func (r *cliRun) finish(context.Context) result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var exits []string
	for _, args := range cliCommands {
		for code := range 256 {
			if n := r.exits[fmt.Sprintf("%s→%d", args[0], code)]; n > 0 {
				exits = append(exits, fmt.Sprintf("%s exit %d ×%d", args[0], code, n))
			}
		}
	}
	return result{ops: r.ops.Load(), violations: r.bad.get(), notes: strings.Join(exits, ", ")}
}
