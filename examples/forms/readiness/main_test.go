//go:build unix

package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/examples/forms/internal/formtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	out := formtest.Run(t, run)
	formtest.InOrder(t, out,
		`^256 pipes registered with (epoll|kqueue)$`,
		`^wrote to 3 pipes: Wait returned 3 events: pipe 3, pipe 100, pipe 200$`,
		`^nothing read, nothing new \(edge-triggered\): Wait returned 0 events$`,
		`^wrote to pipe 3 again: a new edge: Wait returned 1 event: pipe 3$`)
}
