package fiber_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
)

// The first error cancels the group's context: the siblings' Sleep and
// Await return context.Canceled. Wait still waits for every child, one
// that ignores the cancellation included, and returns the first error.
func TestGroup_FirstErrorCancelsSiblings(t *testing.T) {
	errFirst, errLate := errors.New("first"), errors.New("late")
	var log []string
	got := map[string]error{}
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		pending, _ := future.New[int](fiber.Loop(ctx))
		g, gctx := fiber.NewGroup(ctx)
		g.Go(func(ctx context.Context) error {
			if err := fiber.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
			log = append(log, "failing")
			return errFirst
		})
		g.Go(func(ctx context.Context) error {
			got["Sleep"] = fiber.Sleep(ctx, time.Hour)
			return got["Sleep"]
		})
		g.Go(func(ctx context.Context) error {
			_, err := fiber.Await(ctx, pending)
			got["Await"] = err
			return err
		})
		g.Go(func(ctx context.Context) error {
			// Takes its time whatever happens, then fails too.
			if err := fiber.Sleep(context.WithoutCancel(ctx), 20*time.Millisecond); err != nil {
				return err
			}
			log = append(log, "late")
			return errLate
		})
		err := g.Wait()
		log = append(log, "Wait returned")
		if !errors.Is(err, errFirst) {
			t.Errorf("Wait = %v, want the first error %v", err, errFirst)
		}
		if cause := context.Cause(gctx); !errors.Is(cause, errFirst) {
			t.Errorf("the group's context was cancelled with cause %v, want %v", cause, errFirst)
		}
		return nil
	}) // real time: virtual time could jump ahead of the cancellation (see TestSleep_CancelledByAFiberOnVirtualTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Sleep", "Await"} {
		if !errors.Is(got[name], context.Canceled) {
			t.Errorf("a sibling's %s returned %v, want context.Canceled", name, got[name])
		}
	}
	if want := []string{"failing", "late", "Wait returned"}; !slices.Equal(log, want) {
		t.Errorf("log %v, want %v", log, want)
	}
}

// Of two errors, Wait returns the one that came first in time, not in
// the order the fibers were started, and only once both are done.
func TestGroup_FirstErrorInTimeWins(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		g.Go(func(ctx context.Context) error {
			if err := fiber.Sleep(context.WithoutCancel(ctx), 2*time.Second); err != nil {
				return err
			}
			return errB
		})
		g.Go(func(ctx context.Context) error {
			if err := fiber.Sleep(ctx, time.Second); err != nil {
				return err
			}
			return errA
		})
		if err := g.Wait(); !errors.Is(err, errA) || now(ctx) != 2*time.Second {
			t.Errorf("Wait = %v at %v, want %v at 2s", err, now(ctx), errA)
		}
		return nil
	}, virtual())
	if err != nil {
		t.Fatal(err)
	}
}

func panicInGroup(context.Context) error { panic("group child exploded") }

// A child's panic is an error like any other, with the child's stack; it
// cancels the siblings.
func TestGroup_PanicInChild(t *testing.T) {
	var sibling error
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		g.Go(func(ctx context.Context) error {
			sibling = fiber.Suspend(ctx, "nothing", func(fiber.Waiter) {})
			return sibling
		})
		g.Go(panicInGroup)
		return g.Wait()
	})
	wantRecovered(t, err, "group child exploded", "fiber_test.panicInGroup")
	if !errors.Is(sibling, context.Canceled) {
		t.Errorf("the sibling's Suspend = %v, want context.Canceled", sibling)
	}
}

// Without errors Wait returns nil once every child is done, then cancels
// the group's context; an empty group's Wait returns at once.
func TestGroup_Success(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, gctx := fiber.NewGroup(ctx)
		if err := g.Wait(); err != nil || now(ctx) != 0 {
			t.Errorf("Wait of an empty group = %v at %v", err, now(ctx))
		}
		g, gctx = fiber.NewGroup(ctx)
		done := 0
		for _, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second} {
			g.Go(func(ctx context.Context) error {
				if err := fiber.Sleep(ctx, d); err != nil {
					return err
				}
				done++
				return nil
			})
		}
		if gctx.Err() != nil {
			t.Error("the group's context is done before Wait")
		}
		if err := g.Wait(); err != nil || done != 3 || now(ctx) != 3*time.Second {
			t.Errorf("Wait = %v with %d done at %v, want nil, 3 at 3s", err, done, now(ctx))
		}
		if gctx.Err() != context.Canceled {
			t.Errorf("after Wait the group's context has %v, want context.Canceled", gctx.Err())
		}
		return nil
	}, virtual())
	if err != nil {
		t.Fatal(err)
	}
}

// Any fiber of the loop may add to a group, a child included; Wait waits
// for what was added meanwhile.
func TestGroup_GoFromAChild(t *testing.T) {
	var log []string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		g.Go(func(ctx context.Context) error {
			if err := fiber.Sleep(ctx, time.Second); err != nil {
				return err
			}
			g.Go(func(ctx context.Context) error {
				if err := fiber.Sleep(ctx, time.Second); err != nil {
					return err
				}
				log = append(log, "grandchild")
				return nil
			})
			log = append(log, "child")
			return nil
		})
		err := g.Wait()
		log = append(log, "Wait")
		if now(ctx) != 2*time.Second {
			t.Errorf("Wait returned at %v, want 2s", now(ctx))
		}
		return err
	}, virtual())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"child", "grandchild", "Wait"}; !slices.Equal(log, want) {
		t.Errorf("log %v, want %v", log, want)
	}
}

// A group whose parent's context is cancelled: the children see it, and
// Wait, which is not cancellable, waits for them.
func TestGroup_ParentCancelled(t *testing.T) {
	var child error
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		parent := fiber.Go(cctx, func(ctx context.Context) (int, error) {
			g, _ := fiber.NewGroup(ctx)
			g.Go(func(ctx context.Context) error {
				child = fiber.Suspend(ctx, "nothing", func(fiber.Waiter) {})
				return child
			})
			return 0, g.Wait()
		})
		if err := fiber.Yield(ctx); err != nil {
			return err
		}
		cancel()
		_, err := fiber.Await(ctx, parent)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Wait = %v, want the child's context.Canceled", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(child, context.Canceled) {
		t.Errorf("child = %v, want context.Canceled", child)
	}
}

// A fiber that skips Wait returns, but Run still waits for the group.
func TestGroup_RunWaitsWithoutWait(t *testing.T) {
	done := false
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		g.Go(func(ctx context.Context) error {
			err := fiber.Sleep(ctx, time.Hour)
			done = true
			return err
		})
		return nil
	}, virtual())
	if err != nil || !done {
		t.Errorf("Run = %v with the child done: %v; want nil, true", err, done)
	}
}
