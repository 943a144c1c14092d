package harness_test

import (
	"math"
	"testing"

	"github.com/weftio/weft/bench/internal/harness"
)

// run is a harness's run type, as small as it gets.
type run struct {
	Scenario, Impl string
	Round          int
	Value          float64
	harness.Status
}

func (r run) Key() harness.Key {
	return harness.Key{Scenario: r.Scenario, Impl: r.Impl, Round: r.Round}
}

func TestNewStat(t *testing.T) {
	for _, c := range []struct {
		in        []float64
		med, sprd float64
	}{
		{nil, math.NaN(), math.NaN()},
		{[]float64{3}, 3, 0},
		{[]float64{5, 1, 3}, 3, 200.0 / 3},
		{[]float64{4, 1, 3, 2}, 2.5, 60},
	} {
		s := harness.NewStat(c.in)
		if !same(s.Med, c.med) || !same(s.Spread(), c.sprd) || s.N != len(c.in) {
			t.Errorf("NewStat(%v) = %+v, spread %v; want median %v, spread %v", c.in, s, s.Spread(), c.med, c.sprd)
		}
	}
}

func same(a, b float64) bool {
	return math.Abs(a-b) < 1e-9 || math.IsNaN(a) && math.IsNaN(b)
}

func TestTable(t *testing.T) {
	var runs []run
	for round := 1; round <= 3; round++ {
		runs = append(runs,
			run{Scenario: "a", Impl: "x", Round: round, Value: float64(round)},
			run{Scenario: "a", Impl: "y", Round: round, Value: float64(10 * round)},
			run{Scenario: "b", Impl: "x", Round: round, Value: 100})
	}
	runs[1].Fail("broken") // a, y, round 1
	runs[2].Warn("slow")   // b, x, round 1: still counts
	tab := harness.NewTable("a", []string{"x", "y", "z"}, runs, harness.Metrics[run]{"v": func(r run) float64 { return r.Value }})

	if got := tab.Med("x", "v"); got != 2 {
		t.Errorf("x: median %v, want 2", got)
	}
	if got := tab.Med("y", "v"); got != 25 {
		t.Errorf("y: median %v, want 25 (round 1 failed)", got)
	}
	if y := tab.ByImpl["y"]; y.OK != 2 || y.Total != 3 {
		t.Errorf("y: %d of %d runs ok, want 2 of 3", y.OK, y.Total)
	}
	if _, ok := tab.Runs["y"][1]; ok {
		t.Error("y: the failed run of round 1 is in Runs")
	}
	if z := tab.ByImpl["z"]; z.Total != 0 || !math.IsNaN(tab.Med("z", "v")) {
		t.Errorf("z, never run: %+v, median %v", z, tab.Med("z", "v"))
	}
	if !math.IsNaN(tab.Med("x", "nope")) || !math.IsNaN(tab.Med("nobody", "v")) {
		t.Error("Med of an unknown metric or implementation is not NaN")
	}
	if len(tab.Impls) != 3 || tab.Impls[0].Impl != "x" || tab.Impls[2].Impl != "z" {
		t.Errorf("Impls out of order: %v", tab.Impls)
	}

	got := harness.ProblemsSection(runs, "None.")
	want := "## Problems\n\n- round 1, a, y: broken (run failed, not counted)\n- round 1, b, x: slow\n\n"
	if got != want {
		t.Errorf("ProblemsSection:\n%q\nwant\n%q", got, want)
	}
	if got := harness.ProblemsSection(runs[3:], "None."); got != "## Problems\n\nNone.\n\n" {
		t.Errorf("ProblemsSection without problems: %q", got)
	}
}

func TestInRounds(t *testing.T) {
	// Round 2 lacks a run; of the others, 1 and 4 hold.
	got := harness.InRounds(4, func(round int) (bool, bool) { return round != 3, round != 2 })
	if got != "2 of 3" {
		t.Errorf("InRounds: %q, want \"2 of 3\"", got)
	}
	for _, c := range []struct {
		held, unknown bool
		want          string
	}{{true, false, "**yes**"}, {false, false, "**no**"}, {true, true, "n/a"}} {
		if got := harness.Verdict(c.held, c.unknown); got != c.want {
			t.Errorf("Verdict(%v, %v) = %q, want %q", c.held, c.unknown, got, c.want)
		}
	}
}

func TestSeriesOf(t *testing.T) {
	var runs []run
	for round := 1; round <= 3; round++ {
		runs = append(runs,
			run{Scenario: "a", Impl: "x", Round: round, Value: float64(round)},
			run{Scenario: "b", Impl: "x", Round: round, Value: 10},
			run{Scenario: "b", Impl: "y", Round: round, Value: 20})
	}
	m := harness.Metrics[run]{"v": func(r run) float64 { return r.Value }}
	var secs []*harness.Section[string, run]
	for _, sc := range []string{"a", "b"} {
		secs = append(secs, &harness.Section[string, run]{Sc: sc, Table: harness.NewTable(sc, []string{"x", "y"}, runs, m)})
	}
	ss := harness.SeriesOf([]string{"y", "x"}, secs, "v")
	if len(ss) != 2 || ss[0].Name != "y" || !same(ss[0].Vals[0], math.NaN()) || ss[0].Vals[1] != 20 ||
		ss[1].Name != "x" || ss[1].Vals[0] != 2 || ss[1].Vals[1] != 10 {
		t.Errorf("SeriesOf: %+v", ss)
	}
	if p := harness.Palette("a", "b", "c", "d", "e"); len(p) != 5 || p["a"] != p["e"] || p["a"] == p["b"] {
		t.Errorf("Palette: %v", p)
	}
}

func TestOutcome(t *testing.T) {
	var s harness.Status
	s.Warn("slow")
	if got := s.Outcome(); got != "yes" {
		t.Errorf("Outcome of a warned run: %q", got)
	}
	s.Fail("broken")
	if got := s.Outcome(); got != "**failed**" {
		t.Errorf("Outcome of a failed run: %q", got)
	}
}
