package inspect

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress receives the progress of a long method. Methods call it from
// their own goroutines, one per node, so implementations must be safe for
// concurrent use and must not block for long.
type Progress interface {
	// Start says a phase began: what it does and how many units it
	// expects (0 when unknown).
	Start(what string, total int64)
	// Add reports n more units done.
	Add(n int64)
	// Done says the phase ended.
	Done()
}

// ProgressBar draws a one-line progress bar, redrawn in place at most ten
// times a second. Use it only on a terminal. The zero value is not usable;
// call NewProgressBar.
type ProgressBar struct {
	w   io.Writer
	now func() time.Time

	mu      sync.Mutex // guards the fields below and writes to w
	what    string
	total   int64
	done    int64
	started time.Time
	drawn   time.Time
	width   int // of the last line drawn, to clear it
}

// NewProgressBar returns a bar that draws on w.
func NewProgressBar(w io.Writer) *ProgressBar {
	return &ProgressBar{w: w, now: time.Now}
}

// Start implements Progress.
func (p *ProgressBar) Start(what string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.what, p.total, p.done = what, total, 0
	p.started = p.now()
	p.drawn = time.Time{}
	p.draw()
}

// Add implements Progress.
func (p *ProgressBar) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if t := p.now(); t.Sub(p.drawn) >= 100*time.Millisecond {
		p.draw()
	}
}

// Done implements Progress: it erases the bar.
func (p *ProgressBar) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
		p.width = 0
	}
}

// draw redraws the bar. p.mu is held.
func (p *ProgressBar) draw() {
	now := p.now()
	p.drawn = now
	line := progressLine(p.what, p.done, p.total, now.Sub(p.started))
	pad := ""
	if n := p.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.width = len(line)
}

// progressLine renders "scanning  42% [########------------]  42k/100k  10k/s".
// The percentage stops at 99 until the phase is done: SCAN may return a
// key twice and the keyspace may grow while it runs.
func progressLine(what string, done, total int64, elapsed time.Duration) string {
	const barWidth = 24
	rate := ""
	if s := elapsed.Seconds(); s > 0.2 {
		rate = "  " + human(float64(done)/s) + "/s"
	}
	if total <= 0 {
		return fmt.Sprintf("%s  %s%s", what, human(float64(done)), rate)
	}
	f := min(float64(done)/float64(total), 0.99)
	filled := int(f * barWidth)
	return fmt.Sprintf("%s %3d%% [%s%s]  %s/%s%s", what, int(f*100),
		strings.Repeat("#", filled), strings.Repeat("-", barWidth-filled),
		human(float64(done)), human(float64(total)), rate)
}

// noProgress is the Progress used when none is given.
type noProgress struct{}

func (noProgress) Start(string, int64) {}
func (noProgress) Add(int64)           {}
func (noProgress) Done()               {}
