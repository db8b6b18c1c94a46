// Package harness holds what several bench programs need around the code
// they measure: building the redhot CLI, running a sampler process with its
// output discarded, and reading a server's command counters.
package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// BuildRedhot builds the redhot CLI into dir and returns its path. It
// builds in the main module, whose go.mod has the CLI's dependencies.
func BuildRedhot(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "redhot")
	list := exec.CommandContext(ctx, goBinary(), "list", "-m", "-f", "{{.Dir}}", "github.com/redhot/redhot")
	root, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("go list the redhot module: %w", err)
	}
	build := exec.CommandContext(ctx, goBinary(), "build", "-o", bin, "./cmd/redhot")
	build.Dir = strings.TrimSpace(string(root))
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build redhot: %v\n%s", err, out)
	}
	return bin, nil
}

// goBinary is the go command that runs this program, else go on PATH.
func goBinary() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

// Process is a running sampler whose output is discarded.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs bin with args, stdin empty and stdout and stderr discarded.
// The caller must call Stop.
func Start(ctx context.Context, bin string, args ...string) (*Process, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	// A nil Stdin, Stdout or Stderr is the null device for exec.
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

// Stop interrupts the process, waits up to 5 seconds for it to exit, then
// kills it and waits.
func (p *Process) Stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Monitors counts the server's MONITOR clients.
func Monitors(ctx context.Context, admin *redis.Client) (int, error) {
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, "cmd=monitor") {
			n++
		}
	}
	return n, nil
}

// WaitMonitors waits up to timeout for the server to have at least n
// MONITOR clients.
func WaitMonitors(ctx context.Context, admin *redis.Client, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := Monitors(ctx, admin)
		if err != nil {
			return err
		}
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the sampler is not monitoring after %v (%d MONITOR clients)", timeout, got)
		}
		if err := Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// Processed reads the server's total_commands_processed and its clock.
func Processed(ctx context.Context, admin *redis.Client) (int64, time.Time, error) {
	text, err := admin.Info(ctx, "stats", "server").Result()
	if err != nil {
		return 0, time.Time{}, err
	}
	var n, usec int64
	var okN, okT bool
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
			n, err = strconv.ParseInt(v, 10, 64)
			okN = err == nil
		}
		if v, ok := strings.CutPrefix(line, "server_time_usec:"); ok {
			usec, err = strconv.ParseInt(v, 10, 64)
			okT = err == nil
		}
	}
	if !okN || !okT {
		return 0, time.Time{}, fmt.Errorf("INFO has no total_commands_processed or server_time_usec")
	}
	return n, time.UnixMicro(usec), nil
}

// Sleep waits d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
