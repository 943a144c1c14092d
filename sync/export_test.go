package sync

// Hooks for the tests: how many waiters each queue holds. A waiter whose
// fiber was cancelled is counted until that fiber has run again.

func (q *waitq[T]) len() int {
	n := 0
	for w := q.head; w != nil; w = w.next {
		n++
	}
	return n
}

func MutexWaiters(m *Mutex) int { return m.q.len() }

func RWMutexState(rw *RWMutex) (writer bool, readers, waiters int) {
	return rw.writer, rw.readers, rw.q.len()
}

func SemaphoreState(s *Semaphore) (held int64, waiters int) { return s.cur, s.q.len() }

func WaitGroupState(wg *WaitGroup) (count, waiters int) { return wg.n, wg.q.len() }

func CondWaiters(c *Cond) int { return c.q.len() }

func EventWaiters(e *Event) int { return e.q.len() }

func OnceState(o *Once) (done, running bool, waiters int) { return o.done, o.running, o.q.len() }

func ChanWaiters[T any](c *Chan[T]) (senders, receivers int) { return c.sendq.len(), c.recvq.len() }
