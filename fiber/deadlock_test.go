package fiber_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
)

// lockLine is where lockForever waits, for the report to point at.
var lockLine string

func lockForever(ctx context.Context) (int, error) {
	lockLine = callerLine(1)
	return 0, fiber.Suspend(ctx, "Mutex.Lock", func(fiber.Waiter) {})
}

// A deadlock report names every parked fiber, in the order they were
// started, with its function, what it waits for, and the file:line of the
// user's call that parked it; the switching machinery is left out.
func TestDeadlock_ReportNamesEachFiber(t *testing.T) {
	var mainLine, groupLine, childLine string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		locker := fiber.Go(ctx, lockForever)
		fiber.Go(ctx, func(ctx context.Context) (int, error) {
			g, _ := fiber.NewGroup(ctx)
			g.Go(func(ctx context.Context) error {
				childLine = callerLine(1)
				return fiber.Suspend(ctx, "Cond.Wait", func(fiber.Waiter) {})
			})
			groupLine = callerLine(1)
			return 0, g.Wait()
		})
		mainLine = callerLine(1)
		_, err := fiber.Await(ctx, locker)
		return err
	})
	var d *fiber.DeadlockError
	if !errors.As(err, &d) {
		t.Fatalf("Run = %v, want a *fiber.DeadlockError", err)
	}
	t.Log(err)
	if d.Fibers != 4 {
		t.Errorf("Fibers = %d, want 4", d.Fibers)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "fiber: deadlock: all 4 fibers are parked") {
		t.Errorf("report begins %q", msg[:min(len(msg), 60)])
	}
	sections := strings.Split(msg, "\n\nfiber ")[1:]
	want := []struct{ fn, what, line string }{
		{"fiber_test.TestDeadlock_ReportNamesEachFiber.func1", "Await", mainLine},
		{"fiber_test.lockForever", "Mutex.Lock", lockLine},
		{"fiber_test.TestDeadlock_ReportNamesEachFiber.func1.1", "Group.Wait", groupLine},
		{"fiber_test.TestDeadlock_ReportNamesEachFiber.func1.1.1", "Cond.Wait", childLine},
	}
	if len(sections) != len(want) {
		t.Fatalf("%d fibers in the report, want %d", len(sections), len(want))
	}
	for i, w := range want {
		s := sections[i]
		head, stack, _ := strings.Cut(s, "\n")
		if !strings.Contains(head, "("+"github.com/weftio/weft/"+w.fn+")") {
			t.Errorf("fiber %d: header %q does not name %s", i, head, w.fn)
		}
		if !strings.HasSuffix(head, "parked in "+w.what+":") {
			t.Errorf("fiber %d: header %q does not say it waits in %s", i, head, w.what)
		}
		if !strings.Contains(stack, "/"+w.line+" ") {
			t.Errorf("fiber %d: stack does not point at %s:\n%s", i, w.line, stack)
		}
		for _, machinery := range []string{"iter.Pull", "(*coro).loop", "runBody", "(*fiber).park", "(*fiber).suspend", "stackOf"} {
			if strings.Contains(stack, machinery) {
				t.Errorf("fiber %d: stack shows the machinery (%s):\n%s", i, machinery, stack)
			}
		}
	}
}

// The fibers of a deadlock are unwound when Run closes the loop: their
// deferred calls have run and no goroutine is left.
func TestDeadlock_UnwindsTheParkedFibers(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	const n = 10
	unwound := 0
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		defer func() { unwound++ }()
		for range n - 1 {
			fiber.Go(ctx, func(ctx context.Context) (int, error) {
				defer func() { unwound++ }()
				return 0, fiber.Suspend(ctx, "nothing", func(fiber.Waiter) {})
			})
		}
		return fiber.Suspend(ctx, "nothing", func(fiber.Waiter) {})
	})
	var d *fiber.DeadlockError
	if !errors.As(err, &d) || d.Fibers != n {
		t.Fatalf("Run = %v, want a deadlock of %d fibers", err, n)
	}
	if unwound != n {
		t.Errorf("%d parked fibers unwound, want %d", unwound, n)
	}
	goleak.VerifyNone(t, ignore)
}

// Timers can wake the loop: the deadlock is reported only once the last
// sleeper is done, at that virtual time.
func TestDeadlock_OnlyOnceTimersRunOut(t *testing.T) {
	var at time.Duration
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		fiber.Go(ctx, func(ctx context.Context) (int, error) {
			err := fiber.Sleep(ctx, time.Hour)
			at = time.Duration(l.Now())
			return 0, err
		})
		return fiber.Suspend(ctx, "nothing", func(fiber.Waiter) {})
	}, virtual())
	var d *fiber.DeadlockError
	if !errors.As(err, &d) || d.Fibers != 1 {
		t.Fatalf("Run = %v, want a deadlock of 1 fiber", err)
	}
	if at != time.Hour {
		t.Errorf("the sleeper woke at %v, want 1h", at)
	}
}

// A fiber awaiting its own future, with main awaiting it, is a deadlock
// of two.
func TestDeadlock_FiberAwaitsItself(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		var f *future.Future[int]
		f = fiber.Go(ctx, func(ctx context.Context) (int, error) { return fiber.Await(ctx, f) })
		_, err := fiber.Await(ctx, f)
		return err
	})
	var d *fiber.DeadlockError
	if !errors.As(err, &d) || d.Fibers != 2 {
		t.Fatalf("Run = %v, want a deadlock of 2 fibers", err)
	}
}

// A Run whose context can still be cancelled from outside is not
// deadlocked while every fiber waits on that context.
func TestDeadlock_NotWhileRunsContextCanBeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	idleThen(t, cancel)
	err := fiber.Run(ctx, func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		for i := range 3 {
			g.Go(func(ctx context.Context) error {
				err := fiber.Suspend(ctx, fmt.Sprint("wait ", i), func(fiber.Waiter) {})
				return err
			})
		}
		return g.Wait()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}
