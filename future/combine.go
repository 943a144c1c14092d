package future

import (
	"slices"

	"github.com/weftio/weft/loop"
)

// A Result is one future's outcome, as AllSettled and ToChan deliver it.
type Result[T any] struct {
	Value T
	Err   error
}

// An Option changes how a combinator treats its inputs.
type Option func(*config)

type config struct{ cancelLosers bool }

// WithCancelLosers makes All, Any, Race and Timeout Cancel every input
// still pending once their result is settled (or cancelled): the inputs
// nobody waits for any longer stop their timers and goroutines. Only ask
// for it when the combinator owns its inputs; a cancelled input is
// rejected for every other reaction too.
func WithCancelLosers() Option { return func(c *config) { c.cancelLosers = true } }

func configure(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return c
}

// on runs fn on l: now if the caller is l's goroutine, by Post otherwise.
// A closed loop drops fn, as it drops every Post.
func on(l *loop.Loop, fn func()) {
	if l.OnLoop() {
		fn()
		return
	}
	_ = l.Post(fn)
}

// joinNode delivers one input's outcome to a combinator on loop l. The
// nodes of one combinator are one allocation.
type joinNode[T any] struct {
	src *Future[T]
	i   int
	l   *loop.Loop
	on  func(i int, v T, err error)
}

func (n *joinNode[T]) Run() {
	v, err := n.src.value, n.src.error()
	if n.src.l == n.l {
		n.on(n.i, v, err)
		return
	}
	// The input lives on another loop: its outcome crosses by Post, so
	// the combinator's state is only ever touched on its own loop.
	i, fn := n.i, n.on
	_ = n.l.Post(func() { fn(i, v, err) })
}

// join registers on for every input, from l's goroutine, and arranges for
// the inputs to be cancelled when out settles if c asks for it.
func join[T, R any](l *loop.Loop, out *Future[R], fs []*Future[T], c config, fn func(i int, v T, err error)) {
	nodes := make([]joinNode[T], len(fs))
	for i, f := range fs {
		nodes[i] = joinNode[T]{src: f, i: i, l: l, on: fn}
		f.reactFrom(&nodes[i]) // at once for l's own futures, by Post for others
	}
	if c.cancelLosers {
		out.onRelease(func() {
			for _, f := range fs {
				f.Cancel()
			}
		})
	}
}

func checkInputs[T any](fs []*Future[T]) []*Future[T] {
	for _, f := range fs {
		if f == nil {
			panic("future: nil future in a combinator's inputs")
		}
	}
	return slices.Clone(fs) // the caller may reuse its slice
}

// All returns a future of l fulfilled with every input's value, in input
// order, once all are fulfilled, or rejected with the first rejection (in
// time, not in order). An empty list gives an empty, non-nil slice. Inputs
// may belong to other loops. Safe from any goroutine; it costs about six
// allocations, whatever the number of inputs (one of them the slice of
// their reactions).
func All[T any](l *loop.Loop, fs []*Future[T], opts ...Option) *Future[[]T] {
	fs, c := checkInputs(fs), configure(opts)
	out := newFuture[[]T](l)
	on(l, func() {
		values := make([]T, len(fs))
		left := len(fs)
		if left == 0 {
			out.settle(values, nil, 0)
			return
		}
		join(l, out, fs, c, func(i int, v T, err error) {
			if err != nil {
				out.settle(nil, err, fs[i].originPC())
				return
			}
			values[i] = v
			if left--; left == 0 {
				out.settle(values, nil, 0)
			}
		})
	})
	return out
}

// AllSettled returns a future of l fulfilled, once every input has
// settled, with each input's Result in input order. It is never rejected
// (unless cancelled). Safe from any goroutine.
func AllSettled[T any](l *loop.Loop, fs []*Future[T]) *Future[[]Result[T]] {
	fs = checkInputs(fs)
	out := newFuture[[]Result[T]](l)
	on(l, func() {
		results := make([]Result[T], len(fs))
		left := len(fs)
		if left == 0 {
			out.settle(results, nil, 0)
			return
		}
		join(l, out, fs, config{}, func(i int, v T, err error) {
			results[i] = Result[T]{v, err}
			if left--; left == 0 {
				out.settle(results, nil, 0)
			}
		})
	})
	return out
}

// Any returns a future of l fulfilled with the first input to be
// fulfilled, or, once every input is rejected, rejected with an *AnyError
// holding all their errors in input order (at once for an empty list).
// "First" is the order in which the inputs' reactions run: among inputs
// already fulfilled when Any is called, the earliest in fs wins, whatever
// order they settled in (as JavaScript's Promise.any). Safe from any
// goroutine.
func Any[T any](l *loop.Loop, fs []*Future[T], opts ...Option) *Future[T] {
	fs, c := checkInputs(fs), configure(opts)
	out := newFuture[T](l)
	on(l, func() {
		errs := make([]error, len(fs))
		left := len(fs)
		if left == 0 {
			var zero T
			out.settle(zero, &AnyError{Errs: errs}, 0)
			return
		}
		join(l, out, fs, c, func(i int, v T, err error) {
			if err == nil {
				out.settle(v, nil, 0)
				return
			}
			errs[i] = err
			if left--; left == 0 {
				var zero T
				out.settle(zero, &AnyError{Errs: errs}, 0)
			}
		})
	})
	return out
}

// Race returns a future of l that settles like the first input to settle.
// "First" is the order in which the inputs' reactions run: among inputs
// already settled when Race is called, the earliest in fs wins, whatever
// order they settled in (as JavaScript's Promise.race). An empty list
// rejects it with ErrEmpty. Safe from any goroutine.
func Race[T any](l *loop.Loop, fs []*Future[T], opts ...Option) *Future[T] {
	fs, c := checkInputs(fs), configure(opts)
	out := newFuture[T](l)
	on(l, func() {
		if len(fs) == 0 {
			var zero T
			out.settle(zero, ErrEmpty, 0)
			return
		}
		join(l, out, fs, c, func(i int, v T, err error) {
			out.settle(v, err, fs[i].originPC())
		})
	})
	return out
}
