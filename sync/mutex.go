package sync

import "context"

// A Mutex is a mutual exclusion lock for the fibers of one loop. Its zero
// value is an unlocked mutex. A Mutex must not be copied after first use.
//
// It is needed only to keep other fibers out of a critical section that
// parks (awaits, sleeps, does I/O): between two parks a fiber runs alone
// on its loop and needs no lock at all.
//
// The lock is handed over, never raced for: Unlock of a mutex that fibers
// wait for passes it to the first of them that still waits, which owns it
// from that moment, before it even runs. Lock calls are served strictly
// first in, first out, and an Unlock followed by a Lock in the same fiber
// queues behind the others. Each hand-off costs a switch from fiber to
// fiber through the loop: about 0.4 µs on a 2-core VM, 1.5× less than a
// sync.Mutex handed between two goroutines there (BenchmarkMutex_HandOff,
// docs/benchmarks.md). A Lock and Unlock that need not wait cost a few
// nanoseconds (BenchmarkMutex_Uncontended). Neither allocates.
type Mutex struct {
	locked bool
	q      waitq[struct{}]
}

// Lock locks m, parking the calling fiber until m is free if it is held.
// If m is free, Lock takes it at once, even if ctx is done.
//
// If ctx is done before the mutex is handed to the caller, Lock returns
// ctx.Err() and leaves the mutex unchanged: the caller does not hold it and
// is no longer in line. Once handed over, the mutex is the caller's even
// if ctx is cancelled before the fiber runs: Lock then returns nil. Only a
// fiber may call Lock when it has to wait; a deadlock report names such a
// fiber as parked in "Mutex.Lock".
func (m *Mutex) Lock(ctx context.Context) error {
	if !m.locked { // the fast path, inlined
		m.locked = true
		return nil
	}
	return m.lockSlow(ctx)
}

func (m *Mutex) lockSlow(ctx context.Context) error {
	w := m.q.get()
	err := m.q.park(ctx, "Mutex.Lock", w)
	m.q.put(w)
	// On nil, Unlock left m locked and handed it to us.
	return err
}

// TryLock locks m and reports true if m is free, and otherwise reports
// false without waiting.
func (m *Mutex) TryLock() bool {
	if m.locked {
		return false
	}
	m.locked = true
	return true
}

// Unlock unlocks m, handing it to the first fiber waiting in Lock, if any.
// Like a sync.Mutex, a Mutex belongs to no fiber: one fiber may lock it and
// another unlock it. Unlock may be called by any code running on the loop
// (a fiber, a task, a future's reaction); it never parks. Unlock of an
// unlocked Mutex panics.
func (m *Mutex) Unlock() {
	if m.locked && m.q.empty() { // the fast path, inlined
		m.locked = false
		return
	}
	m.unlockSlow()
}

// unlockSlow is kept out of line so that Unlock's fast path is inlined.
//
//go:noinline
func (m *Mutex) unlockSlow() {
	if !m.locked {
		panic("sync: Unlock of unlocked Mutex")
	}
	// Hand m, still locked, to the first fiber that still waits.
	if m.q.wakeFirst() == nil {
		m.locked = false // they had all given up
	}
}
