package sync_test

import (
	"context"
	"testing"

	wsync "github.com/weftio/weft/sync"
)

// rwHold is a waiting call that takes rw (for writing if write) and holds
// it until release is set.
func rwHold(rw *wsync.RWMutex, write bool, release *wsync.Event) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		lock, unlock := rw.RLock, rw.RUnlock
		if write {
			lock, unlock = rw.Lock, rw.Unlock
		}
		if err := lock(ctx); err != nil {
			return err
		}
		defer unlock()
		return release.Wait(context.WithoutCancel(ctx))
	}
}

func wantRW(t *testing.T, rw *wsync.RWMutex, writer bool, readers, waiters int) {
	t.Helper()
	w, r, q := wsync.RWMutexState(rw)
	if w != writer || r != readers || q != waiters {
		t.Errorf("writer %v, %d readers, %d waiters; want %v, %d, %d", w, r, q, writer, readers, waiters)
	}
}

// TestRWMutex_FIFO: readers and writers are served in arrival order,
// readers next to each other together, and a reader that comes while a
// writer waits queues behind it.
func TestRWMutex_FIFO(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var rw wsync.RWMutex
		var log []string
		var rel [6]wsync.Event
		rw.Lock(ctx)
		ws := []*waiting{
			start(ctx, &log, "r1", rwHold(&rw, false, &rel[0])),
			start(ctx, &log, "r2", rwHold(&rw, false, &rel[1])),
			start(ctx, &log, "w1", rwHold(&rw, true, &rel[2])),
			start(ctx, &log, "r3", rwHold(&rw, false, &rel[3])),
			start(ctx, &log, "w2", rwHold(&rw, true, &rel[4])),
			start(ctx, &log, "r4", rwHold(&rw, false, &rel[5])),
		}
		settle(ctx)
		wantRW(t, &rw, true, 0, 6)
		rw.Unlock()
		wantRW(t, &rw, false, 2, 4) // r1 and r2, granted before they run
		settle(ctx)
		if rw.RLock(cancelled(ctx)) == nil {
			t.Error("a reader overtook the waiting writer")
		}
		rel[1].Set() // r2 out; r1 still holds
		settle(ctx)
		wantRW(t, &rw, false, 1, 4)
		rel[0].Set()
		settle(ctx)
		wantRW(t, &rw, true, 0, 3) // w1
		rel[2].Set()
		settle(ctx)
		wantRW(t, &rw, false, 1, 2) // r3 alone: w2 is next
		rel[3].Set()
		settle(ctx)
		wantRW(t, &rw, true, 0, 1) // w2
		rel[4].Set()
		rel[5].Set()
		for _, w := range ws {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		// The log is the order in which they let go of the lock.
		wantLog(t, log, "r2", "r1", "w1", "r3", "w2", "r4")
		wantRW(t, &rw, false, 0, 0)
		return nil
	})
}

func TestRWMutex_CancelBefore(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var rw wsync.RWMutex
		wantErr(t, "RLock of a free lock", rw.RLock(cancelled(ctx)), nil)
		wantErr(t, "RLock of a read-locked lock", rw.RLock(cancelled(ctx)), nil)
		wantErr(t, "Lock of a read-locked lock", rw.Lock(cancelled(ctx)), context.Canceled)
		wantRW(t, &rw, false, 2, 0)
		rw.RUnlock()
		rw.RUnlock()
		wantErr(t, "Lock of a free lock", rw.Lock(cancelled(ctx)), nil)
		wantErr(t, "RLock of a write-locked lock", rw.RLock(cancelled(ctx)), context.Canceled)
		wantErr(t, "Lock of a write-locked lock", rw.Lock(cancelled(ctx)), context.Canceled)
		wantRW(t, &rw, true, 0, 0)
		rw.Unlock()
		wantRW(t, &rw, false, 0, 0)
		return nil
	})
}

// TestRWMutex_CancelledWriterLetsReadersIn: readers hold the lock, a
// writer waits, readers queue behind it. When the writer gives up, the
// readers behind it get the lock at once: a cancelled writer must not
// keep blocking them.
func TestRWMutex_CancelledWriterLetsReadersIn(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var rw wsync.RWMutex
		var log []string
		var rel wsync.Event
		rw.RLock(ctx)
		ws := []*waiting{
			start(ctx, &log, "w", rwHold(&rw, true, &rel)),
			start(ctx, &log, "r1", rwHold(&rw, false, &rel)),
			start(ctx, &log, "r2", rwHold(&rw, false, &rel)),
		}
		settle(ctx)
		wantRW(t, &rw, false, 1, 3)
		ws[0].cancel()
		wantErr(t, "w", ws[0].result(ctx), context.Canceled)
		settle(ctx)
		wantRW(t, &rw, false, 3, 0)
		rel.Set()
		rw.RUnlock()
		for _, w := range ws[1:] {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		wantLog(t, log, "r1", "r2")
		wantRW(t, &rw, false, 0, 0)
		return nil
	})
}

// TestRWMutex_CancelledReader: a reader that gives up leaves the queue;
// the writer behind it gets the lock next.
func TestRWMutex_CancelledReader(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var rw wsync.RWMutex
		var log []string
		var rel wsync.Event
		rw.Lock(ctx)
		ws := []*waiting{
			start(ctx, &log, "r", rwHold(&rw, false, &rel)),
			start(ctx, &log, "w", rwHold(&rw, true, &rel)),
		}
		settle(ctx)
		ws[0].cancel()
		wantErr(t, "r", ws[0].result(ctx), context.Canceled)
		wantRW(t, &rw, true, 0, 1)
		rw.Unlock()
		wantRW(t, &rw, true, 0, 0)
		rel.Set()
		wantErr(t, "w", ws[1].result(ctx), nil)
		wantLog(t, log, "w")
		wantRW(t, &rw, false, 0, 0)
		return nil
	})
}

func TestRWMutex_GrantedThenCancelled(t *testing.T) {
	for _, write := range []bool{false, true} {
		run(t, func(ctx context.Context) error {
			var rw wsync.RWMutex
			var rel wsync.Event
			rw.Lock(ctx)
			w := start(ctx, nil, "w", rwHold(&rw, write, &rel))
			settle(ctx)
			rw.Unlock()
			w.cancel()
			settle(ctx)
			if write {
				wantRW(t, &rw, true, 0, 0)
			} else {
				wantRW(t, &rw, false, 1, 0)
			}
			rel.Set()
			wantErr(t, "w", w.result(ctx), nil)
			wantRW(t, &rw, false, 0, 0)
			return nil
		})
	}
}

func TestRWMutex_Misuse(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var rw wsync.RWMutex
		wantPanic(t, "sync: Unlock of RWMutex not locked for writing", rw.Unlock)
		wantPanic(t, "sync: RUnlock of RWMutex not locked for reading", rw.RUnlock)
		rw.RLock(ctx)
		wantPanic(t, "sync: Unlock of RWMutex not locked for writing", rw.Unlock)
		rw.RUnlock()
		rw.Lock(ctx)
		wantPanic(t, "sync: RUnlock of RWMutex not locked for reading", rw.RUnlock)
		rw.Unlock()
		wantRW(t, &rw, false, 0, 0)
		return nil
	})
}

func TestRWMutex_Deadlock(t *testing.T) {
	wantDeadlock(t, "RWMutex.Lock", func(ctx context.Context) error {
		var rw wsync.RWMutex
		rw.RLock(ctx)
		return rw.Lock(ctx)
	})
	wantDeadlock(t, "RWMutex.RLock", func(ctx context.Context) error {
		var rw wsync.RWMutex
		rw.Lock(ctx)
		return rw.RLock(ctx)
	})
}
