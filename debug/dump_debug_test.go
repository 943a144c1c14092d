//go:build !weft_nodebug

package debug_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/weftio/weft/debug"
	"github.com/weftio/weft/loop"
)

// TestDump_ListsParkedFibersWithWhatTheyAwait is the dump of a loop in
// debug mode: every fiber, its state, what it waits in and for how long,
// where, on which future, and who spawned it where.
func TestDump_ListsParkedFibersWithWhatTheyAwait(t *testing.T) {
	var dump string
	var m debug.Metrics
	var id uint64
	var s0 parkedScene
	runParkedScene(t, func(s *parkedScene) {
		var b bytes.Buffer
		if err := debug.Dump(&b); err != nil {
			t.Error(err)
		}
		dump, m, id, s0 = b.String(), debug.Read(s.loop), s.loop.ID(), *s
	}, loop.WithDebug())

	// main (fiber 1) waits in Blocking's Await; the children 2, 3 and 4 in
	// Await, Sleep and Mutex.Lock; fiber 5 is done.
	sect := loopSection(t, dump, id)
	fn := "(github.com/weftio/weft/debug_test.runParkedScene.func1"
	for _, want := range [][]string{
		{fmt.Sprintf("loop %d [debug]: ", id)},
		{"\t4 fibers, 4 parked:"},
		{"\tfiber 1 [parked in Await for "},
		{"\tfiber 2 [parked in Await for ", "]: github.com/weftio/weft/debug_test.runParkedScene.func1.1"},
		{"\t\twaiting at /", s0.await + fn + ".1)"},
		{"\t\ton a future made at /", s0.made + fn + ")"},
		{"\t\tspawned by fiber 1 at /", s0.spawn + fn + ")"},
		{"\tfiber 3 [parked in Sleep for "},
		{"\tfiber 4 [parked in Mutex.Lock for "},
	} {
		if !hasLine(sect, want...) {
			t.Errorf("no line of the dump has %q:\n%s", want, sect)
		}
	}
	if strings.Contains(sect, "fiber 5 ") {
		t.Errorf("the dump lists fiber 5, which is done:\n%s", sect)
	}
	if m.Loop != id || m.Fibers != 4 || m.Parked != 4 {
		t.Errorf("metrics: loop %d, %d fibers, %d parked; want loop %d, 4 and 4", m.Loop, m.Fibers, m.Parked, id)
	}
}
