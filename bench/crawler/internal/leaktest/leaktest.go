// Package leaktest checks that a test leaves no goroutine running and no
// file descriptor open, with goleak and weft's fdtest together. Tests
// only.
package leaktest

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/weftio/weft/internal/fdtest"
)

// Check fails t if, once the test and the cleanups registered after Check
// have finished, a goroutine that was not running at the call still runs
// (goleak retries for a while: an idle HTTP connection's reader may take
// a moment to end), or more fds are open than at the call.
func Check(t *testing.T) {
	t.Helper()
	fdtest.Check(t) // registered first, so it runs last, after ours
	running := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, running) })
}
