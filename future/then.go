package future

import (
	"errors"
	"reflect"

	"github.com/sourcegraph/conc/panics"
)

// errNilFuture rejects the future of a FlatMap whose function returned nil.
var errNilFuture = errors.New("future: FlatMap function returned a nil future")

// Reactions. Each is a loop.Job that is queued as a microtask once its
// source settles; the derived future is embedded as the first field, so a
// reaction and the future it settles are one allocation, and the pointer to
// the future is the pointer to the allocation (runtime.AddCleanup, see
// unhandled.go, is attached to it).
//
// A handler's panic is recovered inside the frame that called it, so the
// error keeps the stack of the panic (recovered further out, the stack
// would be gone), and becomes the derived future's rejection: a panic is an
// error of the computation the future stands for, and nobody else could
// handle it. runtime.Goexit is not stopped: it ends the loop's goroutine as
// a task's would (docs/loop.md).

// mapNode settles a Future[U] from a Future[T]'s value; errors pass through.
type mapNode[T, U any] struct {
	Future[U]
	src  *Future[T]
	then func(T) (U, error)
	mapf func(T) U
	flat func(T) *Future[U]
}

func (n *mapNode[T, U]) Run() {
	src, then, mapf, flat := n.src, n.then, n.mapf, n.flat
	n.src, n.then, n.mapf, n.flat = nil, nil, nil, nil
	if n.st != pending {
		return // cancelled while it waited
	}
	if src.st == rejected {
		var zero U
		n.settle(zero, src.err, src.originPC())
		return
	}
	var (
		u   U
		err error
		h   any
	)
	switch {
	case then != nil:
		h = then
		u, err = call1(then, src.value)
	case mapf != nil:
		h = mapf
		u, err = call2(mapf, src.value)
	default:
		var g *Future[U]
		if g, err = call2(flat, src.value); err == nil {
			if g == nil {
				err = errNilFuture
			} else {
				n.follow(g)
				return
			}
		}
		h = flat
	}
	var pc uintptr
	if err != nil {
		pc = funcPC(h)
	}
	n.settle(u, err, pc)
}

// sameNode settles a Future[T] from a Future[T]: the two-handler Then,
// Catch and Finally, where a missing handler passes its side through.
type sameNode[T any] struct {
	Future[T]
	src     *Future[T]
	onValue func(T) (T, error)
	onError func(error) (T, error)
	fin     func()
}

func (n *sameNode[T]) Run() {
	src, onValue, onError, fin := n.src, n.onValue, n.onError, n.fin
	n.src, n.onValue, n.onError, n.fin = nil, nil, nil, nil
	if n.st != pending {
		return
	}
	v, err, pc := src.value, src.err, src.originPC()
	switch {
	case fin != nil:
		if ferr := call0(fin); ferr != nil {
			var zero T
			v, err, pc = zero, ferr, funcPC(fin)
		}
	case err == nil && onValue != nil:
		if v, err = call1(onValue, v); err != nil {
			pc = funcPC(onValue)
		}
	case err != nil && onError != nil:
		if v, err = call1(onError, err); err != nil {
			pc = funcPC(onError)
		}
	}
	n.settle(v, err, pc)
}

// cbNode calls a func with the outcome; nothing derives from it.
type cbNode[T any] struct {
	src *Future[T]
	fn  func(T, error)
}

func (n *cbNode[T]) Run() {
	src, fn := n.src, n.fn
	n.src, n.fn = nil, nil
	if err := callCB(fn, src.value, src.err); err != nil {
		// There is no future to carry the panic: report it as a rejection
		// nobody handled, rather than stop the loop and every other
		// reaction with it.
		report(src.l, err, funcPC(fn))
	}
}

// call1 calls h, turning a panic into an error with the panic's stack.
func call1[A, R any](h func(A) (R, error), a A) (r R, err error) {
	defer func() {
		if v := recover(); v != nil {
			rec := panics.NewRecovered(1, v)
			err = rec.AsError()
		}
	}()
	return h(a)
}

// call2 is call1 for a handler without an error result.
func call2[A, R any](h func(A) R, a A) (r R, err error) {
	defer func() {
		if v := recover(); v != nil {
			rec := panics.NewRecovered(1, v)
			err = rec.AsError()
		}
	}()
	return h(a), nil
}

// call0 is call1 for a func of no arguments and results.
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

// callCB is call1 for an OnSettled func.
func callCB[T any](h func(T, error), v T, e error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			rec := panics.NewRecovered(1, v)
			err = rec.AsError()
		}
	}()
	h(v, e)
	return nil
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
// and the future it settles are one object); with New and a Resolve, the
// whole round costs about 60 ns on the loop (docs/benchmarks.md).
func Then[T, U any](f *Future[T], h func(T) (U, error)) *Future[U] {
	if h == nil {
		panic("future: Then with a nil func")
	}
	n := &mapNode[T, U]{Future: Future[U]{l: f.l}, src: f, then: h}
	f.reactFrom(n)
	return &n.Future
}

// Map is Then for a function that cannot fail (a panic still rejects).
func Map[T, U any](f *Future[T], h func(T) U) *Future[U] {
	if h == nil {
		panic("future: Map with a nil func")
	}
	n := &mapNode[T, U]{Future: Future[U]{l: f.l}, src: f, mapf: h}
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
	n := &mapNode[T, U]{Future: Future[U]{l: f.l}, src: f, flat: h}
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
	f.reactFrom(n)
	return &n.Future
}

// OnSettled arranges for fn to run with f's value and error once f is
// settled, on f's loop, as a microtask. Nothing derives from it: a panic in
// fn is reported like an unhandled rejection (see SetUnhandledHook), and
// the loop and the other reactions go on. It is the cheapest reaction, one
// small allocation. Safe from any goroutine.
func (f *Future[T]) OnSettled(fn func(T, error)) {
	if fn == nil {
		panic("future: OnSettled with a nil func")
	}
	f.reactFrom(&cbNode[T]{src: f, fn: fn})
}
