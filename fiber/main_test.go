package fiber_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/conc/panics"
	"go.uber.org/goleak"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// TestMain fails the run if any goroutine is left behind once every test
// has finished: a fiber's coroutine, a loop, an offload worker, a context
// watcher.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// seedFlag replays a run of the randomized tests, which print their seed.
var seedFlag = flag.Uint64("fiber.seed", 0, "seed for the randomized tests of package fiber (0: a new one each run)")

// testSeed returns the seed for t's random choices and prints it, so that a
// failure can be replayed with -fiber.seed.
func testSeed(t *testing.T) uint64 { return looptest.Seed(t, *seedFlag, "fiber.seed") }

// epoch is where the virtual clock of the tests' loops starts.
var epoch = time.Unix(0, 0)

// virtual runs a loop on virtual time: an hour's Sleep takes microseconds
// and wakes at exactly the hour.
func virtual() loop.Option { return loop.WithVirtualTime(epoch) }

// waitLimit is looptest.WaitLimit: a hang becomes a failure after it.
const waitLimit = looptest.WaitLimit

// now returns the time on the calling fiber's loop, since the loop was
// made: on virtual time, exactly what the fibers slept.
func now(ctx context.Context) time.Duration { return time.Duration(fiber.Loop(ctx).Now()) }

// catch runs f and returns what it panicked with, as a string, or "" if it
// returned.
func catch(f func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	f()
	return ""
}

// callerLine returns "file.go:N" for the line that called it, plus delta:
// where a test expects a report to point.
func callerLine(delta int) string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", file[strings.LastIndexByte(file, '/')+1:], line+delta)
}

// wantRecovered fails t unless err is a *panics.ErrRecovered of a panic
// with value want, whose stack holds the function fn: the panic was
// recovered on the fiber's own stack, not on the loop's after unwinding.
func wantRecovered(t *testing.T, err error, want any, fn string) {
	t.Helper()
	var r *panics.ErrRecovered
	if !errors.As(err, &r) {
		t.Fatalf("err = %v (%T), want a *panics.ErrRecovered", err, err)
	}
	if r.Value != want {
		t.Errorf("panic value = %v, want %v", r.Value, want)
	}
	if !strings.Contains(string(r.Stack), fn) {
		t.Errorf("the stack of the recovered panic does not name %s:\n%s", fn, r.Stack)
	}
}

// waitLoopIdle returns true once a goroutine running fiber.Run is blocked
// in its poller: every fiber is parked and the loop found nothing to do,
// which is exactly when the deadlock check runs. It looks at the
// goroutines' stacks rather than sleeping for a while and hoping, and
// gives up, returning false, after waitLimit. Callers run it on a goroutine
// of their own, so it reports rather than failing the test.
func waitLoopIdle() bool {
	deadline := time.Now().Add(waitLimit)
	buf := make([]byte, 1<<20)
	for time.Now().Before(deadline) {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, "fiber.Run(") && strings.Contains(g, "netpoll/poller.(*") &&
				!strings.Contains(header, "[running]") && !strings.Contains(header, "[runnable]") {
				return true
			}
		}
		runtime.Gosched()
	}
	return false
}

// idleThen waits on a goroutine of its own until the loop of the Run in
// progress is idle, then calls f; t fails if the loop never is.
func idleThen(t *testing.T, f func()) {
	go func() {
		if !waitLoopIdle() {
			t.Errorf("the loop was not idle in its poller within %v", waitLimit)
		}
		f()
	}()
}
