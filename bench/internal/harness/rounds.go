package harness

import (
	"fmt"
	"os"
	"time"
)

// Turn is one run of a schedule: an implementation in a scenario in a
// round (from 1).
type Turn[S any] struct {
	Round    int
	Scenario S
	Impl     string
}

// Schedule lists the runs of rounds rounds in the order they are to be
// made: each round runs every scenario of scs, in order, on each of the
// implementations impls gives for it, and turns those one further left
// than the round before, so that none always runs first or last.
func Schedule[S any](rounds int, scs []S, impls func(S) []string) []Turn[S] {
	var ts []Turn[S]
	for round := 1; round <= rounds; round++ {
		for _, sc := range scs {
			for _, impl := range rotate(impls(sc), round-1) {
				ts = append(ts, Turn[S]{Round: round, Scenario: sc, Impl: impl})
			}
		}
	}
	return ts
}

// rotate returns s turned left by k.
func rotate(s []string, k int) []string {
	if len(s) == 0 {
		return nil
	}
	k %= len(s)
	return append(append([]string{}, s[k:]...), s[:k]...)
}

// RunAll makes the runs of turns one after the other with run, and
// returns them in that order. It prints a line about each to stderr:
// "[k/n elapsed] round r", then label's words for the turn before the
// run and brief's for the run after it, then a line for each of the
// run's problems. Whatever run prints to stderr comes between the two.
func RunAll[S any, R Run](turns []Turn[S], run func(Turn[S]) R, label func(Turn[S]) string, brief func(R) string) []R {
	var runs []R
	t0 := time.Now()
	for k, t := range turns {
		fmt.Fprintf(os.Stderr, "[%3d/%d %6s] round %d %s ", k+1, len(turns), time.Since(t0).Round(time.Second), t.Round, label(t))
		r := run(t)
		fmt.Fprintln(os.Stderr, brief(r))
		for _, p := range r.status().Problems {
			fmt.Fprintf(os.Stderr, "      ! %s\n", p)
		}
		runs = append(runs, r)
	}
	return runs
}
