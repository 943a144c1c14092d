// Package timer provides the timer queue of a single-threaded event loop: a
// set of callbacks keyed by deadline, with O(1) "next deadline" for the poll
// timeout.
//
// # Model
//
// Time is a parameter, never read from a clock: deadlines and the now given
// to Expire are int64 nanoseconds on whatever monotonic clock the caller
// chooses, so a virtual clock drives the queue in tests. Deadline turns a
// time.Duration into such a deadline without overflow. A loop turn looks
// like this:
//
//	when, ok := q.Next()      // O(1); poll with timeout when-now, or forever if !ok
//	... poll for I/O ...
//	q.Expire(clock(), runTask) // fire what is due, in deadline order
//
// Timers fire in order of deadline, and timers with the same deadline in the
// order they were armed (by Add or Reset). Expire works on a snapshot: a
// timer armed by a callback fires on the next Expire at the earliest, even if
// its deadline has passed, so callbacks never re-enter and a callback that
// re-arms itself cannot starve the loop.
//
// # Who may call what
//
// A Queue and its Timers are not safe for concurrent use. One goroutine, the
// loop that owns the Queue, calls every method; another goroutine that wants
// to arm or stop a timer posts a task to that loop. Callbacks run inside
// Expire on the same goroutine and may call any method except Expire. No
// method blocks or starts a goroutine.
//
// # Costs
//
// The queue is a 4-ary min-heap with lazy deletion (see heap.go), chosen over
// a hierarchical timing wheel by the benchmarks in docs/timers.md. With n
// pending timers:
//
//   - Add: one 48-byte allocation and O(log n), O(1) on average;
//   - Stop: O(1), or O(log n) amortized when t is the earliest timer;
//   - Reset: no allocation, O(log n), O(1) on average;
//   - Next, Len, When, Pending: O(1);
//   - Expire: O(k log n) to fire k timers, O(1) when nothing is due.
//
// On the 2-core machine of docs/timers.md, with 10,000 timers pending, an
// Add plus Stop costs about 150 ns (time.AfterFunc plus Stop: 380 ns), half
// of it the allocation of the Timer; a Reset plus Stop of a kept Timer 40 ns;
// Next 2.5 ns; an Add plus the Expire that fires it 250 ns.
//
// Stopped and re-armed timers leave entries in the heap until they surface
// or the heap is compacted; at most about as many as there are pending
// timers, so the memory (and the callbacks those stale entries keep
// reachable) stays within a small factor of what is pending.
package timer
