//go:build linux

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
		`^goroutines: 10000 parked at once, \d+\.\d KiB of stack each$`,
		`^goroutines: 10000 started and finished, \d+\.\d\d µs each$`,
		`^OS threads: 200 goroutines ended on their locked thread, on \d+ different threads, \d+\.\d\d µs each$`,
		`^processes: 20 runs of \S+, \d+\.\d\d µs each$`)
	// A goroutine's stack is at least Go's minimum, 2 KiB, and a locked
	// goroutine that ends takes its thread: most of the 200 need a new one.
	if m := regexp.MustCompile(`(\d+\.\d) KiB of stack each`).FindStringSubmatch(out); m != nil {
		if kib, _ := strconv.ParseFloat(m[1], 64); kib < 2 {
			t.Errorf("%.1f KiB of stack per goroutine, want at least 2", kib)
		}
	}
	if m := regexp.MustCompile(`on (\d+) different threads`).FindStringSubmatch(out); m != nil {
		if n, _ := strconv.Atoi(m[1]); n < 100 {
			t.Errorf("%d different threads for 200 locked goroutines that ended, want most of 200", n)
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
