package timer

import (
	"math"
	"math/rand/v2"
)

// The timers live in a slab owned by the Queue, so that Add allocates
// nothing once the slab has grown: a Timer is an index into it plus the id
// of the Add that took the slot. Nothing points into the slab (the heap and
// the batch hold indexes, callers hold Timer values), so it grows by copying
// and shrinks by truncation.
//
// A slot is taken by Add and freed when its timer runs or is stopped; its
// id is then cleared, so every Timer that named it is dead from that moment,
// even after the slot is taken again. Ids come from the Queue's arming
// counter and never repeat: a uint32 generation per slot would, after 2^32
// reuses of one slot, which a loop cancelling timeouts as fast as it can
// reaches in about two minutes.

// Slot states; the zero value is free so that a new slot needs no setup.
const (
	free    uint8 = iota // on the free list, or being drained (see shrinkSlots)
	pending              // armed: has a live entry in the heap
	firing               // collected by the running Expire, not yet run
)

type slot struct {
	f     func() // nil when free, so a finished timer keeps no closure alive
	when  int64
	seq   uint64 // of the current arming; see entry
	id    uint64 // of the Add that took the slot; 0 when free
	next  uint32 // when free: index+1 of the next free slot, 0 at the end
	state uint8
}

// alloc takes a free slot, lowest index first after a rebuild of the free
// list and otherwise the one freed last, whose line is likely still cached.
func (q *Queue) alloc() uint32 {
	if q.free == 0 {
		q.more()
	}
	i := q.free - 1
	q.free = q.slots[i].next
	q.live++
	return i
}

// more puts at least one slot on the empty free list.
func (q *Queue) more() {
	if q.limit != 0 {
		// The slots below the limit are all in use: the queue is busy
		// again, so give up draining and hand out the free slots above.
		q.limit, q.above = 0, 0
		q.rebuildFree(len(q.slots))
		if q.free != 0 {
			return
		}
	}
	n := len(q.slots)
	if n == 0 && q.seq == 0 {
		// A new Queue, or one overwritten with a zero Queue: start the
		// ids at a random point below 2^62, so that a Timer from the old
		// contents does not name a new timer (the chance that the ranges
		// of ids overlap is about the number of timers over 2^62).
		q.seq = rand.Uint64N(1 << 62)
	}
	if uint64(n) >= math.MaxUint32 { // index+1 must fit in a uint32
		panic("timer: too many timers")
	}
	if n == cap(q.slots) {
		// Doubling, for the reason given at grow in heap.go.
		s := make([]slot, n, max(64, 2*n))
		copy(s, q.slots)
		q.slots = s
	}
	q.slots = q.slots[:n+1]
	q.free = uint32(n) + 1
}

// release frees slot i: its Timers die and its callback is dropped.
func (q *Queue) release(i uint32) {
	s := &q.slots[i]
	s.f, s.id, s.state = nil, 0, free
	q.live--
	if q.limit != 0 && int(i) >= q.limit {
		q.above-- // kept off the free list: the tail is being emptied
		return
	}
	s.next = q.free
	q.free = i + 1
}

// shrinkSlots gives memory back after a burst, as shrink does for the heap,
// but a slot cannot move while a Timer may name it. So when three quarters
// of the slab are free it starts draining its upper half: freed slots up
// there stay off the free list, new timers take the lowest free slots
// below, and once every timer up there has run or been stopped, the next
// Expire cuts the slab in two. A timer that stays pending in the upper half
// holds that memory until it goes; one that is never stopped holds it for
// good. If the lower half fills up first, Add calls the draining off.
//
// Each step scans the slab once, O(n), and is paid for by the n/4 timers
// that were freed before it or taken after it: O(1) amortized. It runs
// only from Expire, outside a batch, so no index in the batch can dangle.
func (q *Queue) shrinkSlots() {
	if q.limit != 0 {
		if q.above != 0 {
			return
		}
		q.cut() // and maybe start on the next half at once
	}
	n := len(q.slots)
	if n <= shrinkAbove || q.live >= n/4 {
		return
	}
	q.limit, q.above = n/2, 0
	for i := q.limit; i < n; i++ {
		if q.slots[i].state != free {
			q.above++
		}
	}
	q.rebuildFree(q.limit)
}

// cut drops the drained upper half of the slab.
func (q *Queue) cut() {
	if q.stale > 0 {
		q.compact() // stale entries may name the slots about to go
	}
	s := make([]slot, q.limit)
	copy(s, q.slots)
	q.slots, q.limit = s, 0
}

// rebuildFree makes the free list of the free slots below n, lowest first.
func (q *Queue) rebuildFree(n int) {
	q.free = 0
	for i := n - 1; i >= 0; i-- {
		if s := &q.slots[i]; s.state == free {
			s.next = q.free
			q.free = uint32(i) + 1
		}
	}
}
