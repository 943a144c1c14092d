package timer_test

import (
	"fmt"
	"time"

	"github.com/weftio/weft/timer"
)

// The shape of an event loop's timer phase, driven by a virtual clock: the
// poll timeout comes from Next, and Expire runs what is due.
func Example() {
	var q timer.Queue
	var now int64 // nanoseconds on the loop's clock

	q.Add(timer.Deadline(now, 20*time.Millisecond), func() { fmt.Println("20ms: second") })
	q.Add(timer.Deadline(now, 10*time.Millisecond), func() { fmt.Println("10ms: first") })
	idle := q.Add(timer.Deadline(now, 15*time.Millisecond), func() { fmt.Println("never printed") })
	q.Add(timer.Deadline(now, 10*time.Millisecond), func() {
		fmt.Println("10ms: added second, runs second")
		idle.Stop() // the connection did something: cancel its idle timeout
	})

	for q.Len() > 0 {
		next, _ := q.Next()
		// A real loop would poll for I/O with a timeout of next-now here.
		now = next
		q.Expire(now, nil)
	}
	// Output:
	// 10ms: first
	// 10ms: added second, runs second
	// 20ms: second
}
