//go:build unix

package main

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/examples/forms/internal/formtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	out := formtest.Run(t, run)
	formtest.InOrder(t, out,
		`^callback: user defined signal 1, on the loop: true$`,
		`^fiber: Recv returned user defined signal 1$`,
		`^a burst of 10 SIGUSR2 came as \d+ event\(s\) counting \d+ deliveries: merged, not lost$`,
		`^after the callback's Stop, user defined signal 1 reached the fiber alone: the callback ran 1 time\(s\) in all$`)
	// Merged, never lost entirely, never more than were sent.
	if m := regexp.MustCompile(`came as (\d+) event\(s\) counting (\d+) deliveries`).FindStringSubmatch(out); m != nil {
		events, _ := strconv.Atoi(m[1])
		total, _ := strconv.Atoi(m[2])
		if events < 1 || total < events || total > 10 {
			t.Errorf("%d events counting %d deliveries of a burst of 10", events, total)
		}
	}
}

// Example runs the program. What it prints varies from run to run (counts
// of system calls and events, times), so it has no Output comment and is
// only compiled here; TestRun runs it and checks what must hold.
func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
}
