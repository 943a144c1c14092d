package sync

import "context"

// A WaitGroup waits for a count of things to be done, for the fibers of
// one loop: Add counts up, Done counts down, Wait parks until the count is
// zero. Its zero value has a count of zero. A WaitGroup must not be copied
// after first use.
//
// To wait for fibers and collect their errors, fiber.Group is usually the
// better tool; a WaitGroup also counts things that are not fibers (loop
// callbacks, requests in flight).
type WaitGroup struct {
	n int
	q waitq[struct{}]
}

// Add adds delta, which may be negative, to the count. When the count
// reaches zero, every fiber parked in Wait is woken, first in first out;
// they return nil even if the count has gone up again before they run. Any
// code running on the loop may call Add; it never parks. If the count
// would go below zero, Add panics and leaves it unchanged.
func (wg *WaitGroup) Add(delta int) {
	if wg.n+delta < 0 {
		panic("sync: negative WaitGroup counter")
	}
	wg.n += delta
	if wg.n == 0 {
		wg.q.wakeAll()
	}
}

// Done takes one off the count.
func (wg *WaitGroup) Done() { wg.Add(-1) }

// Wait parks the calling fiber until the count is zero; it returns at once
// if it is zero already, even if ctx is done. If ctx is done first, Wait
// returns ctx.Err() and the WaitGroup is unchanged. Only a fiber may call
// Wait when it has to wait.
func (wg *WaitGroup) Wait(ctx context.Context) error {
	if wg.n == 0 {
		return nil
	}
	w := wg.q.get()
	err := wg.q.park(ctx, "WaitGroup.Wait", w)
	wg.q.put(w)
	return err
}
