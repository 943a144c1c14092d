package sync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/loop"
	wsync "github.com/weftio/weft/sync"
)

// TestSelect_FirstReadyWins: of the cases ready at the call, the first in
// argument order is completed, and only it.
func TestSelect_FirstReadyWins(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a := wsync.NewChan[int](1)
		b := wsync.NewChan[int](1)
		a.Send(ctx, 1)
		b.Send(ctx, 2)
		var got []int
		recv := func(v int, ok bool) { got = append(got, v) }
		i, err := wsync.Select(ctx, wsync.RecvCase[int](nil, recv), wsync.SendCase[int](nil, 0, nil), wsync.Case{}, wsync.RecvCase(b, recv), wsync.RecvCase(a, recv))
		if i != 3 || err != nil || len(got) != 1 || got[0] != 2 {
			t.Errorf("Select = %d, %v, got %v; want 3, b's value", i, err, got)
		}
		if a.Len() != 1 {
			t.Error("a's value was taken too")
		}
		// A send case with room in the buffer is ready.
		sent := false
		i, err = wsync.Select(ctx, wsync.RecvCase(b, recv), wsync.SendCase(b, 3, func() { sent = true }))
		if i != 1 || err != nil || !sent || b.Len() != 1 {
			t.Errorf("Select = %d, %v, sent %v", i, err, sent)
		}
		if i := wsync.TrySelect(wsync.SendCase(a, 0, nil), wsync.SendCase(b, 0, nil)); i != -1 {
			t.Errorf("TrySelect on full Chans = %d", i)
		}
		if i := wsync.TrySelect(wsync.SendCase(a, 0, nil), wsync.RecvCase(a, nil)); i != 1 {
			t.Errorf("TrySelect = %d, want 1", i)
		}
		return nil
	})
}

// TestSelect_Parked: a Select with nothing ready parks in every queue; the
// first case to become ready is completed, and the Select's place in the
// other queues is skipped: values sent there go to the next receiver.
func TestSelect_Parked(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a := wsync.NewChan[string](0)
		b := wsync.NewChan[string](0)
		var got []string
		sel := start(ctx, &got, "sel", func(ctx context.Context) error {
			i, err := wsync.Select(ctx,
				wsync.RecvCase(a, func(v string, ok bool) { got = append(got, "a:"+v) }),
				wsync.RecvCase(b, func(v string, ok bool) { got = append(got, "b:"+v) }),
			)
			if i != 1 && err == nil {
				t.Errorf("Select chose %d, want 1", i)
			}
			return err
		})
		other := start(ctx, nil, "other", receiver(a, &got))
		settle(ctx)
		wantChan(t, a, 0, 0, 2)
		wantChan(t, b, 0, 0, 1)
		b.Send(ctx, "1") // the Select completes on b...
		a.Send(ctx, "2") // ...so this goes to other, not to the Select
		wantErr(t, "sel", sel.result(ctx), nil)
		wantErr(t, "other", other.result(ctx), nil)
		wantLog(t, got, "b:1", "sel", "2 true")
		wantChan(t, a, 0, 0, 0)
		wantChan(t, b, 0, 0, 0)
		return nil
	})
}

// TestSelect_SendParked: a parked send case completes when a receiver
// comes, and the value of a send case that lost is not sent.
func TestSelect_SendParked(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a := wsync.NewChan[string](0)
		b := wsync.NewChan[string](0)
		sel := start(ctx, nil, "sel", func(ctx context.Context) error {
			i, err := wsync.Select(ctx, wsync.SendCase(a, "to a", nil), wsync.SendCase(b, "to b", nil))
			if i != 1 && err == nil {
				t.Errorf("Select chose %d, want 1", i)
			}
			return err
		})
		settle(ctx)
		wantChan(t, a, 0, 1, 0)
		if v, _, _ := b.Recv(ctx); v != "to b" {
			t.Errorf("b got %q", v)
		}
		wantErr(t, "sel", sel.result(ctx), nil)
		if _, ok := a.TryRecv(); ok {
			t.Error("the losing send case's value was sent")
		}
		return nil
	})
}

func TestSelect_Future(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := wsync.NewChan[int](0)
		// A future that settles while the Select is parked.
		f := fiber.Go(ctx, func(ctx context.Context) (string, error) {
			return "slept", fiber.Sleep(ctx, time.Second)
		})
		var got string
		i, err := wsync.Select(ctx,
			wsync.RecvCase(c, nil),
			wsync.FutureCase(f, func(v string, err error) { got = v }))
		if i != 1 || err != nil || got != "slept" {
			t.Errorf("Select = %d, %v, %q", i, err, got)
		}
		// Settled already: ready at once. A rejection is the case's value,
		// not Select's error.
		boom := errors.New("boom")
		r := fiber.Go(ctx, func(ctx context.Context) (int, error) { return 0, boom })
		fiber.Await(ctx, r)
		var ferr error
		i, err = wsync.Select(ctx, wsync.FutureCase[int](nil, nil), wsync.FutureCase(r, func(_ int, err error) { ferr = err }))
		if i != 1 || err != nil || !errors.Is(ferr, boom) {
			t.Errorf("Select = %d, %v, %v", i, err, ferr)
		}
		// A future that loses keeps its outcome for the next Select.
		slow := fiber.Go(ctx, func(ctx context.Context) (int, error) { return 7, fiber.Sleep(ctx, time.Hour) })
		go2 := start(ctx, nil, "sender", sender(c, 1))
		i, err = wsync.Select(ctx, wsync.FutureCase(slow, nil), wsync.RecvCase(c, nil))
		if i != 1 || err != nil {
			t.Errorf("Select = %d, %v, want the Chan", i, err)
		}
		wantErr(t, "sender", go2.result(ctx), nil)
		var v int
		i, err = wsync.Select(ctx, wsync.FutureCase(slow, func(x int, _ error) { v = x }))
		if i != 0 || err != nil || v != 7 {
			t.Errorf("Select = %d, %v, %d", i, err, v)
		}
		return nil
	})
}

// TestSelect_ForeignFuture selects on a future of another loop, settled
// by a goroutine, and on one that loses: its helper fiber is stopped, so
// Run returns and no goroutine is left.
func TestSelect_ForeignFuture(t *testing.T) {
	other, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- other.Run() }()
	defer func() {
		other.Close()
		if err := <-runErr; err != nil {
			t.Error(err)
		}
	}()
	won, p := future.New[string](other)
	lost, _ := future.New[string](other)
	go p.Resolve("from afar")
	run(t, func(ctx context.Context) error {
		var got string
		i, err := wsync.Select(ctx, wsync.FutureCase(lost, nil), wsync.FutureCase(won, func(v string, _ error) { got = v }))
		if i != 1 || err != nil || got != "from afar" {
			t.Errorf("Select = %d, %v, %q", i, err, got)
		}
		c := wsync.NewChan[int](1)
		c.Send(ctx, 1)
		i, err = wsync.Select(ctx, wsync.FutureCase(lost, nil), wsync.RecvCase(c, nil))
		if i != 1 || err != nil {
			t.Errorf("Select = %d, %v", i, err)
		}
		// Parked on both; the Chan wins.
		s := start(ctx, nil, "s", func(ctx context.Context) error {
			settle(ctx)
			return c.Send(ctx, 2)
		})
		i, err = wsync.Select(ctx, wsync.FutureCase(lost, nil), wsync.RecvCase(c, nil))
		if i != 1 || err != nil {
			t.Errorf("Select = %d, %v", i, err)
		}
		wantErr(t, "s", s.result(ctx), nil)
		// Parked on the foreign future alone, and cancelled.
		w := start(ctx, nil, "w", func(ctx context.Context) error {
			_, err := wsync.Select(ctx, wsync.FutureCase(lost, nil))
			return err
		})
		settle(ctx)
		w.cancel()
		wantErr(t, "w", w.result(ctx), context.Canceled)
		return nil
	})
}

func TestSelect_Cancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a := wsync.NewChan[string](0)
		b := wsync.NewChan[string](1)
		b.Send(ctx, "full")
		cases := func(log *[]string) []wsync.Case {
			return []wsync.Case{
				wsync.RecvCase(a, func(v string, _ bool) { *log = append(*log, "recv "+v) }),
				wsync.SendCase(b, "x", func() { *log = append(*log, "sent") }),
			}
		}
		var log []string
		i, err := wsync.Select(cancelled(ctx), cases(&log)...)
		if i != -1 || err != context.Canceled {
			t.Errorf("Select with a done context = %d, %v", i, err)
		}
		sel := start(ctx, nil, "sel", func(ctx context.Context) error {
			i, err := wsync.Select(ctx, cases(&log)...)
			if i != -1 {
				t.Errorf("cancelled Select = %d", i)
			}
			return err
		})
		settle(ctx)
		wantChan(t, a, 0, 0, 1)
		wantChan(t, b, 1, 1, 0)
		sel.cancel()
		wantErr(t, "sel", sel.result(ctx), context.Canceled)
		wantChan(t, a, 0, 0, 0)
		wantChan(t, b, 1, 0, 0)
		if v, _ := b.TryRecv(); v != "full" || b.Len() != 0 {
			t.Error("the cancelled send case sent its value")
		}
		wantLog(t, log)
		// With no case that can be ready, Select waits for ctx.
		sel = start(ctx, nil, "empty", func(ctx context.Context) error {
			_, err := wsync.Select(ctx)
			return err
		})
		settle(ctx)
		sel.cancel()
		wantErr(t, "empty", sel.result(ctx), context.Canceled)
		return nil
	})
}

// TestSelect_HandedThenCancelled: a case completed before the fiber runs
// is returned even though ctx is cancelled by then.
func TestSelect_HandedThenCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a := wsync.NewChan[string](0)
		var got []string
		sel := start(ctx, nil, "sel", func(ctx context.Context) error {
			i, err := wsync.Select(ctx, wsync.RecvCase(a, func(v string, _ bool) { got = append(got, v) }))
			if i != 0 && err == nil {
				t.Errorf("Select = %d", i)
			}
			return err
		})
		settle(ctx)
		a.Send(ctx, "v")
		sel.cancel()
		wantErr(t, "sel", sel.result(ctx), nil)
		wantLog(t, got, "v")
		return nil
	})
}

// TestSelect_StaleWake: a Select woken by something other than one of its
// cases (see TestMutex_StaleWake) goes on waiting.
func TestSelect_StaleWake(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := wsync.NewChan[int](0)
		f := fiber.Go(ctx, func(ctx context.Context) (int, error) { return 1, fiber.Sleep(ctx, time.Second) })
		var got []int
		w := start(ctx, nil, "w", func(ctx context.Context) error {
			fiber.Await(cancelled(ctx), f) // returns at once
			_, err := wsync.Select(ctx, wsync.RecvCase(c, func(v int, _ bool) { got = append(got, v) }))
			return err
		})
		fiber.Sleep(ctx, time.Hour) // f settles meanwhile
		if len(got) != 0 {
			t.Errorf("Select completed with %v before anything was sent", got)
		}
		c.Send(ctx, 5)
		wantErr(t, "w", w.result(ctx), nil)
		if len(got) != 1 || got[0] != 5 {
			t.Errorf("got %v", got)
		}
		return nil
	})
}

func TestSelect_Closed(t *testing.T) {
	run(t, func(ctx context.Context) error {
		a := wsync.NewChan[int](0)
		a.Close()
		var ok = true
		i, err := wsync.Select(ctx, wsync.RecvCase(a, func(_ int, o bool) { ok = o }))
		if i != 0 || err != nil || ok {
			t.Errorf("Select on a closed Chan = %d, %v, ok %v", i, err, ok)
		}
		wantPanic(t, "sync: send on closed Chan", func() { wsync.Select(ctx, wsync.SendCase(a, 1, nil)) })

		b := wsync.NewChan[int](0)
		sel := start(ctx, nil, "sel", func(ctx context.Context) error {
			_, err := wsync.Select(ctx, wsync.SendCase(b, 1, nil))
			return err
		})
		settle(ctx)
		b.Close()
		if _, err := fiber.Await(ctx, sel.f); err == nil {
			t.Error("a send case parked at Close did not panic")
		}
		return nil
	})
}

func TestSelect_Deadlock(t *testing.T) {
	wantDeadlock(t, "Select", func(ctx context.Context) error {
		var a wsync.Chan[int]
		_, err := wsync.Select(ctx, wsync.RecvCase(&a, nil), wsync.SendCase(&a, 1, nil))
		return err
	})
	wantDeadlock(t, "Select", func(ctx context.Context) error {
		_, err := wsync.Select(ctx)
		return err
	})
}
