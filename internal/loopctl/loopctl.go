// Package loopctl is the loop's back door for the layers built into weft
// (fibers, futures): operations that would be unsafe or meaningless as
// public API of package loop. Package loop fills in the functions when it
// is initialised; the loop is passed as an any because loop imports this
// package, not the other way round.
//
// Every function must be called on the loop's goroutine (loop.OnLoop),
// except HoldRemote.
package loopctl

var (
	// HandOff makes the goroutine identified by id (internal/gid) the one
	// running the loop's code, so that OnLoop is true there and false
	// here: a fiber switch. Only the current owner may hand the loop off;
	// the call panics otherwise.
	HandOff func(l any, id uintptr)

	// TakeReady is for a job running on the loop (a fiber's coroutine,
	// which the loop was handed to) that would run the next ready job
	// itself: it drains the microtasks, as the loop does after every job,
	// and if the ready phase's share has room and want accepts the next
	// job, takes that job off the queue and returns it; otherwise it
	// returns nil. Only the current owner may call it; the call panics
	// otherwise.
	TakeReady func(l any, want func(j any) bool) any

	// SetStuckHook sets f to run when the loop has nothing left that
	// could ever wake it: no task, microtask, timer, registered fd or
	// hold, and an empty inbox. f runs on the loop in place of blocking
	// forever; if it queues work or stops the loop it returns true, and
	// the loop goes on with its next turn; otherwise the loop blocks as
	// it would have. The fiber runtime reports a deadlock there.
	SetStuckHook func(l any, f func() bool)

	// Hold adds n (+1 or -1) to the loop's holds: things outside the loop
	// (a goroutine, a promise given away) that may still Post to it. A
	// loop with holds is never stuck.
	Hold func(l any, n int)

	// HoldRemote is Hold for any goroutine.
	HoldRemote func(l any, n int)

	// Quiet adds n (+1 or -1) to the loop's quiet fds: registered fds
	// that cannot fire now, because nothing that would signal them is
	// under way (an io_uring's eventfd while no operation is in flight).
	// The loop does not poll for them alone when it has work, and a
	// deadlock check does not count them. The owner moves its fd in and
	// out of the count as its work starts and ends.
	Quiet func(l any, n int)

	// BlockHint adds n (+1 or -1) to the loop's reasons to block its
	// thread when it waits rather than park its goroutine (a poller that
	// implements poller.Blocker): while operations are in flight on an
	// io_uring, whose completions the kernel finishes on the submitting
	// thread.
	BlockHint func(l any, n int)

	// AddPrePoll adds f to the functions the loop runs once per turn,
	// after the ready phase and before it polls, each as a task followed
	// by a microtask drain (package fs submits its batch of io_uring
	// operations there). Work f queues makes that poll non-blocking.
	AddPrePoll func(l any, f func())

	// SetAdvanceHook sets f to run on a loop with virtual time before the
	// clock jumps to the next timer. If f queued work (it woke a fiber
	// whose context was cancelled, and whose wake from context.AfterFunc's
	// goroutine is still on the way), it returns true and the clock stays
	// where it is for this turn: virtual time must not overtake a wake
	// that is already due.
	SetAdvanceHook func(l any, f func() bool)
)
