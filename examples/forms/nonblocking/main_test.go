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
		`^read of an empty pipe: EAGAIN \(resource temporarily unavailable\), at once$`,
		`^write filled the pipe's buffer with [1-9]\d* bytes, then EAGAIN$`,
		`^polled for 3 messages \(192 bytes\): \d+ reads, \d+ of them EAGAIN$`)
	// Every read is counted once: tries = 3 data reads (at least; a
	// message may come in two reads) + the EAGAINs.
	m := regexp.MustCompile(`(\d+) reads, (\d+) of them EAGAIN`).FindStringSubmatch(out)
	if m != nil {
		tries, _ := strconv.Atoi(m[1])
		wasted, _ := strconv.Atoi(m[2])
		if tries-wasted < 1 || tries-wasted > 192 {
			t.Errorf("%d reads, %d EAGAIN: %d returned data, want 1 to 192", tries, wasted, tries-wasted)
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
