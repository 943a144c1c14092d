//go:build unix

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
		`^coroutine: yield 1$`, `^caller: got 1$`, `^coroutine: yield 3$`, `^caller: got 3$`,
		`^client: sent ping 1, read back "ping 1\\n"$`,
		`^client: sent ping 3, read back "ping 3\\n"$`,
		`^server: echoed 21 bytes, client gone$`,
		`^1000 fibers slept 10ms each, side by side: the loop's clock moved 10ms$`)
}

func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// coroutine: yield 1
	// caller: got 1
	// coroutine: yield 2
	// caller: got 2
	// coroutine: yield 3
	// caller: got 3
	// client: sent ping 1, read back "ping 1\n"
	// client: sent ping 2, read back "ping 2\n"
	// client: sent ping 3, read back "ping 3\n"
	// server: echoed 21 bytes, client gone
	// 1000 fibers slept 10ms each, side by side: the loop's clock moved 10ms
}
