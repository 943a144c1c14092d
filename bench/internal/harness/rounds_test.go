package harness_test

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/weftio/weft/bench/internal/harness"
)

func ExampleSchedule() {
	impls := []string{"weft", "os", "fio"}
	for _, t := range harness.Schedule(3, []string{"rand"}, func(string) []string { return impls }) {
		fmt.Println(t.Round, t.Scenario, t.Impl)
	}
	// Output:
	// 1 rand weft
	// 1 rand os
	// 1 rand fio
	// 2 rand os
	// 2 rand fio
	// 2 rand weft
	// 3 rand fio
	// 3 rand weft
	// 3 rand os
}

func TestSchedule(t *testing.T) {
	type sc struct {
		name  string
		impls []string
	}
	scs := []sc{{"a", []string{"x", "y"}}, {"b", nil}, {"c", []string{"x", "y", "z"}}}
	var got []string
	for _, t := range harness.Schedule(2, scs, func(s sc) []string { return s.impls }) {
		got = append(got, fmt.Sprintf("%d%s %s", t.Round, t.Scenario.name, t.Impl))
	}
	want := []string{"1a x", "1a y", "1c x", "1c y", "1c z", "2a y", "2a x", "2c y", "2c z", "2c x"}
	if !slices.Equal(got, want) {
		t.Errorf("Schedule: %q, want %q", got, want)
	}
}

func TestRunAll(t *testing.T) {
	// RunAll writes its progress to stderr: catch it.
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer func(e *os.File) { os.Stderr = e }(os.Stderr)
	os.Stderr = f

	turns := harness.Schedule(2, []string{"s"}, func(string) []string { return []string{"x", "y"} })
	var made []harness.Turn[string]
	runs := harness.RunAll(turns,
		func(t harness.Turn[string]) run {
			made = append(made, t)
			r := run{Scenario: t.Scenario, Impl: t.Impl, Round: t.Round}
			if t.Impl == "y" {
				r.Warn("y is slow")
			}
			return r
		},
		func(t harness.Turn[string]) string { return fmt.Sprintf("%-3s %-2s", t.Scenario, t.Impl) },
		func(r run) string { return "ok" })
	if !slices.Equal(made, turns) || len(runs) != len(turns) {
		t.Fatalf("made %v, want %v; %d runs", made, turns, len(runs))
	}
	for i, r := range runs {
		if r.Impl != turns[i].Impl || r.Round != turns[i].Round {
			t.Errorf("run %d is %v, of turn %v", i, r.Key(), turns[i])
		}
	}
	out, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	want := `[  1/4     0s] round 1 s   x  ok
[  2/4     0s] round 1 s   y  ok
      ! y is slow
[  3/4     0s] round 2 s   y  ok
      ! y is slow
[  4/4     0s] round 2 s   x  ok
`
	if string(out) != want {
		t.Errorf("progress:\n%s\nwant\n%s", out, want)
	}
}
