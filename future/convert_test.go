package future_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sourcegraph/conc/panics"
	"go.uber.org/goleak"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// ---- FromChan ----

func TestFromChan_Value(t *testing.T) {
	l := bbLoop(t)
	ch := make(chan string)
	f := future.FromChan(l, ch)
	bbPending(t, f, "FromChan before a send")
	ch <- "hello" // unbuffered: FromChan's goroutine takes it
	if v := bbValue(t, f); v != "hello" {
		t.Fatalf("FromChan = %q, want hello", v)
	}
	// Only the first value is taken.
	buf := make(chan int, 2)
	buf <- 1
	buf <- 2
	if v := bbValue(t, future.FromChan(l, buf)); v != 1 {
		t.Fatalf("FromChan = %d, want 1", v)
	}
	if len(buf) != 1 {
		t.Fatalf("FromChan took %d values, want 1", 2-len(buf))
	}
}

func TestFromChan_ClosedChannel(t *testing.T) {
	l := bbLoop(t)
	ch := make(chan int)
	f := future.FromChan(l, ch)
	close(ch)
	bbErr(t, f, future.ErrChanClosed)
}

func TestFromChan_CancelEndsTheGoroutine(t *testing.T) {
	l := bbLoop(t)
	ignore := goleak.IgnoreCurrent()
	ch := make(chan int)
	f := future.FromChan(l, ch)
	f.Cancel()
	bbErr(t, f, context.Canceled)
	goleak.VerifyNone(t, ignore)
	// Nobody receives any more: a send would block.
	select {
	case ch <- 1:
		t.Fatal("something still receives from the channel of a cancelled FromChan")
	default:
	}
}

func TestFromChan_LoopCloseEndsTheGoroutine(t *testing.T) {
	l := bbRealLoop(t)
	ignore := goleak.IgnoreCurrent()
	ch := make(chan int)
	f := future.FromChan(l, ch)
	bbPeek(t, f) // the loop has taken the call
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, ignore)
	if _, err := bbWait(t, f); !errors.Is(err, loop.ErrClosed) {
		t.Fatalf("Wait on a pending FromChan of a closed loop = %v, want loop.ErrClosed", err)
	}
}

// Made for a closed loop, FromChan leaves no goroutine behind.
func TestFromChan_OnAClosedLoop(t *testing.T) {
	l := bbRealLoop(t)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ignore := goleak.IgnoreCurrent()
	future.FromChan(l, make(chan int))
	goleak.VerifyNone(t, ignore)
}

// ---- ToChan ----

func TestToChan_DeliversOnceThenCloses(t *testing.T) {
	l := bbLoop(t)
	f, p := future.New[int](l)
	ch := future.ToChan(f)
	select {
	case r := <-ch:
		t.Fatalf("ToChan delivered %v before the future settled", r)
	default:
	}
	p.Resolve(4)
	if r := looptest.Recv(t, ch, "ToChan"); r != (future.Result[int]{Value: 4}) {
		t.Fatalf("ToChan delivered %v, want {4 <nil>}", r)
	}
	bbClosed(t, ch, "ToChan")
}

func TestToChan_Rejection(t *testing.T) {
	l := bbLoop(t)
	var ch <-chan future.Result[int]
	looptest.On(t, l, func() { // made on the loop, of a settled future
		ch = future.ToChan(future.Rejected[int](l, errB))
	})
	if r := looptest.Recv(t, ch, "ToChan"); r.Err != errB || r.Value != 0 {
		t.Fatalf("ToChan delivered %v, want {0 %v}", r, errB)
	}
	bbClosed(t, ch, "ToChan")
}

// ---- FromCallback ----

func TestFromCallback_CallbackFromAnotherGoroutine(t *testing.T) {
	l := bbLoop(t)
	var wg sync.WaitGroup
	defer wg.Wait()
	startedBeforeReturn := false
	f := future.FromCallback(l, func(cb func(string, error)) {
		startedBeforeReturn = true
		wg.Go(func() { cb("done", nil) })
	})
	if !startedBeforeReturn {
		t.Fatal("FromCallback returned before calling start")
	}
	if v := bbValue(t, f); v != "done" {
		t.Fatalf("FromCallback = %q, want done", v)
	}
	g := future.FromCallback(l, func(cb func(string, error)) {
		wg.Go(func() { cb("ignored", errC) })
	})
	if _, err := bbWait(t, g); err != errC {
		t.Fatalf("FromCallback = %v, want %v", err, errC)
	}
}

func TestFromCallback_FirstCallWins(t *testing.T) {
	l := bbLoop(t)
	f := future.FromCallback(l, func(cb func(int, error)) {
		cb(1, nil)
		cb(2, nil)
		cb(0, errA)
	})
	if v := bbValue(t, f); v != 1 {
		t.Fatalf("FromCallback = %d, want 1 (the first call)", v)
	}
	g := future.FromCallback(l, func(cb func(int, error)) {
		cb(0, errA)
		cb(2, nil)
	})
	if _, err := bbWait(t, g); err != errA {
		t.Fatalf("FromCallback = %v, want %v", err, errA)
	}
	// A callback called later, on the loop, after the first call settled it.
	var keep func(int, error)
	var h *future.Future[int]
	looptest.On(t, l, func() {
		h = future.FromCallback(l, func(cb func(int, error)) { keep = cb; cb(5, nil) })
	})
	looptest.On(t, l, func() { keep(6, nil) })
	if v := bbValue(t, h); v != 5 {
		t.Fatalf("FromCallback = %d, want 5", v)
	}
}

func TestFromCallback_PanicInStart(t *testing.T) {
	l := bbLoop(t)
	for _, onLoop := range []bool{false, true} {
		var f *future.Future[int]
		mk := func() {
			f = future.FromCallback(l, func(func(int, error)) { panic("start failed") })
		}
		if onLoop {
			looptest.On(t, l, mk)
		} else {
			mk()
		}
		_, err := bbWait(t, f)
		var rec *panics.ErrRecovered
		if !errors.As(err, &rec) {
			t.Fatalf("onLoop=%v: FromCallback = %T %v, want *panics.ErrRecovered", onLoop, err, err)
		}
		if rec.Value != "start failed" || !strings.Contains(string(rec.Stack), "convert_test.go") {
			t.Fatalf("onLoop=%v: recovered %v with a stack that does not name the test:\n%s", onLoop, rec.Value, rec.Stack)
		}
	}
}

// ---- Offload ----

func TestOffload_ResultAndError(t *testing.T) {
	l := bbLoop(t)
	if v := bbValue(t, future.Offload(l, func(context.Context) (int, error) { return 42, nil })); v != 42 {
		t.Fatalf("Offload = %d, want 42", v)
	}
	failed := fmt.Errorf("read: %w", errB)
	if _, err := bbWait(t, future.Offload(l, func(context.Context) (int, error) { return 1, failed })); err != failed {
		t.Fatalf("Offload = %v, want %v", err, failed)
	}
}

func TestOffload_Panic(t *testing.T) {
	l := bbLoop(t)
	_, err := bbWait(t, future.Offload(l, func(context.Context) (int, error) { panic("offloaded") }))
	var rec *panics.ErrRecovered
	if !errors.As(err, &rec) || rec.Value != "offloaded" {
		t.Fatalf("Offload of a panicking fn = %T %v, want *panics.ErrRecovered", err, err)
	}
	if !strings.Contains(string(rec.Stack), "convert_test.go") {
		t.Fatalf("the panic's stack does not name where it happened:\n%s", rec.Stack)
	}
}

func TestOffload_RunsOffTheLoop(t *testing.T) {
	l := bbLoop(t)
	var onLoop atomic.Int32
	fn := func(context.Context) (int, error) {
		if l.OnLoop() {
			onLoop.Add(1)
		}
		return 0, nil
	}
	bbValue(t, future.Offload(l, fn))
	var f *future.Future[int]
	looptest.On(t, l, func() { f = future.Offload(l, fn) }) // called from the loop
	bbValue(t, f)
	if n := onLoop.Load(); n != 0 {
		t.Fatalf("fn ran on the loop %d times", n)
	}
}

// The loop is not blocked while fn runs.
func TestOffload_DoesNotBlockTheLoop(t *testing.T) {
	l := bbLoop(t)
	release := make(chan struct{})
	f := future.Offload(l, func(context.Context) (int, error) { <-release; return 1, nil })
	looptest.On(t, l, func() {}) // would hang if fn ran on the loop
	bbPending(t, f, "Offload while fn runs")
	close(release)
	bbValue(t, f)
}

func TestOffload_ContextCancelledWithTheFuture(t *testing.T) {
	l := bbLoop(t)
	started := make(chan struct{})
	ctxErr := make(chan error, 1)
	f := future.Offload(l, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		ctxErr <- ctx.Err()
		return 0, ctx.Err()
	})
	looptest.Recv(t, started, "Offload start")
	f.Cancel()
	bbErr(t, f, context.Canceled)
	if err := looptest.Recv(t, ctxErr, "fn's ctx"); err != context.Canceled {
		t.Fatalf("fn's ctx ended with %v, want context.Canceled", err)
	}
}

// Once the future settles, fn's context is released (cancelled) too.
func TestOffload_ContextReleasedWhenSettled(t *testing.T) {
	l := bbLoop(t)
	ctxs := make(chan context.Context, 1)
	bbValue(t, future.Offload(l, func(ctx context.Context) (int, error) { ctxs <- ctx; return 1, nil }))
	ctx := <-ctxs
	if ctx.Err() == nil {
		t.Fatal("fn's ctx is still live after the future settled")
	}
}

func TestOffload_ContextCancelledWhenTheLoopCloses(t *testing.T) {
	l := bbRealLoop(t)
	started := make(chan struct{})
	ctxErr := make(chan error, 1)
	f := future.Offload(l, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		ctxErr <- ctx.Err()
		return 0, nil
	})
	looptest.Recv(t, started, "Offload start")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := looptest.Recv(t, ctxErr, "fn's ctx after the loop closed"); err != context.Canceled {
		t.Fatalf("fn's ctx ended with %v, want context.Canceled", err)
	}
	if _, err := bbWait(t, f); !errors.Is(err, loop.ErrClosed) {
		t.Fatalf("Wait = %v, want loop.ErrClosed", err)
	}
}

// On a loop that is already closed, fn still runs, with its ctx cancelled
// from the start, and the future never settles.
func TestOffload_OnAClosedLoop(t *testing.T) {
	l := bbRealLoop(t)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ctxErr := make(chan error, 1)
	f := future.Offload(l, func(ctx context.Context) (int, error) { ctxErr <- ctx.Err(); return 1, nil })
	if err := looptest.Recv(t, ctxErr, "fn's ctx"); err != context.Canceled {
		t.Fatalf("fn's ctx on a closed loop: %v, want context.Canceled", err)
	}
	if _, err := bbWait(t, f); !errors.Is(err, loop.ErrClosed) {
		t.Fatalf("Wait = %v, want loop.ErrClosed", err)
	}
}

// ---- Wait ----

func TestWait_FromAPlainGoroutine(t *testing.T) {
	l := bbLoop(t)
	f, p := future.New[int](l)
	got := make(chan future.Result[int], 1)
	go func() {
		v, err := f.Wait(context.Background())
		got <- future.Result[int]{Value: v, Err: err}
	}()
	p.Resolve(11)
	if r := looptest.Recv(t, got, "Wait"); r != (future.Result[int]{Value: 11}) {
		t.Fatalf("Wait = %v, want {11 <nil>}", r)
	}
	g, q := future.New[int](l)
	q.Reject(errA)
	if _, err := g.Wait(context.Background()); err != errA {
		t.Fatalf("Wait = %v, want %v", err, errA)
	}
}

func TestWait_ContextEndsFirst(t *testing.T) {
	l := bbLoop(t)
	f, p := future.New[int](l)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := f.Wait(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Wait = %v, want context.DeadlineExceeded", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := f.Wait(ctx); err != context.Canceled {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
	// The future is unaffected.
	p.Resolve(1)
	if v := bbValue(t, f); v != 1 {
		t.Fatalf("f = %d, want 1", v)
	}
}

func TestWait_OnTheLoopReturnsErrOnLoop(t *testing.T) {
	l := bbLoop(t)
	pending, _ := future.New[int](l)
	looptest.On(t, l, func() {
		for _, f := range []*future.Future[int]{pending, future.Resolved(l, 1)} {
			if _, err := f.Wait(context.Background()); err != future.ErrOnLoop {
				t.Errorf("Wait on the loop = %v, want future.ErrOnLoop", err)
			}
		}
	})
	// On another loop's goroutine, Wait on a future of this loop blocks
	// as from any goroutine.
	l2 := bbLoop(t)
	var v int
	var err error
	looptest.On(t, l2, func() { v, err = future.Resolved(l, 3).Wait(context.Background()) })
	if v != 3 || err != nil {
		t.Fatalf("Wait from another loop = (%d, %v), want (3, nil)", v, err)
	}
}

// waitingCtx is a context whose Done reports that Wait is about to block on
// it, which Wait only does once its reaction has been Posted.
type waitingCtx struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func (c *waitingCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

func TestWait_LoopClosedWhilePending(t *testing.T) {
	l := bbRealLoop(t)
	f, _ := future.New[int](l)
	ctx := &waitingCtx{Context: context.Background(), waiting: make(chan struct{})}
	got := make(chan error, 1)
	go func() {
		_, err := f.Wait(ctx)
		got <- err
	}()
	looptest.Recv(t, ctx.waiting, "Wait blocking")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := looptest.Recv(t, got, "Wait"); !errors.Is(err, loop.ErrClosed) {
		t.Fatalf("Wait = %v, want loop.ErrClosed", err)
	}
	// Called after the close, too.
	if _, err := f.Wait(context.Background()); !errors.Is(err, loop.ErrClosed) {
		t.Fatalf("Wait after the close = %v, want loop.ErrClosed", err)
	}
}

func TestWait_SettledThenLoopClosedGivesTheResult(t *testing.T) {
	l := bbRealLoop(t)
	f, p := future.New[string](l)
	p.Resolve("kept")
	if _, _, ok := bbPeek(t, f); !ok {
		t.Fatal("not settled")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if v, err := f.Wait(context.Background()); v != "kept" || err != nil {
		t.Fatalf("Wait after the loop closed = (%q, %v), want (kept, nil)", v, err)
	}
}

// ---- Bind ----

func TestBind_Cancel(t *testing.T) {
	l := bbLoop(t)
	ctx, cancel := context.WithCancel(context.Background())
	f, _ := future.New[int](l)
	if f.Bind(ctx) != f {
		t.Fatal("Bind does not return its future")
	}
	bbPending(t, f, "bound future before its ctx ends")
	cancel()
	bbErr(t, f, context.Canceled)
}

func TestBind_Deadline(t *testing.T) {
	l := bbLoop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	f, _ := future.New[int](l)
	f.Bind(ctx)
	_, err := bbWait(t, f)
	if err != context.DeadlineExceeded {
		t.Fatalf("bound future = %v, want context.DeadlineExceeded", err)
	}
}

func TestBind_AlreadyDoneContext(t *testing.T) {
	l := bbLoop(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, _ := future.New[int](l)
	f.Bind(ctx)
	bbErr(t, f, context.Canceled)

	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	var g *future.Future[int]
	looptest.On(t, l, func() { g, _ = future.New[int](l); g.Bind(ctx) }) // bound on the loop
	bbErr(t, g, context.DeadlineExceeded)

	// A settled future stays as it is.
	if v := bbValue(t, future.Resolved(l, 8).Bind(ctx)); v != 8 {
		t.Fatalf("Bind changed a settled future to %d", v)
	}
}

// Bind releases what Delay and FromChan hold, as Cancel does.
func TestBind_ReleasesResources(t *testing.T) {
	l := bbRealLoop(t) // real time: the hour cannot pass first
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	var d *future.Future[int]
	looptest.On(t, l, func() { d = future.Delay(l, time.Hour, 1).Bind(ctx) })
	fc := future.FromChan(l, make(chan int)).Bind(ctx)
	cancel()
	bbErr(t, d, context.Canceled)
	bbErr(t, fc, context.Canceled)
	if s := bbSettleStats(t, l); s.TimersPending != 0 {
		t.Fatalf("%d timers pending after the bound Delay was cancelled", s.TimersPending)
	}
	goleak.VerifyNone(t, ignore)
}

// afterFuncCtx is a context, never done, that counts what context.AfterFunc
// registers on it (through its AfterFunc method) and what is stopped. It
// embeds no context of the standard library, which context.AfterFunc would
// use instead.
type afterFuncCtx struct {
	done    chan struct{}
	mu      sync.Mutex
	fns     []func()
	stopped int
}

func (c *afterFuncCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *afterFuncCtx) Done() <-chan struct{}       { return c.done }
func (c *afterFuncCtx) Err() error                  { return nil }
func (c *afterFuncCtx) Value(any) any               { return nil }

func (c *afterFuncCtx) AfterFunc(f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fns = append(c.fns, f)
	i := len(c.fns) - 1
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.fns[i] == nil {
			return false
		}
		c.fns[i] = nil
		c.stopped++
		return true
	}
}

func (c *afterFuncCtx) counts() (registered, live, stopped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.fns {
		if f != nil {
			live++
		}
	}
	return len(c.fns), live, c.stopped
}

func TestBind_ReleasedOnceSettled(t *testing.T) {
	l := bbLoop(t)
	ctx := &afterFuncCtx{done: make(chan struct{})}
	f, p := future.New[int](l)
	f.Bind(ctx)
	bbPending(t, f, "bound future")
	if reg, live, _ := ctx.counts(); reg != 1 || live != 1 {
		t.Fatalf("Bind registered %d AfterFuncs (%d live), want 1", reg, live)
	}
	p.Resolve(3)
	if v := bbValue(t, f); v != 3 {
		t.Fatalf("f = %d, want 3", v)
	}
	// Released when f settled, before its reactions ran.
	if _, live, stopped := ctx.counts(); live != 0 || stopped != 1 {
		t.Fatalf("after f settled: %d AfterFuncs live, %d stopped; want 0 and 1", live, stopped)
	}
	// Bound after it settled: released at once.
	f.Bind(ctx)
	bbPeek(t, f)
	if reg, live, _ := ctx.counts(); reg != 2 || live != 0 {
		t.Fatalf("Bind of a settled future: %d registered, %d live; want 2 and 0", reg, live)
	}

	// With a real context: cancelling it later changes nothing.
	ctx2, cancel2 := context.WithCancel(context.Background())
	g, q := future.New[int](l)
	g.Bind(ctx2)
	q.Resolve(4)
	bbValue(t, g)
	cancel2()
	looptest.On(t, l, func() {})
	if v, err, _ := bbPeek(t, g); v != 4 || err != nil {
		t.Fatalf("g = (%d, %v) after its ctx was cancelled, want (4, nil)", v, err)
	}
}

// A context that is never done costs nothing and changes nothing.
func TestBind_BackgroundContext(t *testing.T) {
	l := bbLoop(t)
	f, p := future.New[int](l)
	f.Bind(context.Background())
	p.Resolve(2)
	if v := bbValue(t, f); v != 2 {
		t.Fatalf("f = %d, want 2", v)
	}
}

// ---- Cancel ----

func TestCancel_PendingFuture(t *testing.T) {
	l := bbLoop(t)
	f, p := future.New[int](l)
	var ran []error // loop-owned
	looptest.On(t, l, func() {
		f.OnSettled(func(_ int, err error) { ran = append(ran, err) })
		f.OnSettled(func(_ int, err error) { ran = append(ran, err) })
	})
	f.Cancel()
	bbErr(t, f, context.Canceled)
	p.Resolve(1) // too late
	looptest.On(t, l, func() {
		if len(ran) != 2 || ran[0] != context.Canceled || ran[1] != context.Canceled {
			t.Errorf("reactions saw %v, want context.Canceled twice", ran)
		}
	})
	if _, err, _ := bbPeek(t, f); err != context.Canceled {
		t.Fatalf("a later Resolve changed the cancelled future to %v", err)
	}
}

func TestCancel_SettledFutureIsANoOp(t *testing.T) {
	l := bbLoop(t)
	r := future.Resolved(l, 1)
	r.Cancel()
	if v := bbValue(t, r); v != 1 {
		t.Fatalf("Resolved after Cancel = %d, want 1", v)
	}
	f, p := future.New[int](l)
	looptest.On(t, l, func() {
		p.Reject(errA)
		f.Cancel()
	})
	if _, err := bbWait(t, f); err != errA {
		t.Fatalf("rejected future after Cancel = %v, want %v", err, errA)
	}
}

// Cancel overrides a Follow: the follower gives up, the followed is left.
func TestCancel_FollowingFuture(t *testing.T) {
	l := bbLoop(t)
	g, q := future.New[int](l)
	f, p := future.New[int](l)
	p.Follow(g)
	f.Cancel()
	bbErr(t, f, context.Canceled)
	bbPending(t, g, "the followed future")
	q.Resolve(1)
	if v := bbValue(t, g); v != 1 {
		t.Fatalf("g = %d", v)
	}
}

func TestCancel_FromManyGoroutines(t *testing.T) {
	l := bbLoop(t)
	f, p := future.New[int](l)
	var runs atomic.Int32
	f.OnSettled(func(int, error) { runs.Add(1) })
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(f.Cancel)
	}
	wg.Go(func() { p.Resolve(1) })
	wg.Wait()
	v, err := bbWait(t, f)
	if !(err == nil && v == 1 || err == context.Canceled) {
		t.Fatalf("f = (%d, %v), want 1 or context.Canceled", v, err)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("reaction ran %d times, want 1", n)
	}
}

// ---- Settling from other goroutines ----

// Many goroutines race to settle one future, while others register
// reactions: there is exactly one outcome, every reaction sees it, and every
// reaction runs exactly once. Run with -race.
func TestSettle_RaceFromManyGoroutines(t *testing.T) {
	seed := bbSeed(t)
	rng := rand.New(rand.NewPCG(seed, 4))
	l := bbLoop(t)
	const rounds, settlers, reactions = 50, 12, 24
	for round := range rounds {
		f, p := future.New[int](l)
		errs := make([]error, settlers)
		for i := range errs {
			errs[i] = fmt.Errorf("settler %d", i)
		}
		var counts [reactions]atomic.Int32
		var seen [reactions]future.Result[int] // each written by its own reaction, on the loop
		var chans [reactions]<-chan future.Result[int]
		start := make(chan struct{})
		var wg sync.WaitGroup
		kinds := make([]int, settlers+reactions)
		for i := range kinds {
			kinds[i] = rng.IntN(4)
		}
		for i := range settlers {
			wg.Go(func() {
				<-start
				switch kinds[i] {
				case 0:
					p.Resolve(i)
				case 1:
					p.Reject(errs[i])
				case 2:
					p.Settle(i, nil)
				default:
					p.Settle(0, errs[i])
				}
			})
		}
		for r := range reactions {
			wg.Go(func() {
				<-start
				switch kinds[settlers+r] % 2 {
				case 0:
					f.OnSettled(func(v int, err error) {
						counts[r].Add(1)
						seen[r] = future.Result[int]{Value: v, Err: err}
					})
				default:
					chans[r] = future.ToChan(f)
				}
			})
		}
		close(start)
		wg.Wait()
		want, err := bbWait(t, f)
		outcome := future.Result[int]{Value: want, Err: err}
		if err == nil {
			if want < 0 || want >= settlers || kinds[want] > 0 && kinds[want] != 2 {
				t.Fatalf("round %d: fulfilled with %d, which no settler gave", round, want)
			}
		} else if !slices.Contains(errs, err) {
			t.Fatalf("round %d: rejected with %v, which no settler gave", round, err)
		}
		looptest.On(t, l, func() {}) // every registration has reached the loop and run
		for r := range reactions {
			if chans[r] != nil {
				got := looptest.Recv(t, chans[r], "ToChan")
				if got != outcome {
					t.Fatalf("round %d: ToChan %d saw %v, want %v", round, r, got, outcome)
				}
				bbClosed(t, chans[r], fmt.Sprintf("round %d: ToChan %d", round, r))
				continue
			}
			if n := counts[r].Load(); n != 1 {
				t.Fatalf("round %d: reaction %d ran %d times, want 1", round, r, n)
			}
			var got future.Result[int]
			looptest.On(t, l, func() { got = seen[r] })
			if got != outcome {
				t.Fatalf("round %d: reaction %d saw %v, want %v", round, r, got, outcome)
			}
		}
	}
}
