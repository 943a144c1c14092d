//go:build linux

package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// implColor gives each implementation the same color in every chart
// (weft blue as in the echo charts, os grey as net there).
var implColor = map[string]color.Color{
	"weft-uring": color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	"weft-pool":  color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	"os":         color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
	"fio":        color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

type chartFile struct{ file, title string }

// chartFiles lists the charts the report has data for: one per mode.
func chartFiles(rep *report) []chartFile {
	var out []chartFile
	for _, md := range modes {
		if len(scenariosOf(rep, md.name)) > 0 {
			out = append(out, chartFile{"fs-" + md.name + ".png", md.name + ": " + md.title})
		}
	}
	return out
}

func scenariosOf(rep *report, mode string) []*scenarioReport {
	var srs []*scenarioReport
	for _, sr := range rep.Scenarios {
		if sr.Sc.Mode == mode {
			srs = append(srs, sr)
		}
	}
	return srs
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
	width := vg.Points(120 / float64(max(len(ss), 1)))
	if len(groups) == 1 {
		width = vg.Points(30)
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
			labels[j] = ""
			if !math.IsNaN(v) {
				labels[j] = format(v)
			}
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
	if ymax == 0 {
		ymax = 1
	}
	p.Y.Max = ymax * 1.45 // room for the labels and, above the bars, the legend
	p.NominalX(groups...)
	return p, nil
}

// charts draws, for each mode, throughput, p99 latency and CPU per read
// side by side, a group of bars per depth.
func charts(rep *report, dir string) error {
	sub := fmt.Sprintf("%s, %d CPUs, medians of %d round(s)", rep.Meta.Machine.CPUModel, rep.Meta.Machine.NProc, rep.Meta.Rounds)
	if rep.Meta.Quick {
		sub += ", QUICK SMOKE RUN"
	}
	for _, md := range modes {
		srs := scenariosOf(rep, md.name)
		if len(srs) == 0 {
			continue
		}
		var impls, groups []string
		for _, sr := range srs {
			groups = append(groups, fmt.Sprintf("depth %d", sr.Sc.Depth))
			for _, impl := range sr.Sc.Impls {
				if !slices.Contains(impls, impl) {
					impls = append(impls, impl)
				}
			}
		}
		collect := func(key string) []series {
			var ss []series
			for _, impl := range impls {
				s := series{name: impl}
				for _, sr := range srs {
					s.vals = append(s.vals, sr.med(impl, key))
				}
				ss = append(ss, s)
			}
			return ss
		}
		key, ylabel, what := "iops", "reads/s", "IOPS"
		tpFormat := func(v float64) string {
			if v >= 1e4 {
				return fmt.Sprintf("%.0fk", v/1e3)
			}
			return fmt.Sprintf("%.1fk", v/1e3)
		}
		if md.name == "seq128k" {
			key, ylabel, what = "mbps", "MB/s", "MB/s"
			tpFormat = func(v float64) string { return fmt.Sprintf("%.0f", v) }
		}
		p1, err := groupedBars(fmt.Sprintf("%s: %s (higher is better)\n%s", md.name, what, sub), ylabel, groups, collect(key), tpFormat)
		if err != nil {
			return err
		}
		p2, err := groupedBars("p99 latency per read (lower is better)", "µs", groups, collect("p99"), lat)
		if err != nil {
			return err
		}
		p3, err := groupedBars("CPU per read, user+system (lower is better)", "CPU µs / read", groups, collect("cpu"),
			func(v float64) string { return fmt.Sprintf("%.1f", v) })
		if err != nil {
			return err
		}
		if err := saveRow(filepath.Join(dir, "fs-"+md.name+".png"), 15*vg.Inch, 4.5*vg.Inch, p1, p2, p3); err != nil {
			return err
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
