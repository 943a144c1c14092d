// Package future provides typed futures with the semantics of
// Promises/A+, run on a weft loop: reactions are queued as microtasks,
// never run inside the call that made them due, in registration order,
// each exactly once, so a chain of any length uses constant stack.
//
// # Making and settling
//
// New returns a pending *Future[T] and the Promise that settles it;
// Resolved and Rejected make settled ones. A future belongs to one loop
// (package github.com/weftio/weft/loop), where its reactions run. The first
// settling call wins and later ones are ignored: Promise.Resolve, Reject,
// Settle (a Go call's results), Follow (adopt another future's outcome;
// a future that would wait for itself is rejected with ErrCycle), and
// Future.Cancel (reject with context.Canceled). Zero values are valid
// results.
//
// # Reactions and combinators
//
// Then, Map and FlatMap derive a future from a value, Catch from an error,
// Finally from either; the method Future.Then is the two-handler then of
// A+, where a nil handler passes its side through. An error returned by a
// handler rejects the derived future; so does a panic, as a
// *panics.ErrRecovered (github.com/sourcegraph/conc/panics) with the stack
// of the panic. All, AllSettled, Any and Race combine futures, Timeout,
// Delay and Retry add time, and FromChan, ToChan, FromCallback and Offload
// connect futures to channels, callbacks and blocking code. Bind ties a
// future to a context.Context.
//
// # Who may call what
//
// Everything here is safe from any goroutine. Code running on the
// future's loop (a task, a timer callback, a reaction) acts at once, with
// no lock: the future's state belongs to the loop. Any other goroutine's
// call is Posted to the loop, the one door other goroutines have into it,
// and takes effect when the loop runs it; so from off the loop, a settle
// costs a Post and its effect is not visible until then. Which case
// applies is decided per call by loop.OnLoop, a few nanoseconds. Wait blocks an
// ordinary goroutine until a future settles; Result reads a settled
// future's outcome on its loop.
//
// # Unhandled rejections
//
// A rejected future that nothing observed (no reaction, Wait, ToChan or
// Follow) is reported when it is garbage collected or its loop closes,
// whichever comes first, through the hook set with SetUnhandledHook; by
// default it is logged with where the rejection came from.
//
// # Costs
//
// Measured on a 2-core VM (docs/benchmarks.md): New, one Then and a
// Resolve on the loop, the reaction run included, cost 2 allocations (48
// and 64 bytes for an int) and about 230 ns, of which the two allocations
// and a microtask alone take about 170 ns on that VM; a goroutine-and-
// channel future takes 6× as long. Only what needs it pays more: a
// rejection nobody handles yet, a second reaction, a cross-goroutine settle
// (a Post and a 64-byte closure), timers, goroutines.
package future
