package sync

import (
	"context"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
)

// A Case is one arm of a Select: a receive from a Chan (RecvCase), a send
// to one (SendCase), or a future to wait for (FutureCase). The zero Case,
// like a case on a nil Chan or a nil future, is never ready: it turns an
// arm off, as a nil channel does in a Go select.
type Case struct{ op caseOp }

// A caseOp is what Select does with one case. Select first calls try on
// each, in order, until one completes; if none can, it parks with the
// fiber's Waiter in every case's queue (enqueue), and when woken takes
// each out again (dequeue), which reports the one that completed, and
// calls that one's done.
type caseOp interface {
	try() bool
	enqueue(ctx context.Context, fw fiber.Waiter)
	dequeue() bool
	done()
}

// Select waits until one of the cases can complete, completes it, runs its
// func and returns its index. Of the cases ready when Select is called, the
// first in argument order wins (a Go select picks at random; on a loop the
// order is part of the program, so it stays deterministic). If none is
// ready, the calling fiber parks in every case's queue at once, and the
// first case to become ready is completed, and only that one: the values
// of the other Chans stay where they were.
//
// If ctx is done before a case completes, Select returns -1 and ctx.Err()
// and nothing has happened: no value was sent or received, and no func
// run. A case that completed is returned even if ctx is cancelled before
// the fiber runs. With no case that can ever be ready, Select waits for
// ctx (like select {}). A send case on a closed Chan panics when it is
// chosen, as in Go. Only a fiber may call Select when it has to wait.
//
// Select costs an allocation per case (and whatever the funcs capture),
// and parks in each queue of a Chan without allocating once warm; a wait
// on a pending future adds a reaction to it (one small allocation, kept
// until the future settles even if another case wins), and a wait on a
// future of another loop relays it (see FutureCase).
func Select(ctx context.Context, cases ...Case) (int, error) {
	for {
		if i := TrySelect(cases...); i >= 0 {
			return i, nil
		}
		queued := false
		err := fiber.Suspend(ctx, "Select", func(fw fiber.Waiter) {
			queued = true
			for _, c := range cases {
				if c.op != nil {
					c.op.enqueue(ctx, fw)
				}
			}
		})
		chosen := -1
		for i, c := range cases {
			if queued && c.op != nil && c.op.dequeue() {
				chosen = i
			}
		}
		if err != nil {
			// The fiber stopped waiting before any case's Wake: none
			// completed.
			return -1, err
		}
		if chosen >= 0 {
			cases[chosen].op.done()
			return chosen, nil
		}
		// Woken by something else than a case (a stale Waiter of an
		// earlier wait of this fiber): nothing happened; start over.
	}
}

// TrySelect completes the first ready case, in argument order, runs its
// func and returns its index, or returns -1 without waiting if none is
// ready: a Go select with a default arm.
func TrySelect(cases ...Case) int {
	for i, c := range cases {
		if c.op != nil && c.op.try() {
			return i
		}
	}
	return -1
}

// RecvCase is a case of Select that receives from c and passes fn what
// Chan.Recv would return: the value, and ok false once c is closed and
// drained. fn may be nil. A nil c is never ready.
func RecvCase[T any](c *Chan[T], fn func(v T, ok bool)) Case {
	if c == nil {
		return Case{}
	}
	return Case{&recvCase[T]{c: c, fn: fn}}
}

// SendCase is a case of Select that sends v to c and then calls fn, which
// may be nil. A nil c is never ready. If c is closed, the case panics when
// it is chosen, as Chan.Send does.
func SendCase[T any](c *Chan[T], v T, fn func()) Case {
	if c == nil {
		return Case{}
	}
	return Case{&sendCase[T]{c: c, v: v, fn: fn}}
}

// FutureCase is a case of Select that is ready once f has settled, and
// passes fn f's value and error (the error is not a failure of Select). fn
// may be nil; a rejection Select chose counts as observed. A nil f is
// never ready.
//
// f may belong to another loop; then its outcome is relayed to the
// caller's loop (a future and two reactions, and a Post when f settles),
// so it is ready only once the relay has arrived, never at once.
func FutureCase[T any](f *future.Future[T], fn func(v T, err error)) Case {
	if f == nil {
		return Case{}
	}
	return Case{&futureCase[T]{f: f, fn: fn}}
}

type recvCase[T any] struct {
	c     *Chan[T]
	fn    func(T, bool)
	w     *waiter[T] // while parked
	v     T
	ok    bool
	fired bool
}

func (rc *recvCase[T]) try() bool {
	v, ok, done := rc.c.tryRecv()
	if done {
		rc.v, rc.ok = v, ok
		rc.done()
	}
	return done
}

func (rc *recvCase[T]) enqueue(_ context.Context, fw fiber.Waiter) {
	rc.w = rc.c.recvq.get()
	rc.w.fw = fw
	rc.c.recvq.push(rc.w)
}

func (rc *recvCase[T]) dequeue() bool {
	w := rc.w
	rc.w = nil
	rc.c.recvq.remove(w)
	// Of the waiters of one Select, only one can have been woken.
	fired := w.woken
	rc.v, rc.ok = w.val, w.ok
	rc.c.recvq.put(w)
	return fired
}

func (rc *recvCase[T]) done() {
	if rc.fn != nil {
		rc.fn(rc.v, rc.ok)
	}
}

type sendCase[T any] struct {
	c      *Chan[T]
	v      T
	fn     func()
	w      *waiter[T] // while parked
	closed bool       // woken by Close
}

func (sc *sendCase[T]) try() bool {
	if !sc.c.trySend(sc.v) {
		return false
	}
	sc.done()
	return true
}

func (sc *sendCase[T]) enqueue(_ context.Context, fw fiber.Waiter) {
	sc.w = sc.c.sendq.get()
	sc.w.fw, sc.w.val = fw, sc.v
	sc.c.sendq.push(sc.w)
}

func (sc *sendCase[T]) dequeue() bool {
	w := sc.w
	sc.w = nil
	sc.c.sendq.remove(w)
	fired := w.woken
	sc.closed = fired && !w.ok
	sc.c.sendq.put(w)
	return fired
}

func (sc *sendCase[T]) done() {
	if sc.closed {
		panic("sync: send on closed Chan")
	}
	if sc.fn != nil {
		sc.fn()
	}
}

type futureCase[T any] struct {
	f    *future.Future[T]
	fn   func(T, error)
	slot *futureSlot[T] // while parked
	stop func()         // cancels the relay of a foreign f
	v    T
	err  error
}

// A futureSlot is where a reaction of f leaves f's outcome for a Select.
// It outlives the Select when f is still pending (the reaction cannot be
// taken back), so it holds no more than it must once the Select is over.
type futureSlot[T any] struct {
	fw    fiber.Waiter
	v     T
	err   error
	fired bool
}

func (fc *futureCase[T]) try() bool {
	if !fc.f.Loop().OnLoop() {
		return false // Result is for f's loop only
	}
	v, err, ok := fc.f.Result()
	if !ok {
		return false
	}
	if err != nil {
		fc.f.OnSettled(func(T, error) {}) // observed: not an unhandled rejection
	}
	fc.v, fc.err = v, err
	fc.done()
	return true
}

func (fc *futureCase[T]) enqueue(ctx context.Context, fw fiber.Waiter) {
	slot := &futureSlot[T]{fw: fw}
	fc.slot = slot
	f := fc.f
	if !f.Loop().OnLoop() {
		// f settles on its own loop, where Wake must not be called:
		// relay its outcome to a future of this loop. Cancelling the
		// relay when Select returns releases it (a pending future holds
		// its loop); f's reaction stays until f settles, and then finds
		// the relay settled and does nothing.
		g, p := future.New[T](fiber.Loop(ctx))
		f.OnSettled(func(v T, err error) { p.Settle(v, err) })
		f, fc.stop = g, g.Cancel
	}
	f.OnSettled(func(v T, err error) {
		if slot.fw.Wake() {
			slot.v, slot.err, slot.fired = v, err, true
		}
	})
}

func (fc *futureCase[T]) dequeue() bool {
	slot := fc.slot
	fc.slot = nil
	if fc.stop != nil {
		fc.stop()
		fc.stop = nil
	}
	slot.fw = fiber.Waiter{} // let go of the fiber
	fc.v, fc.err = slot.v, slot.err
	return slot.fired
}

func (fc *futureCase[T]) done() {
	if fc.fn != nil {
		fc.fn(fc.v, fc.err)
	}
}
