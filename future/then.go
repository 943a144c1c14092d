package future

import (
	"errors"
	"reflect"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/internal/debugbuild"
	"github.com/weftio/weft/loop"
)

// errNilFuture rejects the future of a FlatMap whose function returned nil.
var errNilFuture = errors.New("future: FlatMap function returned a nil future")

// Reactions. Each is a loop.Job that is queued as a microtask once its
// source settles; the derived future is embedded as the first field, so a
// reaction and the future it settles are one allocation, and the pointer to
// the future is the pointer to the allocation (runtime.AddCleanup, see
// unhandled.go, is attached to it). Each handler shape has its own node
// type, so a node carries one handler field and Then's node stays at 64
// bytes for word-sized values.
//
// A handler's panic becomes the derived future's rejection: a panic is an
// error of the computation the future stands for, and nobody else could
// handle it. The reactions are loop.Recoverers: the loop recovers the panic
// in the frame below Run, where the stack of the panic is still there, and
// hands it to Recover, so no reaction pays for a deferred recover of its
// own. runtime.Goexit is not stopped: it ends the
// loop's goroutine as a task's would (docs/loop.md).

// thenNode settles a Future[U] with h(v); errors pass through.
type thenNode[T, U any] struct {
	Future[U]
	src *Future[T]
	h   func(T) (U, error)
}

func (n *thenNode[T, U]) Run() {
	src := n.src
	n.src = nil
	if n.st != pending || src.st == rejected {
		n.h = nil
		pass(&n.Future, src) // a cancelled n ignores it
		return
	}
	u, err := n.h(src.value) // a panic goes to Recover, h still set
	var pc uintptr
	if err != nil {
		pc = funcPC(n.h)
	}
	n.h = nil
	n.settle(u, err, pc)
}

func (n *thenNode[T, U]) Recover(err error) {
	n.panicked(err, n.h)
	n.h = nil
}

// mapNode settles a Future[U] with h(v); errors pass through.
type mapNode[T, U any] struct {
	Future[U]
	src *Future[T]
	h   func(T) U
}

func (n *mapNode[T, U]) Run() {
	src := n.src
	n.src = nil
	if n.st != pending || src.st == rejected {
		n.h = nil
		pass(&n.Future, src)
		return
	}
	u := n.h(src.value)
	n.h = nil
	n.settle(u, nil, 0)
}

func (n *mapNode[T, U]) Recover(err error) {
	n.panicked(err, n.h)
	n.h = nil
}

// flatNode makes a Future[U] follow h(v); errors pass through.
type flatNode[T, U any] struct {
	Future[U]
	src *Future[T]
	h   func(T) *Future[U]
}

func (n *flatNode[T, U]) Run() {
	src := n.src
	n.src = nil
	if n.st != pending || src.st == rejected {
		n.h = nil
		pass(&n.Future, src)
		return
	}
	g := n.h(src.value)
	if g == nil {
		pc := funcPC(n.h)
		n.h = nil
		n.settle(*new(U), errNilFuture, pc)
		return
	}
	n.h = nil
	n.follow(g)
}

func (n *flatNode[T, U]) Recover(err error) {
	n.panicked(err, n.h)
	n.h = nil
}

// pass settles f with src's rejection, if src is rejected and f pending.
func pass[T, U any](f *Future[U], src *Future[T]) {
	if err := src.error(); err != nil {
		f.settle(*new(U), err, src.originPC())
	}
}

// panicked rejects f with the panic err of handler h (for its origin).
func (f *Future[T]) panicked(err error, h any) { f.settle(*new(T), err, funcPC(h)) }

// sameNode settles a Future[T] from a Future[T]: the two-handler Then,
// Catch and Finally, where a missing handler passes its side through.
type sameNode[T any] struct {
	Future[T]
	src     *Future[T]
	onValue func(T) (T, error)
	onError func(error) (T, error)
	fin     func()
	running any // the handler running, for Recover
}

func (n *sameNode[T]) Run() {
	src, onValue, onError, fin := n.src, n.onValue, n.onError, n.fin
	n.src, n.onValue, n.onError, n.fin = nil, nil, nil, nil
	if n.st != pending {
		return
	}
	v, err, pc := src.value, src.error(), src.originPC()
	switch {
	case fin != nil:
		n.running = fin
		fin()
	case err == nil && onValue != nil:
		n.running = onValue
		if v, err = onValue(v); err != nil {
			pc = funcPC(onValue)
		}
	case err != nil && onError != nil:
		n.running = onError
		if v, err = onError(err); err != nil {
			pc = funcPC(onError)
		}
	}
	n.running = nil
	n.settle(v, err, pc)
}

func (n *sameNode[T]) Recover(err error) {
	n.panicked(err, n.running)
	n.running = nil
}

// cbNode calls a func with the outcome; nothing derives from it.
type cbNode[T any] struct {
	src *Future[T]
	fn  func(T, error)
}

func (n *cbNode[T]) Run() {
	n.fn(n.src.value, n.src.error())
	n.src, n.fn = nil, nil
}

// Recover reports the panic as a rejection nobody handled, rather than
// stop the loop and every other reaction with it: there is no future to
// carry it.
func (n *cbNode[T]) Recover(err error) {
	l, pc := n.src.l, funcPC(n.fn)
	n.src, n.fn = nil, nil
	report(l, err, pc)
}

// call0 is call2 for a func of no arguments and results.
func call0(h func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			rec := panics.NewRecovered(1, v)
			err = rec.AsError()
		}
	}()
	h()
	return nil
}

// call2 calls h, turning a panic into an error with the panic's stack:
// for user code that runs outside a reaction (Retry's attempts and
// Retryable, FromCallback's start), where no loop.Recoverer catches it.
func call2[A, R any](h func(A) R, a A) (r R, err error) {
	defer func() {
		if v := recover(); v != nil {
			rec := panics.NewRecovered(1, v)
			err = rec.AsError()
		}
	}()
	return h(a), nil
}

// funcPC is the entry of the func in h, the origin of its rejection, plus
// one: origins are read like the return pcs of runtime.Callers, which
// runtime.CallersFrames steps back by one.
func funcPC(h any) uintptr { return reflect.ValueOf(h).Pointer() + 1 }

// Then returns a future settled by h(v) once f is fulfilled with v; if f is
// rejected, the result is rejected with the same error and h does not run.
// If h returns an error or panics, the result is rejected with it (a panic
// as a *panics.ErrRecovered from github.com/sourcegraph/conc/panics, with
// the stack of the panic). h runs on f's loop as a microtask, never inside
// this call or the call that settles f.
//
// Then is safe from any goroutine and costs one allocation (the reaction
// and the future it settles are one object, 64 bytes for word-sized
// values); see the package documentation for measured costs.
func Then[T, U any](f *Future[T], h func(T) (U, error)) *Future[U] {
	if h == nil {
		panic("future: Then with a nil func")
	}
	n := &thenNode[T, U]{Future: Future[U]{l: f.l}, src: f, h: h}
	if debugbuild.Enabled && f.l.Debugging() {
		n.Future.made()
	}
	f.reactFrom(n)
	return &n.Future
}

// Map is Then for a function that cannot fail (a panic still rejects).
func Map[T, U any](f *Future[T], h func(T) U) *Future[U] {
	if h == nil {
		panic("future: Map with a nil func")
	}
	n := &mapNode[T, U]{Future: Future[U]{l: f.l}, src: f, h: h}
	if debugbuild.Enabled && f.l.Debugging() {
		n.Future.made()
	}
	f.reactFrom(n)
	return &n.Future
}

// FlatMap is Then for a function that returns a future: the result follows
// that future (see Promise.Follow), so asynchronous steps chain without
// nesting. A nil future rejects the result.
func FlatMap[T, U any](f *Future[T], h func(T) *Future[U]) *Future[U] {
	if h == nil {
		panic("future: FlatMap with a nil func")
	}
	n := &flatNode[T, U]{Future: Future[U]{l: f.l}, src: f, h: h}
	if debugbuild.Enabled && f.l.Debugging() {
		n.Future.made()
	}
	f.reactFrom(n)
	return &n.Future
}

// Catch returns a future settled by h(err) if f is rejected with err, and
// fulfilled with f's value otherwise: h can recover (return a value and
// nil) or replace the error.
func Catch[T any](f *Future[T], h func(error) (T, error)) *Future[T] {
	if h == nil {
		panic("future: Catch with a nil func")
	}
	return f.Then(nil, h)
}

// Finally returns a future that settles like f, after h has run. If h
// panics, the result is rejected with the panic instead.
func Finally[T any](f *Future[T], h func()) *Future[T] {
	if h == nil {
		panic("future: Finally with a nil func")
	}
	n := &sameNode[T]{Future: Future[T]{l: f.l}, src: f, fin: h}
	if debugbuild.Enabled && f.l.Debugging() {
		n.Future.made()
	}
	f.reactFrom(n)
	return &n.Future
}

// Then is the two-handler then of Promises/A+: the result is settled by
// onValue(v) if f is fulfilled with v, and by onError(err) if f is rejected
// with err. A nil handler passes its side through unchanged. Errors and
// panics reject the result as for the function Then, which is the form to
// use when the value changes type.
func (f *Future[T]) Then(onValue func(T) (T, error), onError func(error) (T, error)) *Future[T] {
	n := &sameNode[T]{Future: Future[T]{l: f.l}, src: f, onValue: onValue, onError: onError}
	if debugbuild.Enabled && f.l.Debugging() {
		n.Future.made()
	}
	f.reactFrom(n)
	return &n.Future
}

// React arranges for j to run on f's loop, as a microtask, once f is
// settled, in order with f's other reactions; j reads the outcome with
// Result. It is the reaction with nothing around it, for code that already
// has a loop.Job to run (package fiber wakes a fiber this way): no
// allocation beyond j. A panic in j gets the loop's panic policy, unless j
// is a loop.Recoverer. It counts as observing a rejection. Safe from any
// goroutine.
func (f *Future[T]) React(j loop.Job) {
	if j == nil {
		panic("future: React with a nil Job")
	}
	f.reactFrom(j)
}

// OnSettled arranges for fn to run with f's value and error once f is
// settled, on f's loop, as a microtask. Nothing derives from it: a panic in
// fn is reported like an unhandled rejection (see SetUnhandledHook), and
// the loop and the other reactions go on. It costs one small allocation
// (React, given a Job, costs none). Safe from any goroutine.
func (f *Future[T]) OnSettled(fn func(T, error)) {
	if fn == nil {
		panic("future: OnSettled with a nil func")
	}
	f.reactFrom(&cbNode[T]{src: f, fn: fn})
}
