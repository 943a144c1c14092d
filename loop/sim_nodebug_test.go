//go:build unix && weft_nodebug

package loop_test

import (
	"errors"
	"testing"

	"github.com/weftio/weft/loop"
)

// TestSim_CompiledOut: a weft_nodebug build has no simulation, and says
// so instead of running a plain loop.
func TestSim_CompiledOut(t *testing.T) {
	l, err := loop.New(loop.WithSimulation(1))
	if !errors.Is(err, loop.ErrNoSimulation) {
		if l != nil {
			l.Close()
		}
		t.Fatalf("New(WithSimulation) = %v, want loop.ErrNoSimulation", err)
	}
}
