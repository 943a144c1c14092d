//go:build !weft_nodebug

package fiber_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/conc/panics"

	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/gid"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// TestAsyncError_PanicThreeFibersDeep: main spawns top, top spawns mid,
// mid spawns leaf, each awaiting its child; leaf panics. In debug mode the
// error Run returns carries the chain back to main, with the line of each
// of the three spawns and where each parent waits.
func TestAsyncError_PanicThreeFibersDeep(t *testing.T) {
	var spawn [3]string // main's, top's and mid's Go calls
	leaf := func(ctx context.Context) (int, error) { panic("three deep") }
	mid := func(ctx context.Context) (int, error) {
		spawn[2] = callerLine(1)
		return fiber.Await(ctx, fiber.Go(ctx, leaf))
	}
	top := func(ctx context.Context) (int, error) {
		spawn[1] = callerLine(1)
		return fiber.Await(ctx, fiber.Go(ctx, mid))
	}
	run := callerLine(1)
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		spawn[0] = callerLine(1)
		_, err := fiber.Await(ctx, fiber.Go(ctx, top))
		return err
	}, loop.WithDebug())

	wantRecovered(t, err, "three deep", "TestAsyncError_PanicThreeFibersDeep")
	var ae *fiber.AsyncError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want an *AsyncError inside", err, err)
	}
	if len(ae.Chain) != 4 {
		t.Fatalf("chain of %d fibers, want 4 (leaf, mid, top, main):\n%v", len(ae.Chain), err)
	}
	// leaf was spawned by mid's Go, mid by top's, top by main's, main by Run.
	wantAt := []string{spawn[2], spawn[1], spawn[0], run}
	wantState := []string{"failing", "parked", "parked", "parked"}
	for i, sp := range ae.Chain {
		if want := uint64(len(ae.Chain) - i); sp.Fiber != want {
			t.Errorf("chain[%d] is fiber %d, want %d", i, sp.Fiber, want)
		}
		if !strings.Contains(sp.At, "/"+wantAt[i]+" ") {
			t.Errorf("chain[%d] spawned at %q, want %s", i, sp.At, wantAt[i])
		}
		if sp.State != wantState[i] {
			t.Errorf("chain[%d] state %q, want %q", i, sp.State, wantState[i])
		}
	}
	// Each parent waits in Await on its child's future, made by the Go
	// on the same line.
	for i := 1; i < 3; i++ {
		sp, at := ae.Chain[i], "/"+wantAt[i-1]+" "
		if sp.What != "Await" || sp.For <= 0 || !strings.Contains(sp.WaitAt, at) || !strings.Contains(sp.Awaits, at) {
			t.Errorf("chain[%d] waits in %q for %v at %q on a future made at %q; want an Await at %s on a future made there",
				i, sp.What, sp.For, sp.WaitAt, sp.Awaits, wantAt[i-1])
		}
	}
	msg := err.Error()
	for _, line := range spawn {
		if !strings.Contains(msg, line) {
			t.Errorf("Error() does not show the spawn at %s:\n%s", line, msg)
		}
	}
	if !strings.HasPrefix(msg, "panic: three deep") || !strings.Contains(msg, "async stack:") {
		t.Errorf("Error():\n%s", msg)
	}
}

func TestAsyncError_ReturnedErrorAndGroup(t *testing.T) {
	var spawned string
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		g, gctx := fiber.NewGroup(ctx)
		spawned = callerLine(1)
		g.Go(func(ctx context.Context) error { return fmt.Errorf("read: %w", io.EOF) })
		_ = gctx
		return g.Wait()
	}, loop.WithDebug())
	if !errors.Is(err, io.EOF) {
		t.Fatalf("errors.Is(err, io.EOF) is false: %v", err)
	}
	var ae *fiber.AsyncError
	if !errors.As(err, &ae) || len(ae.Chain) != 2 || !strings.Contains(ae.Chain[0].At, spawned) ||
		ae.Chain[1].What != "Group.Wait" || !strings.Contains(ae.Chain[1].WaitAt, "fiber_test.TestAsyncError_ReturnedErrorAndGroup") {
		t.Fatalf("err = %v", err)
	}
	// main returned the child's error, trace and all: not wrapped twice.
	if ae.Err.Error() != "read: EOF" {
		t.Errorf("AsyncError.Err = %v", ae.Err)
	}
	// A returned error keeps its text; %+v and Stack show the chain.
	if err.Error() != "read: EOF" || fmt.Sprint(err) != "read: EOF" || fmt.Sprintf("%q", err) != `"read: EOF"` {
		t.Errorf("Error() = %q, Sprint = %q, %%q = %s; want the returned error's text", err.Error(), fmt.Sprint(err), fmt.Sprintf("%q", err))
	}
	full := fmt.Sprintf("%+v", err)
	if !strings.HasPrefix(full, "read: EOF\n\nasync stack:\nfiber ") || !strings.Contains(full, "spawned at ") ||
		!strings.Contains(full, "[parked in Group.Wait for ") || !strings.HasSuffix(full, ae.Stack()) {
		t.Errorf("%%+v:\n%s", full)
	}
}

func TestAsyncError_NotWithoutDebugMode(t *testing.T) {
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		_, err := fiber.Await(ctx, fiber.Go(ctx, func(ctx context.Context) (int, error) { return 0, io.EOF }))
		return err
	})
	var ae *fiber.AsyncError
	if envDebug() { // WEFT_DEBUG=1 puts every loop in debug mode
		if !errors.As(err, &ae) || ae.Err != io.EOF {
			t.Fatalf("err = %v, want io.EOF in an *AsyncError (WEFT_DEBUG=1)", err)
		}
		return
	}
	if err != io.EOF { //nolint: the very error, unwrapped
		t.Fatalf("err = %#v, want io.EOF itself", err)
	}
}

// envDebug reports whether WEFT_DEBUG=1 puts every loop in debug mode.
func envDebug() bool { return os.Getenv("WEFT_DEBUG") == "1" }

// blockingFiberBody blocks its loop until release is closed.
//
//go:noinline
func blockingFiberBody(release <-chan struct{}) { <-release }

func TestStall_FiberNamedWithSpawnSiteAndStack(t *testing.T) {
	var (
		once    sync.Once
		reports = make(chan loop.Stall, 1)
		release = make(chan struct{})
		spawned string
	)
	report := func(s loop.Stall) {
		once.Do(func() {
			reports <- s
			close(release)
		})
	}
	runG := gid.Number() // fiber.Run runs the loop on this goroutine
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		spawned = callerLine(1)
		_, err := fiber.Await(ctx, fiber.Go(ctx, func(ctx context.Context) (int, error) {
			blockingFiberBody(release)
			return 0, nil
		}))
		return err
	}, loop.WithDebug(), loop.WithStall(20*time.Millisecond, report))
	if err != nil {
		t.Fatal(err)
	}
	s := looptest.Recv(t, reports, "stall report")
	if !strings.HasPrefix(s.What, "fiber 2 (") || !strings.Contains(s.What, "spawned at ") || !strings.Contains(s.What, spawned) {
		t.Errorf("What = %q, want fiber 2 spawned at %s", s.What, spawned)
	}
	if s.Goroutine == runG || s.Goroutine == 0 {
		t.Errorf("Goroutine = %d: want the fiber's coroutine, not the loop's goroutine %d", s.Goroutine, runG)
	}
	if !strings.Contains(s.Stack, "fiber_test.blockingFiberBody") {
		t.Errorf("the stack does not show the blocking fiber:\n%s", s.Stack)
	}
}

// Stall detector without debug mode: the fiber is named, without sites.
func TestStall_FiberWithoutDebugMode(t *testing.T) {
	var (
		once    sync.Once
		reports = make(chan loop.Stall, 1)
		release = make(chan struct{})
	)
	err := fiber.Run(context.Background(), func(ctx context.Context) error {
		blockingFiberBody(release)
		return nil
	}, loop.WithStall(20*time.Millisecond, func(s loop.Stall) {
		once.Do(func() {
			reports <- s
			close(release)
		})
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := looptest.Recv(t, reports, "stall report")
	if !strings.HasPrefix(s.What, "fiber 1 (") || strings.Contains(s.What, "spawned at") != envDebug() ||
		!strings.Contains(s.Stack, "fiber_test.blockingFiberBody") {
		t.Errorf("report %q, stack:\n%s", s.What, s.Stack)
	}
}

// TestAsyncError_ReturnedPanicErrorKeepsText: a fiber that returns an
// error which happens to be a recovered panic (one it caught itself, or a
// panicking reaction's rejection) returned it; it did not panic, so its
// AsyncError keeps the error's text as any returned error does.
func TestAsyncError_ReturnedPanicErrorKeepsText(t *testing.T) {
	var pc panics.Catcher
	pc.Try(func() { panic("caught") })
	caught := pc.Recovered().AsError()
	err := fiber.Run(context.Background(), func(ctx context.Context) error { return caught }, loop.WithDebug())
	var ae *fiber.AsyncError
	if !errors.As(err, &ae) || ae.Err != caught {
		t.Fatalf("err = %v (%T), want an *AsyncError around the returned error", err, err)
	}
	if err.Error() != caught.Error() || strings.Contains(err.Error(), "async stack:") {
		t.Errorf("Error() of a returned error shows more than its text:\n%s", err.Error())
	}
	if !strings.Contains(fmt.Sprintf("%+v", err), "async stack:") {
		t.Errorf("%%+v does not show the async stack:\n%+v", err)
	}
}
