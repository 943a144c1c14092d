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
