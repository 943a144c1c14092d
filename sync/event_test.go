package sync_test

import (
	"context"
	"testing"

	wsync "github.com/weftio/weft/sync"
)

func TestEvent_SetWakesAllFIFO(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var e wsync.Event
		var log []string
		ws := startAll(ctx, &log, e.Wait, "a", "b", "c")
		if e.IsSet() {
			t.Error("zero Event is set")
		}
		e.Set()
		e.Clear() // too late: the waiters saw it
		for _, w := range ws {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		wantLog(t, log, "a", "b", "c")
		if n := wsync.EventWaiters(&e); n != 0 {
			t.Errorf("%d waiters left", n)
		}
		return nil
	})
}

func TestEvent_SetClear(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var e wsync.Event
		e.Set()
		e.Set()
		if !e.IsSet() {
			t.Error("not set after Set")
		}
		wantErr(t, "Wait on a set Event", e.Wait(cancelled(ctx)), nil)
		e.Clear()
		if e.IsSet() {
			t.Error("set after Clear")
		}
		wantErr(t, "Wait on a cleared Event", e.Wait(cancelled(ctx)), context.Canceled)
		w := start(ctx, nil, "w", e.Wait)
		settle(ctx)
		w.pending(t)
		e.Set()
		wantErr(t, "w", w.result(ctx), nil)
		return nil
	})
}

func TestEvent_Cancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var e wsync.Event
		var log []string
		ws := startAll(ctx, &log, e.Wait, "a", "b", "c")
		ws[1].cancel()
		wantErr(t, "b", ws[1].result(ctx), context.Canceled)
		if n := wsync.EventWaiters(&e); n != 2 {
			t.Errorf("%d waiters, want 2", n)
		}
		if e.IsSet() {
			t.Error("a cancelled Wait set the Event")
		}
		e.Set()
		ws[2].cancel() // woken already: it returns nil
		wantErr(t, "a", ws[0].result(ctx), nil)
		wantErr(t, "c", ws[2].result(ctx), nil)
		wantLog(t, log, "a", "c")
		return nil
	})
}

func TestEvent_Deadlock(t *testing.T) {
	wantDeadlock(t, "Event.Wait", func(ctx context.Context) error {
		var e wsync.Event
		return e.Wait(ctx)
	})
}
