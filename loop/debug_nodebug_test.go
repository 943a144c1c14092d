//go:build unix && weft_nodebug

package loop_test

import (
	"testing"
	"time"

	"github.com/weftio/weft/loop"
)

// In a build with the weft_nodebug tag the debugging hooks are compiled
// out: debug mode cannot be switched on, and the stall detector does not
// exist, so a blocking task is not reported.
func TestNoDebugBuild_HooksCompiledOut(t *testing.T) {
	reported := make(chan loop.Stall, 1)
	l := start(t, loop.WithDebug(), loop.WithStall(time.Millisecond, func(s loop.Stall) { reported <- s }))
	if l.Debugging() {
		t.Error("Debugging() is true in a weft_nodebug build")
	}
	on(t, l, func() { time.Sleep(20 * time.Millisecond) })
	select {
	case s := <-reported:
		t.Errorf("a stall was reported in a weft_nodebug build: %v", s)
	default:
	}
	if s := l.Stats(); s.Stalls != 0 || s.LagSum != 0 {
		t.Errorf("Stats: %d stalls, lag sum %v", s.Stalls, s.LagSum)
	}
}
