package sync_test

import (
	"context"
	"testing"

	wsync "github.com/weftio/weft/sync"
)

// acquire is a waiting call that takes n units and keeps them.
func acquire(s *wsync.Semaphore, n int64) func(ctx context.Context) error {
	return func(ctx context.Context) error { return s.Acquire(ctx, n) }
}

func wantSem(t *testing.T, s *wsync.Semaphore, held int64, waiters int) {
	t.Helper()
	h, w := wsync.SemaphoreState(s)
	if h != held || w != waiters {
		t.Errorf("%d held, %d waiters; want %d, %d", h, w, held, waiters)
	}
}

// TestSemaphore_FIFO: units go to the waiters in arrival order, and a
// waiter that wants more than is free holds up the smaller ones behind it.
func TestSemaphore_FIFO(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := wsync.NewSemaphore(10)
		var log []string
		s.Acquire(ctx, 10)
		ws := []*waiting{
			start(ctx, &log, "5", acquire(s, 5)),
			start(ctx, &log, "3", acquire(s, 3)),
			start(ctx, &log, "8", acquire(s, 8)),
			start(ctx, &log, "1", acquire(s, 1)),
		}
		settle(ctx)
		wantSem(t, s, 10, 4)
		s.Release(4) // 4 free: not enough for the 5 at the front
		settle(ctx)
		wantSem(t, s, 6, 4)
		if s.TryAcquire(1) {
			t.Error("TryAcquire overtook the waiters")
		}
		s.Release(4) // 8 free: 5 and 3 fit; 8 does not, and holds up 1
		settle(ctx)
		wantSem(t, s, 10, 2)
		wantLog(t, log, "5", "3")
		s.Release(5 + 3) // 5 and 3 give their units back: 8 fits, 1 not
		wantSem(t, s, 10, 1)
		s.Release(2) // the last of main's: 1 fits
		wantSem(t, s, 9, 0)
		for _, w := range ws {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		wantLog(t, log, "5", "3", "8", "1")
		s.Release(9)
		wantSem(t, s, 0, 0)
		return nil
	})
}

func TestSemaphore_CancelBefore(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := wsync.NewSemaphore(3)
		wantErr(t, "Acquire of free units", s.Acquire(cancelled(ctx), 2), nil)
		wantErr(t, "Acquire of units held", s.Acquire(cancelled(ctx), 2), context.Canceled)
		wantSem(t, s, 2, 0)
		wantErr(t, "Acquire(0)", s.Acquire(cancelled(ctx), 0), nil)
		if !s.TryAcquire(1) || s.TryAcquire(1) {
			t.Error("TryAcquire did not take the last unit, or took more")
		}
		wantSem(t, s, 3, 0)
		return nil
	})
}

// TestSemaphore_CancelledFrontLetsOthersIn: the waiter at the front wants
// more than is free and holds up a smaller one that would fit; when it
// gives up, the smaller one gets its units (x/sync's contract).
func TestSemaphore_CancelledFrontLetsOthersIn(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := wsync.NewSemaphore(10)
		var log []string
		s.Acquire(ctx, 5)
		big := start(ctx, &log, "big", acquire(s, 10))
		small := start(ctx, &log, "small", acquire(s, 2))
		settle(ctx)
		wantSem(t, s, 5, 2)
		big.cancel()
		wantErr(t, "big", big.result(ctx), context.Canceled)
		wantErr(t, "small", small.result(ctx), nil)
		wantSem(t, s, 7, 0)
		wantLog(t, log, "small")
		return nil
	})
}

// TestSemaphore_CancelWhileWaiting: a waiter in the middle gives up and
// holds nothing; the others are served as before.
func TestSemaphore_CancelWhileWaiting(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := wsync.NewSemaphore(4)
		var log []string
		s.Acquire(ctx, 4)
		ws := startAll(ctx, &log, acquire(s, 2), "a", "b", "c")
		ws[1].cancel()
		wantErr(t, "b", ws[1].result(ctx), context.Canceled)
		wantSem(t, s, 4, 2)
		s.Release(4)
		wantSem(t, s, 4, 0)
		wantErr(t, "a", ws[0].result(ctx), nil)
		wantErr(t, "c", ws[2].result(ctx), nil)
		wantLog(t, log, "a", "c")
		return nil
	})
}

func TestSemaphore_GrantedThenCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := wsync.NewSemaphore(4)
		s.Acquire(ctx, 4)
		a := start(ctx, nil, "a", acquire(s, 3))
		b := start(ctx, nil, "b", acquire(s, 2))
		settle(ctx)
		s.Release(3)
		a.cancel()
		wantErr(t, "a", a.result(ctx), nil)
		wantSem(t, s, 4, 1) // 1 of main's and a's 3; b waits
		s.Release(1)
		s.Release(3)
		wantErr(t, "b", b.result(ctx), nil)
		wantSem(t, s, 2, 0)
		return nil
	})
}

func TestSemaphore_Misuse(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := wsync.NewSemaphore(3)
		wantPanic(t, "sync: Semaphore of size 3 cannot acquire 4", func() { s.Acquire(ctx, 4) })
		wantPanic(t, "sync: Semaphore of size 3 cannot acquire -1", func() { s.TryAcquire(-1) })
		s.Acquire(ctx, 2)
		wantPanic(t, "sync: Semaphore released 3 units with 2 held", func() { s.Release(3) })
		wantPanic(t, "sync: Semaphore released -1 units", func() { s.Release(-1) })
		wantSem(t, s, 2, 0)
		wantPanic(t, "sync: NewSemaphore with a negative size", func() { wsync.NewSemaphore(-1) })
		return nil
	})
}

func TestSemaphore_Deadlock(t *testing.T) {
	wantDeadlock(t, "Semaphore.Acquire", func(ctx context.Context) error {
		s := wsync.NewSemaphore(2)
		s.Acquire(ctx, 1)
		return s.Acquire(ctx, 2)
	})
}
