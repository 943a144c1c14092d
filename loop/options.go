package loop

import (
	"time"

	"github.com/weftio/weft/netpoll/poller"
)

// An Option configures a Loop made by New or NewGroup.
type Option func(*config)

type config struct {
	poller     poller.Poller
	blocking   bool
	virtual    bool
	start      time.Time
	onPanic    func(error)
	taskBudget int
	microLimit int
	sim        *simConfig  // WithSimulation (sim.go)
	debug      debugConfig // WithDebug, WithStall (debug.go)
}

// WithPoller makes the loop use p instead of opening the platform's poller,
// for example a fake one in tests. The loop owns p and closes it. With a
// Group, every loop would share p, so there it is an error to use it.
func WithPoller(p poller.Poller) Option {
	return func(c *config) { c.poller = p }
}

// WithBlockingWait makes the loop block its thread in the kernel when it
// waits for I/O (poller.NewBlocking) instead of parking its goroutine in
// Go's netpoller, the default on Linux. It suits a loop fed by its own
// sockets, such as a server loop with its own SO_REUSEPORT listener: each
// wake-up is then one thread woken by the kernel (the echo benchmark's
// callback face, before its reads and writes were batched: 15-18 % less
// CPU per request at 50 connections in runs by hand, docs/poller.md). A
// Post from another goroutine to a waiting loop costs more in exchange: a
// system call and a thread wake-up (a 35 µs round trip against 9-11 µs
// parked, BenchmarkLoop_Wake/mode=idle p50, docs/poller.md).
// No effect with WithPoller, or where the poller always blocks (kqueue).
func WithBlockingWait() Option {
	return func(c *config) { c.blocking = true }
}

// WithVirtualTime runs the loop on a virtual clock that starts at start (the
// zero time means time.Now()). Virtual time stands still while the loop has
// work; when the loop would sleep until a timer, the clock jumps to the
// timer's deadline instead. I/O is still real: a loop on virtual time polls
// without blocking while timers are pending, so a timeout can fire before
// real I/O had a chance to complete. Meant for tests.
func WithVirtualTime(start time.Time) Option {
	return func(c *config) { c.virtual, c.start = true, start }
}

// WithPanicHandler sets h to receive every panic of a task, timer callback,
// I/O handler or microtask, as an error carrying the panic's value and stack
// (*panics.ErrRecovered from github.com/sourcegraph/conc/panics); the loop
// goes on. h runs on the loop. Without a handler the first panic stops the
// loop and Run returns it.
func WithPanicHandler(h func(error)) Option {
	return func(c *config) { c.onPanic = h }
}

// WithBudgets sets the fairness budgets: the most ready tasks one turn runs
// before polling for I/O (default 256) and the most microtasks one drain runs
// before timers and I/O get a turn (default 4096). Values below 1 keep the
// default.
func WithBudgets(tasks, microtasks int) Option {
	return func(c *config) {
		if tasks > 0 {
			c.taskBudget = tasks
		}
		if microtasks > 0 {
			c.microLimit = microtasks
		}
	}
}
