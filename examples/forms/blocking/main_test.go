//go:build linux

package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/examples/forms/internal/formtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	out := formtest.Run(t, run)
	formtest.InOrder(t, out,
		`^4 readers blocked in read\(2\): 4 OS threads asleep in the kernel`,
		`^reader 0 woke with "request 0"$`,
		`^reader 3 woke with "request 3"$`,
		`^each wait held a thread`)
}

func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// 4 readers blocked in read(2): 4 OS threads asleep in the kernel, one per reader
	// reader 0 woke with "request 0"
	// reader 1 woke with "request 1"
	// reader 2 woke with "request 2"
	// reader 3 woke with "request 3"
	// each wait held a thread: 4 requests in flight need 4 threads
}
