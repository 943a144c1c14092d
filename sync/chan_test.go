package sync_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/weftio/weft/fiber"
	wsync "github.com/weftio/weft/sync"
)

// sender is a waiting call that sends v on c.
func sender[T any](c *wsync.Chan[T], v T) func(ctx context.Context) error {
	return func(ctx context.Context) error { return c.Send(ctx, v) }
}

// receiver is a waiting call that receives from c and appends what it got
// to *got.
func receiver[T any](c *wsync.Chan[T], got *[]string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		v, ok, err := c.Recv(ctx)
		if err == nil {
			*got = append(*got, fmt.Sprintf("%v %v", v, ok))
		}
		return err
	}
}

func wantChan[T any](t *testing.T, c *wsync.Chan[T], n, senders, receivers int) {
	t.Helper()
	s, r := wsync.ChanWaiters(c)
	if c.Len() != n || s != senders || r != receivers {
		t.Errorf("%d buffered, %d senders, %d receivers; want %d, %d, %d", c.Len(), s, r, n, senders, receivers)
	}
}

// TestChan_SendersFIFO: with the buffer full, parked senders' values come
// out after the buffered ones, in the order the Sends began.
func TestChan_SendersFIFO(t *testing.T) {
	for _, capacity := range []int{0, 1, 3} {
		t.Run(fmt.Sprint("cap=", capacity), func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				c := wsync.NewChan[int](capacity)
				if c.Cap() != capacity {
					t.Errorf("Cap = %d", c.Cap())
				}
				for i := range capacity {
					c.Send(ctx, i)
				}
				var ws []*waiting
				for i := capacity; i < capacity+4; i++ {
					ws = append(ws, start(ctx, nil, fmt.Sprint("s", i), sender(c, i)))
				}
				settle(ctx)
				wantChan(t, c, capacity, 4, 0)
				for i := range capacity + 4 {
					v, ok, err := c.Recv(ctx)
					if v != i || !ok || err != nil {
						t.Errorf("Recv = %v, %v, %v; want %d", v, ok, err, i)
					}
				}
				for _, w := range ws {
					wantErr(t, w.name, w.result(ctx), nil)
				}
				wantChan(t, c, 0, 0, 0)
				return nil
			})
		})
	}
}

// TestChan_ReceiversFIFO: parked receivers get values in the order their
// Recvs began, each handed over before it runs.
func TestChan_ReceiversFIFO(t *testing.T) {
	for _, capacity := range []int{0, 2} {
		t.Run(fmt.Sprint("cap=", capacity), func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				c := wsync.NewChan[string](capacity)
				var got []string
				ws := startAll(ctx, nil, receiver(c, &got), "a", "b", "c")
				wantChan(t, c, 0, 0, 3)
				for _, v := range []string{"x", "y", "z"} {
					if err := c.Send(ctx, v); err != nil { // never waits
						return err
					}
				}
				wantChan(t, c, 0, 0, 0)
				for _, w := range ws {
					wantErr(t, w.name, w.result(ctx), nil)
				}
				wantLog(t, got, "x true", "y true", "z true")
				return nil
			})
		})
	}
}

func TestChan_ZeroValue(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c wsync.Chan[int] // unbuffered
		if c.TrySend(1) {
			t.Error("TrySend on an unbuffered Chan with no receiver")
		}
		if _, ok := c.TryRecv(); ok {
			t.Error("TryRecv on an empty Chan")
		}
		r := start(ctx, nil, "r", func(ctx context.Context) error {
			v, ok, err := c.Recv(ctx)
			if v != 7 || !ok {
				t.Errorf("Recv = %v, %v", v, ok)
			}
			return err
		})
		settle(ctx)
		if !c.TrySend(7) {
			t.Error("TrySend to a parked receiver failed")
		}
		wantErr(t, "r", r.result(ctx), nil)
		s := start(ctx, nil, "s", sender(&c, 8))
		settle(ctx)
		if v, ok := c.TryRecv(); v != 8 || !ok {
			t.Errorf("TryRecv from a parked sender = %v, %v", v, ok)
		}
		wantErr(t, "s", s.result(ctx), nil)
		return nil
	})
}

// TestChan_Close: receivers drain the buffer, then get ok == false; parked
// receivers are woken with it; parked senders panic.
func TestChan_Close(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := wsync.NewChan[int](2)
		c.Send(ctx, 1)
		c.Send(ctx, 2)
		s := start(ctx, nil, "s", sender(c, 3))
		settle(ctx)
		c.Close()
		var msg string
		if _, err := fiber.Await(ctx, s.f); err == nil {
			t.Error("a Send parked at Close did not panic")
		} else {
			msg = err.Error()
		}
		wantPanic(t, "sync: send on closed Chan", func() { panic(msg) })
		for _, want := range []int{1, 2} {
			if v, ok, err := c.Recv(ctx); v != want || !ok || err != nil {
				t.Errorf("Recv = %v, %v, %v; want %d", v, ok, err, want)
			}
		}
		for range 2 {
			if v, ok, err := c.Recv(cancelled(ctx)); v != 0 || ok || err != nil {
				t.Errorf("Recv of a closed, drained Chan = %v, %v, %v", v, ok, err)
			}
		}
		if _, ok := c.TryRecv(); ok {
			t.Error("TryRecv of a closed, drained Chan")
		}
		wantPanic(t, "sync: send on closed Chan", func() { c.Send(ctx, 4) })
		wantPanic(t, "sync: send on closed Chan", func() { c.TrySend(4) })
		wantPanic(t, "sync: Close of closed Chan", c.Close)

		d := wsync.NewChan[int](0)
		var got []string
		ws := startAll(ctx, nil, receiver(d, &got), "a", "b")
		d.Close()
		for _, w := range ws {
			wantErr(t, w.name, w.result(ctx), nil)
		}
		wantLog(t, got, "0 false", "0 false")
		wantPanic(t, "sync: NewChan with a negative capacity", func() { wsync.NewChan[int](-1) })
		return nil
	})
}

func TestChan_CancelSend(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := wsync.NewChan[string](1)
		wantErr(t, "Send with room", c.Send(cancelled(ctx), "a"), nil)
		wantErr(t, "Send to a full Chan", c.Send(cancelled(ctx), "lost"), context.Canceled)
		ws := []*waiting{
			start(ctx, nil, "b", sender(c, "b")),
			start(ctx, nil, "x", sender(c, "x")),
			start(ctx, nil, "c", sender(c, "c")),
		}
		settle(ctx)
		ws[1].cancel()
		wantErr(t, "x", ws[1].result(ctx), context.Canceled)
		wantChan(t, c, 1, 2, 0)
		var got []string
		for range 3 {
			v, _, err := c.Recv(ctx)
			if err != nil {
				return err
			}
			got = append(got, v)
		}
		wantLog(t, got, "a", "b", "c") // x was never sent
		wantErr(t, "b", ws[0].result(ctx), nil)
		wantErr(t, "c", ws[2].result(ctx), nil)
		return nil
	})
}

func TestChan_CancelRecv(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := wsync.NewChan[string](0)
		if _, _, err := c.Recv(cancelled(ctx)); err != context.Canceled {
			t.Errorf("Recv with a done context: %v", err)
		}
		var got []string
		ws := startAll(ctx, nil, receiver(c, &got), "a", "b", "c")
		ws[1].cancel()
		wantErr(t, "b", ws[1].result(ctx), context.Canceled)
		wantChan(t, c, 0, 0, 2)
		c.Send(ctx, "x")
		c.Send(ctx, "y")
		wantErr(t, "a", ws[0].result(ctx), nil)
		wantErr(t, "c", ws[2].result(ctx), nil)
		wantLog(t, got, "x true", "y true") // b took nothing
		return nil
	})
}

// TestChan_HandedThenCancelled: a value handed to a receiver, or taken
// from a sender, before the fiber runs is never lost to a cancellation.
func TestChan_HandedThenCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c := wsync.NewChan[string](0)
		var got []string
		r := start(ctx, nil, "r", receiver(c, &got))
		settle(ctx)
		c.Send(ctx, "v")
		r.cancel()
		wantErr(t, "r", r.result(ctx), nil)
		wantLog(t, got, "v true")

		s := start(ctx, nil, "s", sender(c, "w"))
		settle(ctx)
		if v, _, _ := c.Recv(ctx); v != "w" {
			t.Errorf("Recv = %q", v)
		}
		s.cancel()
		wantErr(t, "s", s.result(ctx), nil)

		b := wsync.NewChan[string](1)
		b.Send(ctx, "1")
		s = start(ctx, nil, "s", sender(b, "2"))
		settle(ctx)
		b.Recv(ctx) // moves 2 into the buffer
		s.cancel()
		wantErr(t, "s", s.result(ctx), nil)
		if v, _ := b.TryRecv(); v != "2" {
			t.Errorf("buffer holds %q, want 2", v)
		}
		return nil
	})
}

// TestChan_Values sends many values through Chans of several capacities
// between several senders and receivers that cancel some of their calls,
// and checks that every value sent is received once and, with a single
// receiver, in order per sender. (With two, a receiver handed a value
// while parked may run after the other took a later one from the buffer.)
func TestChan_Values(t *testing.T) {
	for _, tc := range [][2]int{{0, 1}, {1, 1}, {5, 1}, {0, 2}, {1, 2}, {5, 2}} {
		capacity, receivers := tc[0], tc[1]
		t.Run(fmt.Sprintf("cap=%d/receivers=%d", capacity, receivers), func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				c := wsync.NewChan[[2]int](capacity)
				const senders, each = 3, 50
				var swg, rwg wsync.WaitGroup
				seen := map[[2]int]bool{}
				last := [senders]int{-1, -1, -1}
				for s := range senders {
					swg.Add(1)
					fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
						defer swg.Done()
						for i, try := 0, 0; i < each; try++ {
							sctx, cancel := context.WithCancel(ctx)
							if try%7 == 3 {
								cancel() // this Send fails if it must wait
							}
							if err := c.Send(sctx, [2]int{s, i}); err == nil {
								i++
							}
							cancel()
							if try%5 == 0 {
								fiber.Yield(ctx)
							}
						}
						return struct{}{}, nil
					})
				}
				for range receivers {
					rwg.Add(1)
					fiber.Go(ctx, func(ctx context.Context) (struct{}, error) {
						defer rwg.Done()
						for n := 0; ; n++ {
							rctx, cancel := context.WithCancel(ctx)
							if n%4 == 1 {
								cancel()
							}
							v, ok, err := c.Recv(rctx)
							cancel()
							if err != nil {
								fiber.Yield(ctx)
								continue
							}
							if !ok {
								return struct{}{}, nil
							}
							if seen[v] {
								t.Errorf("%v received twice", v)
							}
							seen[v] = true
							if receivers == 1 && v[1] <= last[v[0]] {
								t.Errorf("%v after %d of the same sender", v, last[v[0]])
							}
							last[v[0]] = v[1]
						}
					})
				}
				swg.Wait(ctx)
				c.Close()
				rwg.Wait(ctx)
				if len(seen) != senders*each {
					t.Errorf("%d values received, want %d", len(seen), senders*each)
				}
				return nil
			})
		})
	}
}

func TestChan_Deadlock(t *testing.T) {
	wantDeadlock(t, "Chan.Recv", func(ctx context.Context) error {
		var c wsync.Chan[int]
		_, _, err := c.Recv(ctx)
		return err
	})
	wantDeadlock(t, "Chan.Send", func(ctx context.Context) error {
		c := wsync.NewChan[int](1)
		c.Send(ctx, 1)
		return c.Send(ctx, 2)
	})
}
