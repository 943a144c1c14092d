package timer

import "fmt"

// CheckInvariants verifies what the black-box tests cannot see: the heap
// order, the invariants of lazy deletion written in heap.go, the slab's free
// list and draining, and the bookkeeping behind Len.
func (q *Queue) CheckInvariants() error {
	// Every pending slot has exactly one live entry, with its deadline.
	liveEntries := make(map[uint32]bool)
	stale := 0
	for i := range q.heap {
		e := &q.heap[i]
		if int(e.slot) >= len(q.slots) {
			return fmt.Errorf("heap[%d] names slot %d of %d", i, e.slot, len(q.slots))
		}
		if q.isStale(e) {
			stale++
		} else {
			if s := &q.slots[e.slot]; e.when != s.when {
				return fmt.Errorf("heap[%d]: live entry when %d, slot when %d", i, e.when, s.when)
			}
			if liveEntries[e.slot] {
				return fmt.Errorf("slot %d has two live entries", e.slot)
			}
			liveEntries[e.slot] = true
		}
		if i > 0 && less(e, &q.heap[(i-1)/4]) {
			return fmt.Errorf("heap[%d] sorts before its parent", i)
		}
	}
	if stale != q.stale {
		return fmt.Errorf("stale count %d, heap holds %d", q.stale, stale)
	}
	if len(q.heap) > 0 && q.isStale(&q.heap[0]) {
		return fmt.Errorf("stale entry on top")
	}
	if stale > compactMin && 2*stale > len(q.heap) {
		return fmt.Errorf("%d stale entries out of %d", stale, len(q.heap))
	}

	inBatch := make(map[uint32]bool)
	if q.expiring {
		for _, i := range q.batch[q.pos:] {
			inBatch[i] = true
		}
	}
	onList := make(map[uint32]bool)
	for f := q.free; f != 0; f = q.slots[f-1].next {
		i := f - 1
		if int(i) >= len(q.slots) || onList[i] {
			return fmt.Errorf("free list broken at slot %d", i)
		}
		if q.limit != 0 && int(i) >= q.limit {
			return fmt.Errorf("free slot %d above the draining limit %d", i, q.limit)
		}
		onList[i] = true
	}
	live, above := 0, 0
	for i := range q.slots {
		s := &q.slots[i]
		idx := uint32(i)
		switch s.state {
		case free:
			if s.f != nil || s.id != 0 {
				return fmt.Errorf("free slot %d keeps a func or an id", i)
			}
			if !onList[idx] && (q.limit == 0 || i < q.limit) {
				return fmt.Errorf("free slot %d is not on the free list", i)
			}
			continue
		case pending:
			if !liveEntries[idx] {
				return fmt.Errorf("pending slot %d has no live entry", i)
			}
		case firing:
			if !inBatch[idx] {
				return fmt.Errorf("firing slot %d is not in the batch", i)
			}
		default:
			return fmt.Errorf("slot %d in state %d", i, s.state)
		}
		if s.f == nil || s.id == 0 || s.id > q.seq {
			return fmt.Errorf("slot %d in use without a func or a valid id", i)
		}
		live++
		if q.limit != 0 && i >= q.limit {
			above++
		}
	}
	if live != q.live {
		return fmt.Errorf("live count %d, slab holds %d", q.live, live)
	}
	if q.limit != 0 && above != q.above {
		return fmt.Errorf("%d slots in use above the limit, counted %d", above, q.above)
	}
	return nil
}

// HeapLen and HeapCap expose the heap's size, SlabLen and SlabCap the
// slab's, to test that stale entries and a burst's memory are given back.
func (q *Queue) HeapLen() int { return len(q.heap) }
func (q *Queue) HeapCap() int { return cap(q.heap) }
func (q *Queue) SlabLen() int { return len(q.slots) }
func (q *Queue) SlabCap() int { return cap(q.slots) }

// SlotOf returns the slot a Timer names, to test that a reused slot does not
// bring an old Timer back to life.
func SlotOf(t Timer) uint32 { return t.slot }

// SetShrinkAbove sets the size under which nothing is shrunk, so that tests
// can exercise shrinking with small bursts, and returns a func restoring it.
func SetShrinkAbove(n int) (restore func()) {
	old := shrinkAbove
	shrinkAbove = n
	return func() { shrinkAbove = old }
}
