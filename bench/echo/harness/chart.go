//go:build linux

package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// implColor gives each implementation the same color in every chart.
var implColor = map[string]color.Color{
	"weft-callback": color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	"weft-fiber":    color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	"net":           color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
	"gnet":          color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

type chartFile struct{ file, title string }

// chartFiles lists the charts the report has data for.
func chartFiles(rep *report) []chartFile {
	var kinds = map[string]bool{}
	for _, sr := range rep.Scenarios {
		kinds[sr.Sc.Kind] = true
	}
	var out []chartFile
	if kinds["rr"] {
		out = append(out, chartFile{"echo-rr.png", "requests/s by server and connection count"},
			chartFile{"echo-cpu.png", "server CPU µs per request by server and connection count"})
	}
	if kinds["stream"] {
		out = append(out, chartFile{"echo-stream.png", "streaming: MB/s echoed and server CPU s per GB"})
	}
	if kinds["idle"] {
		out = append(out, chartFile{"echo-mem.png", "server memory per idle connection"})
	}
	return out
}

// series is one implementation's bars across the groups.
type series struct {
	name string
	vals []float64
}

// groupedBars makes a bar chart with a group of bars per label in groups,
// one bar per series in each, and the values written above the bars.
func groupedBars(title, ylabel string, groups []string, ss []series, format func(float64) string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs = -4
	width := vg.Points(140 / float64(max(len(ss), 1)))
	if len(groups) == 1 {
		width = vg.Points(40)
	}
	ymax := 0.0
	for i, s := range ss {
		vals := make(plotter.Values, len(s.vals))
		for j, v := range s.vals {
			if math.IsNaN(v) {
				v = 0
			}
			vals[j] = v
			ymax = math.Max(ymax, v)
		}
		bc, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		bc.Offset = vg.Length(float64(i)-float64(len(ss)-1)/2) * width
		bc.LineStyle.Width = 0
		if c, ok := implColor[s.name]; ok {
			bc.Color = c
		}
		p.Add(bc)
		p.Legend.Add(s.name, bc)

		xys := make(plotter.XYs, len(s.vals))
		labels := make([]string, len(s.vals))
		for j, v := range s.vals {
			xys[j] = plotter.XY{X: float64(j), Y: vals[j]}
			labels[j] = format(v)
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, err
		}
		for k := range lb.TextStyle {
			lb.TextStyle[k].XAlign = text.XCenter
			lb.TextStyle[k].Font.Size = vg.Points(7)
		}
		lb.Offset = vg.Point{X: bc.Offset, Y: vg.Points(2)}
		p.Add(lb)
	}
	p.Y.Max = ymax * 1.4 // room for the labels and, above the bars, the legend
	p.NominalX(groups...)
	return p, nil
}

func charts(rep *report, dir string) error {
	impls := rep.Meta.Impls
	var rr []*scenarioReport
	for _, sr := range rep.Scenarios {
		if sr.Sc.Kind == "rr" {
			rr = append(rr, sr)
		}
	}
	date := rep.Meta.Date
	sub := fmt.Sprintf("%s, %d CPUs, medians of %d round(s), %s", rep.Meta.Machine.CPUModel, rep.Meta.Machine.NProc, rep.Meta.Rounds, date)
	if len(rr) > 0 {
		var groups []string
		for _, sr := range rr {
			groups = append(groups, f0(float64(sr.Sc.Conns))+" connections")
		}
		collect := func(key string) []series {
			var ss []series
			for _, impl := range impls {
				s := series{name: impl}
				for _, sr := range rr {
					s.vals = append(s.vals, sr.med(impl, key))
				}
				ss = append(ss, s)
			}
			return ss
		}
		p, err := groupedBars("Echo, 64-byte request/response: requests/s (higher is better)\n"+sub, "requests/s", groups, collect("rps"),
			func(v float64) string { return fmt.Sprintf("%.0fk", v/1e3) })
		if err != nil {
			return err
		}
		if err := p.Save(9*vg.Inch, 4.5*vg.Inch, filepath.Join(dir, "echo-rr.png")); err != nil {
			return err
		}
		p, err = groupedBars("Echo, 64-byte request/response: server CPU per request (lower is better)\n"+sub, "server CPU µs / request", groups, collect("cpu"),
			func(v float64) string { return fmt.Sprintf("%.1f", v) })
		if err != nil {
			return err
		}
		if err := p.Save(9*vg.Inch, 4.5*vg.Inch, filepath.Join(dir, "echo-cpu.png")); err != nil {
			return err
		}
	}
	for _, sr := range rep.Scenarios {
		switch sr.Sc.Kind {
		case "stream":
			var tp, cpu []series
			for _, impl := range impls {
				tp = append(tp, series{impl, []float64{sr.med(impl, "mbps")}})
				cpu = append(cpu, series{impl, []float64{sr.med(impl, "cpugb")}})
			}
			g := []string{fmt.Sprintf("%d connections × %d KiB chunks", sr.Sc.Conns, sr.Sc.Size>>10)}
			p1, err := groupedBars("Streaming echo: MB/s echoed (higher is better)", "MB/s", g, tp, func(v float64) string { return fmt.Sprintf("%.0f", v) })
			if err != nil {
				return err
			}
			p2, err := groupedBars("Server CPU s per GB echoed (lower is better)", "CPU s / GB", g, cpu, func(v float64) string { return fmt.Sprintf("%.2f", v) })
			if err != nil {
				return err
			}
			if err := saveRow(filepath.Join(dir, "echo-stream.png"), 10*vg.Inch, 4.5*vg.Inch, p1, p2); err != nil {
				return err
			}
		case "idle":
			var ss []series
			for _, impl := range impls {
				ss = append(ss, series{impl, []float64{sr.med(impl, "open"), sr.med(impl, "echo")}})
			}
			groups := []string{"connected", "after one 64-byte echo"}
			p, err := groupedBars(fmt.Sprintf("Server RSS per idle connection, %s connections (lower is better)\n%s", f0(float64(sr.Sc.Conns)), sub),
				"bytes / connection (ΔRSS / connections)", groups, ss, func(v float64) string { return f0(v) })
			if err != nil {
				return err
			}
			if err := p.Save(9*vg.Inch, 4.5*vg.Inch, filepath.Join(dir, "echo-mem.png")); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveRow draws plots side by side into one PNG.
func saveRow(file string, w, h vg.Length, ps ...*plot.Plot) error {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	t := draw.Tiles{Rows: 1, Cols: len(ps), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	cs := plot.Align([][]*plot.Plot{ps}, t, dc)
	for i, p := range ps {
		p.Draw(cs[0][i])
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
