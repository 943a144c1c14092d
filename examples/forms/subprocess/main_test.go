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
		`^tr a-z A-Z read "hello, weft\\n" and wrote "HELLO, WEFT\\n"; exit status 0$`,
		`^printf \| sort \| tr wrote "A\\nB\\nC\\n"$`,
		`^sh -c 'exit 3' failed: exit status 3 \(exit code 3\)$`,
		`^sleep 60 under a 20 ms context: .*; errors.Is\(err, context.DeadlineExceeded\): true$`,
		`^while a fiber waited for cat to exit, the loop's timer fed it "tick 1\\ntick 2\\ntick 3\\n"$`)
}

func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// tr a-z A-Z read "hello, weft\n" and wrote "HELLO, WEFT\n"; exit status 0
	// printf | sort | tr wrote "A\nB\nC\n"
	// sh -c 'exit 3' failed: exit status 3 (exit code 3)
	// sleep 60 under a 20 ms context: signal: killed; errors.Is(err, context.DeadlineExceeded): true
	// while a fiber waited for cat to exit, the loop's timer fed it "tick 1\ntick 2\ntick 3\n"
}
