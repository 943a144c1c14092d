package harness

import (
	"math"
	"slices"
)

// Stat is one metric of one implementation in one scenario, over the
// rounds whose runs did not fail: the median, the range and how many
// runs. With no runs, N is 0 and the figures are NaN.
type Stat struct {
	Med, Min, Max float64
	N             int
}

// NewStat summarises v.
func NewStat(v []float64) Stat {
	if len(v) == 0 {
		return Stat{Med: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	return Stat{Med: median(v), Min: slices.Min(v), Max: slices.Max(v), N: len(v)}
}

// Spread is half the range over the median, in per cent: the ± a report
// gives beside a median.
func (s Stat) Spread() float64 { return (s.Max - s.Min) / 2 / s.Med * 100 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Metrics are the figures a run yields: each a function of the run,
// under the key its Stat has in ImplStats.M.
type Metrics[R any] map[string]func(R) float64

// ImplStats is one implementation's figures in one scenario.
type ImplStats struct {
	Impl      string
	OK, Total int             // runs that did not fail, of all its runs
	M         map[string]Stat // by the key of its Metrics
}

// Table is one scenario's figures: a row per implementation.
type Table[R Run] struct {
	Impls  []*ImplStats // in the order NewTable was given
	ByImpl map[string]*ImplStats
	// Runs[impl][round] is the run of impl in that round, if it did not
	// fail.
	Runs map[string]map[int]R
}

// NewTable reduces the runs of scenario to a row per implementation in
// impls, with a Stat for each metric over the runs that did not fail.
// Runs of other scenarios and implementations are passed over.
func NewTable[R Run](scenario string, impls []string, runs []R, metrics Metrics[R]) *Table[R] {
	t := &Table[R]{ByImpl: map[string]*ImplStats{}, Runs: map[string]map[int]R{}}
	for _, impl := range impls {
		st := &ImplStats{Impl: impl, M: map[string]Stat{}}
		vals := map[string][]float64{}
		t.Runs[impl] = map[int]R{}
		for _, r := range runs {
			k := r.Key()
			if k.Scenario != scenario || k.Impl != impl {
				continue
			}
			st.Total++
			if r.status().Failed {
				continue
			}
			st.OK++
			t.Runs[impl][k.Round] = r
			for key, get := range metrics {
				vals[key] = append(vals[key], get(r))
			}
		}
		for key := range metrics {
			st.M[key] = NewStat(vals[key])
		}
		t.Impls = append(t.Impls, st)
		t.ByImpl[impl] = st
	}
	return t
}

// Med is the median of metric key for impl, or NaN if the table has no
// such implementation or metric, or no run of it counted.
func (t *Table[R]) Med(impl, key string) float64 {
	if st, ok := t.ByImpl[impl]; ok {
		if m, ok := st.M[key]; ok {
			return m.Med
		}
	}
	return math.NaN()
}

// Section is a scenario of a report with its table: S is the harness's
// scenario type.
type Section[S any, R Run] struct {
	Sc S
	*Table[R]
}
