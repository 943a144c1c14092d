package sync

import "context"

// A Locker is a lock that a fiber can wait for: Mutex and RWMutex (its
// write lock) are Lockers.
type Locker interface {
	Lock(ctx context.Context) error
	Unlock()
}

// A Cond is a condition variable for the fibers of one loop: fibers park
// in Wait until another signals that the condition they wait for may have
// changed. Its zero value is ready to use, with no Locker. A Cond must not
// be copied after first use.
//
// On a loop, a fiber checks a condition and parks in Wait with no other
// fiber running in between, so L is needed only when the code that changes
// the condition parks while it is half-changed; then set L to the Mutex
// that guards it, and Wait unlocks it while parked, as sync.Cond does:
//
//	for !ready {
//		if err := c.Wait(ctx); err != nil {
//			return err
//		}
//	}
//
// Signal and Broadcast wake waiters first in, first out.
type Cond struct {
	// L, if not nil, is held while the condition is checked or changed;
	// Wait unlocks it while parked and locks it again before returning.
	L Locker
	q waitq[struct{}]
}

// NewCond returns a Cond with Locker l (which may be nil).
func NewCond(l Locker) *Cond { return &Cond{L: l} }

// Wait unlocks c.L (if set), parks the calling fiber until Signal or
// Broadcast wakes it, and locks c.L again. Like sync.Cond.Wait, it can
// return before the condition holds: call it in a loop.
//
// If ctx is done first, Wait returns ctx.Err() and c is unchanged: the
// caller is no longer waiting, and a Signal that came after it gave up
// went to the next waiter instead. If ctx is done already, Wait returns at
// once and does not unlock c.L. Whatever it returns, Wait returns with c.L
// locked, as the caller had it: locking it again after a cancellation is
// not cancellable, and may park. Only a fiber may call Wait.
func (c *Cond) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.L != nil {
		c.L.Unlock()
	}
	w := c.q.get()
	err := c.q.park(ctx, "Cond.Wait", w)
	c.q.put(w)
	if c.L != nil {
		// The lock is the caller's again on return, whatever happened:
		// its deferred Unlock depends on that.
		if lerr := c.L.Lock(context.WithoutCancel(ctx)); lerr != nil && err == nil {
			err = lerr
		}
	}
	return err
}

// Signal wakes the first fiber waiting in Wait, if any. Any code running
// on the loop may call it; it never parks.
func (c *Cond) Signal() { c.q.wakeFirst() }

// Broadcast wakes every fiber waiting in Wait. Any code running on the
// loop may call it; it never parks.
func (c *Cond) Broadcast() { c.q.wakeAll() }
