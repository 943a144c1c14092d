//go:build !weft_nodebug

package debug_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weftio/weft/debug"
	"github.com/weftio/weft/fiber"
	"github.com/weftio/weft/internal/looptest"
	"github.com/weftio/weft/loop"
)

// stallingFiber holds its loop until release is closed.
//
//go:noinline
func stallingFiber(release <-chan struct{}) { <-release }

// TestDump_StalledLoop: a loop held by a fiber cannot list its fibers; the
// dump says so and shows the stall detector's report, with the stack of
// the fiber that holds it, and its fiber counts are unknown.
func TestDump_StalledLoop(t *testing.T) {
	var once sync.Once
	reported, release := make(chan struct{}), make(chan struct{})
	ids, done := make(chan uint64, 1), make(chan error, 1)
	go func() {
		done <- fiber.Run(context.Background(), func(ctx context.Context) error {
			ids <- fiber.Loop(ctx).ID()
			stallingFiber(release)
			return nil
		}, loop.WithStall(20*time.Millisecond, func(loop.Stall) { once.Do(func() { close(reported) }) }))
	}()
	id := looptest.Recv(t, ids, "the loop's ID")
	looptest.Recv(t, reported, "the stall report")
	var b bytes.Buffer
	err := debug.Dump(&b)
	all := debug.ReadAll()
	close(release)
	if err := looptest.Recv(t, done, "fiber.Run's return"); err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	sect := loopSection(t, b.String(), id)
	for _, want := range [][]string{
		{fmt.Sprintf("loop %d", id), ", 1 stalls"},
		{"\tweft: loop ", " stalled: fiber 1 (", ") has held it for "},
		{"debug_test.stallingFiber("},
		{"\tdid not list its fibers within 100ms"},
	} {
		if !hasLine(sect, want...) {
			t.Errorf("no line of the dump has %q:\n%s", want, sect)
		}
	}
	for _, m := range all {
		if m.Loop == id && (m.Fibers != -1 || m.Parked != -1 || m.Stalls != 1) {
			t.Errorf("metrics of the stalled loop: %d fibers, %d parked, %d stalls; want -1, -1, 1", m.Fibers, m.Parked, m.Stalls)
		}
	}
}
