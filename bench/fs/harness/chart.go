//go:build linux

package main

import (
	"fmt"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot/vg"

	"github.com/weftio/weft/bench/internal/harness"
)

// style is how the charts look: each implementation in the same color
// in every chart (weft blue as in the echo charts, os grey as net there).
var style = harness.Style{
	Colors:   harness.Palette("weft-uring", "weft-pool", "os", "fio"),
	Group:    120,
	Solo:     30,
	Headroom: 1.45,
}

// chartFiles lists the charts the report has data for: one per mode.
func (rep *report) chartFiles() []harness.ChartFile {
	var out []harness.ChartFile
	for _, md := range modes {
		if len(scenariosOf(rep, md.name)) > 0 {
			out = append(out, harness.ChartFile{File: "fs-" + md.name + ".png", Title: md.name + ": " + md.title})
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

// Charts draws into dir, for each mode, throughput, p99 latency and CPU
// per read side by side, a group of bars per depth.
func (rep *report) Charts(dir string) error {
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
		collect := func(key string) []harness.Series { return harness.SeriesOf(impls, srs, key) }
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
		p1, err := style.Bars(fmt.Sprintf("%s: %s (higher is better)\n%s", md.name, what, sub), ylabel, groups, collect(key), tpFormat)
		if err != nil {
			return err
		}
		p2, err := style.Bars("p99 latency per read (lower is better)", "µs", groups, collect("p99"), lat)
		if err != nil {
			return err
		}
		p3, err := style.Bars("CPU per read, user+system (lower is better)", "CPU µs / read", groups, collect("cpu"),
			func(v float64) string { return fmt.Sprintf("%.1f", v) })
		if err != nil {
			return err
		}
		if err := harness.SaveRow(filepath.Join(dir, "fs-"+md.name+".png"), 15*vg.Inch, 4.5*vg.Inch, p1, p2, p3); err != nil {
			return err
		}
	}
	return nil
}
