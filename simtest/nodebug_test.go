//go:build weft_nodebug

package simtest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/weftio/weft/loop"
	"github.com/weftio/weft/simtest"
)

// TestRun_CompiledOut: a weft_nodebug build has no simulation; Run says so
// instead of running main on a plain loop, where it would pass untested.
func TestRun_CompiledOut(t *testing.T) {
	ran := false
	err := simtest.Run(1, func(context.Context) error { ran = true; return nil })
	if !errors.Is(err, loop.ErrNoSimulation) || ran {
		t.Fatalf("Run = %v (main ran: %v), want loop.ErrNoSimulation without running main", err, ran)
	}
}
