//go:build !weft_nodebug

package loop_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/weftio/weft/loop"
)

// The stall detector reports a task that holds the loop, with its stack,
// while the task still runs.
func ExampleWithStall() {
	release := make(chan struct{})
	l, _ := loop.New(loop.WithStall(20*time.Millisecond, func(s loop.Stall) {
		fmt.Println("stalled by a", s.What, "for at least", s.Held >= 20*time.Millisecond)
		fmt.Println("caught in the act:", strings.Contains(s.Stack, "blockingCallback"))
		close(release)
	}))
	go l.Run()
	defer l.Close()

	done := make(chan struct{})
	l.Post(func() {
		blockingCallback(release) // a channel receive on the loop: never do this
		close(done)
	})
	<-done
	// Output:
	// stalled by a task for at least true
	// caught in the act: true
}
