package sync_test

import (
	"context"
	"testing"

	wsync "github.com/weftio/weft/sync"
)

func TestCond_SignalFIFO(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c wsync.Cond
		var log []string
		ws := startAll(ctx, &log, c.Wait, "a", "b", "c", "d")
		c.Signal()
		settle(ctx)
		wantLog(t, log, "a")
		c.Signal()
		c.Signal()
		settle(ctx)
		wantLog(t, log, "a", "b", "c")
		c.Broadcast()
		settle(ctx)
		wantLog(t, log, "a", "b", "c", "d")
		c.Signal() // nobody waits: lost, as with sync.Cond
		for _, w := range ws {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		return nil
	})
}

func TestCond_Broadcast(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c wsync.Cond
		var log []string
		ws := startAll(ctx, &log, c.Wait, "a", "b", "c")
		c.Broadcast()
		for _, w := range ws {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		wantLog(t, log, "a", "b", "c")
		return nil
	})
}

// TestCond_Locker: Wait unlocks L while parked and returns with L locked,
// also when it is cancelled, and when it fails at once.
func TestCond_Locker(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m wsync.Mutex
		c := wsync.NewCond(&m)
		ready := false
		wait := func(ctx context.Context) error {
			if err := m.Lock(ctx); err != nil {
				return err
			}
			defer m.Unlock()
			for !ready {
				if err := c.Wait(ctx); err != nil {
					if m.TryLock() {
						t.Error("cancelled Wait returned without the lock")
					}
					return err
				}
			}
			if m.TryLock() {
				t.Error("Wait returned without the lock")
			}
			return nil
		}
		var log []string
		ws := startAll(ctx, &log, wait, "a", "b", "c")
		if !m.TryLock() {
			t.Fatal("the waiters hold the lock while parked in Wait")
		}
		ws[1].cancel()
		settle(ctx)
		ws[1].pending(t) // it wants the lock back before it returns
		m.Unlock()
		wantErr(t, "b", ws[1].result(ctx), context.Canceled)
		m.Lock(ctx)
		ready = true
		c.Broadcast()
		m.Unlock()
		wantErr(t, "a", ws[0].result(ctx), nil)
		wantErr(t, "c", ws[2].result(ctx), nil)
		wantLog(t, log, "a", "c")

		m.Lock(ctx)
		wantErr(t, "Wait with a done context", c.Wait(cancelled(ctx)), context.Canceled)
		if m.TryLock() {
			t.Error("Wait with a done context unlocked L")
		}
		m.Unlock()
		return nil
	})
}

// TestCond_CancelledSkipped: a Signal after a waiter gave up goes to the
// next one; a waiter signalled and then cancelled keeps its signal.
func TestCond_Cancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c wsync.Cond
		var log []string
		ws := startAll(ctx, &log, c.Wait, "a", "b", "c")
		ws[0].cancel()
		wantErr(t, "a", ws[0].result(ctx), context.Canceled)
		if n := wsync.CondWaiters(&c); n != 2 {
			t.Errorf("%d waiters, want 2", n)
		}
		c.Signal()
		ws[1].cancel() // after its signal: it returns nil
		wantErr(t, "b", ws[1].result(ctx), nil)
		ws[2].pending(t)
		c.Signal()
		wantErr(t, "c", ws[2].result(ctx), nil)
		wantLog(t, log, "b", "c")
		return nil
	})
}

func TestCond_Deadlock(t *testing.T) {
	wantDeadlock(t, "Cond.Wait", func(ctx context.Context) error {
		var c wsync.Cond
		return c.Wait(ctx)
	})
}
