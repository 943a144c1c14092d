package timer

// The queue is an implicit 4-ary min-heap of entries ordered by (when, seq).
// Compared with a binary heap it is half as deep, so a push or a pop touches
// half as many cache lines. docs/timers.md has the measurements that chose
// it over a hierarchical timing wheel.
//
// Deletion is lazy. Stop only frees the timer's slot, and Reset of a pending
// timer pushes a new entry: the old entry stays in the heap, stale, until it
// reaches the top or the heap is compacted. So the heap never needs to know
// where a timer sits, a slot carries no index, and sifting moves entries
// without touching the slots they name (each touch would be a cache miss).
// Two invariants make it safe:
//
//   - the top entry is never stale, so Next is a single load;
//   - stale entries are at most half of the heap (plus compactMin), so
//     the heap stays within a small factor of what is pending.

// entry carries its own copy of the ordering key: sifting never looks at
// the slot. An entry is live while its slot is pending and armed with this
// seq; every arming takes a new seq, so an entry left behind by Stop or
// Reset can never be mistaken for a live one, even once the slot has been
// taken by another timer. An entry holds no pointer, so the garbage
// collector never scans the heap.
type entry struct {
	when int64
	seq  uint64
	slot uint32
}

func (q *Queue) isStale(e *entry) bool {
	s := &q.slots[e.slot]
	return s.state != pending || s.seq != e.seq
}

func less(a, b *entry) bool {
	return a.when < b.when || a.when == b.when && a.seq < b.seq
}

// compactMin is the number of stale entries tolerated whatever the size of
// the heap, so a small queue does not rebuild on every Stop.
const compactMin = 64

// shrinkAbove is the capacity (in entries or slots) under which the heap, the
// batch and the slab are never shrunk, so that a steady loop does not
// reallocate. A variable only so that tests can make bursts small.
var shrinkAbove = 4096

func (q *Queue) push(e entry) {
	if len(q.heap) == cap(q.heap) {
		q.grow()
	}
	q.heap = append(q.heap, e)
	q.up(len(q.heap) - 1)
}

// pop removes the top entry. Rather than sifting the last entry down from
// the root, which compares it with the smallest child at every level, it
// moves the hole left by the root down to a leaf along the smallest children
// and fills it with the last entry, which seldom has to climb back: the last
// entry is one of the latest deadlines. That saves a fourth of the
// comparisons, and pop is what Expire does for every timer.
func (q *Queue) pop() {
	h := q.heap
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	q.heap = h
	if n == 0 {
		return
	}
	i := 0
	for {
		c := 4*i + 1
		if c+3 >= n {
			if c < n {
				i = q.minChild(c, n)
			}
			break
		}
		// A tournament rather than a scan: the two first-round
		// comparisons do not depend on each other.
		a, b := c, c+2
		if less(&h[c+1], &h[a]) {
			a = c + 1
		}
		if less(&h[c+3], &h[b]) {
			b = c + 3
		}
		if less(&h[b], &h[a]) {
			a = b
		}
		h[i] = h[a]
		i = a
	}
	h[i] = last
	q.up(i)
}

// minChild moves the smallest of the last, incomplete group of children,
// h[c:n], into its parent's hole and returns the new hole.
func (q *Queue) minChild(c, n int) int {
	h := q.heap
	m := c
	for j := c + 1; j < n; j++ {
		if less(&h[j], &h[m]) {
			m = j
		}
	}
	h[(c-1)/4] = h[m]
	return m
}

// staled is called after the entry armed with seq became stale.
func (q *Queue) staled(seq uint64) {
	q.stale++
	if q.heap[0].seq == seq {
		q.settle()
	}
	q.maybeCompact()
}

func (q *Queue) maybeCompact() {
	if q.stale > compactMin && q.stale > len(q.heap)/2 {
		q.compact()
	}
}

// settle pops stale entries off the top, restoring the first invariant.
func (q *Queue) settle() {
	for len(q.heap) > 0 && q.isStale(&q.heap[0]) {
		q.pop()
		q.stale--
	}
}

// compact drops every stale entry and rebuilds the heap bottom-up, in O(n).
// It runs at most once per len/2 stale entries, so it costs O(1) amortized
// per Stop.
func (q *Queue) compact() {
	live := q.heap[:0]
	for i := range q.heap {
		if !q.isStale(&q.heap[i]) {
			live = append(live, q.heap[i])
		}
	}
	q.heap = live
	q.stale = 0
	for i := (len(live) - 2) / 4; i >= 0; i-- {
		q.down(i)
	}
}

func (q *Queue) up(i int) {
	h := q.heap
	e := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !less(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

func (q *Queue) down(i int) {
	h := q.heap
	n := len(h)
	e := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if less(&h[j], &h[m]) {
				m = j
			}
		}
		if !less(&h[m], &e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}

// grow doubles the heap. append alone grows large slices by a quarter at a
// time, and since shrink gives the memory back after a burst, every burst
// would pay that slow growth again: 5 times the final size copied instead
// of 2.
func (q *Queue) grow() {
	h := make([]entry, len(q.heap), max(64, 2*cap(q.heap)))
	copy(h, q.heap)
	q.heap = h
}

// shrink gives memory back after a burst: a loop that once held a million
// timers should not keep a 24 MB heap for the rest of its life. Halving only
// when three quarters are unused keeps the cost amortized O(1).
func (q *Queue) shrink() {
	if c := cap(q.heap); c > shrinkAbove && len(q.heap) < c/4 {
		h := make([]entry, len(q.heap), c/2)
		copy(h, q.heap)
		q.heap = h
	}
}
