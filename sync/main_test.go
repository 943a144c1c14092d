package sync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
)

// TestMain fails the run if a goroutine is left behind: a loop, a
// coroutine of a fiber, the goroutine of a context.AfterFunc.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// epoch is where the virtual clock of the tests' loops starts.
var epoch = time.Unix(0, 0)

// waitLimit bounds, in real time, how long run lets a test's fibers run:
// a test that hangs fails with a message instead of reaching go test's
// timeout. It is never slept.
const waitLimit = 20 * time.Second

// run runs main as the main fiber of a loop on virtual time and fails the
// test if it returns an error or takes longer than waitLimit. (With a
// context that can be cancelled, Run does not report deadlocks: the tests
// of deadlocks call wantDeadlock.)
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := fiber.Run(ctx, main, loop.WithVirtualTime(epoch)); err != nil {
		t.Fatal(err)
	}
}

// A waiting is a fiber that makes one call that waits, with a context of
// its own that cancel cancels.
//
// The context is derived inside that fiber and passed to the call; the
// fiber itself runs under the test's context. (A fiber parked on its own
// cancellable context is not counted as wakeable by the deadlock check of
// fiber.Run, so a cancel made on the loop can be reported as a deadlock
// before its wake-up arrives; a context passed to the call is counted.)
type waiting struct {
	name   string
	cancel context.CancelFunc
	f      *future.Future[error]
}

// start starts a fiber that calls wait, appends name to *log when wait
// returns nil, and returns it; the fiber runs once the caller parks or
// yields. With cancelled, the context is cancelled before the call.
func start(ctx context.Context, log *[]string, name string, wait func(ctx context.Context) error) *waiting {
	w := &waiting{name: name}
	w.f = fiber.Go(ctx, func(ctx context.Context) (error, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		w.cancel = cancel
		err := wait(ctx)
		if err == nil && log != nil {
			*log = append(*log, name)
		}
		return err, nil
	})
	return w
}

// startAll starts a waiting per name and lets each run until it parks, so
// that they wait in the order of names.
func startAll(ctx context.Context, log *[]string, wait func(ctx context.Context) error, names ...string) []*waiting {
	ws := make([]*waiting, len(names))
	for i, n := range names {
		ws[i] = start(ctx, log, n, wait)
	}
	settle(ctx)
	return ws
}

// settle lets every other fiber run until it parks: it yields until a
// virtual-time sleep of 1ns has passed, which happens only once the loop
// has nothing else to do. A cancelled ctx does not cut it short.
func settle(ctx context.Context) {
	if err := fiber.Sleep(context.WithoutCancel(ctx), time.Nanosecond); err != nil {
		panic(err)
	}
}

// result awaits w's fiber and returns the error its call returned.
func (w *waiting) result(ctx context.Context) error {
	err, aerr := fiber.Await(ctx, w.f)
	if aerr != nil {
		return fmt.Errorf("%s: fiber failed: %w", w.name, aerr)
	}
	return err
}

// pending fails unless w's call is still waiting.
func (w *waiting) pending(t *testing.T) {
	t.Helper()
	if _, _, ok := w.f.Result(); ok {
		t.Errorf("%s returned; it should still wait", w.name)
	}
}

// wantLog fails unless log is want.
func wantLog(t *testing.T, log []string, want ...string) {
	t.Helper()
	if strings.Join(log, " ") != strings.Join(want, " ") {
		t.Errorf("order %q, want %q", log, want)
	}
}

// wantErr fails unless err matches target (nil: no error).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// panicOf returns the message fn panicked with, or "" if it did not.
func panicOf(fn func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	fn()
	return ""
}

// wantPanic fails unless fn panics with a message containing want.
func wantPanic(t *testing.T, want string, fn func()) {
	t.Helper()
	msg := panicOf(fn)
	if msg == "" {
		t.Errorf("no panic, want %q", want)
	} else if !strings.Contains(msg, want) {
		t.Errorf("panic %q, want %q", msg, want)
	}
}

// wantDeadlock runs main and fails unless fiber.Run reports a deadlock
// with a fiber parked in what.
func wantDeadlock(t *testing.T, what string, main func(ctx context.Context) error) {
	t.Helper()
	err := fiber.Run(context.Background(), main, loop.WithVirtualTime(epoch))
	var d *fiber.DeadlockError
	if !errors.As(err, &d) {
		t.Fatalf("Run returned %v, want a *fiber.DeadlockError", err)
	}
	if !strings.Contains(err.Error(), "parked in "+what) {
		t.Fatalf("deadlock report does not name %q:\n%v", what, err)
	}
}

// cancelled returns a context of the calling fiber that is already done.
func cancelled(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	return ctx
}
