// Package fiber runs cooperatively scheduled fibers on a weft loop: code
// written top to bottom, in blocking style (Await a future, Sleep, take a
// lock), on a loop that never blocks.
//
// # The model
//
// Run makes a loop, runs a main fiber on it and returns when every fiber
// is done. Go starts another fiber and returns the future of its results;
// Await parks the calling fiber until a future settles; Yield lets the
// others run; Sleep waits on the loop's clock; Blocking runs a function
// that blocks the thread on the offload pool. A Group waits for its
// fibers, cancels them on the first error and returns it.
//
// Fibers are coroutines switched on the loop's own thread (iter.Pull, a
// runtime coroutine switch, not the scheduler): at any instant at most one
// fiber of a loop runs, and it runs until it parks, yields or returns. So
// the state of a loop needs no lock, and the same program interleaves the
// same way on every run. Finished fibers' coroutines are reused.
//
// # Who may call what
//
// A fiber's function receives a context.Context that is the fiber: every
// call here takes it and checks, in a few nanoseconds, that the caller is
// that fiber and that it is running. A call from another goroutine, a
// plain loop task or another fiber panics with a message saying so, rather
// than switching coroutines it does not own (which would hang the loop).
// Every wait returns the context's error when the context is cancelled.
//
// Never block the thread inside a fiber (a Go mutex held across a park, a
// channel receive, time.Sleep, a blocking syscall): the whole loop stops
// with it. Use Await, Sleep, Blocking and package weft/sync instead.
//
// # Failures
//
// A panic in a fiber is recovered on the fiber's own stack and becomes an
// error carrying that stack: Go's future is rejected with it, Run returns
// main's. runtime.Goexit in a fiber ends the goroutine that called Run, as
// documented on Run. When every fiber is parked and nothing can wake them,
// Run returns a *DeadlockError naming each fiber, what it waits for and
// where; fibers still alive when the loop stops are unwound (their
// deferred calls run) and reported. In debug mode (loop.WithDebug) a
// fiber's error is an *AsyncError carrying the chain of fibers that
// spawned it, and package weft/debug dumps every fiber and what it waits
// for (docs/debugging.md).
package fiber
