// Package browsertest starts a headless Chromium for tests that check a
// page the project serves or writes (the dashboard, the demo's report),
// and collects the page's console so a test can fail on any error.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// Path returns the path of chromium ($CHROMIUM first, then Debian's), or
// "" when there is none.
func Path() string {
	for _, name := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start starts a headless chromium with a window of width x height for tb
// and returns a tab's context and the log of every console message of the
// page. It skips tb when chromium is not installed; everything stops when
// the test ends.
func Start(tb testing.TB, width, height int) (context.Context, *Console) {
	tb.Helper()
	path := Path()
	if path == "" {
		tb.Skip("chromium is not installed: run scripts/ensure-chromium.sh (make test does) to run the browser checks")
	}
	// Without the background-networking flags chromium tries to reach
	// Google's services, and a closed network refuses it.
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(width, height),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	console := &Console{}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			console.add(m)
		}
	}()
	tb.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		<-done
	})
	return ctx, console
}

// Console collects a page's console messages.
type Console struct {
	mu   sync.Mutex // guards msgs
	msgs []chromedp.ConsoleMessage
}

func (c *Console) add(m chromedp.ConsoleMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
}

// Errors returns the console errors and uncaught exceptions so far.
func (c *Console) Errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
		}
	}
	return out
}
