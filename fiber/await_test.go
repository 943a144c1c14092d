package fiber_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// A settled future is returned at once: the caller does not park, so a
// fiber started before it has not run yet.
func TestAwait_SettledFutureDoesNotPark(t *testing.T) {
	prev := future.SetUnhandledHook(func(u future.Unhandled) { t.Errorf("unhandled rejection: %v", u.Err) })
	defer future.SetUnhandledHook(prev)
	errSettled := errors.New("settled with an error")
	var log []string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		fiber.Go(ctx, func(context.Context) (int, error) {
			log = append(log, "sibling ran")
			return 0, nil
		})
		v, err := fiber.Await(ctx, future.Resolved(l, 1))
		log = append(log, fmt.Sprintf("resolved: %v %v", v, err))
		v, err = fiber.Await(ctx, future.Rejected[int](l, errSettled))
		log = append(log, fmt.Sprintf("rejected: %v %v", v, err))
		// Settled wins over a context that is done: nothing to wait for.
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cancel()
		v, err = fiber.Await(cctx, future.Resolved(l, 2))
		log = append(log, fmt.Sprintf("done ctx: %v %v", v, err))
		return fiber.Yield(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"resolved: 1 <nil>", "rejected: 0 settled with an error", "done ctx: 2 <nil>", "sibling ran"}
	if !slices.Equal(log, want) {
		t.Errorf("log %q, want %q", log, want)
	}
}

// Await of a pending future returns its value, or its error, once it
// settles, at the virtual time it settles.
func TestAwait_PendingFuture(t *testing.T) {
	errLater := errors.New("later")
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		ok, okP := future.New[string](l)
		bad, badP := future.New[string](l)
		fiber.Go(ctx, func(ctx context.Context) (int, error) {
			if err := fiber.Sleep(ctx, time.Second); err != nil {
				return 0, err
			}
			okP.Resolve("value")
			if err := fiber.Sleep(ctx, time.Second); err != nil {
				return 0, err
			}
			badP.Reject(errLater)
			return 0, nil
		})
		v, err := fiber.Await(ctx, ok)
		if v != "value" || err != nil || now(ctx) != time.Second {
			t.Errorf("Await = %q, %v at %v; want value, nil at 1s", v, err, now(ctx))
		}
		v, err = fiber.Await(ctx, bad)
		if v != "" || err != errLater || now(ctx) != 2*time.Second {
			t.Errorf("Await = %q, %v at %v; want \"\", %v at 2s", v, err, now(ctx), errLater)
		}
		return nil
	}, virtual())
	if err != nil {
		t.Fatal(err)
	}
}

// Cancelling the context a fiber was started with wakes its Await with
// context.Canceled; the future goes on and can still be awaited. Cancelled
// by another fiber, with nothing else on the loop: the wake is on its way
// from context.AfterFunc's goroutine, which is no deadlock. Repeated, since
// that goroutine races with the loop's check.
func TestAwait_OwnContextCancelled(t *testing.T) {
	for i := range 200 {
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			f, p := future.New[int](fiber.Loop(ctx))
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			child := fiber.Go(cctx, func(ctx context.Context) (int, error) {
				return fiber.Await(ctx, f)
			})
			suspended := fiber.Go(cctx, func(ctx context.Context) (int, error) {
				return 0, fiber.Suspend(ctx, "nothing", func(fiber.Waiter) {})
			})
			if err := fiber.Yield(ctx); err != nil { // both children parked
				return err
			}
			cancel()
			if _, err := fiber.Await(ctx, suspended); !errors.Is(err, context.Canceled) {
				return fmt.Errorf("Suspend with the fiber's own context cancelled: %v, want context.Canceled", err)
			}
			if _, err := fiber.Await(ctx, child); !errors.Is(err, context.Canceled) {
				return fmt.Errorf("Await with the fiber's own context cancelled: %v, want context.Canceled", err)
			}
			if _, _, settled := f.Result(); settled {
				return errors.New("the awaited future settled when its awaiter's context was cancelled")
			}
			p.Resolve(5)
			if v, err := fiber.Await(ctx, f); v != 5 || err != nil {
				return fmt.Errorf("the future after the cancelled Await: %v, %v; want 5, nil", v, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
}

// A context made in the fiber, cancelled by another fiber or by its
// timeout, ends an Await with its error and leaves the future pending.
func TestAwait_DerivedContext(t *testing.T) {
	cases := []struct {
		name string
		make func(ctx context.Context) (context.Context, context.CancelFunc)
		want error
	}{
		{"WithCancel", context.WithCancel, context.Canceled},
		{"WithTimeout", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 10*time.Millisecond) // real time: a context knows no other
		}, context.DeadlineExceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := fiber.Run(context.Background(), func(ctx context.Context) error {
				f, p := future.New[int](fiber.Loop(ctx))
				dctx, cancel := c.make(ctx)
				defer cancel()
				if c.want == context.Canceled {
					fiber.Go(ctx, func(context.Context) (int, error) { cancel(); return 0, nil })
				}
				v, err := fiber.Await(dctx, f)
				if !errors.Is(err, c.want) || err != dctx.Err() {
					t.Errorf("Await = %v, %v; want ctx.Err() = %v", v, err, c.want)
				}
				if _, _, settled := f.Result(); settled {
					t.Error("the future settled with its awaiter's context")
				}
				// The fiber's own context is still good: the future can be
				// awaited again.
				fiber.Go(ctx, func(context.Context) (int, error) { p.Resolve(9); return 0, nil })
				if v, err := fiber.Await(ctx, f); v != 9 || err != nil {
					t.Errorf("Await after = %v, %v; want 9, nil", v, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// An Await ended by its context leaves its reaction on the future; when
// that future settles later it wakes nothing the fiber waits in by then (a
// Sleep, an Await of another future), and Awaits after it still work.
func TestAwait_StaleReactionWakesNothing(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		f1, p1 := future.New[int](l)
		f2, p2 := future.New[int](l)
		start := l.Now()
		cctx, cancel := context.WithCancel(ctx)
		fiber.Go(ctx, func(context.Context) (int, error) { cancel(); return 0, nil })
		if _, err := fiber.Await(cctx, f1); !errors.Is(err, context.Canceled) {
			t.Fatalf("Await(f1) = %v, want context.Canceled", err)
		}
		l.AfterFunc(time.Second, func() { p1.Resolve(1) })
		l.AfterFunc(3*time.Second, func() { p2.Resolve(2) })
		if err := fiber.Sleep(ctx, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := time.Duration(l.Now() - start); got != 2*time.Second {
			t.Errorf("Sleep(2s) woke after %v: f1's stale reaction woke it", got)
		}
		if v, err := fiber.Await(ctx, f2); v != 2 || err != nil || time.Duration(l.Now()-start) != 3*time.Second {
			t.Errorf("Await(f2) = %v, %v at %v; want 2, nil at 3s", v, err, time.Duration(l.Now()-start))
		}
		f3, p3 := future.New[int](l)
		l.AfterFunc(time.Second, func() { p3.Resolve(3) })
		if v, err := fiber.Await(ctx, f3); v != 3 || err != nil || time.Duration(l.Now()-start) != 4*time.Second {
			t.Errorf("Await(f3) = %v, %v at %v; want 3, nil at 4s", v, err, time.Duration(l.Now()-start))
		}
		return nil
	}, loop.WithVirtualTime(time.Unix(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
}

// A done context is checked before parking: Await, Sleep, Yield and
// Suspend return its error at once and Suspend enqueues nothing.
func TestWaits_ContextAlreadyDone(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		f, p := future.New[int](fiber.Loop(ctx))
		defer p.Resolve(0)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cancel()
		if _, err := fiber.Await(cctx, f); err != context.Canceled {
			t.Errorf("Await = %v", err)
		}
		if err := fiber.Sleep(cctx, time.Hour); err != context.Canceled {
			t.Errorf("Sleep = %v", err)
		}
		if err := fiber.Yield(cctx); err != context.Canceled {
			t.Errorf("Yield = %v", err)
		}
		enqueued := false
		if err := fiber.Suspend(cctx, "x", func(fiber.Waiter) { enqueued = true }); err != context.Canceled || enqueued {
			t.Errorf("Suspend = %v, enqueued %v", err, enqueued)
		}
		if now(ctx) != 0 {
			t.Errorf("time moved to %v", now(ctx))
		}
		return nil
	}, virtual())
	if err != nil {
		t.Fatal(err)
	}
}

// A future of another loop can be awaited; the fiber's loop waits for it
// (no deadlock while idle), and a derived context still cancels the wait.
func TestAwait_AnotherLoopsFuture(t *testing.T) {
	other := looptest.Start(t)
	promises := make(chan future.Promise[string], 1)
	go func() {
		p := <-promises
		if !waitLoopIdle() {
			t.Errorf("the loop was not idle in its poller within %v", waitLimit)
		}
		p.Resolve("from the other loop")
	}()
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		f, p := future.New[string](other)
		promises <- p
		v, err := fiber.Await(ctx, f)
		if v != "from the other loop" || err != nil {
			t.Errorf("Await = %q, %v", v, err)
		}
		pending, pendingP := future.New[string](other)
		defer pendingP.Resolve("")
		dctx, cancel := context.WithCancel(ctx)
		fiber.Go(ctx, func(context.Context) (int, error) { cancel(); return 0, nil })
		if _, err := fiber.Await(dctx, pending); err != context.Canceled {
			t.Errorf("Await of another loop's future with a cancelled context = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func panicInChild(context.Context) (int, error) { panic("child exploded") }

// Go's fiber runs after its caller parks or yields, never inside Go; its
// future carries its results, or its panic with its stack.
func TestGo(t *testing.T) {
	errChild := errors.New("child error")
	var log []string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		f := fiber.Go(ctx, func(context.Context) (int, error) {
			log = append(log, "child")
			return 42, nil
		})
		log = append(log, "after Go")
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		log = append(log, "after Yield")
		if v, err := fiber.Await(ctx, f); v != 42 || err != nil {
			t.Errorf("Await = %v, %v; want 42, nil", v, err)
		}
		failed := fiber.Go(ctx, func(context.Context) (int, error) { return 1, errChild })
		if _, err := fiber.Await(ctx, failed); !errors.Is(err, errChild) {
			t.Errorf("Await of a failing fiber = %v, want %v", err, errChild)
		}
		_, err := fiber.Await(ctx, fiber.Go(ctx, panicInChild))
		wantRecovered(t, err, "child exploded", "fiber_test.panicInChild")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"after Go", "child", "after Yield"}; !slices.Equal(log, want) {
		t.Errorf("log %v, want %v", log, want)
	}
}

type key struct{}

// A fiber's context is the one it was started with: its values and its
// cancellation.
func TestGo_Context(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		cctx, cancel := context.WithCancel(context.WithValue(ctx, key{}, "v"))
		defer cancel()
		var seen any
		child := fiber.Go(cctx, func(ctx context.Context) (string, error) {
			seen = ctx.Value(key{})
			return "", fiber.Sleep(ctx, time.Hour)
		})
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		cancel()
		if _, err := fiber.Await(ctx, child); !errors.Is(err, context.Canceled) {
			t.Errorf("child's Sleep = %v, want context.Canceled", err)
		}
		if seen != "v" {
			t.Errorf("the child saw the value %v, want v", seen)
		}
		v, err := fiber.Await(ctx, fiber.Go(context.WithValue(ctx, key{}, "w"), func(ctx context.Context) (string, error) {
			v, _ := ctx.Value(key{}).(string)
			return v, nil
		}))
		if v != "w" || err != nil {
			t.Errorf("value seen by the child: %q, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Yield sends the caller to the back of the ready queue: fibers that
// yield in turn interleave round-robin, and a task scheduled before the
// Yield runs before the caller resumes.
func TestYield_Interleaves(t *testing.T) {
	var log []string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		var fs []*future.Future[int]
		for _, name := range []string{"a", "b", "c"} {
			fs = append(fs, fiber.Go(ctx, func(ctx context.Context) (int, error) {
				for i := 1; i <= 3; i++ {
					log = append(log, fmt.Sprint(name, i))
					if err := fiber.Yield(ctx); err != nil {
						return 0, err
					}
				}
				return 0, nil
			}))
		}
		for _, f := range fs {
			if _, err := fiber.Await(ctx, f); err != nil {
				return err
			}
		}
		fiber.Loop(ctx).Schedule(func() { log = append(log, "task") })
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		log = append(log, "main")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3", "task", "main"}
	if !slices.Equal(log, want) {
		t.Errorf("log %v, want %v", log, want)
	}
}

// Sleep wakes at exactly the virtual time asked for, sleepers in the
// order of their deadlines; a zero or negative Sleep takes no time.
func TestSleep_VirtualTime(t *testing.T) {
	var woke []string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		for _, d := range []time.Duration{3 * time.Second, time.Millisecond, 2 * time.Second, 1500 * time.Microsecond} {
			fiber.Go(ctx, func(ctx context.Context) (int, error) {
				err := fiber.Sleep(ctx, d)
				woke = append(woke, fmt.Sprintf("%v@%v", d, now(ctx)))
				return 0, err
			})
		}
		for _, d := range []time.Duration{0, -time.Second} {
			if err := fiber.Sleep(ctx, d); err != nil || now(ctx) != 0 {
				t.Errorf("Sleep(%v) = %v at %v, want nil at 0", d, err, now(ctx))
			}
		}
		for range 1000 {
			if err := fiber.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
		if now(ctx) != time.Second {
			t.Errorf("1000 Sleeps of 1ms ended at %v, want exactly 1s", now(ctx))
		}
		return nil
	}, loop.WithVirtualTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1ms@1ms", "1.5ms@1.5ms", "2s@2s", "3s@3s"}
	if !slices.Equal(woke, want) {
		t.Errorf("woke %v, want %v", woke, want)
	}
}

// Sleep ends with the context's error when the context is done first:
// the fiber's own, cancelled by another fiber, or one made for the Sleep.
func TestSleep_Cancelled(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		sleeper := fiber.Go(cctx, func(ctx context.Context) (int, error) {
			return 0, fiber.Sleep(ctx, time.Hour)
		})
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		cancel()
		if _, err := fiber.Await(ctx, sleeper); err != context.Canceled {
			t.Errorf("Sleep with its fiber's context cancelled = %v", err)
		}
		tctx, cancelT := context.WithTimeout(ctx, 5*time.Millisecond)
		defer cancelT()
		if err := fiber.Sleep(tctx, time.Hour); err != context.DeadlineExceeded {
			t.Errorf("Sleep with a context that times out = %v", err)
		}
		return nil
	}) // real time: the contexts' clocks are real
	if err != nil {
		t.Fatal(err)
	}
}

// A wait whose context cannot be cancelled is not ended by the
// cancellation of the fiber's own context, even one that raced with an
// earlier wait of the fiber.
func TestSleep_UncancellableContextIgnoresOwnCancellation(t *testing.T) {
	for i := range 20 {
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			f, p := future.New[int](fiber.Loop(ctx))
			a := fiber.Go(cctx, func(ctx context.Context) (time.Duration, error) {
				if _, err := fiber.Await(ctx, f); err != nil { // woken by p, cancel on its way
					return 0, err
				}
				err := fiber.Sleep(context.WithoutCancel(ctx), time.Millisecond)
				return now(ctx), err
			})
			if err := fiber.Yield(ctx); err != nil {
				return err
			}
			p.Resolve(1)
			cancel()
			at, err := fiber.Await(ctx, a)
			if err != nil || at < time.Millisecond {
				return fmt.Errorf("Sleep(context.WithoutCancel) = %v after %v, want nil after 1ms", err, at)
			}
			return nil
		}) // real time, so that the stale wake has time to arrive
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
}

// A context cancelled by another fiber ends a Sleep with its error at the
// virtual time of the cancellation, every run. The wake comes through a
// goroutine (context.AfterFunc); the runtime wakes the fiber itself before
// the virtual clock may jump, so the clock never overtakes it.
func TestSleep_CancelledByAFiberOnVirtualTime(t *testing.T) {
	late := 0
	for i := range 100 {
		var at time.Duration
		err := fiber.Run(context.Background(), func(ctx context.Context) error {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			fiber.Go(ctx, func(ctx context.Context) (int, error) {
				err := fiber.Sleep(ctx, time.Second)
				cancel()
				return 0, err
			})
			err := fiber.Sleep(cctx, time.Hour)
			at = now(ctx)
			return err
		}, virtual())
		if err != context.Canceled {
			t.Fatalf("run %d: Sleep = %v at %v, want context.Canceled", i, err, at)
		}
		if at != time.Second {
			late++
		}
	}
	if late > 0 {
		t.Fatalf("%d of 100 Sleeps cancelled at 1s ended at 1h: the clock jumped before the wake arrived", late)
	}
}

func panicInBlocking(context.Context) (int, error) { panic("blocking exploded") }

// Blocking runs its function off the loop and returns its results; a
// panic there comes back as an error with the function's stack.
func TestBlocking(t *testing.T) {
	errBlocking := errors.New("blocking error")
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		v, err := fiber.Blocking(ctx, func(context.Context) (bool, error) { return l.OnLoop(), nil })
		if v || err != nil {
			t.Errorf("Blocking ran on the loop (%v, %v)", v, err)
		}
		if _, err := fiber.Blocking(ctx, func(context.Context) (int, error) { return 0, errBlocking }); err != errBlocking {
			t.Errorf("Blocking = %v, want %v", err, errBlocking)
		}
		_, err = fiber.Blocking(ctx, panicInBlocking)
		wantRecovered(t, err, "blocking exploded", "fiber_test.panicInBlocking")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Blocking with the fiber's context cancelled returns context.Canceled at
// once and cancels the context its function was given.
func TestBlocking_Cancelled(t *testing.T) {
	started := make(chan struct{})
	saw := make(chan error, 1)
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		child := fiber.Go(cctx, func(ctx context.Context) (int, error) {
			return fiber.Blocking(ctx, func(bctx context.Context) (int, error) {
				close(started)
				<-bctx.Done()
				saw <- bctx.Err()
				return 1, nil
			})
		})
		if _, err := fiber.Await(ctx, future.FromChan(fiber.Loop(ctx), started)); !errors.Is(err, future.ErrChanClosed) {
			return err
		}
		cancel()
		if v, err := fiber.Await(ctx, child); v != 0 || err != context.Canceled {
			t.Errorf("Blocking = %v, %v; want 0, context.Canceled", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := looptest.Recv(t, saw, "the blocking function's context"); !errors.Is(err, context.Canceled) {
		t.Errorf("the blocking function's context ended with %v, want context.Canceled", err)
	}
}

// A Blocking call in flight keeps the loop from reporting a deadlock while
// every fiber waits for it.
func TestBlocking_IsNotADeadlock(t *testing.T) {
	release := make(chan struct{})
	idleThen(t, func() { close(release) })
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		_, err := fiber.Blocking(ctx, func(context.Context) (int, error) {
			<-release
			return 0, nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A Waiter wakes its fiber once; a second Wake, a zero Waiter's, and the
// Waiter of a wait its context ended report false.
func TestSuspend_Waiter(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		var w fiber.Waiter
		if w.Wake() {
			t.Error("the zero Waiter woke something")
		}
		woken := fiber.Go(ctx, func(ctx context.Context) (int, error) {
			return 0, fiber.Suspend(ctx, "test wait", func(x fiber.Waiter) { w = x })
		})
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		if !w.Wake() {
			t.Error("Wake of a parked fiber reported false")
		}
		if w.Wake() {
			t.Error("a second Wake reported true")
		}
		if _, err := fiber.Await(ctx, woken); err != nil {
			t.Errorf("Suspend = %v after Wake, want nil", err)
		}

		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cancelled := fiber.Go(cctx, func(ctx context.Context) (int, error) {
			return 0, fiber.Suspend(ctx, "test wait", func(x fiber.Waiter) { w = x })
		})
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		cancel()
		if _, err := fiber.Await(ctx, cancelled); err != context.Canceled {
			t.Errorf("Suspend = %v after its context was cancelled", err)
		}
		if w.Wake() {
			t.Error("Wake after the wait was cancelled reported true")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sliceCtx is a context of a type that is not comparable (a slice
// field): it cannot be a map key.
type sliceCtx struct {
	context.Context
	tags []string
}

// Fibers started with one cancellable parent context share one watch on
// it: cancelling the parent wakes every one parked on its own context,
// with context.Canceled, in one go; a parent of a type that is not
// comparable works too; and a fiber that finished leaves nothing
// registered on the parent (its cancellation later wakes nobody, breaks
// nothing).
func TestAwait_ParentCancelWakesAllSharers(t *testing.T) {
	for _, kind := range []string{"pointer", "not-comparable"} {
		t.Run(kind, func(t *testing.T) {
			err := fiber.Run(context.Background(), func(ctx context.Context) error {
				pctx, cancel := context.WithCancel(ctx)
				defer cancel()
				parent := pctx
				if kind == "not-comparable" {
					parent = sliceCtx{pctx, []string{"x"}}
				}
				const n = 50
				fs := make([]*future.Future[int], n)
				for i := range n {
					fs[i] = fiber.Go(parent, func(ctx context.Context) (int, error) {
						return 0, fiber.Sleep(ctx, time.Hour)
					})
				}
				done := fiber.Go(parent, func(context.Context) (int, error) { return 7, nil })
				if v, err := fiber.Await(ctx, done); v != 7 || err != nil {
					t.Fatalf("a fiber that never parked: %v, %v", v, err)
				}
				if err := fiber.Yield(ctx); err != nil {
					return err
				}
				fiber.Go(ctx, func(context.Context) (int, error) { cancel(); return 0, nil })
				for i, f := range fs {
					if _, err := fiber.Await(ctx, f); !errors.Is(err, context.Canceled) {
						t.Errorf("fiber %d: %v, want context.Canceled", i, err)
					}
				}
				return nil
			}, virtual())
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
