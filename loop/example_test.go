package loop_test

import (
	"fmt"
	"time"

	"github.com/weftio/weft/loop"
)

// A loop runs tasks, their microtasks and timers on one goroutine; other
// goroutines reach it through Post.
func Example() {
	l, err := loop.New()
	if err != nil {
		panic(err)
	}
	go l.Run()
	defer l.Close()

	done := make(chan struct{})
	l.Post(func() {
		l.AfterFunc(time.Millisecond, func() {
			fmt.Println("timer")
			close(done)
		})
		l.Schedule(func() { fmt.Println("next task") })
		l.Microtask(func() { fmt.Println("microtask, before the next task") })
		fmt.Println("task")
	})
	<-done
	// Output:
	// task
	// microtask, before the next task
	// next task
	// timer
}

// On virtual time, a loop with nothing to do jumps to its next timer
// instead of sleeping.
func ExampleWithVirtualTime() {
	l, _ := loop.New(loop.WithVirtualTime(time.Time{}))
	go l.Run()
	defer l.Close()

	done := make(chan struct{})
	l.Post(func() {
		l.AfterFunc(time.Hour, func() {
			fmt.Println("an hour later on the loop's clock:", time.Duration(l.Now()))
			close(done)
		})
	})
	<-done
	// Output:
	// an hour later on the loop's clock: 1h0m0s
}

// A group runs one loop per core; Next hands them out in turn.
func ExampleGroup() {
	g, err := loop.NewGroup(2)
	if err != nil {
		panic(err)
	}
	defer g.Close()

	results := make(chan int, 4)
	for i := range 4 {
		g.Next().Post(func() { results <- i * i })
	}
	sum := 0
	for range 4 {
		sum += <-results
	}
	fmt.Println("sum of squares:", sum)
	// Output:
	// sum of squares: 14
}
