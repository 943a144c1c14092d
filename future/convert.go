package future

import (
	"context"
	"sync"

	"github.com/weftio/weft/internal/offload"
	"github.com/weftio/weft/loop"
)

// FromChan returns a future of l fulfilled with the first value received
// from ch, or rejected with ErrChanClosed if ch is closed first. A
// goroutine waits on ch; it ends when the future settles, is cancelled, or
// l closes, whichever comes first. Safe from any goroutine.
func FromChan[T any](l *loop.Loop, ch <-chan T) *Future[T] {
	f, p := New[T](l)
	done := make(chan struct{})
	f.hold(func() { close(done) })
	go func() {
		select {
		case v, ok := <-ch:
			if ok {
				p.Resolve(v)
			} else {
				p.Reject(ErrChanClosed)
			}
		case <-done:
		}
	}()
	return f
}

// ToChan returns a channel that receives f's outcome once and is then
// closed; if f's loop closes with f still pending, it receives
// loop.ErrClosed instead, so a receiver never hangs. It never blocks the
// loop: the channel has room for the one Result. It counts as observing a
// rejection. Safe from any goroutine.
func ToChan[T any](f *Future[T]) <-chan Result[T] {
	ch := make(chan Result[T], 1)
	var once sync.Once
	deliver := func(v T, err error) {
		once.Do(func() {
			ch <- Result[T]{v, err}
			close(ch)
		})
	}
	r := atClose(f.l, func() {
		// The loop has stopped: f's state can be read. It may have
		// settled with this reaction still queued, dropped by the close;
		// the rejection is observed all the same (close reports the
		// unobserved ones after this runs).
		if f.st == pending {
			deliver(*new(T), loop.ErrClosed)
			return
		}
		if f.x != nil && f.x.rec != nil {
			f.x.rec.done.Store(true)
		}
		deliver(f.value, f.error())
	})
	f.reactFrom(&cbNode[T]{src: f, fn: func(v T, err error) {
		r.drop()
		deliver(v, err)
	}})
	return ch
}

// FromCallback adapts a callback-style function to a future of l: it
// calls start at once, on the calling goroutine, with a callback that
// settles the future. The callback may be called from any goroutine; only
// its first call counts. A panic in start rejects the future. Safe from any
// goroutine.
func FromCallback[T any](l *loop.Loop, start func(cb func(T, error))) *Future[T] {
	if start == nil {
		panic("future: FromCallback with a nil func")
	}
	f, p := New[T](l)
	if err := call0(func() { start(p.Settle) }); err != nil {
		p.f.settleFrom(*new(T), err, funcPC(start))
	}
	return f
}

// offloadPool is weft's shared offload pool: at most max(4, GOMAXPROCS)
// workers, none while idle (internal/offload), so it needs no Close.
var offloadPool = offload.Shared

// Offload runs fn on weft's offload pool, a bounded set of worker
// goroutines (at most max(4, GOMAXPROCS) at once, none while idle), and
// returns a future of l settled with its results: the way to call
// something that blocks (a file read, a cgo call) from a loop without
// blocking it. ctx is cancelled when the future is cancelled or l closes;
// fn should return soon after. A panic in fn rejects the future with the
// panic and its stack. Safe from any goroutine; it costs a Post back to the
// loop and, when no worker is free to take it, a goroutine start.
func Offload[T any](l *loop.Loop, fn func(ctx context.Context) (T, error)) *Future[T] {
	if fn == nil {
		panic("future: Offload with a nil func")
	}
	f, _ := New[T](l) // held: the work may come back at any time
	ctx, cancel := context.WithCancel(context.Background())
	f.hold(cancel)
	var (
		v   T
		err error
	)
	work := func() { v, err = fn(ctx) }
	then := func(perr error) {
		if perr != nil {
			f.settle(*new(T), perr, funcPC(fn))
			return
		}
		var pc uintptr
		if err != nil {
			pc = funcPC(fn)
		}
		f.settle(v, err, pc)
	}
	if offload.Do(offloadPool(), l, work, then) != nil {
		cancel() // l is closed: then will never run
	}
	return f
}

// Wait blocks the calling goroutine until f settles and returns its
// outcome; ctx's error if ctx is done first; and loop.ErrClosed if f's
// loop closes with f still pending. It counts as observing a rejection.
// Called on f's own loop it returns ErrOnLoop at once, since the loop
// could not settle f while it waits. It costs what ToChan costs.
func (f *Future[T]) Wait(ctx context.Context) (T, error) {
	if f.l.OnLoop() {
		var zero T
		return zero, ErrOnLoop
	}
	select {
	case r := <-ToChan(f):
		return r.Value, r.Err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
