package offload

// releaseAbove is the capacity, in tasks, above which a queue that empties
// gives its buffer back: a burst should not pin its high-water memory for the
// life of the pool. Below it the buffer is kept so that steady traffic
// allocates nothing.
const releaseAbove = 1024

// queue is a FIFO ring of tasks whose capacity is a power of two. The pool's
// mutex guards it.
type queue struct {
	buf  []task
	head int
	n    int
}

func (q *queue) len() int { return q.n }

func (q *queue) push(t task) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = t
	q.n++
}

func (q *queue) pop() (task, bool) {
	if q.n == 0 {
		return task{}, false
	}
	t := q.buf[q.head]
	q.buf[q.head] = task{} // do not keep the closure alive
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	if q.n == 0 && len(q.buf) > releaseAbove {
		q.buf, q.head = nil, 0
	}
	return t, true
}

func (q *queue) grow() {
	buf := make([]task, max(16, 2*len(q.buf)))
	// Unroll the ring so that head is 0 in the new buffer.
	n := copy(buf, q.buf[q.head:])
	copy(buf[n:], q.buf[:q.head])
	q.buf, q.head = buf, 0
}
