//go:build linux

package main

import (
	"fmt"
	"path/filepath"

	"gonum.org/v1/plot/vg"

	"github.com/weftio/weft/bench/internal/harness"
)

// style is how the charts look: each implementation in the same color
// in every chart.
var style = harness.Style{
	Colors:   harness.Palette("weft-callback", "weft-fiber", "net", "gnet"),
	Group:    140,
	Solo:     40,
	Headroom: 1.4,
}

// chartFiles lists the charts the report has data for.
func (rep *report) chartFiles() []harness.ChartFile {
	var kinds = map[string]bool{}
	for _, sr := range rep.Scenarios {
		kinds[sr.Sc.Kind] = true
	}
	var out []harness.ChartFile
	if kinds["rr"] {
		out = append(out, harness.ChartFile{File: "echo-rr.png", Title: "requests/s by server and connection count"},
			harness.ChartFile{File: "echo-cpu.png", Title: "server CPU µs per request by server and connection count"})
	}
	if kinds["stream"] {
		out = append(out, harness.ChartFile{File: "echo-stream.png", Title: "streaming: MB/s echoed and server CPU s per GB"})
	}
	if kinds["idle"] {
		out = append(out, harness.ChartFile{File: "echo-mem.png", Title: "server memory per idle connection"})
	}
	return out
}

// Charts draws the report's charts into dir.
func (rep *report) Charts(dir string) error {
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
		collect := func(key string) []harness.Series { return harness.SeriesOf(impls, rr, key) }
		p, err := style.Bars("Echo, 64-byte request/response: requests/s (higher is better)\n"+sub, "requests/s", groups, collect("rps"),
			func(v float64) string { return fmt.Sprintf("%.0fk", v/1e3) })
		if err != nil {
			return err
		}
		if err := p.Save(9*vg.Inch, 4.5*vg.Inch, filepath.Join(dir, "echo-rr.png")); err != nil {
			return err
		}
		p, err = style.Bars("Echo, 64-byte request/response: server CPU per request (lower is better)\n"+sub, "server CPU µs / request", groups, collect("cpu"),
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
			var tp, cpu []harness.Series
			for _, impl := range impls {
				tp = append(tp, harness.Series{Name: impl, Vals: []float64{sr.Med(impl, "mbps")}})
				cpu = append(cpu, harness.Series{Name: impl, Vals: []float64{sr.Med(impl, "cpugb")}})
			}
			g := []string{fmt.Sprintf("%d connections × %d KiB chunks", sr.Sc.Conns, sr.Sc.Size>>10)}
			p1, err := style.Bars("Streaming echo: MB/s echoed (higher is better)", "MB/s", g, tp, func(v float64) string { return fmt.Sprintf("%.0f", v) })
			if err != nil {
				return err
			}
			p2, err := style.Bars("Server CPU s per GB echoed (lower is better)", "CPU s / GB", g, cpu, func(v float64) string { return fmt.Sprintf("%.2f", v) })
			if err != nil {
				return err
			}
			if err := harness.SaveRow(filepath.Join(dir, "echo-stream.png"), 10*vg.Inch, 4.5*vg.Inch, p1, p2); err != nil {
				return err
			}
		case "idle":
			var ss []harness.Series
			for _, impl := range impls {
				ss = append(ss, harness.Series{Name: impl, Vals: []float64{sr.Med(impl, "open"), sr.Med(impl, "echo")}})
			}
			groups := []string{"connected", "after one 64-byte echo"}
			p, err := style.Bars(fmt.Sprintf("Server RSS per idle connection, %s connections (lower is better)\n%s", f0(float64(sr.Sc.Conns)), sub),
				"bytes / connection (ΔRSS / connections)", groups, ss, f0)
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
