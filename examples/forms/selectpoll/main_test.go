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
		`^poll\(2\) over 8 pipes: 3 ready: pipe 2, pipe 5, pipe 7$`,
		`^a poll loop on one thread served 8 writers, 1536 bytes, in \d+ poll calls that checked \d+ descriptors$`)
	// Every call checks the whole set.
	if m := regexp.MustCompile(`in (\d+) poll calls that checked (\d+)`).FindStringSubmatch(out); m != nil {
		calls, _ := strconv.Atoi(m[1])
		checked, _ := strconv.Atoi(m[2])
		if calls < 1 || checked != 8*calls {
			t.Errorf("%d calls checked %d descriptors, want 8 per call", calls, checked)
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
