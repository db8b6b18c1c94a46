package faultsuite

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redhot/redhot/internal/redistest"
)

// loadingReply marks a server that is loading its dataset.
const loadingReply = "LOADING"

// TestCLILoadingHint: redhot run against a server that is loading its
// dataset after a restart fails with one clear line and a hint. (The
// suite first met this during its restart fault, when inspect gave the
// LOADING reply no kind and the CLI printed no hint.)
func TestCLILoadingHint(t *testing.T) {
	// key-load-delay (microseconds per key) keeps the server loading long
	// enough to catch it, and a small loading-process-events-interval-bytes
	// makes it answer (LOADING) meanwhile instead of not at all.
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"key-load-delay 200", "loading-process-events-interval-bytes 1024"}})
	ctx := t.Context()
	c := srv.Client()
	pipe := c.Pipeline()
	for i := range 20000 {
		pipe.Set(ctx, "k:"+strconv.Itoa(i), "v", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	bin := buildCLI(t)
	restarted := make(chan error, 1)
	go func() { restarted <- srv.Restart(context.Background()) }()
	seen := false
	deadline := time.Now().Add(20 * time.Second)
	for !seen && time.Now().Before(deadline) {
		cmd := exec.CommandContext(ctx, bin, "hotkeys", "--timeout", "500ms", "--url", "redis://"+srv.Addr())
		var stderr strings.Builder
		cmd.Stderr = &stderr
		_ = cmd.Run()
		if !strings.Contains(stderr.String(), loadingReply) {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		seen = true
		if why := cleanError(stderr.String()); why != "" {
			t.Errorf("redhot hotkeys against a loading server: %s: %q", why, stderr.String())
		}
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Fatal("redhot never met the server loading: the test proves nothing")
	}
}
