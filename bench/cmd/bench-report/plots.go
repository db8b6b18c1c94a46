package main

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// series is one named set of values, one per row or per x of a plot. A
// NaN value is left out.
type series struct {
	name   string
	values []float64
}

// dotPlot draws one row per label and one dot per series on each row,
// along a horizontal axis, logarithmic with logX (where the values span
// orders of magnitude, as a round trip next to a memory read does).
func dotPlot(path, title, xLabel string, labels []string, ss []series, logX bool) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for j, s := range ss {
		var pts plotter.XYs
		for i, v := range s.values {
			if math.IsNaN(v) || (logX && v <= 0) {
				continue
			}
			lo, hi = min(lo, v), max(hi, v)
			off := 0.0
			if len(ss) > 1 {
				off = 0.3 * (float64(j)/float64(len(ss)-1) - 0.5)
			}
			pts = append(pts, plotter.XY{X: v, Y: float64(i) + off})
		}
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = plotutil.Color(j)
		sc.GlyphStyle.Shape = plotutil.Shape(j)
		sc.GlyphStyle.Radius = vg.Points(4)
		p.Add(sc)
		if len(ss) > 1 {
			p.Legend.Add(s.name, sc)
		}
	}
	// Room around the extreme dots, which would sit on the frame.
	switch {
	case math.IsInf(lo, 0):
	case logX:
		p.X.Min, p.X.Max = lo/2, hi*4 // the legend sits on the right
	default:
		p.X.Min, p.X.Max = min(0, lo), hi*1.35 // the legend sits on the right
		if hi == 0 {
			p.X.Max = 1
		}
	}
	p.Add(plotter.NewGrid())
	short := make([]string, len(labels))
	for i, l := range labels {
		// "tylertreat/BoomFilters TopK (Count-Min + heap)": the table
		// has the details.
		l, _, _ = strings.Cut(l, " (")
		short[i] = "  " + l // gonum measures the label a little short
	}
	p.NominalY(short...)
	p.Y.Min, p.Y.Max = -0.6, float64(len(labels))-0.4
	if len(ss) > 1 {
		p.Y.Max += 0.4 * float64(len(ss)) // room for the legend above the rows
	}
	p.Legend.Top = true
	return save(p, path, 8*vg.Inch, vg.Length(1.2+0.45*float64(len(labels))+0.18*float64(len(ss)))*vg.Inch)
}

// barPlot draws grouped vertical bars: one group per label, one bar per
// series.
func barPlot(path, title, yLabel string, labels []string, ss []series) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	w := vg.Points(14)
	for j, s := range ss {
		vals := make(plotter.Values, len(s.values))
		for i, v := range s.values {
			if !math.IsNaN(v) {
				vals[i] = v
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		b.Color = plotutil.Color(j)
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(j)-float64(len(ss)-1)/2) * w
		p.Add(b)
		p.Legend.Add(s.name, b)
	}
	p.Legend.Top = true
	p.Y.Min = 0
	p.Y.Max *= 1.3 // room for the legend above the bars
	p.NominalX(labels...)
	p.X.Min, p.X.Max = p.X.Min-0.4, p.X.Max+0.4 // the end labels are wider than a bar group
	p.Add(plotter.NewGrid())
	return save(p, path, 9*vg.Inch, 4*vg.Inch)
}

// linePlot draws one line with points per series over xs, both axes
// logarithmic with logXY.
func linePlot(path, title, xLabel, yLabel string, xs []float64, ss []series, logXY bool) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	if logXY {
		p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	}
	for j, s := range ss {
		var pts plotter.XYs
		for i, v := range s.values {
			if !math.IsNaN(v) && v > 0 {
				pts = append(pts, plotter.XY{X: xs[i], Y: v})
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(j)
		l.Dashes = plotutil.Dashes(j)
		sc.GlyphStyle = draw.GlyphStyle{Color: plotutil.Color(j), Shape: plotutil.Shape(j), Radius: vg.Points(4)}
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return save(p, path, 7*vg.Inch, 4*vg.Inch)
}

func save(p *plot.Plot, path string, w, h vg.Length) error {
	p.BackgroundColor = color.White
	if err := p.Save(w, h, path); err != nil {
		return fmt.Errorf("plot %s: %w", filepath.Base(path), err)
	}
	return nil
}
