package demo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// seriesColours are the primaries' colours, in the SVG charts and PNGs.
var seriesColours = []string{"#e4572e", "#2e86ab", "#76b041", "#9b5de5", "#f0a202", "#17bebb", "#6c757d", "#d81159"}

// writeReport writes index.html (self-contained: inline CSS and SVG, PNGs
// as data URIs), the PNG charts and summary.json to o.ReportDir, or to a
// new temporary directory, and returns the directory and the files.
func writeReport(o Options, s *Summary, sched schedule) (string, []string, error) {
	dir := o.ReportDir
	if dir == "" {
		d, err := os.MkdirTemp("", "redhot-demo-")
		if err != nil {
			return "", nil, err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	loadPNG, err := loadChartPNG(s, sched)
	if err != nil {
		return "", nil, fmt.Errorf("load chart: %w", err)
	}
	latPNG, err := latencyChartPNG(s, sched)
	if err != nil {
		return "", nil, fmt.Errorf("latency chart: %w", err)
	}
	page, err := reportHTML(s, sched, loadPNG, latPNG)
	if err != nil {
		return "", nil, err
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", nil, err
	}
	files := []struct {
		name string
		data []byte
	}{{"index.html", page}, {"node-load.png", loadPNG}, {"latency.png", latPNG}, {"summary.json", js}}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return "", nil, err
		}
		paths = append(paths, p)
	}
	return dir, paths, nil
}

// loadChartPNG draws each primary's commands/s over time with gonum/plot.
func loadChartPNG(s *Summary, sched schedule) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Commands/s per primary (INFO deltas)"
	p.X.Label.Text = "seconds"
	p.Y.Label.Text = "commands/s"
	for i, n := range s.Nodes {
		var xy plotter.XYs
		for _, smp := range s.Samples {
			if i < len(smp.Nodes) {
				xy = append(xy, plotter.XY{X: smp.At.Seconds(), Y: smp.Nodes[i]})
			}
		}
		if err := addLine(p, xy, n, i); err != nil {
			return nil, err
		}
	}
	addPhaseLines(p, sched)
	return savePNG(p)
}

// latencyChartPNG draws the clients' p99 latency over time.
func latencyChartPNG(s *Summary, sched schedule) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Client latency"
	p.X.Label.Text = "seconds"
	p.Y.Label.Text = "milliseconds"
	var p99, p50 plotter.XYs
	for _, smp := range s.Samples {
		p99 = append(p99, plotter.XY{X: smp.At.Seconds(), Y: float64(smp.P99) / 1e6})
		p50 = append(p50, plotter.XY{X: smp.At.Seconds(), Y: float64(smp.P50) / 1e6})
	}
	if err := addLine(p, p99, "p99", 0); err != nil {
		return nil, err
	}
	if err := addLine(p, p50, "p50", 1); err != nil {
		return nil, err
	}
	addPhaseLines(p, sched)
	return savePNG(p)
}

func addLine(p *plot.Plot, xy plotter.XYs, name string, i int) error {
	if len(xy) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.Color = hexColour(seriesColours[i%len(seriesColours)])
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(name, l)
	p.Legend.Top = true
	return nil
}

// addPhaseLines marks the sale's start and the mitigation with vertical
// dashed lines.
func addPhaseLines(p *plot.Plot, sched schedule) {
	p.Y.Min = 0
	top := p.Y.Max
	for _, x := range []float64{sched.onset[0].Seconds(), sched.mitigateAt.Seconds()} {
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}})
		if err != nil {
			continue
		}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		l.Color = hexColour("#888888")
		p.Add(l)
	}
}

func savePNG(p *plot.Plot) ([]byte, error) {
	w, err := p.WriterTo(8*vg.Inch, 3.5*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// svgSeries is one line of an inline SVG chart.
type svgSeries struct {
	name   string
	colour string
	ys     []float64
}

// svgChart draws lines over xs as an inline SVG, with the phases shaded:
// the sale without mitigation, then with it.
func svgChart(id, unit string, xs []float64, series []svgSeries, sched schedule, end float64) template.HTML {
	const w, h, left, right, top, bottom = 760.0, 240.0, 56.0, 12.0, 14.0, 26.0
	peak := 0.0
	for _, s := range series {
		for _, y := range s.ys {
			peak = max(peak, y)
		}
	}
	if peak == 0 {
		peak = 1
	}
	peak *= 1.1
	if end <= 0 {
		end = 1
	}
	px := func(x float64) float64 { return left + (w-left-right)*x/end }
	py := func(y float64) float64 { return h - bottom - (h-top-bottom)*y/peak }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %.0f %.0f" role="img" xmlns="http://www.w3.org/2000/svg">`, id, w, h)
	sale, mit := sched.onset[0].Seconds(), sched.mitigateAt.Seconds()
	fmt.Fprintf(&b, `<rect class="band hot" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, px(sale), top, px(mit)-px(sale), h-top-bottom)
	fmt.Fprintf(&b, `<rect class="band fixed" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, px(mit), top, px(end)-px(mit), h-top-bottom)
	for i := 0; i <= 4; i++ {
		y := peak * float64(i) / 4
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			left, w-right, py(y), py(y), left-6, py(y)+4, template.HTMLEscapeString(axisLabel(y, unit)))
	}
	step := niceStep(end)
	for x := 0.0; x <= end+1e-9; x += step {
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%gs</text>`, px(x), h-8, x)
	}
	fmt.Fprintf(&b, `<text class="phase" x="%.1f" y="%.1f">sale, no mitigation</text><text class="phase" x="%.1f" y="%.1f">mitigated</text>`, px(sale)+4, top+12, px(mit)+4, top+12)
	for _, s := range series {
		var pts []string
		for i, y := range s.ys {
			if i < len(xs) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(xs[i]), py(y)))
			}
		}
		fmt.Fprintf(&b, `<polyline class="series" data-name="%s" stroke="%s" points="%s"/>`, template.HTMLEscapeString(s.name), s.colour, strings.Join(pts, " "))
	}
	b.WriteString(`</svg><p class="legend">`)
	for _, s := range series {
		fmt.Fprintf(&b, `<span><i style="background:%s"></i>%s</span>`, s.colour, template.HTMLEscapeString(s.name))
	}
	b.WriteString(`</p>`)
	return template.HTML(b.String())
}

func axisLabel(v float64, unit string) string {
	if unit == "ms" {
		return fmt.Sprintf("%.2gms", v)
	}
	return rate(v)
}

func niceStep(end float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60} {
		if end/s <= 10 {
			return s
		}
	}
	return 120
}

// reportRow is one line of the before/after table.
type reportRow struct {
	Name                    string
	Baseline, Before, After string
	Better                  bool
}

func reportHTML(s *Summary, sched schedule, loadPNG, latPNG []byte) ([]byte, error) {
	var xs []float64
	nodes := make([]svgSeries, len(s.Nodes))
	for i, n := range s.Nodes {
		nodes[i] = svgSeries{name: n, colour: seriesColours[i%len(seriesColours)]}
	}
	lat := []svgSeries{{name: "p99", colour: seriesColours[0]}, {name: "p50", colour: seriesColours[1]}}
	for _, smp := range s.Samples {
		xs = append(xs, smp.At.Seconds())
		for i := range nodes {
			v := 0.0
			if i < len(smp.Nodes) {
				v = smp.Nodes[i]
			}
			nodes[i].ys = append(nodes[i].ys, v)
		}
		lat[0].ys = append(lat[0].ys, float64(smp.P99)/1e6)
		lat[1].ys = append(lat[1].ys, float64(smp.P50)/1e6)
	}
	end := sched.end.Seconds()
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	rows := []reportRow{
		{"client commands/s", rate(s.Baseline.ClientOpsPerSec), rate(s.Before.ClientOpsPerSec), rate(s.After.ClientOpsPerSec), false},
		{"server commands/s (primaries)", rate(s.Baseline.ServerOpsPerSec), rate(s.Before.ServerOpsPerSec), rate(s.After.ServerOpsPerSec), s.After.ServerOpsPerSec < s.Before.ServerOpsPerSec},
		{"busiest primary ÷ mean", f2(s.Baseline.MaxOverMean), f2(s.Before.MaxOverMean), f2(s.After.MaxOverMean), s.After.MaxOverMean < s.Before.MaxOverMean},
		{"client p50", ms(s.Baseline.P50), ms(s.Before.P50), ms(s.After.P50), s.After.P50 < s.Before.P50},
		{"client p99", ms(s.Baseline.P99), ms(s.Before.P99), ms(s.After.P99), s.After.P99 < s.Before.P99},
	}
	for i, n := range s.Nodes {
		at := func(w Window) string {
			if i < len(w.NodeOpsPerSec) {
				return rate(w.NodeOpsPerSec[i])
			}
			return "-"
		}
		rows = append(rows, reportRow{Name: "  " + n + " commands/s", Baseline: at(s.Baseline), Before: at(s.Before), After: at(s.After)})
	}
	type keyRow struct {
		KeyResult
		OnsetS, DetectedS, After, P99B, P99A string
	}
	var keys []keyRow
	for _, k := range s.Keys {
		r := keyRow{KeyResult: k, OnsetS: fmt.Sprintf("+%.2fs", k.Onset.Seconds()), DetectedS: "not detected", After: "-",
			P99B: ms(k.P99Before), P99A: ms(k.P99After)}
		if k.Detected {
			r.DetectedS = fmt.Sprintf("+%.2fs", k.DetectedAt.Seconds())
			r.After = ms(k.DetectedAfter)
		}
		if r.Mitigation == "" {
			r.Mitigation = "none"
		}
		keys = append(keys, r)
	}
	data := map[string]any{
		"S":         s,
		"When":      time.Now().Format("2006-01-02 15:04:05"),
		"Keys":      keys,
		"Rows":      rows,
		"LoadSVG":   svgChart("load-chart", "ops", xs, nodes, sched, end),
		"LatSVG":    svgChart("latency-chart", "ms", xs, lat, sched, end),
		"LoadPNG":   template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(loadPNG)),
		"LatPNG":    template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(latPNG)),
		"Share":     fmt.Sprintf("%.0f%%", 100*s.NearCacheShare),
		"BgB":       ms(s.BackgroundP99Before),
		"BgA":       ms(s.BackgroundP99After),
		"AsideTTL":  fmt.Sprintf("%.1f", s.Prices.AsidePerTTL),
		"GuardTTL":  fmt.Sprintf("%.1f", s.Prices.GuardedPerTTL),
		"Duration":  s.Duration.String(),
		"Rate":      rate(s.Rate),
		"SaleAt":    fmt.Sprintf("%.1fs", sched.onset[0].Seconds()),
		"MitAt":     fmt.Sprintf("%.1fs", sched.mitigateAt.Seconds()),
		"BeforeWin": fmt.Sprintf("%.1fs–%.1fs", sched.beforeFrom.Seconds(), sched.mitigateAt.Seconds()),
		"AfterWin":  fmt.Sprintf("%.1fs–%.1fs", sched.afterFrom.Seconds(), sched.end.Seconds()),
	}
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var reportTemplate = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>redhot demo report</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d232a}
main{max-width:900px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.meta{color:#5b6672;margin:0 0 16px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde2e8}
th,td{padding:6px 10px;text-align:left;border-bottom:1px solid #eef1f4;font-variant-numeric:tabular-nums}
th{background:#f0f2f5;font-weight:600}td.num,th.num{text-align:right}
tr.better td.after{color:#1a7f37;font-weight:600}
.chart{width:100%;height:auto;background:#fff;border:1px solid #dde2e8}
.chart .band.hot{fill:#fde8e4}.chart .band.fixed{fill:#e6f4ea}
.chart .grid{stroke:#e3e7ec}.chart .tick,.chart .phase{font-size:11px;fill:#5b6672}
.chart .series{fill:none;stroke-width:2}
.legend span{margin-right:14px;font-size:13px}.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;border-radius:2px}
img.png{width:100%;background:#fff;border:1px solid #dde2e8;margin-top:8px}
.note{color:#5b6672;font-size:13px}
</style></head>
<body><main>
<h1>redhot demo: a flash sale on a Redis Cluster</h1>
<p class="meta">{{len .S.Nodes}} primaries, {{.S.Replicas}} replicas · {{.Rate}} commands/s offered for {{.Duration}} · sale at +{{.SaleAt}} · mitigation at +{{.MitAt}} · {{.When}}</p>

<h2>Hot keys: detection and mitigation</h2>
<table id="keys"><thead><tr><th>key</th><th>role</th><th class="num">traffic began</th><th class="num">flagged hot</th><th class="num">after</th><th>mitigation</th><th class="num">p99 before</th><th class="num">p99 after</th></tr></thead><tbody>
{{range .Keys}}<tr data-key="{{.Key}}"><td><code>{{.Key}}</code></td><td>{{.Role}}</td><td class="num">{{.OnsetS}}</td><td class="num">{{.DetectedS}}</td><td class="num">{{.After}}</td><td>{{.Mitigation}}</td><td class="num">{{.P99B}}</td><td class="num">{{.P99A}}</td></tr>
{{end}}</tbody></table>
<p class="note">The background traffic's p99: {{.BgB}} before, {{.BgA}} after. On a shared machine every command's p99 also carries the other processes' CPU stalls.</p>
{{if .S.OtherHot}}<p class="note">Also flagged hot before mitigation (the head of the Zipf traffic; the near cache serves them afterwards): {{range $i, $k := .S.OtherHot}}{{if $i}}, {{end}}<code>{{$k}}</code>{{end}}</p>{{end}}

<h2>Before and after, same traffic, same run</h2>
<table id="windows"><thead><tr><th></th><th class="num">baseline</th><th class="num">before ({{.BeforeWin}})</th><th class="num">after ({{.AfterWin}})</th></tr></thead><tbody>
{{range .Rows}}<tr{{if .Better}} class="better"{{end}}><td>{{.Name}}</td><td class="num">{{.Baseline}}</td><td class="num">{{.Before}}</td><td class="num after">{{.After}}</td></tr>
{{end}}</tbody></table>
<p class="note">Server commands saved: {{.S.NearCacheHits}} commands answered by the near cache ({{.Share}} of the commands sent after mitigation).
{{if .S.Replicas}}Reads served by replicas: {{.S.ReplicaReads}}.{{end}}
Price list computations: {{.AsideTTL}} per TTL cache-aside, {{.GuardTTL}} behind the stampede guard.
Order counter: {{.S.CounterAcked}} increments acknowledged, total {{.S.CounterTotal}}.</p>

<h2>Load per primary</h2>
{{.LoadSVG}}
<h2>Client latency</h2>
{{.LatSVG}}

<h2>The same charts as PNG</h2>
<img class="png" id="load-png" alt="commands/s per primary" src="{{.LoadPNG}}">
<img class="png" id="latency-png" alt="client latency" src="{{.LatPNG}}">
<p class="note">Made by <code>redhot demo</code>. Load is each primary's commands/s from INFO deltas; latency is measured by the demo's clients around each command.</p>
</main></body></html>
`))

// hexColour parses "#rrggbb".
func hexColour(s string) color.RGBA {
	var r, g, b uint8
	fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b)
	return color.RGBA{R: r, G: g, B: b, A: 255}
}
