package main

import (
	"fmt"
	"path/filepath"

	"gonum.org/v1/plot/vg"

	"github.com/weftio/weft/bench/internal/harness"
)

// style is how the chart looks: weft blue, colly orange (the rival's
// color in every harness).
var style = harness.Style{
	Colors:   harness.Palette("weft", "", "", "colly"),
	Group:    80,
	Solo:     40,
	Headroom: 1.45,
}

// chartFile is the report's one chart.
const chartFile = "crawler-bench.png"

func chartFiles() []harness.ChartFile {
	return []harness.ChartFile{{File: chartFile, Title: "pages/s, peak RSS and CPU per page, weft against colly"}}
}

// Charts draws into dir pages/s, peak RSS and CPU per page side by side,
// a group of bars per site.
func (rep *report) Charts(dir string) error {
	m := rep.Meta
	sub := fmt.Sprintf("%d CPUs, medians of %d round(s)", m.Machine.NProc, m.Rounds)
	if m.Quick {
		sub += ", QUICK SMOKE RUN"
	}
	var groups []string
	for _, s := range rep.Sections {
		groups = append(groups, s.Sc.Name)
	}
	series := func(key string) []harness.Series { return harness.SeriesOf(m.Impls, rep.Sections, key) }
	p1, err := style.Bars("Crawl: pages/s (higher is better)\n"+sub, "pages/s", groups, series("pps"), f0)
	if err != nil {
		return err
	}
	p2, err := style.Bars("Peak RSS of the crawler (lower is better)", "MiB", groups, series("rss"), f1)
	if err != nil {
		return err
	}
	p3, err := style.Bars("CPU per page, user+system (lower is better)", "CPU µs / page", groups, series("cpu"), f0)
	if err != nil {
		return err
	}
	return harness.SaveRow(filepath.Join(dir, chartFile), 15*vg.Inch, 4.5*vg.Inch, p1, p2, p3)
}
