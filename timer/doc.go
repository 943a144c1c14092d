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
// adds itself again cannot starve the loop.
//
// # Who may call what
//
// A Queue and its Timers are not safe for concurrent use. One goroutine, the
// loop that owns the Queue, calls every method; another goroutine that wants
// to arm or stop a timer posts a task to that loop. Callbacks run inside
// Expire on the same goroutine and may call any method except Expire. No
// method blocks or starts a goroutine.
//
// # Handles
//
// Add returns a Timer, a 24-byte value naming a slot in the Queue's own
// memory, so arming a timer allocates nothing once the queue has grown. A
// Timer is live from Add until its callback is called or it is stopped, and
// dead for good afterwards: Stop and Reset then report false and do nothing,
// even when its slot has been given to a newer timer. A timer is dead inside
// its own callback; a periodic timer calls Add again, which is as cheap as a
// Reset. The zero Timer is dead.
//
// # Costs
//
// The queue is a 4-ary min-heap with lazy deletion (see heap.go) over a slab
// of timers (see slab.go), chosen over a hierarchical timing wheel by the
// benchmarks in docs/timers.md. With n pending timers:
//
//   - Add: no allocation (except to grow), O(log n), O(1) on average;
//   - Stop: O(1), or O(log n) amortized when t is the earliest timer;
//   - Reset: no allocation, O(log n), O(1) on average;
//   - Next, Len, When, Pending: O(1);
//   - Expire: O(k log n) to fire k timers, O(1) when nothing is due.
//
// On the 2-core machine of docs/timers.md, with 10,000 timers pending, an
// Add plus Stop costs about 40 ns (time.AfterFunc plus Stop: 350 ns), a
// Reset of a pending timer 27 ns, Next 2.6 ns, and an Add plus the Expire
// that fires it 120 ns.
//
// Stopped and re-armed timers leave entries in the heap until they surface
// or the heap is compacted; at most about as many as there are pending
// timers, and they keep no callback reachable. After a burst, Expire gives
// the memory back: the heap as it empties, the slab as the timers in its
// upper half finish (a timer cannot move while a Timer may name it).
package timer
