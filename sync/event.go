package sync

import "context"

// An Event is a flag that fibers can wait for, the event of classic async
// I/O (Python's asyncio.Event, a Win32 manual-reset event): Set raises it
// and wakes every waiter, Clear lowers it, Wait parks until it is raised.
// Its zero value is lowered. An Event must not be copied after first use.
//
// A fiber woken by Set returns from Wait with nil even if the flag has
// been cleared again before it runs: it saw the event.
type Event struct {
	set bool
	q   waitq[struct{}]
}

// Set raises the flag and wakes every fiber waiting in Wait, first in
// first out. Setting a raised flag does nothing. Any code running on the
// loop may call Set; it never parks.
func (e *Event) Set() {
	if e.set {
		return
	}
	e.set = true
	e.q.wakeAll()
}

// Clear lowers the flag: later calls to Wait park until the next Set.
func (e *Event) Clear() { e.set = false }

// IsSet reports whether the flag is raised.
func (e *Event) IsSet() bool { return e.set }

// Wait parks the calling fiber until the flag is raised; it returns at
// once if it is raised already, even if ctx is done. If ctx is done first,
// Wait returns ctx.Err() and the Event is unchanged. Only a fiber may call
// Wait when it has to wait.
func (e *Event) Wait(ctx context.Context) error {
	if e.set {
		return nil
	}
	w := e.q.get()
	err := e.q.park(ctx, "Event.Wait", w)
	e.q.put(w)
	return err
}
