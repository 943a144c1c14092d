//go:build !weft_nodebug

package debug_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/weftio/weft/debug"
	"github.com/weftio/weft/loop"
)

// TestPrometheus_LagHistogram: the lag of timer callbacks, on a loop whose
// timers fired, is a histogram whose cumulative buckets end with its
// count.
func TestPrometheus_LagHistogram(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var out bytes.Buffer
	var tick func()
	tick = func() {
		if n++; n < 3 {
			l.AfterFunc(0, tick)
			return
		}
		// From the loop itself, which answers at once (and is
		// registered only until Run returns).
		if err := debug.WritePrometheus(&out); err != nil {
			t.Error(err)
		}
		l.Stop()
	}
	l.Post(func() { l.AfterFunc(0, tick) })
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	samples := parsePrometheus(t, out.String())
	lbl := fmt.Sprintf(`loop="%d"`, l.ID())
	count := samples["weft_loop_lag_seconds_count{"+lbl+"}"]
	inf := samples["weft_loop_lag_seconds_bucket{"+lbl+`,le="+Inf"}`]
	if count != 3 || inf != 3 {
		t.Errorf("lag count %v, +Inf bucket %v; want 3 turns that fired timers:\n%s", count, inf, out.String())
	}
}
