//go:build linux

package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/examples/forms/internal/formtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The program asks fs for io_uring, whatever WEFT_IO_URING says.
func TestRun(t *testing.T) {
	out := formtest.Run(t, run)
	formtest.InOrder(t, out,
		`^8 reads of 4 KiB posted, submitted and waited for in one io_uring_enter; 8 completions reaped, 8 buffers hold their block$`,
		`^read posted on an empty pipe: 0 completions so far$`,
		`^wrote to the pipe: the eventfd fired and the completion came: 5 bytes, "hello"$`,
		`^weft fs \(back-end io_uring\): a fiber wrote 1048576 bytes and read back 1048576, equal: true$`)
}

func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// 8 reads of 4 KiB posted, submitted and waited for in one io_uring_enter; 8 completions reaped, 8 buffers hold their block
	// read posted on an empty pipe: 0 completions so far
	// wrote to the pipe: the eventfd fired and the completion came: 5 bytes, "hello"
	// weft fs (back-end io_uring): a fiber wrote 1048576 bytes and read back 1048576, equal: true
}
