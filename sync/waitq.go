package sync

import (
	"context"

	"github.com/weftio/weft/fiber"
)

// A waiter is one parked fiber in a primitive's queue: its fiber.Waiter,
// what it waits for, and what the fiber that woke it left for it.
type waiter[T any] struct {
	fw         fiber.Waiter
	prev, next *waiter[T]
	queued     bool
	woken      bool  // its waker woke it: what it waited for is its
	n          int64 // Semaphore: the weight it wants
	writer     bool  // RWMutex: a Lock, not an RLock
	// ok is set by the waker, for the woken fiber to read: Chan, a value
	// was moved (false: the Chan was closed); Once, its turn to run fn.
	ok  bool
	val T // Chan: the value a sender offers, or a receiver was handed
}

// A waitq is a primitive's first-in, first-out queue of parked fibers.
//
// A waiter whose fiber was cancelled stays in the queue until that fiber
// runs again and takes it out (park does): its Wake reports false, and
// every waker skips such waiters. So a waker may find the queue longer than
// the number of fibers that still wait, never shorter.
//
// Waiters are recycled through a free list: once a primitive has had n
// fibers waiting at once, waits up to n allocate nothing. Loop only, like
// everything here.
type waitq[T any] struct {
	head, tail *waiter[T]
	free       *waiter[T]
}

func (q *waitq[T]) empty() bool { return q.head == nil }

func (q *waitq[T]) front() *waiter[T] { return q.head }

func (q *waitq[T]) push(w *waiter[T]) {
	w.queued = true
	w.prev, w.next = q.tail, nil
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
}

// remove takes w out of the queue; it does nothing if w is not in it (a
// waker took it out already).
func (q *waitq[T]) remove(w *waiter[T]) {
	if !w.queued {
		return
	}
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
}

// wakeFirst takes waiters off the front until one's Wake succeeds, and
// returns that one, or nil once the queue is empty. The waiters skipped
// were cancelled: their fibers are on their way out of park.
func (q *waitq[T]) wakeFirst() *waiter[T] {
	for w := q.head; w != nil; w = q.head {
		q.remove(w)
		if w.wake() {
			return w
		}
	}
	return nil
}

// wakeAll wakes every waiter, first in first out.
func (q *waitq[T]) wakeAll() {
	for q.wakeFirst() != nil {
	}
}

// wake wakes w's fiber and marks w woken, if the fiber still waits.
func (w *waiter[T]) wake() bool {
	if !w.fw.Wake() {
		return false
	}
	w.woken = true
	return true
}

// get returns a cleared waiter, recycled if one is free.
func (q *waitq[T]) get() *waiter[T] {
	w := q.free
	if w == nil {
		return new(waiter[T])
	}
	q.free = w.next
	w.next = nil
	return w
}

// put recycles w, which must be out of the queue and read to the end.
func (q *waitq[T]) put(w *waiter[T]) {
	if w.queued {
		panic("sync: internal error: a waiter recycled while still queued")
	}
	*w = waiter[T]{next: q.free}
	q.free = w
}

// park queues w at the back and parks the calling fiber until a waker
// takes w off and wakes it (nil), or ctx is done first. Then park takes w
// out of the queue and returns ctx's error: no waker has touched w, since
// its Wake reports false from the moment the fiber stopped waiting, so the
// primitive is as if the fiber had never come (w leaves the queue even
// if Suspend gave up before parking, so its Waiter is never woken later).
// If the waker came first, the fiber was granted what it waited for and
// park returns nil even if ctx is done by the time the fiber runs: it must
// not be lost. Suspend returns nil only when w's own Waiter woke the fiber
// (a wake armed for any other wait of the fiber is stale, fiber's park
// numbers see to that), so nil means w.woken.
func (q *waitq[T]) park(ctx context.Context, what string, w *waiter[T]) error {
	err := fiber.Suspend(ctx, what, func(fw fiber.Waiter) {
		w.fw = fw
		q.push(w)
	})
	if err != nil {
		q.remove(w)
	}
	return err
}
