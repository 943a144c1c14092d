package sync

import "context"

// A Once runs an initialisation that may park (a connection, a file read)
// once for the fibers of one loop, and makes the others wait for it. Its
// zero value is ready to use. A Once must not be copied after first use.
//
// Unlike sync.Once, a Once is done only when a run succeeds: if fn returns
// an error (or panics), the next fiber waiting in Do, first in first out,
// runs its own fn, and the one after it if that fails too. So a caller
// whose context is cancelled while it runs fn cannot leave the others
// with its context's error for ever.
type Once struct {
	done    bool
	running bool // a fiber is running fn, or has been handed the turn to
	q       waitq[struct{}]
}

// Do calls fn(ctx) if no call of Do has succeeded yet and no other fiber
// is running its fn; it returns fn's error. If another fiber is running
// its fn, Do parks until that one is over: if it succeeded, Do returns
// nil; if it failed, the first fiber waiting runs its own fn. Once a call
// has succeeded, Do returns nil at once, even if ctx is done.
//
// If ctx is done while it waits, Do returns ctx.Err() and the Once is
// unchanged: the caller is out of line and runs nothing. A fiber that has
// been handed the turn to run fn runs it even if ctx is cancelled before
// it runs (fn gets that ctx). A panic in fn goes on up through Do, and the
// turn passes to the next waiter as after an error. Only a fiber may call
// Do when it has to wait.
func (o *Once) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	if o.done {
		return nil
	}
	if o.running {
		w := o.q.get()
		err := o.q.park(ctx, "Once.Do", w)
		turn := w.ok
		o.q.put(w)
		if err != nil {
			return err
		}
		if !turn {
			return nil // a run succeeded
		}
		// Handed the turn: running is still set, on our behalf.
	}
	o.running = true
	return o.run(ctx, fn)
}

func (o *Once) run(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	succeeded := false
	defer func() {
		if succeeded {
			o.done, o.running = true, false
			o.q.wakeAll()
			return
		}
		// Failed or panicked: the turn goes to the first waiter, handed
		// over like a Mutex so no newcomer can overtake it.
		if w := o.q.wakeFirst(); w != nil {
			w.ok = true
		} else {
			o.running = false
		}
	}()
	err = fn(ctx)
	succeeded = err == nil
	return err
}
