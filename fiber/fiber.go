package fiber

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/debugbuild"
	"github.com/weftio/weft/internal/gid"
	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/loop"
)

// Run makes a loop, runs main on it as the first fiber, and returns once
// main and every fiber started after it are done, with main's error. The
// loop runs on the calling goroutine and is closed before Run returns;
// opts configure it (loop.WithVirtualTime, for one).
//
// Run returns a *DeadlockError instead of hanging when every fiber is
// parked and nothing can wake them: no timer, no I/O, no pending promise,
// no Blocking call, no Post on the way, and ctx cannot be cancelled. A
// panic in main is returned as an error carrying its stack
// (*panics.ErrRecovered); a panic in another fiber rejects its future.
//
// If a fiber calls runtime.Goexit (testing.T.FailNow does), the fiber
// ends, its deferred calls run, every other fiber is killed (unwound,
// their deferred calls run) and the goroutine that called Run exits as
// Goexit demands: in a test, t.FailNow inside a fiber ends the test as it
// would outside.
func Run(ctx context.Context, main func(ctx context.Context) error, opts ...loop.Option) error {
	if main == nil {
		panic("fiber: Run with a nil func")
	}
	l, err := loop.New(opts...)
	if err != nil {
		return err
	}
	s := newSched(l)
	s.loopGid = gid.Current()
	s.initDebug()
	scheds.Store(l, s)
	defer scheds.Delete(l)
	var result error
	loopctl.SetAdvanceHook(l, s.wakeCancelled)
	loopctl.SetStuckHook(l, func() bool {
		return s.stuck(func(err error) {
			result = err
			l.Stop()
		})
	})
	s.onIdle = l.Stop
	killed := 0
	l.OnClose(func() { killed = s.kill() })
	if ctx.Done() != nil {
		// Run's context can wake fibers from outside: while it may, the
		// loop is never stuck.
		loopctl.HoldRemote(l, 1)
		defer context.AfterFunc(ctx, func() { loopctl.HoldRemote(l, -1) })()
	}
	_ = l.Post(func() {
		m := &mainFiber{fn: main, result: &result}
		s.start(&m.fiber, ctx, m)
	})
	runErr := l.Run()
	closeErr := l.Close()
	switch {
	case runErr != nil:
		return runErr
	case closeErr != nil:
		return closeErr
	case killed > 0 && result == nil:
		return fmt.Errorf("fiber: %d fibers were still alive when the loop stopped and were killed", killed)
	}
	return result
}

// mainFiber is Run's main fiber, which sets Run's result.
type mainFiber struct {
	fiber
	fn     func(ctx context.Context) error
	result *error
}

// The runners' run methods call the user's function directly, and their
// deferred end recovers its panic there, in the fiber's own frames (on the
// loop side the stack would be gone): recovered turns it into an error
// carrying the panic's stack. errKilled, which unwinds a fiber whose loop
// closed, ends the fiber with nothing to report. recover is nil after a
// normal return and under runtime.Goexit, which goes on unwinding (see
// Run). Each frame between the coroutine and the user's function costs
// stack in every parked fiber, so there is no helper in between.

func (m *mainFiber) run(fb *fiber) {
	defer m.end()
	m.set(fb.traced(m.fn(fb)))
}

func (m *mainFiber) end() {
	if v := recover(); v != nil && v != errKilled { //nolint: a sentinel value
		m.set(m.tracedPanic(recovered(v)))
	}
}

func (m *mainFiber) set(err error) {
	if !m.s.closing { // a killed main that recovered must not hide why
		*m.result = err
	}
}

func (m *mainFiber) entry() uintptr { return funcPC(m.fn) }

func funcPC(fn any) uintptr { return reflect.ValueOf(fn).Pointer() }

// current returns the fiber ctx belongs to, and panics unless the caller
// is that fiber, running now: a fiber-facing call from any other goroutine
// would switch coroutines it does not own and hang the loop, so it must
// fail loudly instead. The check costs a context lookup and an OnLoop (a
// few nanoseconds, BenchmarkCurrent in internal/gid).
func current(ctx context.Context, op string) *fiber {
	fb, ok := ctx.(*fiber)
	if !ok {
		fb, _ = ctx.Value(fiberKey{}).(*fiber)
	}
	if fb == nil {
		panic("fiber: " + op + " with a context that belongs to no fiber")
	}
	if !fb.s.l.OnLoop() || fb.s.running != fb {
		panic("fiber: " + op + " called outside the fiber that owns the context (from another goroutine, task or fiber)")
	}
	return fb
}

// parkCtx parks fb until woken or ctx is done, and returns ctx's error in
// the second case.
func (fb *fiber) parkCtx(ctx context.Context, what string) error {
	if err := ctx.Err(); err != nil {
		// No park, but the wakes armed for it (an Await's reaction, a
		// Waiter) must go stale, or they would wake the next park.
		fb.seq++
		return err
	}
	if ctx.Done() == nil {
		return fb.park(what)
	}
	if ctx != context.Context(fb) {
		return fb.parkOther(ctx, what)
	}
	// The fiber's own context, watched since the fiber started (start).
	// This path is kept lean: every fiber parked on a socket is parked
	// here, and the frames of the park are stack each one keeps
	// (docs/fiber.md).
	s := fb.s
	s.watch(fb, fb)
	err := fb.park(what)
	s.unwatch(fb)
	return err
}

// parkOther is parkCtx on a context other than the fiber's own.
func (fb *fiber) parkOther(ctx context.Context, what string) error {
	l, s := fb.s.l, fb.s
	seq := fb.seq + 1
	// A context of its own can wake the loop from outside while it waits.
	loopctl.Hold(l, 1)
	stop := context.AfterFunc(ctx, func() {
		_ = l.Post(func() { fb.wake(seq, ctx.Err()) })
	})
	s.watch(fb, ctx)
	err := fb.park(what)
	s.unwatch(fb)
	stop()
	loopctl.Hold(l, -1)
	return err
}

// scheds maps each loop that Run drives to its fibers, for Self.
var scheds sync.Map // *loop.Loop -> *sched

// Self returns the context of the fiber of l that is calling, or nil if
// the caller is not a fiber of l running now (another goroutine, a plain
// task of the loop, a loop that Run does not drive). It is for methods
// that get no context but must park their caller, such as a net.Conn's
// Read (package weft/netpoll): they find the fiber here and pass its
// context to Suspend. It costs a map look-up and an OnLoop.
func Self(l *loop.Loop) context.Context {
	v, ok := scheds.Load(l)
	if !ok || !l.OnLoop() {
		return nil
	}
	if fb := v.(*sched).running; fb != nil {
		return fb
	}
	return nil
}

// Loop returns the loop the calling fiber runs on, to make futures that
// belong to it (future.New, future.Delay, future.Resolved). Only a fiber
// may call it.
func Loop(ctx context.Context) *loop.Loop { return current(ctx, "Loop").s.l }

// Go starts fn as a new fiber on the calling fiber's loop and returns the
// future of its results. The new fiber's context is ctx (it is cancelled
// when ctx is); fn runs after the caller parks or yields, never inside
// Go. A panic in fn rejects the future with the panic and its stack. Only
// a fiber may call Go. It costs one allocation, the fiber with fn and the
// future (docs/benchmarks.md); finished fibers' coroutines are reused, so
// it starts no goroutine once the loop has run as many fibers at once
// before.
func Go[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) *future.Future[T] {
	if fn == nil {
		panic("fiber: Go with a nil func")
	}
	parent := current(ctx, "Go")
	g := &goFiber[T]{fn: fn}
	// The future is part of the fiber (future.Init): it is not a hold on
	// the loop, since the fiber settles it and the deadlock check sees the
	// fiber itself.
	g.p = g.fut.Init(parent.s.l)
	parent.s.start(&g.fiber, ctx, g)
	return &g.fut
}

// goFiber is a fiber started by Go: the fiber, its function and the
// future of its results in one allocation instead of four. The future
// keeps the rest alive while someone holds it: 192 bytes for a
// Future[struct{}].
type goFiber[T any] struct {
	fiber
	fut future.Future[T]
	fn  func(ctx context.Context) (T, error)
	p   future.Promise[T]
}

func (g *goFiber[T]) run(fb *fiber) {
	defer g.end()
	v, err := g.fn(fb)
	g.fn = nil
	g.p.Settle(v, fb.traced(err))
}

func (g *goFiber[T]) end() {
	if v := recover(); v != nil && v != errKilled { //nolint: a sentinel value
		g.fn = nil
		g.p.Settle(*new(T), g.tracedPanic(recovered(v)))
	}
}

func (g *goFiber[T]) entry() uintptr { return funcPC(g.fn) }

// Await parks the calling fiber until f settles and returns its value and
// error, or returns ctx's error if ctx is done first (f goes on). A future
// already settled returns at once, without parking. f may belong to
// another loop. Only a fiber may call Await.
func Await[T any](ctx context.Context, f *future.Future[T]) (T, error) {
	fb := current(ctx, "Await")
	l := fb.s.l
	if f.Loop() == l {
		if v, err, ok := f.Result(); ok {
			if err != nil {
				f.React(observed{}) // not an unhandled rejection
			}
			return v, err
		}
		if debugbuild.Enabled && fb.s.dbg != nil {
			fb.s.dbg.awaiting(fb, f)
		}
		// A job wakes the fiber, which then reads the outcome itself: the
		// fiber's own, unless an Await cancelled earlier left it attached
		// to a future still pending.
		var err error
		if !fb.awaitBusy {
			fb.awaitBusy, fb.awaitLive = true, true
			f.React((*awaitWake)(fb))
			err = fb.parkCtx(ctx, "Await")
			fb.awaitLive = false
		} else {
			f.React(&awaitJob{fb: fb, seq: fb.seq + 1})
			err = fb.parkCtx(ctx, "Await")
		}
		if err != nil {
			var zero T
			return zero, err
		}
		v, err, _ := f.Result()
		return v, err
	}
	var (
		v    T
		ferr error
		seq  = fb.seq + 1
	)
	if debugbuild.Enabled && fb.s.dbg != nil {
		fb.s.dbg.awaiting(fb, f)
	}
	// A future of another loop: its outcome crosses to this loop by Post,
	// and this loop is not stuck while it waits for that.
	loopctl.Hold(l, 1)
	defer loopctl.Hold(l, -1)
	f.OnSettled(func(x T, err error) {
		_ = l.Post(func() {
			if fb.wake(seq, nil) {
				v, ferr = x, err
			}
		})
	})
	if err := fb.parkCtx(ctx, "Await"); err != nil {
		var zero T
		return zero, err
	}
	return v, ferr
}

// observed is a reaction that does nothing: attaching it marks a
// rejection as observed, without allocating.
type observed struct{}

func (observed) Run() {}

// awaitWake is a fiber seen as the reaction that wakes it from an Await
// of a future of its own loop: an Await allocates nothing. A fiber has one;
// it stays attached (awaitBusy) until its future settles, even if the
// Await ended first on its context, and it wakes the fiber only if the
// fiber is still in that Await (awaitLive).
type awaitWake fiber

func (w *awaitWake) Run() {
	fb := (*fiber)(w)
	fb.awaitBusy = false
	if fb.awaitLive {
		fb.wake(fb.seq, nil)
	}
}

// awaitJob wakes a fiber awaiting a future of its own loop while its own
// awaitWake is still attached elsewhere.
type awaitJob struct {
	fb  *fiber
	seq uint64
}

func (j *awaitJob) Run() { j.fb.wake(j.seq, nil) }

// Yield lets the other ready fibers and tasks of the loop run, then
// resumes the caller. It returns ctx's error if ctx is done. Only a fiber
// may call it.
func Yield(ctx context.Context) error {
	fb := current(ctx, "Yield")
	if err := ctx.Err(); err != nil {
		return err
	}
	fb.seq++
	fb.state = ready
	fb.s.l.ScheduleJob(fb)
	fb.suspend()
	return nil
}

// Sleep parks the calling fiber for d on its loop's clock (virtual time
// included), or until ctx is done, whose error it then returns. Only a
// fiber may call it.
func Sleep(ctx context.Context, d time.Duration) error {
	fb := current(ctx, "Sleep")
	seq := fb.seq + 1
	// A context done before the timer fires (cancelled by a fiber of this
	// loop, its wake still on the way) ends the Sleep with its error.
	t := fb.s.l.AfterFunc(d, func() { fb.wake(seq, ctx.Err()) })
	err := fb.parkCtx(ctx, "Sleep")
	t.Stop()
	return err
}

// Blocking runs fn on weft's offload pool (a bounded set of worker
// goroutines, see future.Offload) and parks the calling fiber until it
// returns: the way to call something that blocks the thread (a file read
// without io_uring, a cgo call, DNS) from a fiber without blocking its
// loop. If ctx is done first, Blocking returns ctx's error and cancels the
// context fn was given. Only a fiber may call it.
func Blocking[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	fb := current(ctx, "Blocking")
	f := future.Offload(fb.s.l, fn)
	v, err := Await(ctx, f)
	if err != nil && ctx.Err() != nil {
		f.Cancel()
	}
	return v, err
}
