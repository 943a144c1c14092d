package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	wsync "github.com/weftio/weft/sync"
)

// lockUnlock is a waiting call that takes m and gives it back at once.
func lockUnlock(m *wsync.Mutex) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := m.Lock(ctx); err != nil {
			return err
		}
		m.Unlock()
		return nil
	}
}

func TestMutex_FIFO(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m wsync.Mutex
		var log []string
		m.Lock(ctx)
		ws := startAll(ctx, &log, lockUnlock(&m), "a", "b", "c", "d")
		if n := wsync.MutexWaiters(&m); n != 4 {
			t.Errorf("%d waiters, want 4", n)
		}
		// Handed to a before it runs: the unlocker cannot take it back,
		// and its next Lock queues behind every waiter.
		m.Unlock()
		if m.TryLock() {
			t.Error("TryLock took a mutex handed to a waiter")
		}
		if err := m.Lock(ctx); err != nil {
			return err
		}
		log = append(log, "main")
		wantLog(t, log, "a", "b", "c", "d", "main")
		for _, w := range ws {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		m.Unlock()
		if !m.TryLock() {
			t.Error("TryLock of a free mutex failed")
		}
		m.Unlock()
		return nil
	})
}

func TestMutex_Exclusion(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m wsync.Mutex
		in := 0
		g, gctx := fiber.NewGroup(ctx)
		for range 8 {
			g.Go(func(ctx context.Context) error {
				for range 20 {
					if err := m.Lock(ctx); err != nil {
						return err
					}
					in++
					if in != 1 {
						t.Errorf("%d fibers inside", in)
					}
					fiber.Yield(ctx) // park inside the critical section
					in--
					m.Unlock()
				}
				return nil
			})
		}
		_ = gctx
		return g.Wait()
	})
}

func TestMutex_CancelBefore(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m wsync.Mutex
		// Free: taken at once, whatever the context.
		wantErr(t, "Lock of a free mutex", m.Lock(cancelled(ctx)), nil)
		// Held: the done context fails it without queueing.
		wantErr(t, "Lock of a held mutex", m.Lock(cancelled(ctx)), context.Canceled)
		if n := wsync.MutexWaiters(&m); n != 0 {
			t.Errorf("%d waiters after a cancelled Lock", n)
		}
		m.Unlock()
		if !m.TryLock() {
			t.Error("mutex not free after Unlock")
		}
		return nil
	})
}

func TestMutex_CancelWhileWaiting(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m wsync.Mutex
		var log []string
		m.Lock(ctx)
		ws := startAll(ctx, &log, lockUnlock(&m), "a", "b", "c")
		ws[1].cancel()
		wantErr(t, "b", ws[1].result(ctx), context.Canceled)
		if n := wsync.MutexWaiters(&m); n != 2 {
			t.Errorf("%d waiters after b gave up, want 2", n)
		}
		ws[0].pending(t)
		ws[2].pending(t)
		m.Unlock()
		wantErr(t, "a", ws[0].result(ctx), nil)
		wantErr(t, "c", ws[2].result(ctx), nil)
		wantLog(t, log, "a", "c")
		if !m.TryLock() {
			t.Error("mutex not free at the end")
		}
		return nil
	})
}

// TestMutex_GrantedThenCancelled: the mutex is handed to a waiter and its
// context is cancelled before it runs. It owns the mutex: Lock returns
// nil, and the next waiter gets the mutex only when it unlocks.
func TestMutex_GrantedThenCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m wsync.Mutex
		var log []string
		m.Lock(ctx)
		ws := startAll(ctx, &log, func(ctx context.Context) error {
			if err := m.Lock(ctx); err != nil {
				return err
			}
			settle(ctx) // hold it across a park
			m.Unlock()
			return nil
		}, "a", "b")
		m.Unlock()     // a owns it now...
		ws[0].cancel() // ...and is cancelled before it runs
		wantErr(t, "a", ws[0].result(ctx), nil)
		wantErr(t, "b", ws[1].result(ctx), nil)
		wantLog(t, log, "a", "b")
		return nil
	})
}

// TestMutex_CancelRace cancels a waiter and unlocks after a varying
// number of loop turns, before or after the cancellation has reached the
// waiter: either the waiter got the mutex (and passes it on) or it gave up
// and the next one got it, never both, never none.
func TestMutex_CancelRace(t *testing.T) {
	outcomes := map[bool]int{}
	for i := range 600 {
		alone := i%2 == 0 // a waits alone, or b waits behind it
		run(t, func(ctx context.Context) error {
			var m wsync.Mutex
			var log []string
			m.Lock(ctx)
			names := []string{"a", "b"}
			if alone {
				names = names[:1]
			}
			ws := startAll(ctx, &log, lockUnlock(&m), names...)
			ws[0].cancel()
			switch i % 3 {
			case 1:
				fiber.Yield(ctx) // a loop turn: the cancellation may land
			case 2:
				// A round trip through another goroutine: it usually lands.
				fiber.Blocking(ctx, func(context.Context) (int, error) { return 0, nil })
			}
			m.Unlock()
			errA := ws[0].result(ctx)
			for _, w := range ws[1:] {
				wantErr(t, w.name, w.result(ctx), nil)
			}
			outcomes[errA == nil]++
			if errA == nil {
				wantLog(t, log, names...)
			} else {
				wantErr(t, "a", errA, context.Canceled)
				wantLog(t, log, names[1:]...)
			}
			if !m.TryLock() {
				t.Error("mutex not free at the end")
			}
			return nil
		})
	}
	t.Logf("a got the mutex %d times, gave up %d times", outcomes[true], outcomes[false])
}

// TestMutex_StaleWake: a fiber parked in Lock and woken by something
// other than Unlock (here, possibly, by the reaction an Await with a done
// context left on a pending future) goes on waiting for the mutex.
func TestMutex_StaleWake(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var mu wsync.Mutex
		mu.Lock(ctx)
		f := fiber.Go(ctx, func(ctx context.Context) (int, error) { return 1, fiber.Sleep(ctx, time.Second) })
		unlocked := false
		w := start(ctx, nil, "w", func(ctx context.Context) error {
			fiber.Await(cancelled(ctx), f) // returns at once
			if err := mu.Lock(ctx); err != nil {
				return err
			}
			if !unlocked {
				t.Error("Lock returned while another fiber held the mutex")
			}
			mu.Unlock()
			return nil
		})
		fiber.Sleep(ctx, time.Hour) // f settles meanwhile
		unlocked = true
		mu.Unlock()
		wantErr(t, "w", w.result(ctx), nil)
		return nil
	})
}

func TestMutex_Misuse(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m wsync.Mutex
		wantPanic(t, "sync: Unlock of unlocked Mutex", m.Unlock)
		m.Lock(ctx)
		m.Unlock()
		wantPanic(t, "sync: Unlock of unlocked Mutex", m.Unlock)
		return nil
	})
}

func TestMutex_Deadlock(t *testing.T) {
	wantDeadlock(t, "Mutex.Lock", func(ctx context.Context) error {
		var m wsync.Mutex
		m.Lock(ctx)
		return m.Lock(ctx)
	})
}
