package sync

import "context"

// An RWMutex is a reader/writer lock for the fibers of one loop: held by
// any number of readers or by one writer. Its zero value is unlocked. An
// RWMutex must not be copied after first use.
//
// Lock and RLock calls are served in arrival order. A reader that arrives
// while a writer holds the lock or waits for it queues behind that writer,
// so a stream of readers cannot starve writers; when a writer unlocks, the
// readers queued next to each other at the front get the lock together.
// As with Mutex, the lock is handed to the waiters it is granted to, before
// they run.
type RWMutex struct {
	writer  bool // a writer holds the lock
	readers int  // how many readers hold it
	q       waitq[struct{}]
}

// Lock locks rw for writing, parking the calling fiber until no reader or
// writer holds it and every fiber that came before has had its turn. If
// rw is free and nobody waits, Lock takes it at once, even if ctx is done.
//
// If ctx is done before rw is granted, Lock returns ctx.Err() and leaves rw
// unchanged: the caller holds nothing, and the readers queued behind it
// are let in if it was all that kept them out. Once granted, the lock is
// the caller's even if ctx is cancelled before the fiber runs: Lock then
// returns nil. Only a fiber may call Lock when it has to wait.
func (rw *RWMutex) Lock(ctx context.Context) error {
	if !rw.writer && rw.readers == 0 && rw.q.empty() {
		rw.writer = true
		return nil
	}
	return rw.wait(ctx, "RWMutex.Lock", true)
}

// RLock locks rw for reading, parking the calling fiber while a writer
// holds rw or any fiber waits for it. Otherwise it takes a read lock at
// once, even if ctx is done. Cancellation works as for Lock: an RLock that
// returns ctx.Err() holds nothing and leaves rw unchanged.
func (rw *RWMutex) RLock(ctx context.Context) error {
	if !rw.writer && rw.q.empty() {
		rw.readers++
		return nil
	}
	return rw.wait(ctx, "RWMutex.RLock", false)
}

func (rw *RWMutex) wait(ctx context.Context, what string, writer bool) error {
	w := rw.q.get()
	w.writer = writer
	err := rw.q.park(ctx, what, w)
	rw.q.put(w)
	if err != nil {
		// A writer that gives up may have been the only thing keeping
		// the readers behind it out (the lock is held for reading).
		rw.grant()
	}
	return err
}

// Unlock unlocks rw for writing and grants it to the waiters at the front:
// one writer, or every reader up to the next writer. Any code running on
// the loop may call it; it never parks. Unlock of an RWMutex not locked
// for writing panics.
func (rw *RWMutex) Unlock() {
	if !rw.writer {
		panic("sync: Unlock of RWMutex not locked for writing")
	}
	rw.writer = false
	rw.grant()
}

// RUnlock undoes one RLock; the last reader out grants the lock to the
// writer waiting at the front, if any. Any code running on the loop may
// call it; it never parks. RUnlock of an RWMutex not locked for reading
// panics.
func (rw *RWMutex) RUnlock() {
	if rw.readers == 0 {
		panic("sync: RUnlock of RWMutex not locked for reading")
	}
	rw.readers--
	if rw.readers == 0 {
		rw.grant()
	}
}

// grant hands the lock to the waiters at the front for as long as it can:
// a writer if nobody holds the lock, readers while no writer does. It
// stops at the first waiter that cannot have it, so nobody overtakes.
func (rw *RWMutex) grant() {
	for w := rw.q.front(); w != nil; w = rw.q.front() {
		if rw.writer || w.writer && rw.readers > 0 {
			return
		}
		rw.q.remove(w)
		if !w.wake() {
			continue // cancelled: on its way out
		}
		if w.writer {
			rw.writer = true
			return
		}
		rw.readers++
	}
}
