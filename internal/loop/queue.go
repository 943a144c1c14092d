package loop

// funcQueue is a FIFO of funcs on a power-of-two ring buffer. It is owned by
// the loop goroutine and never locked. The ring only grows, so a loop in a
// steady state enqueues and dequeues without allocating.
type funcQueue struct {
	buf  []func()
	head int // index of the oldest element
	n    int // number of elements
}

func (q *funcQueue) Len() int { return q.n }

func (q *funcQueue) Push(f func()) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = f
	q.n++
}

// Pop removes and returns the oldest func. The slot is cleared so that a run
// closure does not stay reachable from the ring.
func (q *funcQueue) Pop() func() {
	f := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return f
}

func (q *funcQueue) grow() {
	size := 2 * len(q.buf)
	if size == 0 {
		size = 64
	}
	buf := make([]func(), size)
	// Unwrap the ring so that the oldest element lands at index 0.
	k := copy(buf, q.buf[q.head:])
	copy(buf[k:], q.buf[:q.head])
	q.buf, q.head = buf, 0
}

// Clear drops every queued func.
func (q *funcQueue) Clear() {
	clear(q.buf)
	q.head, q.n = 0, 0
}

// batchQueue is the microtask queue: a FIFO of funcs on two slices. Funcs
// are appended to next; a drain (Loop.runMicrotasks, which walks the fields
// itself to keep the hot loop tight) swaps next in as run and walks it by
// index.
// Against the ring, a push is a plain append and a pop needs no index
// masking, which is most of a microtask's cost (docs/benchmarks.md).
type batchQueue struct {
	run  []func() // the batch being drained
	i    int      // next index in run
	next []func() // queued while run drains
}

func (q *batchQueue) Len() int { return len(q.run) - q.i + len(q.next) }

func (q *batchQueue) Push(f func()) { q.next = append(q.next, f) }

// Clear drops every queued func.
func (q *batchQueue) Clear() {
	clear(q.run)
	clear(q.next)
	q.run, q.next, q.i = q.run[:0], q.next[:0], 0
}
