package fiber

// Reorderable tells a simulated loop (loop.WithSimulation) whether fb,
// queued to run, may run before the jobs queued ahead of it
// (loop.Reorderable). It may if it was just started (Go promises only
// that fn runs after the caller parks or yields) or woken from a wait
// (which fiber of those woken runs first is nobody's promise: the
// primitives of package weft/sync hand what was waited for to their
// first waiter before it even runs). It may not if it called Yield, which
// promises to let the fibers and tasks ready before it run first.
//
// Yield is told apart without a flag of its own: park names the wait in
// fb.what until the fiber runs again, and Yield leaves it empty. A
// Suspend with an empty name is therefore taken for a Yield, which only
// ever removes freedom from the simulation. A job for a fiber that is not
// ready any more is stale and does nothing; it may go anywhere.
func (fb *fiber) Reorderable() bool {
	return fb.state != ready || fb.c == nil || fb.what != ""
}
