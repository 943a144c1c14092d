package future

import (
	"context"
	"errors"
	"runtime"

	"github.com/weftio/weft/internal/debugbuild"
	"github.com/weftio/weft/internal/loopctl"
	"github.com/weftio/weft/internal/loopdebug"
	"github.com/weftio/weft/loop"
)

// state is where a future is in its life. It only moves from pending.
type state uint8

const (
	pending state = iota
	fulfilled
	rejected
)

// A Future is a value of type T, or an error, that will be known later. It
// belongs to one loop: its reactions run there, as microtasks, in the order
// they were registered, each exactly once. Once settled it never changes.
//
// A *Future is safe to use from any goroutine. Code running on the loop
// acts on it at once; any other goroutine's call is Posted to the loop and
// acts when the loop gets to it (see the package documentation).
type Future[T any] struct {
	l *loop.Loop
	// Owned by the loop goroutine.
	st      state
	locked  bool // resolved with a pending future: later settles are ignored
	handled bool // a reaction was attached: a rejection is not "unhandled"
	held    bool // counted in the loop's holds until settled (see New)
	value   T
	first   loop.Job  // the first reaction, kept inline: most futures have one
	x       *extra[T] // what only some futures need
}

// extra holds what only some futures need, so that the common one (a value,
// one reaction) stays at 48 bytes for a word-sized T: every future pays
// for every word of Future, and on this class of machine allocation is
// most of what a future costs (BenchmarkFuture_CreateSettleReact's
// alloc-floor; BenchmarkFuture_Alloc for sizes).
type extra[T any] struct {
	err     error
	origin  uintptr         // pc of where the rejection came from
	rec     *record         // unhandled-rejection bookkeeping
	release []func()        // run when the future settles: stop timers, goroutines
	more    []loop.Job      // reactions after the first, in registration order
	follows *Future[T]      // the pending future this one was resolved with (cycle check)
	site    *loopdebug.Site // where the future was made, in debug mode (debug.go)
}

// ext returns f's extra part, making it on first use. Loop goroutine only.
func (f *Future[T]) ext() *extra[T] {
	if f.x == nil {
		f.x = &extra[T]{}
	}
	return f.x
}

// error returns f's rejection, nil unless f is rejected.
func (f *Future[T]) error() error {
	if f.st != rejected {
		return nil
	}
	return f.x.err
}

// following returns the pending future f was resolved with, if any.
func (f *Future[T]) following() *Future[T] {
	if f.x == nil {
		return nil
	}
	return f.x.follows
}

// A Promise settles the future it was made with. It is a small value; copy
// it freely. Every method is safe from any goroutine; only the first
// settling call has an effect (Resolve, Reject, Settle, Follow or the
// future's Cancel), later ones are ignored.
type Promise[T any] struct{ f *Future[T] }

// New returns a pending future that belongs to l, and the promise that
// settles it. It costs one allocation (40 bytes plus the size of T) and
// may be called from any goroutine.
//
// Until it settles, the future counts as something that may still wake
// l (the promise may be in any goroutine's hands), so the fiber runtime
// does not report a deadlock while one is pending. A promise dropped
// without settling its future therefore keeps that check from firing for
// l, never the other way round.
func New[T any](l *loop.Loop) (*Future[T], Promise[T]) {
	f := &Future[T]{l: l, held: true}
	if debugbuild.Enabled && l.Debugging() {
		f.made()
	}
	if l.OnLoop() {
		loopctl.Hold(l, 1)
	} else {
		loopctl.HoldRemote(l, 1)
	}
	return f, Promise[T]{f}
}

// Init makes f, a zero Future embedded in a larger struct, a pending
// future of l and returns its promise: New without an allocation of its
// own, for a type that carries the future it settles (a fiber started by
// package fiber carries its result this way). Unlike New's, the future
// does not count as a hold on l (see New): the code that embeds it is the
// one that settles it, and a deadlock check sees that code for itself.
// f must be a zero Future that was never used; it must not be copied
// afterwards. Init touches only f.
func (f *Future[T]) Init(l *loop.Loop) Promise[T] {
	if f.l != nil {
		panic("future: Init of a future already in use")
	}
	f.l = l
	return Promise[T]{f}
}

// newFuture returns a pending future of l for this package's own use: it
// is settled by code of this package (a combinator, a timer, a reaction),
// so it is not counted as a hold on l.
func newFuture[T any](l *loop.Loop) *Future[T] {
	f := &Future[T]{l: l}
	if debugbuild.Enabled && l.Debugging() {
		f.made()
	}
	return f
}

// Resolved returns a future of l already fulfilled with v. Safe from any
// goroutine.
func Resolved[T any](l *loop.Loop, v T) *Future[T] {
	return &Future[T]{l: l, st: fulfilled, value: v}
}

// Rejected returns a future of l already rejected with err, which must not
// be nil. Like every rejection, it is reported if nothing observes it.
// Safe from any goroutine.
func Rejected[T any](l *loop.Loop, err error) *Future[T] {
	if err == nil {
		panic("future: Rejected with a nil error")
	}
	f := &Future[T]{l: l, st: rejected}
	f.x = &extra[T]{err: err, origin: callerPC(2)}
	if !errors.Is(err, context.Canceled) {
		f.track()
	}
	return f
}

// Future returns the future p settles.
func (p Promise[T]) Future() *Future[T] { return p.f }

// Resolve fulfils the future with v.
func (p Promise[T]) Resolve(v T) {
	var zero error
	p.f.settleFrom(v, zero, 0)
}

// Reject rejects the future with err, which must not be nil.
func (p Promise[T]) Reject(err error) {
	if err == nil {
		panic("future: Reject with a nil error")
	}
	var zero T
	p.f.settleFrom(zero, err, callerPC(2))
}

// Settle fulfils the future with v if err is nil and rejects it with err
// otherwise: the shape of a Go call's results.
func (p Promise[T]) Settle(v T, err error) {
	var pc uintptr
	if err != nil {
		pc = callerPC(2)
	}
	p.f.settleFrom(v, err, pc)
}

// Follow resolves the future with g: it will settle as g settles, with the
// same value or error, and later settling calls are ignored. If g is the
// future itself, or (on the same loop) follows it through any number of
// futures, the future is rejected with ErrCycle instead.
func (p Promise[T]) Follow(g *Future[T]) {
	f := p.f
	if g == nil {
		panic("future: Follow of a nil future")
	}
	on(f.l, func() { f.follow(g) })
}

// settleFrom settles f from any goroutine; pc is where a rejection came from.
func (f *Future[T]) settleFrom(v T, err error, pc uintptr) {
	if f.l.OnLoop() {
		f.resolve(v, err, pc)
		return
	}
	// The loop is closed if Post fails; the future goes with it.
	_ = f.l.Post(func() { f.resolve(v, err, pc) })
}

// resolve is a settling call made from outside: ignored once f is settled
// or follows another future. Loop goroutine only.
func (f *Future[T]) resolve(v T, err error, pc uintptr) {
	if f.st == pending && !f.locked {
		f.settle(v, err, pc)
	}
}

// settle moves f out of pending and queues its reactions, in registration
// order, as microtasks: none runs inside this call. Loop goroutine only.
func (f *Future[T]) settle(v T, err error, pc uintptr) {
	if f.st != pending {
		return
	}
	if f.held {
		f.held = false
		loopctl.Hold(f.l, -1)
	}
	if g := f.following(); g != nil && g.st == pending {
		// f settles before the future it follows (Cancel, Bind, Timeout).
		// Futures that follow f may point past it at that pending future
		// (path splitting, see follow); they take f's outcome and wait for
		// nothing else now, so forget their chains, or a later Follow
		// would see a cycle that is not there.
		f.unfollowFollowers()
	}
	if f.x != nil {
		f.x.follows = nil
	}
	if err != nil {
		x := f.ext()
		f.st, x.err, x.origin = rejected, err, pc
		// A cancellation is not an error anyone forgot: whoever
		// cancelled knows (asyncio does not report it either).
		if !f.handled && !errors.Is(err, context.Canceled) {
			f.track()
		}
	} else {
		f.st, f.value = fulfilled, v
	}
	if f.x != nil && f.x.release != nil {
		rel := f.x.release
		f.x.release = nil
		for _, r := range rel {
			r()
		}
	}
	if f.first != nil {
		f.l.MicrotaskJob(f.first)
		f.first = nil
		if f.x != nil {
			for i, r := range f.x.more {
				f.l.MicrotaskJob(r)
				f.x.more[i] = nil
			}
			f.x.more = nil
		}
	}
}

// react registers r to run once f is settled: queued at once if it already
// is. Loop goroutine only; see reactFrom for any other.
func (f *Future[T]) react(r loop.Job) {
	if !f.handled {
		f.handled = true
		if f.x != nil && f.x.rec != nil {
			f.x.rec.observe()
		}
	}
	if f.st != pending {
		f.l.MicrotaskJob(r)
		return
	}
	if f.first == nil {
		// first is cleared only when f settles, so a pending f with an
		// empty first has no reactions at all.
		f.first = r
		return
	}
	x := f.ext()
	x.more = append(x.more, r)
}

// reactFrom is react from any goroutine. A registration made off the loop
// reaches it by Post; if the loop is closed, r never runs.
func (f *Future[T]) reactFrom(r loop.Job) {
	if f.l.OnLoop() {
		f.react(r)
		return
	}
	_ = f.l.Post(func() { f.react(r) })
}

// follow resolves f with g. Loop goroutine only.
func (f *Future[T]) follow(g *Future[T]) {
	if f.st != pending || f.locked {
		return
	}
	if g == f {
		f.settle(*new(T), ErrCycle, callerPC(3))
		return
	}
	if g.l != f.l {
		// g's state belongs to another loop: register there, settle here.
		f.locked = true
		g.reactFrom(&adoptNode[T]{f: f, src: g, remote: true})
		return
	}
	if g.st == pending {
		// Walk to the future g finally waits for. Each step points the
		// future it leaves at its grandparent (path splitting), so long
		// chains stay cheap to check again.
		for r := g; r != nil; {
			if r == f {
				f.settle(*new(T), ErrCycle, callerPC(3))
				return
			}
			n := r.following()
			if n != nil {
				if nn := n.following(); nn != nil {
					r.x.follows = nn
				}
			}
			r = n
		}
		f.ext().follows = g
	}
	f.locked = true
	g.react(&adoptNode[T]{f: f, src: g})
}

// unfollowFollowers clears follows on every pending future of f's loop
// that follows f, directly or through others: the adoptions registered on
// f, on them, and so on. Loop goroutine only.
func (f *Future[T]) unfollowFollowers() {
	stack := []*Future[T]{f}
	visit := func(j loop.Job) {
		if a, ok := j.(*adoptNode[T]); ok && !a.remote && a.f != nil && a.f.st == pending && a.f.following() != nil {
			a.f.x.follows = nil
			stack = append(stack, a.f)
		}
	}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g.first != nil {
			visit(g.first)
		}
		if g.x != nil {
			for _, j := range g.x.more {
				visit(j)
			}
		}
	}
}

// adoptNode settles f with src's outcome once src settles.
type adoptNode[T any] struct {
	f, src *Future[T]
	remote bool // src lives on another loop than f
}

func (a *adoptNode[T]) Run() {
	f, src := a.f, a.src
	a.f, a.src = nil, nil
	v, err, pc := src.value, src.error(), src.originPC()
	if a.remote {
		on(f.l, func() { f.settle(v, err, pc) })
		return
	}
	f.settle(v, err, pc)
}

// originPC is where f's rejection came from, 0 if unknown.
func (f *Future[T]) originPC() uintptr {
	if f.x == nil {
		return 0
	}
	return f.x.origin
}

// Loop returns the loop f belongs to.
func (f *Future[T]) Loop() *loop.Loop { return f.l }

// Result returns f's value and error and true once f is settled, and false
// while it is pending. Loop goroutine only (elsewhere, use Wait or ToChan);
// it does not count as observing a rejection.
func (f *Future[T]) Result() (T, error, bool) {
	if f.st == pending {
		var zero T
		return zero, nil, false
	}
	return f.value, f.error(), true
}

// Cancel rejects f with context.Canceled if it is still pending, even if it
// follows another future, and releases what f holds: its timers, the
// goroutine of FromChan, the context of Offload. Reactions already
// registered run with the rejection. Safe from any goroutine.
func (f *Future[T]) Cancel() { f.cancelFrom(context.Canceled) }

// cancelFrom rejects f with err from any goroutine, overriding a follow.
func (f *Future[T]) cancelFrom(err error) {
	pc := callerPC(3)
	on(f.l, func() { f.settle(*new(T), err, pc) })
}

// Bind ties f to ctx: when ctx is done before f settles, f is rejected with
// ctx.Err() (context.Canceled or context.DeadlineExceeded, for errors.Is)
// and its timers and goroutines are released as by Cancel. Once f settles
// the tie is undone. It returns f. Safe from any goroutine; it costs one
// context.AfterFunc registration.
func (f *Future[T]) Bind(ctx context.Context) *Future[T] {
	if ctx.Done() == nil {
		return f // never cancelled
	}
	// Held while bound: the context can wake the loop from outside.
	loopctl.HoldRemote(f.l, 1)
	stop := context.AfterFunc(ctx, func() { f.cancelFrom(ctx.Err()) })
	f.onRelease(func() {
		stop()
		loopctl.HoldRemote(f.l, -1)
	})
	return f
}

// onRelease arranges for r to run when f settles, or at once if it has.
// Safe from any goroutine.
func (f *Future[T]) onRelease(r func()) {
	add := func() {
		if f.st != pending {
			r()
			return
		}
		x := f.ext()
		x.release = append(x.release, r)
	}
	if f.l.OnLoop() {
		add()
		return
	}
	if f.l.Post(add) != nil {
		r() // the loop is closed: nothing will settle f, release now
	}
}

// callerPC returns the pc of the function skip frames up (1 is callerPC's
// caller), for the origin of a rejection. Only rejections pay for it.
func callerPC(skip int) uintptr {
	var pcs [1]uintptr
	if runtime.Callers(skip+1, pcs[:]) == 0 {
		return 0
	}
	return pcs[0]
}
