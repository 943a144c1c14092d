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
		`^proactor: echoed 1000 messages, 64000 bytes$`,
		`^  2001 completions \(1001 reads, 1000 writes\) in \d+ eventfd wake-ups; \d+ io_uring_enter calls; 0 EAGAIN$`)
	// One submission for the first read, then at most one per wake-up.
	m := regexp.MustCompile(`in (\d+) eventfd wake-ups; (\d+) io_uring_enter`).FindStringSubmatch(out)
	if m == nil {
		return
	}
	wakeups, _ := strconv.Atoi(m[1])
	enters, _ := strconv.Atoi(m[2])
	if wakeups < 1 || wakeups > 2001 || enters > wakeups+1 {
		t.Errorf("%d wake-ups, %d io_uring_enter calls: want 1 to 2001 wake-ups and at most one call more", wakeups, enters)
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
