package timer

// Queue is a timer queue ordered by deadline, then by insertion. The zero
// value is an empty queue ready to use. A Queue must not be copied after
// first use; overwriting it with a zero Queue drops every timer, and their
// Timers are then dead. It is not safe for concurrent use: see the package
// comment.
type Queue struct {
	heap  []entry
	stale int    // entries in heap left behind by Stop or Reset
	seq   uint64 // arming counter: orders equal deadlines, and ids for Timers

	// The slab of timers; see slab.go.
	slots []slot
	free  uint32 // index+1 of the first free slot, 0 if none
	live  int    // slots in use: pending, or collected and not yet run
	limit int    // while draining, slots from here up stay free; else 0
	above int    // slots in use from limit up

	// State of the running Expire: batch[pos:] is the part of the snapshot
	// that has not been looked at yet.
	batch    []uint32
	pos      int
	expiring bool
}

// Timer is the handle of one callback in a Queue, returned by Add. It is a
// small value, meant to be copied and compared; the zero Timer is no timer.
// A Timer is live until its callback is called or it is stopped, and dead
// from then on, for good: Stop, Reset, Pending and When then do nothing and
// report so, even after its slot in the Queue is taken by another timer. To
// run a callback again, Add it again, which costs no allocation.
type Timer struct {
	q    *Queue
	slot uint32
	id   uint64 // the slot's id while t is live; see slot
}

// Add arms f to run at the first Expire whose now is at or after when, and
// returns its handle. when may be in the past; the timer then fires on the
// next Expire. Timers with equal deadlines fire in the order they were added.
// Add panics if f is nil. It allocates only when the queue outgrows its
// memory, and costs O(log n) time, O(1) on average: a new timeout is usually
// later than most pending ones.
func (q *Queue) Add(when int64, f func()) Timer {
	if f == nil {
		panic("timer: nil func")
	}
	i := q.alloc()
	q.seq++
	s := &q.slots[i]
	s.f, s.when, s.seq, s.id, s.state = f, when, q.seq, q.seq, pending
	q.push(entry{when, q.seq, i})
	return Timer{q, i, q.seq}
}

// live returns t's slot, or nil if t is dead or the zero Timer.
func (t Timer) live() *slot {
	if t.q == nil || int(t.slot) >= len(t.q.slots) {
		return nil // the zero Timer, or a slot cut off by shrinkSlots
	}
	if s := &t.q.slots[t.slot]; s.id == t.id {
		return s
	}
	return nil
}

// Stop cancels t. It reports whether the call prevented t from running: true
// if t was live (including a timer collected by the running Expire whose turn
// has not come yet), false if it had already been called or stopped, or is
// the zero Timer. Inside its own callback a timer is no longer live. Stop is
// O(1) unless t is the earliest timer.
func (t Timer) Stop() bool {
	s := t.live()
	if s == nil {
		return false
	}
	wasPending, seq := s.state == pending, s.seq
	t.q.release(t.slot)
	if wasPending {
		t.q.staled(seq)
	}
	// A firing timer has no heap entry; Expire skips batch slots that are
	// no longer firing.
	return true
}

// Reset re-arms a live timer to fire at when and reports true; it does
// nothing and reports false if t has already been called or stopped, or is
// the zero Timer (Add a new one instead). A reset counts as a new insertion:
// among timers with the same deadline, t now fires last. A timer collected
// by the running Expire and reset before its turn leaves the batch: Reset
// called from a callback never makes t fire in that same Expire, even if
// when is in the past.
func (t Timer) Reset(when int64) bool {
	s := t.live()
	if s == nil {
		return false
	}
	q := t.q
	q.seq++
	old := s.seq
	s.when, s.seq = when, q.seq
	q.push(entry{when, q.seq, t.slot})
	if s.state == pending {
		q.staled(old)
	} else {
		// Leaving the firing state is what keeps it out of the current
		// batch: Expire skips batch slots that are no longer firing.
		s.state = pending
	}
	return true
}

// When returns the deadline t is armed with, or 0 if t is dead.
func (t Timer) When() int64 {
	if s := t.live(); s != nil {
		return s.when
	}
	return 0
}

// Pending reports whether t is live: it will still run unless stopped,
// because it is armed or because the running Expire has collected it and
// its turn has not come yet.
func (t Timer) Pending() bool { return t.live() != nil }

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

// Len returns the number of live timers, counting those of the running
// Expire's batch that have not run yet.
func (q *Queue) Len() int { return q.live }

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
// A timer dies just before its callback is called, so the callback may Add
// timers into the memory it leaves, and its own Timer reports that it is no
// longer pending.
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
//
// Expire is also where the queue gives back memory after a burst.
func (q *Queue) Expire(now int64, run func(f func())) int {
	if q.expiring {
		panic("timer: Expire called from a timer callback")
	}
	q.shrink()
	q.shrinkSlots()
	if len(q.heap) == 0 || q.heap[0].when > now {
		return 0
	}
	q.expiring = true
	defer q.endExpire()

	batch := q.batch[:0]
	for len(q.heap) > 0 && q.heap[0].when <= now {
		e := q.heap[0]
		q.pop()
		if q.isStale(&e) {
			q.stale--
			continue
		}
		q.slots[e.slot].state = firing
		batch = append(batch, e.slot)
	}
	q.settle()
	q.maybeCompact()
	q.batch, q.pos = batch, 0

	fired := 0
	for q.pos < len(q.batch) {
		i := q.batch[q.pos]
		q.pos++
		// Not a pointer kept across calls: a callback's Add may move the slab.
		s := &q.slots[i]
		if s.state != firing {
			continue // stopped or reset by an earlier callback of the batch
		}
		// Free the slot before the call: a callback may Add into it, and
		// one that panics must not run again.
		f := s.f
		q.release(i)
		fired++
		if run == nil {
			f()
		} else {
			run(f)
		}
	}
	return fired
}

// endExpire runs deferred so that a panicking callback leaves the queue
// consistent. After a normal return there is nothing left in the batch.
// A slot of the batch is still firing only if nothing touched it since it
// was collected: once freed, it can be taken again but only as pending,
// since only Expire marks slots firing.
func (q *Queue) endExpire() {
	for _, i := range q.batch[q.pos:] {
		if s := &q.slots[i]; s.state == firing {
			// Back into the heap with its old seq, so it keeps its
			// place ahead of anything armed during the batch.
			s.state = pending
			q.push(entry{s.when, s.seq, i})
		}
	}
	if cap(q.batch) > shrinkAbove {
		q.batch = nil
	} else {
		q.batch = q.batch[:0]
	}
	q.pos, q.expiring = 0, false
}
