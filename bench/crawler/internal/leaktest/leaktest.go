// Package leaktest checks that a test leaves no goroutine running and
// no file descriptor open: the bench module cannot require
// go.uber.org/goleak (its go.mod does not list it), so this is the
// small part of it the crawler benchmark's tests need. Tests only.
package leaktest

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/internal/fdtest"
)

// Check fails t if, once the test and the cleanups registered after
// Check have finished, more goroutines are running or more fds are open
// than at the call. A goroutine or fd being released as the test ends
// (an idle HTTP connection's reader, a server's conn) may take a moment,
// so it waits up to 5 s before it reports, with every goroutine's stack.
func Check(t *testing.T) {
	t.Helper()
	fdtest.Check(t) // registered first, so it runs last, after ours
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			after := runtime.NumGoroutine()
			if after <= before {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("goroutines: %d before the test, %d after:\n%s", before, after, stacks())
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// stacks is every goroutine's stack but the caller's.
func stacks() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	gs := strings.Split(string(buf), "\n\n")
	return strings.Join(gs[1:], "\n\n")
}
