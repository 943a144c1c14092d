//go:build unix && !weft_nodebug

package loop_test

import (
	"fmt"
	"time"

	"github.com/weftio/weft/loop"
)

// A simulated loop fires timers due at the same instant in an order its
// seed decides, the same on every run with that seed; tests repeat a
// program under many seeds to try many orders (package simtest).
func ExampleWithSimulation() {
	for _, seed := range []uint64{1, 1, 2} {
		l, err := loop.New(loop.WithSimulation(seed))
		if err != nil {
			panic(err)
		}
		var fired []string
		_ = l.Post(func() {
			for _, name := range []string{"a", "b", "c"} {
				l.AfterFunc(time.Second, func() { fired = append(fired, name) })
			}
			l.AfterFunc(time.Minute, l.Stop) // virtual time: no real minute
		})
		if err := l.Run(); err != nil {
			panic(err)
		}
		_ = l.Close()
		fmt.Println("seed", seed, fired)
	}
	// Output:
	// seed 1 [b a c]
	// seed 1 [b a c]
	// seed 2 [c b a]
}
