package timer

// Timer states. A Timer is in exactly one of them; the zero value is idle so
// that Stop on a zero Timer is a harmless no-op.
const (
	idle    uint8 = iota // never armed, fired, or stopped
	pending              // armed: has a live entry in the heap
	firing               // collected by the running Expire, not yet run
)

// Queue is a timer queue ordered by deadline, then by insertion. The zero
// value is an empty queue ready to use. A Queue must not be copied after
// first use, and it is not safe for concurrent use: see the package comment.
type Queue struct {
	heap  []entry
	stale int    // entries in heap left behind by Stop or Reset
	seq   uint64 // arming counter; breaks ties between equal deadlines

	// State of the running Expire. batch[pos:] is the part of the snapshot
	// that has not been looked at yet; nfiring counts the timers of the
	// batch that are still due to run, so that Len stays exact while
	// callbacks stop or reset their neighbours.
	batch    []*Timer
	pos      int
	nfiring  int
	expiring bool
}

// Timer is the handle of one callback in a Queue, returned by Queue.Add. It
// stays valid after the timer fires or is stopped, and Reset re-arms it, so a
// periodic or idle timeout reuses one allocation.
type Timer struct {
	q     *Queue
	f     func()
	when  int64
	seq   uint64 // of the current arming; see entry
	state uint8
}

// Add arms f to run at the first Expire whose now is at or after when, and
// returns its handle. when may be in the past; the timer then fires on the
// next Expire. Timers with equal deadlines fire in the order they were added.
// Add panics if f is nil. It costs one allocation and O(log n) time, O(1) on
// average: a new timeout is usually later than most pending ones.
func (q *Queue) Add(when int64, f func()) *Timer {
	if f == nil {
		panic("timer: nil func")
	}
	q.seq++
	t := &Timer{q: q, f: f, when: when, seq: q.seq}
	q.push(t)
	return t
}

// Stop cancels t. It reports whether the call prevented t from running: true
// if t was pending (including a timer collected by the running Expire whose
// turn has not come yet), false if it had already fired or been stopped.
// Stop is O(1) unless t is the earliest timer.
func (t *Timer) Stop() bool {
	switch t.state {
	case pending:
		t.state = idle
		t.q.staled(t, t.seq)
	case firing:
		t.state = idle
		t.q.nfiring--
	default:
		return false
	}
	return true
}

// Reset re-arms t to fire at when, whatever its state, and reports whether it
// was pending before the call. A reset counts as a new insertion: among timers
// with the same deadline, t now fires last. Reset called from a callback
// during Expire never makes t fire in that same Expire, even if when is in
// the past. Reset panics on a Timer that was not returned by Add.
func (t *Timer) Reset(when int64) bool {
	q := t.q
	if q == nil {
		panic("timer: Reset of a Timer not made by Queue.Add")
	}
	old := t.seq
	q.seq++
	t.when = when
	t.seq = q.seq
	switch t.state {
	case pending:
		q.push(t)
		q.staled(t, old)
		return true
	case firing:
		// Leaving the firing state is what keeps it out of the current
		// batch: Expire skips batch entries that are no longer firing.
		q.nfiring--
		q.push(t)
		return true
	}
	q.push(t)
	return false
}

// When returns the deadline t was last armed with.
func (t *Timer) When() int64 { return t.when }

// Pending reports whether t will still run: it is armed, or it was collected
// by the running Expire and its turn has not come yet.
func (t *Timer) Pending() bool { return t.state != idle }

// Next returns the earliest deadline among the timers that a later Expire
// would fire, and ok=false if there is none. The event loop turns it into its
// poll timeout. Next is O(1): the heap never leaves a stopped timer on top.
// During Expire it ignores the batch being run.
func (q *Queue) Next() (when int64, ok bool) {
	if len(q.heap) == 0 {
		return 0, false
	}
	return q.heap[0].when, true
}

// Len returns the number of pending timers, counting those of the running
// Expire's batch that have not run yet.
func (q *Queue) Len() int { return len(q.heap) - q.stale + q.nfiring }

// Expire fires every timer whose deadline is at or before now, in order of
// deadline and then insertion, and returns how many ran.
//
// The set of timers to fire is taken as a snapshot before the first one runs.
// A timer added or reset by a callback therefore waits for the next Expire
// even if its deadline has passed: a callback that re-arms itself with a past
// deadline runs once per Expire instead of looping forever. A callback that
// stops a timer of the batch whose turn has not come prevents its run; one
// that resets it moves it out of the batch.
//
// If run is nil Expire calls each callback directly; otherwise it calls
// run(f) for each, letting the caller wrap callbacks (recover panics, drain
// a microtask queue) without an allocation per timer.
//
// Expire does not recover panics. If a callback (or run) panics, the timer
// that panicked counts as fired, the timers of the batch that had not run yet
// are put back with their original order, and the panic propagates; the next
// Expire runs them first among timers with the same deadline. Calling Expire
// from a callback panics.
func (q *Queue) Expire(now int64, run func(f func())) int {
	if q.expiring {
		panic("timer: Expire called from a timer callback")
	}
	q.shrink()
	if len(q.heap) == 0 || q.heap[0].when > now {
		return 0
	}
	q.expiring = true
	defer q.endExpire()

	batch := q.batch[:0]
	for len(q.heap) > 0 && q.heap[0].when <= now {
		e := q.heap[0]
		q.pop()
		if e.stale() {
			q.stale--
			continue
		}
		e.t.state = firing
		batch = append(batch, e.t)
	}
	q.settle()
	q.maybeCompact()
	q.batch, q.pos, q.nfiring = batch, 0, len(batch)

	fired := 0
	for q.pos < len(q.batch) {
		t := q.batch[q.pos]
		q.pos++
		if t.state != firing {
			continue // stopped or reset by an earlier callback of the batch
		}
		// Mark it fired before the call: a callback may Reset its own
		// timer, and one that panics must not run again.
		t.state = idle
		q.nfiring--
		fired++
		if run == nil {
			t.f()
		} else {
			run(t.f)
		}
	}
	return fired
}

// endExpire runs deferred so that a panicking callback leaves the queue
// consistent. After a normal return there is nothing left in the batch.
func (q *Queue) endExpire() {
	for _, t := range q.batch[q.pos:] {
		if t.state == firing {
			// Back into the heap with its old seq, so it keeps its
			// place ahead of anything armed during the batch.
			q.push(t)
		}
	}
	clear(q.batch) // drop references so fired timers can be collected
	if cap(q.batch) > shrinkAbove {
		q.batch = nil
	} else {
		q.batch = q.batch[:0]
	}
	q.pos, q.nfiring, q.expiring = 0, 0, false
}
