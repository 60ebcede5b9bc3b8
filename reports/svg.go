package reports

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// A small SVG chart writer for the HTML report: line charts on linear or
// log axes, with optional markers, and grouped bar charts. Everything is
// computed here; the page needs no script.

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"}

type tick struct {
	v     float64
	label string
}

type axis struct {
	label    string
	log      bool
	min, max float64
	ticks    []tick
}

func (a axis) pos(v float64, lo, hi float64) float64 {
	var f float64
	if a.log {
		if v <= 0 {
			v = a.min
		}
		f = (math.Log10(v) - math.Log10(a.min)) / (math.Log10(a.max) - math.Log10(a.min))
	} else {
		f = (v - a.min) / (a.max - a.min)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	f = math.Max(0, math.Min(1, f))
	return lo + f*(hi-lo)
}

type line struct {
	name  string
	color string
	pts   [][2]float64
	step  bool // draw as a step function (time series)
	width float64
}

type marker struct {
	x     float64
	label string
}

const (
	chartW, chartH         = 640, 300
	padL, padR, padT, padB = 70, 20, 30, 50
	legendRow              = 16
)

// durAxis is a log axis of durations covering [lo, hi] (ns) with decade ticks.
func durAxis(lo, hi float64) axis {
	// No data (lo = +Inf) or degenerate input: a 1ns..10ns frame.
	if lo <= 0 || math.IsInf(lo, 0) || math.IsNaN(lo) {
		lo = 1
	}
	if hi <= lo || math.IsInf(hi, 0) || math.IsNaN(hi) {
		hi = lo * 10
	}
	a := axis{label: "latency", log: true, min: math.Pow(10, math.Floor(math.Log10(lo))), max: math.Pow(10, math.Ceil(math.Log10(hi)))}
	for v := a.min; v <= a.max*1.0001; v *= 10 {
		a.ticks = append(a.ticks, tick{v, fmtDurTick(v)})
	}
	return a
}

func fmtDurTick(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%gns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%gµs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%gms", ns/1e6)
	default:
		return fmt.Sprintf("%gs", ns/1e9)
	}
}

// linearAxis covers [0, hi] with about five round ticks.
func linearAxis(label string, hi float64, format func(float64) string) axis {
	if hi <= 0 || math.IsInf(hi, 0) || math.IsNaN(hi) {
		hi = 1
	}
	step := math.Pow(10, math.Floor(math.Log10(hi/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if hi/(step*m) <= 6 {
			step *= m
			break
		}
	}
	a := axis{label: label, min: 0, max: math.Ceil(hi/step) * step}
	// Round each tick to the step's decimals: 3*0.2 is 0.6000000000000001.
	dec := max(0, int(-math.Floor(math.Log10(step))))
	for i := 0; float64(i)*step <= a.max+step/2; i++ {
		v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(i)*step, 'f', dec, 64), 64)
		a.ticks = append(a.ticks, tick{v, format(v)})
	}
	return a
}

// spectrumAxis is HdrHistogram's plotter x axis: 1/(1-p) on a log scale,
// labelled with percentiles.
func spectrumAxis(maxInv float64) axis {
	if math.IsInf(maxInv, 0) || math.IsNaN(maxInv) {
		maxInv = 100
	}
	top := math.Pow(10, math.Max(2, math.Ceil(math.Log10(maxInv))))
	a := axis{label: "percentile", log: true, min: 1, max: top}
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%", "99.99999%"}
	for i, v := 0, 1.0; v <= top*1.0001 && i < len(labels); i, v = i+1, v*10 {
		a.ticks = append(a.ticks, tick{v, labels[i]})
	}
	return a
}

func svgOpen(b *strings.Builder, id, title string, extraH int) {
	fmt.Fprintf(b, `<svg class="chart" id="%s" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		html.EscapeString(id), chartW, chartH+extraH, chartW, chartH+extraH, html.EscapeString(title))
	fmt.Fprintf(b, `<text x="%d" y="18" class="title">%s</text>`, padL, html.EscapeString(title))
}

func drawAxes(b *strings.Builder, xa, ya axis) {
	x0, x1, y0, y1 := float64(padL), float64(chartW-padR), float64(chartH-padB), float64(padT)
	for _, t := range ya.ticks {
		y := ya.pos(t.v, y0, y1)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, x0, y, x1, y)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="ytick">%s</text>`, x0-6, y+4, html.EscapeString(t.label))
	}
	for i, t := range xa.ticks {
		x := xa.pos(t.v, x0, x1)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>`, x, y0, x, y1)
		cls := "xtick"
		if i == len(xa.ticks)-1 && x > x1-20 {
			cls = "xtick last" // keep the rightmost label inside the frame
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="%s">%s</text>`, x, y0+16, cls, html.EscapeString(t.label))
	}
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="frame"/>`, x0, y1, x1-x0, y0-y1)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="xlabel">%s</text>`, (x0+x1)/2, y0+36, html.EscapeString(xa.label))
	fmt.Fprintf(b, `<text x="14" y="%.1f" class="ylabel" transform="rotate(-90 14 %.1f)">%s</text>`, (y0+y1)/2, (y0+y1)/2, html.EscapeString(ya.label))
}

func drawLines(b *strings.Builder, xa, ya axis, lines []line) {
	x0, x1, y0, y1 := float64(padL), float64(chartW-padR), float64(chartH-padB), float64(padT)
	for _, l := range lines {
		if len(l.pts) == 0 {
			continue
		}
		var p strings.Builder
		for i, pt := range l.pts {
			x, y := xa.pos(pt[0], x0, x1), ya.pos(pt[1], y0, y1)
			switch {
			case i == 0:
				fmt.Fprintf(&p, "M%.1f %.1f", x, y)
			case l.step:
				fmt.Fprintf(&p, " H%.1f V%.1f", x, y)
			default:
				fmt.Fprintf(&p, " L%.1f %.1f", x, y)
			}
		}
		w := l.width
		if w == 0 {
			w = 1.6
		}
		fmt.Fprintf(b, `<path d="%s" fill="none" stroke="%s" stroke-width="%.1f" class="series"><title>%s</title></path>`, p.String(), l.color, w, html.EscapeString(l.name))
		if len(l.pts) == 1 {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, xa.pos(l.pts[0][0], x0, x1), ya.pos(l.pts[0][1], y0, y1), l.color)
		}
	}
}

func drawLegend(b *strings.Builder, lines []line) {
	x, y := float64(padL), float64(chartH+4)
	for _, l := range lines {
		w := 14 + 7*float64(len([]rune(l.name)))
		if x+w > chartW-padR {
			x = padL
			y += legendRow
		}
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f" class="legend">%s</text>`, x, y, l.color, x+14, y+9, html.EscapeString(l.name))
		x += w + 12
	}
}

func legendHeight(lines []line) int {
	rows, x := 1, float64(padL)
	for _, l := range lines {
		w := 14 + 7*float64(len([]rune(l.name)))
		if x+w > chartW-padR {
			rows++
			x = padL
		}
		x += w + 12
	}
	return rows*legendRow + 4
}

// lineChart renders a complete chart.
func lineChart(id, title string, xa, ya axis, lines []line, markers []marker) string {
	var b strings.Builder
	svgOpen(&b, id, title, legendHeight(lines))
	drawAxes(&b, xa, ya)
	y0, y1 := float64(chartH-padB), float64(padT)
	for _, m := range markers {
		x := xa.pos(m.x, padL, chartW-padR)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="mark"><title>%s</title></line>`, x, y0, x, y1, html.EscapeString(m.label))
	}
	drawLines(&b, xa, ya, lines)
	drawLegend(&b, lines)
	b.WriteString("</svg>")
	return b.String()
}

type barGroup struct {
	label  string
	values []float64 // one per bar series
}

// barChart renders grouped bars on a log duration axis.
func barChart(id, title string, series []string, groups []barGroup) string {
	lo, hi := math.Inf(1), 0.0
	for _, g := range groups {
		for _, v := range g.values {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if hi == 0 {
		lo, hi = 1, 10
	}
	ya := durAxis(lo, hi)
	var lines []line
	for i, s := range series {
		lines = append(lines, line{name: s, color: palette[i%len(palette)]})
	}
	var b strings.Builder
	svgOpen(&b, id, title, legendHeight(lines))
	x0, x1, y0, y1 := float64(padL), float64(chartW-padR), float64(chartH-padB), float64(padT)
	xa := axis{label: "operation", min: 0, max: 1}
	for _, t := range ya.ticks {
		y := ya.pos(t.v, y0, y1)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/><text x="%.1f" y="%.1f" class="ytick">%s</text>`, x0, y, x1, y, x0-6, y+4, t.label)
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="frame"/>`, x0, y1, x1-x0, y0-y1)
	fmt.Fprintf(&b, `<text x="14" y="%.1f" class="ylabel" transform="rotate(-90 14 %.1f)">%s</text>`, (y0+y1)/2, (y0+y1)/2, "latency")
	_ = xa
	gw := (x1 - x0) / float64(max(len(groups), 1))
	bw := gw * 0.8 / float64(max(len(series), 1))
	for gi, g := range groups {
		gx := x0 + float64(gi)*gw + gw*0.1
		for si, v := range g.values {
			if v <= 0 {
				continue
			}
			y := ya.pos(v, y0, y1)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" class="bar"><title>%s %s: %s</title></rect>`,
				gx+float64(si)*bw, y, bw-1, y0-y, palette[si%len(palette)], html.EscapeString(g.label), html.EscapeString(series[si]), fmtDur(durationOf(v)))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="xtick">%s</text>`, gx+gw*0.4, y0+16, html.EscapeString(g.label))
	}
	drawLegend(&b, lines)
	b.WriteString("</svg>")
	return b.String()
}
