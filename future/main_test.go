package future_test

import (
	"context"
	"errors"
	"flag"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/fdtest"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// TestMain fails the run if any goroutine is left behind once every test
// has finished: a FromChan waiter, an Offload worker, a loop.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// seedFlag replays a run of the randomized tests: every one of them prints
// its seed when it fails.
var seedFlag = flag.Uint64("future.seed", 0, "seed for the randomized tests of package future (0: a new one each run)")

// bbSeed returns the seed for t's random choices and arranges for it to be
// printed if t fails.
func bbSeed(t *testing.T) uint64 { return looptest.Seed(t, *seedFlag, "future.seed") }

// epoch is where the virtual clock of the tests' loops starts.
var epoch = time.Unix(0, 0)

// bbLoop starts a loop on virtual time for the length of the test.
func bbLoop(t testing.TB) *loop.Loop {
	t.Helper()
	l := looptest.Start(t, loop.WithVirtualTime(epoch))
	// Make sure Run has started: a test that ends at once would otherwise
	// Close the loop first, and looptest reports Run's ErrClosed.
	looptest.On(t, l, func() {})
	return l
}

// bbRealLoop starts a loop on real time, for a test that closes it itself
// (looptest's Close at the end is then a no-op) or must not let virtual
// time jump ahead.
func bbRealLoop(t testing.TB) *loop.Loop {
	t.Helper()
	l := looptest.Start(t)
	looptest.On(t, l, func() {}) // Run has started (see bbLoop)
	return l
}

// waitLimit is looptest.WaitLimit: a hang becomes a failure after it.
const waitLimit = looptest.WaitLimit

// bbWait waits for f from the test goroutine (which counts as observing it).
func bbWait[T any](t testing.TB, f *future.Future[T]) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	v, err := f.Wait(ctx)
	if err != nil && err == ctx.Err() {
		t.Fatalf("future did not settle within %v", waitLimit)
	}
	return v, err
}

// bbValue waits for f and fails the test unless it is fulfilled.
func bbValue[T any](t testing.TB, f *future.Future[T]) T {
	t.Helper()
	v, err := bbWait(t, f)
	if err != nil {
		t.Fatalf("future rejected with %v, want a value", err)
	}
	return v
}

// bbErr waits for f and fails the test unless it is rejected with an error
// that errors.Is target.
func bbErr[T any](t testing.TB, f *future.Future[T], target error) error {
	t.Helper()
	v, err := bbWait(t, f)
	if err == nil {
		t.Fatalf("future fulfilled with %v, want an error matching %v", v, target)
	}
	if !errors.Is(err, target) {
		t.Fatalf("future rejected with %v, want an error matching %v", err, target)
	}
	return err
}

// bbPeek reads f's state on its loop without observing it.
func bbPeek[T any](t testing.TB, f *future.Future[T]) (v T, err error, settled bool) {
	t.Helper()
	looptest.On(t, f.Loop(), func() { v, err, settled = f.Result() })
	return v, err, settled
}

// bbPending fails the test unless f is still pending.
func bbPending[T any](t testing.TB, f *future.Future[T], what string) {
	t.Helper()
	if v, err, ok := bbPeek(t, f); ok {
		t.Fatalf("%s settled with (%v, %v), want it pending", what, v, err)
	}
}

// bbClosed fails the test unless ch is closed and empty, after waitLimit.
func bbClosed[T any](t testing.TB, ch <-chan T, what string) {
	t.Helper()
	select {
	case v, ok := <-ch:
		if ok {
			t.Fatalf("%s delivered again: %v", what, v)
		}
	case <-time.After(waitLimit):
		t.Fatalf("%s: not closed within %v", what, waitLimit)
	}
}

// bbSettleStats runs a task on l twice, so that the Stats read afterwards
// were published by a turn that ended after everything queued before.
func bbSettleStats(t testing.TB, l *loop.Loop) loop.Stats {
	t.Helper()
	looptest.On(t, l, func() {})
	looptest.On(t, l, func() {})
	return l.Stats()
}

// TestLeaks_FDsAndGoroutines makes and closes loops full of futures that
// hold resources (timers, a FromChan goroutine, an Offload context, pending
// and settled futures, unhandled rejections) and checks that the process
// has as many fds, and no more goroutines, than before.
func TestLeaks_FDsAndGoroutines(t *testing.T) {
	prev := future.SetUnhandledHook(func(future.Unhandled) {}) // the rejections below are on purpose
	t.Cleanup(func() { future.SetUnhandledHook(prev) })
	fdtest.Count(t) // the first directory read may set up runtime state
	before := fdtest.Count(t)
	ignore := goleak.IgnoreCurrent()

	const loops = 20
	for i := range loops {
		l, err := loop.New(loop.WithVirtualTime(epoch))
		if err != nil {
			t.Fatal(err)
		}
		runErr := make(chan error, 1)
		go func() { runErr <- l.Run() }()

		// Settled before the loop closes.
		got := bbValue(t, future.Map(future.Resolved(l, i), func(v int) string { return strconv.Itoa(v) }))
		if got != strconv.Itoa(i) {
			t.Fatalf("Map = %q", got)
		}
		ch := make(chan int, 1)
		ch <- i
		if v := bbValue(t, future.FromChan(l, ch)); v != i {
			t.Fatalf("FromChan = %d, want %d", v, i)
		}
		if v := bbValue(t, future.Offload(l, func(context.Context) (int, error) { return i, nil })); v != i {
			t.Fatalf("Offload = %d, want %d", v, i)
		}
		if v := bbValue(t, future.Delay(l, time.Second, i)); v != i {
			t.Fatalf("Delay = %d, want %d", v, i)
		}

		// Still pending when the loop closes.
		future.FromChan(l, make(chan int))
		started := make(chan struct{})
		off := future.Offload(l, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		looptest.Recv(t, started, "Offload start")
		future.Delay(l, time.Hour, 0)
		future.Timeout(future.Delay(l, time.Hour, 0), 2*time.Hour)
		future.Retry(l, future.Backoff{Attempts: -1}, func(int) *future.Future[int] {
			return future.Rejected[int](l, errors.New("again"))
		})
		future.Rejected[int](l, errors.New("nobody looks"))
		f, _ := future.New[int](l)

		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-runErr; err != nil {
			t.Fatal(err)
		}
		if _, err := bbWait(t, off); !errors.Is(err, loop.ErrClosed) {
			t.Fatalf("Wait on a pending Offload of a closed loop: %v, want loop.ErrClosed", err)
		}
		runtime.KeepAlive(f)
	}

	if after := fdtest.Count(t); after != before {
		t.Errorf("%d fds open after %d loops were made and closed, %d before", after, loops, before)
	}
	goleak.VerifyNone(t, ignore)
}

// collector gathers unhandled rejections: of one loop, or of all.
type collector struct {
	l   *loop.Loop
	mu  sync.Mutex
	got []future.Unhandled
}

// collectUnhandled sets the hook to collect l's reports (every loop's
// with a nil l) until the test ends; other loops' reports go to the hook
// it replaced. The hook is global: no test here runs in parallel.
func collectUnhandled(t *testing.T, l *loop.Loop) *collector {
	t.Helper()
	c := &collector{l: l}
	var prev func(future.Unhandled)
	prev = future.SetUnhandledHook(func(u future.Unhandled) {
		if c.l != nil && u.Loop != c.l {
			if prev != nil {
				prev(u)
			}
			return
		}
		c.mu.Lock()
		c.got = append(c.got, u)
		c.mu.Unlock()
	})
	t.Cleanup(func() { future.SetUnhandledHook(prev) })
	return c
}

func (c *collector) reports() []future.Unhandled {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}
