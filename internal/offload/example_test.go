package offload_test

import (
	"fmt"
	"os"

	"github.com/weftio/weft/internal/offload"
	"github.com/weftio/weft/loop"
)

// Code on a loop hands a blocking call to the pool with Do and gets its
// outcome back as a task on the loop.
func Example() {
	l, err := loop.New()
	if err != nil {
		panic(err)
	}
	go l.Run()
	defer l.Close()
	p := offload.New(0)
	defer p.Close() // runs first: waits for the pool's work

	done := make(chan struct{})
	l.Post(func() {
		var statErr error
		offload.Do(p, l, func() {
			// On a worker: blocking is fine here.
			_, statErr = os.Stat("/no/such/file")
		}, func(err error) {
			// Back on the loop.
			fmt.Println("work error:", err)
			fmt.Println("not found:", os.IsNotExist(statErr))
			close(done)
		})
	})
	<-done
	// Output:
	// work error: <nil>
	// not found: true
}

// An idle pool holds no goroutine: workers start with the work and exit
// when the queue is empty.
func ExamplePool_Stats() {
	p := offload.New(2)
	done := make(chan struct{})
	p.Submit(func() { close(done) })
	<-done
	p.Close()
	s := p.Stats()
	fmt.Println("done:", s.Done, "workers:", s.Workers)
	// Output:
	// done: 1 workers: 0
}
