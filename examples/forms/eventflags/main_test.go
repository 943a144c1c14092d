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
		`^fiber 3: waiting for the flag$`,
		`^main: IsSet\(\) = false; Set\(\)$`,
		`^fiber 1: woke$`, `^fiber 2: woke$`, `^fiber 3: woke$`,
		`^main: Clear, then a wait with a 5 ms deadline: context deadline exceeded$`,
		`^a pipe's readiness callback raised the flag; the fiber waiting on it read "hello"$`)
}

func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// fiber 1: waiting for the flag
	// fiber 2: waiting for the flag
	// fiber 3: waiting for the flag
	// main: IsSet() = false; Set()
	// fiber 1: woke
	// fiber 2: woke
	// fiber 3: woke
	// main: Clear, then a wait with a 5 ms deadline: context deadline exceeded
	// a pipe's readiness callback raised the flag; the fiber waiting on it read "hello"
}
