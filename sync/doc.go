// Package sync provides synchronisation for the fibers of a weft loop
// (package github.com/weftio/weft/fiber): Mutex, RWMutex, a weighted
// Semaphore, WaitGroup, Cond, Event (the set/clear/wait flags of classic
// async I/O), Once, and a bounded Chan with Select over several Chans and
// futures. Import it under another name, such as wsync, beside the
// standard library's sync.
//
// # The model
//
// A primitive here is loop state, like a future: it belongs to the loop of
// the fibers that use it and needs no lock of its own. A call that waits
// parks the calling fiber (fiber.Suspend), never the OS thread, so the
// loop runs its other fibers, tasks and I/O meanwhile. Every such wait is
// first in, first out: a lock, units of a semaphore, a Chan's values are
// handed to the waiter at the front, before it even runs, so a newcomer
// never overtakes a fiber that waits.
//
// Because only one fiber of a loop runs at a time and only parks where it
// says so, code between two parks needs no lock at all: a Mutex is for a
// critical section that parks, a Cond needs no Locker unless the condition
// is changed across parks.
//
// # Who may call what
//
// The calls that can wait (Lock, RLock, Acquire, Wait, Do, Send, Recv,
// Select) take the calling fiber's context and may only be called by a
// fiber when they have to wait; fiber.Suspend panics otherwise. The calls
// that never wait (Unlock, RUnlock, Release, Add, Done, Set, Clear,
// Signal, Broadcast, Close, the Try forms) may be called by any code
// running on the loop: a fiber, a task, a future's reaction, an I/O
// callback. No call may come from another goroutine: that is a data race
// on loop state, as it would be for a future's Result. Zero values are
// ready to use (an unlocked Mutex, an unbuffered Chan, a cleared Event),
// except for Semaphore, which needs a size from NewSemaphore.
//
// # Cancellation
//
// A call that can succeed at once does, whatever its context, as
// fiber.Await does with a settled future; the context bounds only the
// wait. If the context is done before the wait is over, the call returns
// the context's error and leaves the primitive unchanged: no lock, unit or
// value is held or lost, the caller is out of the queue, and whoever was
// behind it is served if it was all that held them up. If what the caller
// waited for was handed to it first, the call returns nil even if the
// context is cancelled before the fiber runs: it has it, and must release
// it as usual.
//
// # Misuse and deadlocks
//
// Misuse panics with a message that starts with "sync: ": Unlock of an
// unlocked Mutex, a negative WaitGroup counter, Release of more than is
// held, Send on a closed Chan, Close of a closed Chan. A fiber waits here
// through fiber.Suspend, so when every fiber of a loop is parked and
// nothing can wake them, fiber.Run returns a *fiber.DeadlockError naming
// the wait of each ("Mutex.Lock", "Chan.Recv", "Select").
//
// # Costs
//
// A call that does not wait costs a few nanoseconds and allocates nothing
// (a Lock and Unlock about 6 ns, a Send and Recv through a buffer about
// 20 ns, 3.4× less than a buffered Go channel). A wait costs a switch out
// of the fiber, through the loop, into the fiber woken: about 0.4 µs for a
// Mutex handed from one fiber to another on a 2-core VM, 1.5× less than a
// sync.Mutex handed between two goroutines there (bench_test.go sets each
// beside its goroutine baseline; figures in docs/benchmarks.md, "sync"). A wait allocates nothing once the primitive has had as many
// waiters at once before; Select allocates a little per case.
package sync
