package timer

import "fmt"

// CheckInvariants verifies what the black-box tests cannot see: the heap
// order, the invariants of lazy deletion written in heap.go, and the
// bookkeeping behind Len.
func (q *Queue) CheckInvariants() error {
	stale := 0
	for i := range q.heap {
		e := &q.heap[i]
		if e.t == nil {
			return fmt.Errorf("heap[%d] has no timer", i)
		}
		if e.stale() {
			stale++
		} else if e.when != e.t.when {
			return fmt.Errorf("heap[%d]: live entry when %d, timer when %d", i, e.when, e.t.when)
		}
		if i > 0 && less(e, &q.heap[(i-1)/4]) {
			return fmt.Errorf("heap[%d] sorts before its parent", i)
		}
	}
	if stale != q.stale {
		return fmt.Errorf("stale count %d, heap holds %d", q.stale, stale)
	}
	if len(q.heap) > 0 && q.heap[0].stale() {
		return fmt.Errorf("stale entry on top")
	}
	if stale > compactMin && 2*stale > len(q.heap) {
		return fmt.Errorf("%d stale entries out of %d", stale, len(q.heap))
	}
	n := 0
	for _, t := range q.batch[q.pos:] {
		if t.state == firing {
			n++
		}
	}
	if n != q.nfiring {
		return fmt.Errorf("nfiring %d, batch holds %d", q.nfiring, n)
	}
	return nil
}

// HeapLen and HeapCap expose the heap's size to test that stale entries
// and a burst's capacity are given back.
func (q *Queue) HeapLen() int { return len(q.heap) }
func (q *Queue) HeapCap() int { return cap(q.heap) }
