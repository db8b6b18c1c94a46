package top

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/redhot/redhot/dashboard"
	"github.com/redhot/redhot/heat"
)

// fakeSource is a dashboard.Source whose keys the test sets.
type fakeSource struct {
	mu     sync.Mutex // guards keys and totals
	keys   []heat.KeyStat
	totals heat.Totals
}

func (f *fakeSource) set(keys ...heat.KeyStat) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = keys
	f.totals = heat.Totals{}
	for _, k := range keys {
		f.totals.Rate += k.Rate * 5
		f.totals.ReadRate += k.ReadRate * 5
		f.totals.WriteRate += k.WriteRate * 5
	}
}

func (f *fakeSource) Top(k int) []heat.KeyStat {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.keys[:min(k, len(f.keys))])
}

func (f *fakeSource) Totals() heat.Totals {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.totals
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.Local)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func key(k string, read, write float64) heat.KeyStat {
	return heat.KeyStat{Key: k, Rate: read + write, Low: read + write, High: read + write, ReadRate: read, WriteRate: write, Share: (read + write) / 10000}
}

func hotKey(k heat.KeyStat, since time.Time) heat.KeyStat {
	k.Hot, k.HotSince = true, since
	return k
}

// scenario feeds samples (one a second) to a recorder and returns the
// messages a model would receive for them.
func scenario(tb testing.TB, samples ...[]heat.KeyStat) (*dashboard.Recorder, []tea.Msg) {
	tb.Helper()
	src := &fakeSource{}
	rec, err := dashboard.NewRecorder(src, dashboard.RecorderOptions{Keys: 50})
	if err != nil {
		tb.Fatal(err)
	}
	var msgs []tea.Msg
	for i, keys := range samples {
		src.set(keys...)
		msgs = append(msgs, sampleMsg{snap: rec.Sample(at(i)), status: Status{Line: "3 instances publishing"}})
	}
	return rec, msgs
}

// viral is a sequence where product:viral rises and turns hot while
// session:9 cools.
func viral() [][]heat.KeyStat {
	var out [][]heat.KeyStat
	for i := range 6 {
		keys := []heat.KeyStat{key("product:0", 900, 100), key("product:1", 500, 60)}
		rate := float64(200 * (i + 1) * (i + 1))
		v := key("product:viral", rate, 0)
		if i >= 3 {
			v = hotKey(v, at(3))
		}
		s := key("session:9", 300, 300)
		if i < 4 {
			s = hotKey(s, at(0))
		} else {
			s = key("session:9", 20, 20)
		}
		keys = append(keys, v, s)
		slices.SortFunc(keys, func(a, b heat.KeyStat) int { return int(b.Rate - a.Rate) })
		out = append(out, keys)
	}
	return out
}

func press(k string) tea.KeyPressMsg {
	switch k {
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// run applies msgs to a fresh model and returns the final model and the
// command of the last message.
func run(rec *dashboard.Recorder, msgs ...tea.Msg) (Model, tea.Cmd) {
	var m tea.Model = New(rec, Options{Title: "fleet redhot:fleet on redis://127.0.0.1:6379", Interval: time.Second})
	var cmd tea.Cmd
	for _, msg := range msgs {
		m, cmd = m.Update(msg)
	}
	return m.(Model), cmd
}

// isQuit reports whether cmd is tea.Quit.
func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestUpdateView(t *testing.T) {
	rec, samples := scenario(t, viral()...)
	size := func(w, h int) tea.Msg { return tea.WindowSizeMsg{Width: w, Height: h} }
	tests := []struct {
		name     string
		fresh    bool // a recorder that has not sampled yet
		msgs     []tea.Msg
		quit     bool
		want     []string // substrings of the plain screen
		wantNot  []string
		maxWidth int
		lines    int // exact number of lines; 0: do not check
	}{
		{
			name:  "first frame before any sample",
			fresh: true,
			msgs:  []tea.Msg{size(80, 24)},
			want:  []string{"redhot top", "waiting for the first sample", "q quit"},
			lines: 24, maxWidth: 80,
		},
		{
			name: "80 columns: all columns, hot and cooled markers, events",
			msgs: append([]tea.Msg{size(80, 24)}, samples...),
			want: []string{
				"OPS/S", "READ/S", "WRITE/S", "SHARE", "TREND",
				"product:viral", "HOT 2s", "session:9", "cooled 1s", "↑",
				"EVENTS", "HOT    product:viral", "cooled session:9", "after 4s",
				"3 instances publishing", "1 hot",
			},
			lines: 24, maxWidth: 80,
		},
		{
			name:     "narrow terminal: read/write become a write share",
			msgs:     append([]tea.Msg{size(60, 24)}, samples...),
			want:     []string{"W%", "product:viral", "HOT"},
			wantNot:  []string{"READ/S", "WRITE/S"},
			maxWidth: 60, lines: 24,
		},
		{
			name:     "short terminal: rows cut with a count of the rest",
			msgs:     append([]tea.Msg{size(80, 8)}, samples...),
			want:     []string{"more keys"},
			wantNot:  []string{"EVENTS"},
			maxWidth: 80, lines: 8,
		},
		{
			name:     "wide terminal keeps long keys",
			msgs:     append([]tea.Msg{size(140, 30)}, samples...),
			want:     []string{"product:viral"},
			maxWidth: 140, lines: 30,
		},
		{
			name:    "paused: new samples are not shown",
			msgs:    append(append([]tea.Msg{size(80, 24)}, samples[:2]...), append([]tea.Msg{press("p")}, samples[2:]...)...),
			want:    []string{"PAUSED", "session:9"},
			wantNot: []string{"HOT    product:viral"}, // it turned hot after the pause
		},
		{
			name: "resumed",
			msgs: append(append([]tea.Msg{size(80, 24)}, samples[:2]...), append([]tea.Msg{press("p"), press("space")}, samples[2:]...)...),
			want: []string{"HOT    product:viral", "q quit  p pause"},
		},
		{name: "q quits", msgs: []tea.Msg{size(80, 24), samples[0], press("q")}, quit: true},
		{name: "ctrl+c quits", msgs: []tea.Msg{samples[0], press("ctrl+c")}, quit: true},
		{name: "esc quits", msgs: []tea.Msg{press("esc")}, quit: true},
		{name: "other keys do nothing", msgs: []tea.Msg{samples[0], press("x")}, want: []string{"product:0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rec
			if tt.fresh {
				r, _ = scenario(t)
			}
			m, cmd := run(r, tt.msgs...)
			switch tt.msgs[len(tt.msgs)-1].(type) {
			case tea.KeyPressMsg:
				if got := isQuit(cmd); got != tt.quit {
					t.Fatalf("command after the key quits = %v; want %v", got, tt.quit)
				}
			case sampleMsg:
				if cmd == nil {
					t.Fatalf("no next sample scheduled after a sample")
				}
			}
			v := m.View()
			if tt.quit {
				if v.Content != "" {
					t.Errorf("View after quitting = %q; want empty", v.Content)
				}
				return
			}
			if !v.AltScreen {
				t.Errorf("View().AltScreen = false; want the alternate screen")
			}
			screen := ansi.Strip(v.Content)
			for _, w := range tt.want {
				if !strings.Contains(screen, w) {
					t.Errorf("screen lacks %q:\n%s", w, screen)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(screen, w) {
					t.Errorf("screen has %q:\n%s", w, screen)
				}
			}
			lines := strings.Split(screen, "\n")
			if tt.lines > 0 && len(lines) != tt.lines {
				t.Errorf("screen has %d lines; want %d:\n%s", len(lines), tt.lines, screen)
			}
			if tt.maxWidth > 0 {
				for _, l := range lines {
					if w := ansi.StringWidth(l); w > tt.maxWidth {
						t.Errorf("line %q is %d columns wide; want at most %d", l, w, tt.maxWidth)
					}
				}
			}
		})
	}
}

// TestSampling: Init samples at once, and each sample schedules the next.
func TestSampling(t *testing.T) {
	src := &fakeSource{}
	src.set(hotKey(key("a", 100, 0), time.Now()))
	rec, err := dashboard.NewRecorder(src, dashboard.RecorderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	m := New(rec, Options{Interval: 20 * time.Millisecond, Status: func() Status { calls++; return Status{Line: fmt.Sprint("call ", calls)} }})
	msg := m.Init()()
	sm, ok := msg.(sampleMsg)
	if !ok || sm.snap.Seq != 1 || len(sm.snap.Keys) != 1 || sm.status.Line != "call 1" {
		t.Fatalf("Init()() = %#v; want the first sample with its status", msg)
	}
	next, cmd := m.Update(sm)
	if cmd == nil {
		t.Fatal("Update(sample) scheduled no next sample")
	}
	start := time.Now()
	msg = cmd()
	if time.Since(start) < 15*time.Millisecond {
		t.Errorf("the next sample came after %v; want about the 20ms interval", time.Since(start))
	}
	if sm, ok := msg.(sampleMsg); !ok || sm.snap.Seq != 2 {
		t.Errorf("next message = %#v; want sample 2", msg)
	}
	if s := ansi.Strip(next.(Model).View().Content); !strings.Contains(s, "call 1") {
		t.Errorf("screen lacks the status line:\n%s", s)
	}
}

// TestKeysCannotBreakTheScreen: control characters and wide runes in keys
// neither add lines nor overflow the width.
func TestKeysCannotBreakTheScreen(t *testing.T) {
	_, msgs := scenario(t, []heat.KeyStat{
		hotKey(key("new\nline\x1b[2J", 900, 0), at(0)),
		key("キー:日本語:とても長いキーの名前です:もっと長く", 500, 0),
		{Key: "cut-by-the-tracker", Truncated: true, Rate: 300, ReadRate: 300},
	})
	rec, _ := scenario(t)
	m, _ := run(rec, tea.WindowSizeMsg{Width: 80, Height: 20}, msgs[0])
	screen := m.View().Content
	if strings.Contains(screen, "\x1b[2J") {
		t.Errorf("a key's escape sequence reached the screen")
	}
	plain := ansi.Strip(screen)
	if !strings.Contains(plain, `"new\nline\x1b[2J"`) || !strings.Contains(plain, "cut-by-the-tracker…") {
		t.Errorf("keys not quoted or marked truncated:\n%s", plain)
	}
	for _, l := range strings.Split(plain, "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %q is %d columns; want at most 80", l, w)
		}
	}
	if n := strings.Count(plain, "\n") + 1; n != 20 {
		t.Errorf("screen has %d lines; want 20", n)
	}
}

func TestWritePlain(t *testing.T) {
	_, msgs := scenario(t, viral()...)
	last := msgs[len(msgs)-1].(sampleMsg)
	var buf bytes.Buffer
	if err := WritePlain(&buf, last.snap, "MONITOR on redis://127.0.0.1:6379", Status{Line: "MONITOR 5s of 1m0s"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "\x1b") {
		t.Errorf("plain output has escape codes:\n%q", out)
	}
	for _, w := range []string{"redhot top  MONITOR on redis://127.0.0.1:6379", "12:00:05", "READ/S", "product:viral", "HOT", "EVENTS", "MONITOR 5s of 1m0s"} {
		if !strings.Contains(out, w) {
			t.Errorf("plain output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "q quit") {
		t.Errorf("plain output shows key help:\n%s", out)
	}
	if !strings.HasSuffix(out, "\n\n") {
		t.Errorf("plain output does not end with a blank line")
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{0, "0"}, {0.25, "0.2"}, {7, "7"}, {42.4, "42"}, {999, "999"}, {1234, "1.2k"}, {45_600, "45.6k"}, {1_234_567, "1.23M"}, {3e9, "3G"}} {
		if got := human(tt.v); got != tt.want {
			t.Errorf("human(%v) = %q; want %q", tt.v, got, tt.want)
		}
	}
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{300 * time.Millisecond, "<1s"}, {42 * time.Second, "42s"}, {12 * time.Minute, "12m"}, {5 * time.Hour, "5h"}} {
		if got := shortDur(tt.d); got != tt.want {
			t.Errorf("shortDur(%v) = %q; want %q", tt.d, got, tt.want)
		}
	}
	if got := sparkline([]float64{0, 1, 2, 4, 8}, 8); got != "▁▂▃▅█" {
		t.Errorf("sparkline = %q; want ▁▂▃▅█", got)
	}
	if got := sparkline([]float64{9, 9, 0, 0, 0, 0, 0, 0, 0, 0}, 8); got != "▁▁▁▁▁▁▁▁" {
		t.Errorf("sparkline of the last 8 of 10 = %q; want ▁▁▁▁▁▁▁▁", got)
	}
}
