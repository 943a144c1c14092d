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
		`^loop: tick 1$`, `^loop: tick 4$`,
		`^loop: tick 5, writing the byte the pool thread waits for$`,
		`^the blocking read on the offload pool returned "x"$`,
		`^io_uring with IOSQE_ASYNC: the kernel handed the read to a worker thread it added to this process \(iou-wrk-…\)$`,
		`^wrote to the pipe: the worker's read completed with 1 byte, "y"$`)
}

func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// loop: tick 1
	// loop: tick 2
	// loop: tick 3
	// loop: tick 4
	// loop: tick 5, writing the byte the pool thread waits for
	// the blocking read on the offload pool returned "x"
	// io_uring with IOSQE_ASYNC: the kernel handed the read to a worker thread it added to this process (iou-wrk-…)
	// wrote to the pipe: the worker's read completed with 1 byte, "y"
}
