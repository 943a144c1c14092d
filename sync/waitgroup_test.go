package sync_test

import (
	"context"
	"testing"

	"github.com/weftio/weft/fiber"
	wsync "github.com/weftio/weft/sync"
)

func wantWG(t *testing.T, wg *wsync.WaitGroup, count, waiters int) {
	t.Helper()
	c, w := wsync.WaitGroupState(wg)
	if c != count || w != waiters {
		t.Errorf("count %d, %d waiters; want %d, %d", c, w, count, waiters)
	}
}

func TestWaitGroup_FIFO(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var wg wsync.WaitGroup
		var log []string
		wg.Add(3)
		ws := startAll(ctx, &log, wg.Wait, "a", "b", "c")
		wg.Done()
		wg.Add(-1)
		settle(ctx)
		wantWG(t, &wg, 1, 3)
		wg.Done()
		wg.Add(1) // too late to hold up the waiters: they were woken at zero
		for _, w := range ws {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		wantLog(t, log, "a", "b", "c")
		wantWG(t, &wg, 1, 0)
		return nil
	})
}

// TestWaitGroup_Fibers counts fibers, the common use.
func TestWaitGroup_Fibers(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var wg wsync.WaitGroup
		done := 0
		for range 5 {
			wg.Add(1)
			fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
				defer wg.Done()
				settle(ctx)
				done++
				return struct{}{}, nil
			})
		}
		if err := wg.Wait(ctx); err != nil {
			return err
		}
		if done != 5 {
			t.Errorf("Wait returned with %d of 5 done", done)
		}
		return nil
	})
}

func TestWaitGroup_Cancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var wg wsync.WaitGroup
		var log []string
		wantErr(t, "Wait at zero", wg.Wait(cancelled(ctx)), nil)
		wg.Add(1)
		wantErr(t, "Wait with a done context", wg.Wait(cancelled(ctx)), context.Canceled)
		ws := startAll(ctx, &log, wg.Wait, "a", "b", "c")
		ws[1].cancel()
		wantErr(t, "b", ws[1].result(ctx), context.Canceled)
		wantWG(t, &wg, 1, 2)
		wg.Done()
		ws[0].cancel() // woken already: a returns nil
		wantErr(t, "a", ws[0].result(ctx), nil)
		wantErr(t, "c", ws[2].result(ctx), nil)
		wantLog(t, log, "a", "c")
		wantWG(t, &wg, 0, 0)
		return nil
	})
}

func TestWaitGroup_Misuse(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var wg wsync.WaitGroup
		wantPanic(t, "sync: negative WaitGroup counter", wg.Done)
		wg.Add(2)
		wantPanic(t, "sync: negative WaitGroup counter", func() { wg.Add(-3) })
		wantWG(t, &wg, 2, 0)
		return nil
	})
}

func TestWaitGroup_Deadlock(t *testing.T) {
	wantDeadlock(t, "WaitGroup.Wait", func(ctx context.Context) error {
		var wg wsync.WaitGroup
		wg.Add(1)
		return wg.Wait(ctx)
	})
}
