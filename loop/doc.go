// Package loop is weft's loop core: one goroutine runs a loop of tasks,
// microtasks, timers and I/O readiness, and every other layer (futures,
// fibers, sockets, files) queues its work here.
//
// # Who may call what
//
// A Loop is owned by the goroutine that calls Run. State that only the loop
// touches needs no lock. Other goroutines enter through one door, Post, a
// mutex-guarded queue with a coalesced wake-up: a Post wakes the poller only
// when the loop is asleep in it, so a burst of Posts costs one wake-up
// syscall. Post, Stop, Close, OnClose, OnLoop, Now and Stats are safe from
// any goroutine; Schedule, Microtask (and their Job forms), AfterFunc, At,
// Register and Unregister are for code running on the loop. OnLoop tells
// the two apart for the layers above, in a few nanoseconds.
//
// # One turn
//
// Each turn (see turn in loop.go) takes the posted tasks, fires the timers
// due, runs up to a budget of ready tasks, and then polls: without blocking
// when work is left, otherwise until the next timer, a Post or I/O. After
// every task, timer callback and readiness event the microtask queue is
// drained, so a reaction queued by a task runs before the next task, and
// never inside the call that queued it: a chain of a million microtasks
// uses constant stack. Two budgets keep the loop fair: one turn runs at most
// 256 ready tasks (those queued during the phase included), and one drain
// runs at most 4096 microtasks; the rest waits for the next turn, after
// timers and I/O have had theirs.
//
// # Panics
//
// A panic in a task, timer callback, readiness handler or microtask is
// recovered in the frame just below the user's code, so its stack is kept,
// and becomes an error (*panics.ErrRecovered). With WithPanicHandler the
// handler receives it and the loop goes on; without one the loop stops
// and Run returns it. The loop's own state is never half-updated: a task is
// taken off its queue before it runs.
//
// # Debugging
//
// WithStall reports anything that holds the loop too long, with its stack;
// WithDebug (or WEFT_DEBUG=1) switches on debug mode for the layers above
// (creation sites, async stack traces, pprof labels, runtime/trace tasks);
// Stats carries a lag histogram and ID names the loop. Package weft/debug
// dumps and exports it all; docs/debugging.md explains.
//
// # Costs
//
// Measured on 2 cores (docs/benchmarks.md): Post from another goroutine is
// cheaper than a channel send to a worker goroutine; a microtask enqueue
// plus run costs a few nanoseconds and allocates nothing once the queue has
// grown; a Loop holds two fds (the poller and its wake-up fd).
//
// # How an idle loop waits
//
// On Linux an idle loop parks its goroutine in Go's netpoller, so a Post
// from another goroutine wakes it like a channel send, without a system
// call. A loop whose work comes from its own sockets (a server loop with
// its own listener) waits more cheaply with WithBlockingWait, its thread
// blocked in epoll_wait, at the price of dearer Posts (docs/poller.md).
package loop
