package top

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/redhot/redhot/dashboard"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/inspect"
)

// layout draws one screen. height 0 means no limit (plain output).
type layout struct {
	snap     *dashboard.Snapshot
	status   Status
	title    string
	width    int
	height   int
	color    bool
	paused   bool
	keysHelp bool
}

// SGR sequences of the styles used.
const (
	sgrReset = "\x1b[0m"
	sgrBold  = "\x1b[1m"
	sgrDim   = "\x1b[2m"
	sgrHot   = "\x1b[1;31m"
	sgrCool  = "\x1b[36m"
	sgrUp    = "\x1b[31m"
	sgrDown  = "\x1b[32m"
	sgrWarn  = "\x1b[33m"
	sgrHead  = "\x1b[1;4m"
)

func (l layout) style(sgr, s string) string {
	if !l.color || s == "" {
		return s
	}
	return sgr + s + sgrReset
}

// column is one column of the key table.
type column struct {
	title string
	width int
	right bool
	cell  func(l layout, k *dashboard.KeyView) (text, sgr string)
}

const (
	sparkLen  = 8
	minKeyCol = 12
	maxKeyCol = 64
)

var (
	colRank  = column{"#", 3, true, func(_ layout, k *dashboard.KeyView) (string, string) { return strconv.Itoa(k.Rank), sgrDim }}
	colRate  = column{"OPS/S", 7, true, func(_ layout, k *dashboard.KeyView) (string, string) { return human(k.Rate), sgrBold }}
	colRead  = column{"READ/S", 7, true, func(_ layout, k *dashboard.KeyView) (string, string) { return human(k.ReadRate), "" }}
	colWrite = column{"WRITE/S", 7, true, func(_ layout, k *dashboard.KeyView) (string, string) { return human(k.WriteRate), "" }}
	colWPct  = column{"W%", 4, true, func(_ layout, k *dashboard.KeyView) (string, string) { return writePct(k), "" }}
	colShare = column{"SHARE", 6, true, func(_ layout, k *dashboard.KeyView) (string, string) { return pct(k.Share), "" }}
	colTrend = column{"TREND", sparkLen + 2, false, nil} // drawn by trendCell
	colState = column{"", 10, false, nil}                // drawn by stateCell
)

// columns picks the columns that fit the width, keeping the key column at
// least minKeyCol wide: read and write rates give way to a write share,
// then the trend, then the share.
func (l layout) columns() (cols []column, keyWidth int) {
	sets := [][]column{
		{colRank, colRate, colRead, colWrite, colShare, colTrend, colState},
		{colRank, colRate, colWPct, colShare, colTrend, colState},
		{colRank, colRate, colWPct, colShare, colState},
		{colRank, colRate, colWPct, colState},
	}
	for _, set := range sets {
		used := 1 // the key column's gap
		for _, c := range set {
			used += c.width + 1
		}
		if kw := l.width - used; kw >= minKeyCol || len(set) == 4 {
			return set, min(max(kw, 4), maxKeyCol)
		}
	}
	return nil, 0
}

// String draws the screen.
func (l layout) String() string {
	var out []string
	add := func(s string) { out = append(out, s) }
	s := l.snap
	if s == nil {
		s = &dashboard.Snapshot{}
	}

	// Title and summary.
	clock := ""
	if s.Seq > 0 {
		clock = s.At.Local().Format("15:04:05")
	}
	title := "redhot top"
	if l.title != "" {
		title += "  " + l.title
	}
	if l.height == 0 {
		// Plain output: the time follows the title.
		add(strings.TrimSpace(title + "  " + clock))
	} else {
		add(l.fit(l.style(sgrBold, "redhot top")+strings.TrimPrefix(fitText(title, l.width-len(clock)-1), "redhot top"), clock))
	}
	summary := human(s.Totals.Rate) + " ops/s  " + human(s.Totals.ReadRate) + " reads  " + human(s.Totals.WriteRate) + " writes  "
	hot := strconv.Itoa(s.Hot) + " hot"
	if s.Hot > 0 && s.Hot == len(s.Keys) && s.Floor > 0 {
		hot = strconv.Itoa(s.Hot) + "+ hot" // every listed key, and the list was full
	}
	line := l.style(sgrDim, summary)
	if s.Hot > 0 {
		line += l.style(sgrHot, hot)
	} else {
		line += hot
	}
	if l.status.Line != "" {
		line += l.style(sgrDim, "  "+l.status.Line)
	}
	add(truncate(line, l.width))
	if l.status.Warning != "" {
		add(truncate(l.style(sgrWarn, "! "+oneLine(l.status.Warning)), l.width))
	}

	// Key table.
	cols, kw := l.columns()
	avail := len(s.Keys)
	events := s.Events
	evShow := min(len(events), 10)
	if l.height > 0 {
		fixed := len(out) + 3 // blank, header, footer
		room := max(l.height-fixed, 1)
		evShow = 0
		if len(events) > 0 && room >= 8 {
			evShow = min(len(events), 3) // reserve a few event lines
		}
		evBlock := 0
		if evShow > 0 {
			evBlock = evShow + 2
		}
		avail = min(len(s.Keys), max(room-evBlock, 1))
		if spare := room - max(avail, 1) - evBlock; spare > 0 && len(events) > evShow {
			grow := min(spare, len(events)-evShow)
			if evShow == 0 {
				grow = max(min(spare-2, len(events)), 0)
			}
			evShow += grow
		}
	}
	// The key column is as wide as the longest key shown, within what
	// the width leaves.
	need := 8
	for i := range s.Keys[:avail] {
		need = max(need, ansi.StringWidth(displayKey(s.Keys[i].Key, s.Keys[i].Truncated)))
	}
	kw = min(kw, need)
	add("")
	add(l.header(cols, kw))
	if len(s.Keys) == 0 {
		msg := "no key traffic yet"
		if s.Seq == 0 {
			msg = "waiting for the first sample…"
		}
		add(l.style(sgrDim, "  "+msg))
	}
	for i := range s.Keys[:avail] {
		add(l.row(cols, kw, &s.Keys[i], s.At))
	}
	if avail < len(s.Keys) {
		// The last row says how many more there are.
		out[len(out)-1] = l.style(sgrDim, fitText("  … "+strconv.Itoa(len(s.Keys)-avail+1)+" more keys (a taller terminal shows them)", l.width))
	}

	// Events, newest first.
	if evShow > 0 {
		add("")
		add(l.style(sgrHead, "EVENTS"))
		ekw := 8
		for i := len(events) - evShow; i < len(events); i++ {
			ekw = max(ekw, ansi.StringWidth(displayKey(events[i].Key, events[i].Truncated)))
		}
		for i := len(events) - 1; i >= len(events)-evShow; i-- {
			add(l.event(&events[i], ekw))
		}
	}

	// Footer.
	if l.keysHelp {
		foot := "q quit  p pause"
		switch {
		case l.paused:
			foot = l.style(sgrWarn, "PAUSED") + "  " + l.style(sgrDim, "p resume  q quit")
		case l.status.Ended:
			foot = l.style(sgrWarn, "sample ended: figures are frozen") + "  " + l.style(sgrDim, "q quit")
		default:
			foot = l.style(sgrDim, foot)
		}
		if l.height > 0 {
			for len(out) < l.height-1 {
				add("")
			}
		}
		add(truncate(foot, l.width))
	}
	return strings.Join(out, "\n")
}

// fit puts right at the right end of a line that starts with left.
func (l layout) fit(left, right string) string {
	gap := l.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return truncate(left, l.width)
	}
	return left + strings.Repeat(" ", gap) + l.style(sgrDim, right)
}

func (l layout) header(cols []column, kw int) string {
	var b strings.Builder
	for i, c := range cols {
		if i == 1 {
			b.WriteString(pad("KEY", kw, false) + " ")
		}
		b.WriteString(pad(c.title, c.width, c.right) + " ")
	}
	return l.style(sgrHead, strings.TrimRight(b.String(), " "))
}

func (l layout) row(cols []column, kw int, k *dashboard.KeyView, at time.Time) string {
	var b strings.Builder
	for i, c := range cols {
		if i == 1 {
			key := fitText(displayKey(k.Key, k.Truncated), kw)
			sgr := ""
			if k.Hot {
				sgr = sgrBold
			}
			b.WriteString(l.style(sgr, pad(key, kw, false)) + " ")
		}
		switch c.title {
		case colTrend.title:
			b.WriteString(l.trendCell(k) + " ")
		case colState.title:
			b.WriteString(l.stateCell(k, at))
		default:
			text, sgr := c.cell(l, k)
			b.WriteString(l.style(sgr, pad(text, c.width, c.right)) + " ")
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func (l layout) trendCell(k *dashboard.KeyView) string {
	spark := sparkline(k.History, sparkLen)
	arrow, sgr := "→", sgrDim
	switch k.Trend {
	case dashboard.Up:
		arrow, sgr = "↑", sgrUp
	case dashboard.Down:
		arrow, sgr = "↓", sgrDown
	}
	sparkSGR := sgrCool
	if k.Hot {
		sparkSGR = sgrHot
	}
	return l.style(sparkSGR, pad(spark, sparkLen, true)) + " " + l.style(sgr, arrow)
}

func (l layout) stateCell(k *dashboard.KeyView, at time.Time) string {
	switch {
	case k.Hot:
		s := "HOT"
		if !k.HotSince.IsZero() {
			s += " " + shortDur(at.Sub(k.HotSince))
		}
		return l.style(sgrHot, s)
	case !k.CooledAt.IsZero():
		return l.style(sgrWarn, "cooled "+shortDur(at.Sub(k.CooledAt)))
	}
	return ""
}

// event draws one event, its key in a column of keyWidth (at most what
// the line leaves).
func (l layout) event(e *dashboard.Event, keyWidth int) string {
	t := e.At.Local().Format("15:04:05")
	kind, sgr := "HOT   ", sgrHot
	detail := human(e.Rate) + "/s " + pct(e.Share)
	if e.Kind == heat.Cooled {
		kind, sgr = "cooled", sgrWarn
		detail = "after " + shortDur(e.HotFor) + " hot"
	}
	room := max(min(keyWidth, l.width-len(t)-len(kind)-len(detail)-4), 4)
	key := fitText(displayKey(e.Key, e.Truncated), room)
	return truncate(l.style(sgrDim, t)+" "+l.style(sgr, kind)+" "+pad(key, room, false)+"  "+l.style(sgrDim, detail), l.width)
}

// displayKey is a key as the view prints it: quoted when it is not plain
// text (so it cannot break a line), with "…" when the source kept only a
// prefix.
func displayKey(key string, truncated bool) string {
	q := inspect.QuoteKey(key)
	if truncated {
		q += "…"
	}
	return q
}

// sparkline draws the last n values with block characters, scaled to
// their own maximum.
func sparkline(values []float64, n int) string {
	const bars = "▁▂▃▄▅▆▇█"
	v := values[max(0, len(values)-n):]
	if len(v) == 0 {
		return ""
	}
	mx := 0.0
	for _, x := range v {
		mx = max(mx, x)
	}
	runes := []rune(bars)
	var b strings.Builder
	for _, x := range v {
		i := 0
		if mx > 0 {
			i = int(math.Round(x / mx * float64(len(runes)-1)))
		}
		b.WriteRune(runes[min(max(i, 0), len(runes)-1)])
	}
	return b.String()
}

// pad pads s with spaces to width columns, on the left when right is
// set; s must already fit.
func pad(s string, width int, right bool) string {
	gap := width - ansi.StringWidth(s)
	if gap <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}

// fitText cuts plain text to width columns, ending in "…" when cut.
func fitText(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, max(width, 1), "…")
}

// truncate cuts a styled line to width columns.
func truncate(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// human formats a rate compactly: 0.5, 42, 999, 1.2k, 45.6k, 1.23M.
func human(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "-"
	case a == 0:
		return "0"
	case a < 10 && v != math.Trunc(v):
		return trimZero(strconv.FormatFloat(v, 'f', 1, 64))
	case a < 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a < 1e6:
		return trimZero(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	case a < 1e9:
		return trimZero(strconv.FormatFloat(v/1e6, 'f', 2, 64)) + "M"
	}
	return trimZero(strconv.FormatFloat(v/1e9, 'f', 2, 64)) + "G"
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// pct formats a fraction as a percentage.
func pct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	return trimZero(strconv.FormatFloat(100*f, 'f', 1, 64)) + "%"
}

func writePct(k *dashboard.KeyView) string {
	if k.Rate <= 0 {
		return "-"
	}
	return strconv.Itoa(int(math.Round(100*k.WriteRate/k.Rate))) + "%"
}

// shortDur formats a duration in at most four characters or so: 850ms
// as "<1s", 42s, 12m, 3h.
func shortDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return "<1s"
	case d < 100*time.Second:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < 100*time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/time.Hour)) + "h"
}
