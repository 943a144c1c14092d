//go:build linux

package main

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"

	"github.com/weftio/weft/bench/internal/harness"
)

// Colors by family: weft blue, as in every harness's charts; the plain-Go
// baseline grey; the raw forms orange.
var (
	weftColor  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	baseColor  = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	otherColor = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

func colorOf(impl string) color.Color {
	switch {
	case strings.HasPrefix(impl, "weft-"):
		return weftColor
	case impl == "go-net" || impl == "syscalls":
		return baseColor
	}
	return otherColor
}

// chartFiles lists the charts: one per scenario.
func (rep *report) chartFiles() []harness.ChartFile {
	var out []harness.ChartFile
	for _, sr := range rep.Scenarios {
		out = append(out, harness.ChartFile{File: "forms-" + sr.Sc.Name + ".png", Title: sr.Sc.Name + ": " + titles[sr.Sc.Name]})
	}
	return out
}

// Charts draws into dir, for each scenario, CPU and wall time per
// operation side by side, a bar per implementation.
func (rep *report) Charts(dir string) error {
	sub := fmt.Sprintf("%s, %d CPUs, medians of %d round(s)", rep.Meta.Machine.CPUModel, rep.Meta.Machine.NProc, rep.Meta.Rounds)
	if rep.Meta.Quick {
		sub += ", QUICK SMOKE RUN"
	}
	for _, sr := range rep.Scenarios {
		what := "round trip"
		if sr.Sc.Kind == "msgs" {
			what = "message"
		}
		p1, err := bars(sr, "cpu", fmt.Sprintf("%s: %s\nCPU per %s, user+system (lower is better)\n%s", sr.Sc.Name, titles[sr.Sc.Name], what, sub), "CPU ns / "+what)
		if err != nil {
			return err
		}
		p2, err := bars(sr, "ns", fmt.Sprintf("Wall time per %s (lower is better)", what), "ns / "+what)
		if err != nil {
			return err
		}
		if err := harness.SaveRow(filepath.Join(dir, "forms-"+sr.Sc.Name+".png"), 15*vg.Inch, 5*vg.Inch, p1, p2); err != nil {
			return err
		}
	}
	return nil
}

// bars is a bar chart of metric key with a bar per implementation of sr,
// each labelled with its value.
func bars(sr *scenarioReport, key, title, ylabel string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	ymax := 0.0
	var names []string
	for i, st := range sr.Impls {
		names = append(names, st.Impl)
		v := sr.Med(st.Impl, key)
		if v != v { // NaN: no run counted
			continue
		}
		ymax = max(ymax, v)
		bc, err := plotter.NewBarChart(plotter.Values{v}, vg.Points(28))
		if err != nil {
			return nil, err
		}
		bc.XMin = float64(i)
		bc.Color = colorOf(st.Impl)
		bc.LineStyle.Width = 0
		p.Add(bc)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: float64(i), Y: v}}, Labels: []string{harness.F0(v)}})
		if err != nil {
			return nil, err
		}
		for k := range lb.TextStyle {
			lb.TextStyle[k].XAlign = text.XCenter
			lb.TextStyle[k].Font.Size = vg.Points(7)
		}
		lb.Offset = vg.Point{Y: vg.Points(2)}
		p.Add(lb)
	}
	if ymax == 0 {
		ymax = 1
	}
	p.Y.Max = ymax * 1.15
	p.NominalX(names...)
	return p, nil
}
