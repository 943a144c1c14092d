// Package offload provides a bounded pool of worker goroutines for work that
// would block a loop (DNS, a file read without io_uring, a cgo call), and Do,
// the bridge that runs such work on the pool and brings its outcome back to
// a loop as a task.
//
// # Who may call what
//
// New, Submit, Stats and Do are safe from any goroutine, a loop's included:
// Submit never waits for work or for room, only for the pool's mutex, which
// is held for a few instructions at a time. Close blocks until every
// accepted function has run; call it from the pool's owner, never from a
// function running on the pool. Functions run on worker goroutines, so they
// must not touch a loop's state: they hand results back with Do or
// loop.Post.
//
// # Policies
//
// Workers are ephemeral. Submit starts a worker, and hands it the function,
// when fewer than the maximum are running; otherwise the function waits in
// a FIFO queue. A worker that finishes takes the head of the queue, or
// exits if it is empty. An idle pool therefore holds no goroutine and
// cannot leak one, and Stats().Workers is 0.
//
// The queue is unbounded, and Stats().MaxQueued is its high-water mark. A
// bound would have to either block Submit, which would stall the loop that
// called it, or drop work, which would lose a result someone awaits.
// Back-pressure belongs to the caller, who knows what may wait: a semaphore
// in front of the pool, say, held across Do.
//
// A panic in a function is recovered on its worker with its stack. Through
// Do it becomes the error then receives. Through Submit it goes to the
// handler set by WithPanicHandler or, by default, the first one is kept and
// Close returns it, as conc's pool returns panics from Wait. Either way the
// worker and the pool go on.
//
// # Costs
//
// Measured on 2 cores with empty functions, so that only the hand-off
// counts (docs/offload.md has the table and the command). A function that
// finds the pool idle pays for a goroutine start: about 1 µs from Submit to
// learning it ran, 0.1 to 0.4 µs more than waking a parked worker of a fixed
// pool, once per burst rather than once per function. While work keeps
// coming, workers stay and Submit costs ~250 ns per function (a go
// statement per function: ~420 ns; a channel to fixed workers: ~80 ns, the
// price of one mutex shared by the workers and the submitter). A Do round
// trip, loop to worker to loop, costs ~1 µs alone and ~210 ns per call with
// 64 in flight, level with fixed workers and a channel. Offloaded calls
// block for microseconds to milliseconds, which dwarfs all of these.
package offload
