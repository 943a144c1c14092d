package loop

// A Job is work queued on a loop as a value rather than a func: a type that
// is already allocated (a future's reaction, a fiber) queues itself with
// MicrotaskJob or ScheduleJob without allocating a closure.
type Job interface{ Run() }

// A Recoverer is a microtask Job that takes care of its own panics: when
// its Run panics, the loop recovers (in the frame below Run, so the stack
// of the panic is kept) and calls Recover with the panic as an error
// (*panics.ErrRecovered) instead of applying its panic policy; the drain
// goes on. A future's reaction rejects its future this way, which spares
// every reaction a deferred recover of its own. Recover must not panic.
type Recoverer interface {
	Job
	Recover(err error)
}

// funcJob lets a func travel through a job queue. Funcs are pointer-shaped,
// so converting one to a Job allocates nothing.
type funcJob func()

func (f funcJob) Run() { f() }

// jobQueue is a FIFO of jobs on two slices, owned by the loop goroutine and
// never locked; the loop's ready queue and its microtask queue are both one.
// Push appends to next; Pop walks run by index and, when run is used up,
// swaps next in as the new run. Both slices only grow, so a loop in a steady
// state queues and runs jobs without allocating, and neither operation masks
// an index as a ring would: against the ring of the first commit, a
// microtask went from 11.7 to 8.6 ns in the same run (docs/benchmarks.md).
type jobQueue struct {
	run  []Job // the batch being walked
	i    int   // next index in run
	next []Job // queued since run was swapped in
}

func (q *jobQueue) Len() int { return len(q.run) - q.i + len(q.next) }

func (q *jobQueue) Push(j Job) { q.next = append(q.next, j) }

// Pop removes and returns the oldest job; the queue must not be empty. The
// slot is cleared so that a job that has run does not stay reachable.
func (q *jobQueue) Pop() Job {
	if q.i == len(q.run) {
		q.run, q.next, q.i = q.next, q.run[:0], 0
	}
	j := q.run[q.i]
	q.run[q.i] = nil
	q.i++
	return j
}

// Peek returns the oldest job without removing it; the queue must not be
// empty.
func (q *jobQueue) Peek() Job {
	if q.i < len(q.run) {
		return q.run[q.i]
	}
	return q.next[0]
}

// Clear drops every queued job.
func (q *jobQueue) Clear() {
	clear(q.run)
	clear(q.next)
	q.run, q.next, q.i = q.run[:0], q.next[:0], 0
}
