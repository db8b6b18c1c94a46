// Package top is the live terminal view of `redhot top`: a Bubble Tea
// model that refreshes a dashboard.Recorder's snapshot every interval and
// draws the hottest keys with their rates, read/write split, share, a
// sparkline and arrow for the trend, and hot and cooled markers, above a
// short timeline of events. It fits an 80-column terminal and uses more
// of a wider one; q, Esc or Ctrl-C quits and p pauses.
//
// The model does no I/O in Update: sampling runs in a Bubble Tea command,
// so Update and View are tested with hand-made snapshots and no terminal.
// WritePlain prints the same table without escape codes, for a standard
// output that is not a terminal.
package top

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/redhot/redhot/dashboard"
)

// Options configure a Model. The zero value gives the documented
// defaults.
type Options struct {
	// Title says what is watched, such as "fleet redhot:fleet on
	// redis://127.0.0.1:6379".
	// default: none
	Title string

	// Interval is the time between refreshes.
	// default: 1 second
	Interval time.Duration

	// Status, if set, is called at each refresh for a line about the
	// source. It runs on a Bubble Tea command goroutine, not Update's, and
	// should not block.
	// default: none
	Status func() Status
}

// Status is a line about the source, shown under the title.
type Status struct {
	// Line describes the source now ("3 instances", "MONITOR 12s of 1m").
	Line string
	// Warning, when set, is shown highlighted (a node that stopped, no
	// instance publishing).
	Warning string
	// Ended reports that the source stopped (a bounded MONITOR sample
	// ran its course): the figures shown are its last.
	Ended bool
}

// Model is the Bubble Tea model of the view. Create it with New.
type Model struct {
	rec    *dashboard.Recorder
	opts   Options
	snap   *dashboard.Snapshot
	status Status
	width  int
	height int
	paused bool
	quit   bool
}

// sampleMsg carries a new sample, taken by a command.
type sampleMsg struct {
	snap   *dashboard.Snapshot
	status Status
}

// New returns a model that refreshes rec's snapshot every opts.Interval.
func New(rec *dashboard.Recorder, opts Options) Model {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	return Model{rec: rec, opts: opts, snap: rec.Snapshot()}
}

// Init takes the first sample at once.
func (m Model) Init() tea.Cmd {
	return func() tea.Msg { return m.sample(time.Now()) }
}

// sample reads the recorder's source; it runs on a command goroutine.
func (m Model) sample(now time.Time) tea.Msg {
	msg := sampleMsg{snap: m.rec.Sample(now)}
	if m.opts.Status != nil {
		msg.status = m.opts.Status()
	}
	return msg
}

// Update handles keys (q, Esc, Ctrl-C quit; p or space pauses), the
// terminal's size and new samples, after each of which it schedules the
// next one.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "q", "Q", "esc", "ctrl+c":
			m.quit = true
			return m, tea.Quit
		case "p", "P", "space":
			m.paused = !m.paused
		}
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case sampleMsg:
		if !m.paused {
			m.snap, m.status = msg.snap, msg.status
		}
		return m, tea.Tick(m.opts.Interval, m.sample)
	}
	return m, nil
}

// View draws the screen in the alternate screen buffer.
func (m Model) View() tea.View {
	if m.quit {
		return tea.NewView("")
	}
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "redhot top"
	return v
}

// render draws the screen for the terminal's size, with colours.
func (m Model) render() string {
	w, h := m.width, m.height
	if w <= 0 {
		w = 80
	}
	if h <= 0 {
		h = 24
	}
	return layout{
		snap: m.snap, status: m.status, title: m.opts.Title,
		width: w, height: h, color: true, paused: m.paused, keysHelp: true,
	}.String()
}
