package fiber_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/future"
)

// misuse is a fiber-facing call made with ctx, and the name its panic
// message must give.
type misuse struct {
	name string
	call func(ctx context.Context)
}

// misuses returns every call that takes a fiber's context, and a Wait of
// g, made by the fiber whose context the calls will be given.
func misuses(g *fiber.Group, settled *future.Future[int]) []misuse {
	return []misuse{
		{"Await", func(ctx context.Context) { _, _ = fiber.Await(ctx, settled) }},
		{"Sleep", func(ctx context.Context) { _ = fiber.Sleep(ctx, time.Second) }},
		{"Yield", func(ctx context.Context) { _ = fiber.Yield(ctx) }},
		{"Go", func(ctx context.Context) {
			fiber.Go(ctx, func(context.Context) (int, error) { return 0, nil })
		}},
		{"Blocking", func(ctx context.Context) {
			_, _ = fiber.Blocking(ctx, func(context.Context) (int, error) { return 0, nil })
		}},
		{"Mutex.Lock", func(ctx context.Context) { _ = fiber.Suspend(ctx, "Mutex.Lock", func(fiber.Waiter) {}) }},
		{"NewGroup", func(ctx context.Context) { fiber.NewGroup(ctx) }},
		{"Loop", func(ctx context.Context) { fiber.Loop(ctx) }},
		{"Group.Wait", func(context.Context) { _ = g.Wait() }},
	}
}

// checkMisuse fails t unless every message says the call was made from
// outside the fiber that owns the context, naming the call.
func checkMisuse(t *testing.T, from string, ms []misuse, msgs []string) {
	t.Helper()
	if len(msgs) != len(ms) {
		t.Fatalf("from %s: %d messages for %d calls", from, len(msgs), len(ms))
	}
	for i, m := range ms {
		want := "fiber: " + m.name + " called outside the fiber that owns the context"
		if !strings.HasPrefix(msgs[i], want) {
			t.Errorf("from %s: %s panicked with %q, want %q...", from, m.name, msgs[i], want)
		}
	}
}

// Every fiber-facing call made from anywhere but the fiber that owns the
// context (another goroutine, a plain loop task, another fiber) panics
// with a message that names the call, and the fiber it was aimed at is
// untouched: nothing switched to it or away from the caller.
func TestMisuse_CallsFromElsewherePanic(t *testing.T) {
	var (
		saved   context.Context
		savedMs []misuse
		log     []string
	)
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		g, _ := fiber.NewGroup(ctx)
		ms := misuses(g, future.Resolved(l, 1))
		saved, savedMs = ctx, ms
		callAll := func() []string {
			var msgs []string
			for _, m := range ms {
				msgs = append(msgs, catch(func() { m.call(ctx) }))
			}
			return msgs
		}

		// From another goroutine.
		ch := make(chan []string, 1)
		go func() { ch <- callAll() }()
		msgs, err := fiber.Await(ctx, future.FromChan(l, ch))
		if err != nil {
			return err
		}
		checkMisuse(t, "a goroutine", ms, msgs)
		log = append(log, "after the goroutine")

		// From a plain task of the loop.
		f, p := future.New[[]string](l)
		l.Schedule(func() { p.Resolve(callAll()) })
		if msgs, err = fiber.Await(ctx, f); err != nil {
			return err
		}
		checkMisuse(t, "a loop task", ms, msgs)
		log = append(log, "after the task")

		// From another fiber, while this one is parked.
		other := fiber.Go(ctx, func(context.Context) ([]string, error) {
			msgs := callAll()
			log = append(log, "other fiber went on")
			return msgs, nil
		})
		if msgs, err = fiber.Await(ctx, other); err != nil {
			return err
		}
		checkMisuse(t, "another fiber", ms, msgs)

		// The fiber is intact: it parks and wakes as before.
		if err := fiber.Sleep(ctx, time.Second); err != nil {
			return err
		}
		log = append(log, "slept")
		return g.Wait()
	}, virtual())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"after the goroutine", "after the task", "other fiber went on", "slept"}
	if !slices.Equal(log, want) {
		t.Errorf("log %v, want %v", log, want)
	}

	// After Run has returned, from the goroutine that ran it.
	var msgs []string
	for _, m := range savedMs {
		msgs = append(msgs, catch(func() { m.call(saved) }))
	}
	checkMisuse(t, "after Run", savedMs, msgs)
}

// A context derived from a fiber's (a value, a cancel) is the fiber's
// too: its owner may use it, anyone else may not.
func TestMisuse_DerivedContext(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		dctx, cancel := context.WithCancel(context.WithValue(ctx, key{}, 1))
		defer cancel()
		if err := fiber.Yield(dctx); err != nil {
			t.Errorf("Yield with a derived context = %v", err)
		}
		other := fiber.Go(ctx, func(context.Context) (string, error) {
			return catch(func() { _ = fiber.Yield(dctx) }), nil
		})
		msg, err := fiber.Await(ctx, other)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(msg, "fiber: Yield called outside the fiber that owns the context") {
			t.Errorf("another fiber's Yield with a derived context panicked with %q", msg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A context that belongs to no fiber is refused, and says so.
func TestMisuse_ContextOfNoFiber(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		l := fiber.Loop(ctx)
		g, _ := fiber.NewGroup(ctx)
		defer g.Wait()
		for _, m := range misuses(g, future.Resolved(l, 1)) {
			if m.name == "Group.Wait" {
				continue // takes no context
			}
			msg := catch(func() { m.call(context.Background()) })
			if want := "fiber: " + m.name + " with a context that belongs to no fiber"; msg != want {
				t.Errorf("%s panicked with %q, want %q", m.name, msg, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A fiber's context used after the fiber has finished, by a fiber that
// may run on the same coroutine, is refused.
func TestMisuse_ContextOfAFinishedFiber(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		finished, err := fiber.Await(ctx, fiber.Go(ctx, func(ctx context.Context) (context.Context, error) {
			return ctx, nil
		}))
		if err != nil {
			return err
		}
		msg, err := fiber.Await(ctx, fiber.Go(ctx, func(context.Context) (string, error) {
			return catch(func() { _ = fiber.Yield(finished) }), nil
		}))
		if !strings.HasPrefix(msg, "fiber: Yield called outside the fiber") {
			t.Errorf("Yield with a finished fiber's context panicked with %q", msg)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Group.Go may come from any fiber of the loop, not from another
// goroutine.
func TestMisuse_GroupGoFromAnotherGoroutine(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, _ := fiber.NewGroup(ctx)
		ch := make(chan string, 1)
		go func() { ch <- catch(func() { g.Go(func(context.Context) error { return nil }) }) }()
		msg, err := fiber.Await(ctx, future.FromChan(fiber.Loop(ctx), ch))
		if err != nil {
			return err
		}
		if want := "fiber: Group.Go called from outside the group's loop"; msg != want {
			t.Errorf("Group.Go from a goroutine panicked with %q, want %q", msg, want)
		}
		return g.Wait()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// nil functions are refused at the call, not when the fiber would run.
func TestMisuse_NilFuncs(t *testing.T) {
	if msg := catch(func() { _ = fiber.Run(context.Background(), nil) }); msg != "fiber: Run with a nil func" {
		t.Errorf("Run(nil) panicked with %q", msg)
	}
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		if msg := catch(func() { fiber.Go[int](ctx, nil) }); msg != "fiber: Go with a nil func" {
			t.Errorf("Go(nil) panicked with %q", msg)
		}
		g, _ := fiber.NewGroup(ctx)
		if msg := catch(func() { g.Go(nil) }); msg != "fiber: Group.Go with a nil func" {
			t.Errorf("Group.Go(nil) panicked with %q", msg)
		}
		return g.Wait()
	})
	if err != nil {
		t.Fatal(err)
	}
}
