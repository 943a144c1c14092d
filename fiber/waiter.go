package fiber

import "context"

// A Waiter wakes one parked fiber, once: the building block of fiber-aware
// synchronisation (package weft/sync). A primitive that makes a fiber wait
// keeps its Waiter in a queue and calls Wake when the fiber may go on.
// The zero Waiter wakes nothing.
type Waiter struct {
	fb  *fiber
	seq uint64
}

func (fb *fiber) waiter() Waiter { return Waiter{fb, fb.seq + 1} }

// Wake makes the fiber runnable again and reports true, if it is still
// parked in the wait this Waiter was made for; otherwise (it was woken
// already, or its context was cancelled and it went on) it reports false
// and does nothing, so a primitive can move on to its next waiter. Wake
// must be called on the fiber's loop.
func (w Waiter) Wake() bool {
	if w.fb == nil {
		return false
	}
	return w.fb.wake(w.seq, nil)
}

// Suspend parks the calling fiber after handing a Waiter for it to
// enqueue, and returns nil once the Waiter's Wake has run, or ctx's error
// if ctx is done first; then the Waiter's Wake reports false. what names
// the wait in deadlock reports ("Mutex.Lock"). enqueue must not park. Only
// a fiber may call Suspend.
func Suspend(ctx context.Context, what string, enqueue func(Waiter)) error {
	fb := current(ctx, what)
	if err := ctx.Err(); err != nil {
		return err
	}
	enqueue(fb.waiter())
	return fb.parkCtx(ctx, what)
}
