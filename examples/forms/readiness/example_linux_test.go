package main

import "os"

func Example() {
	if err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// 256 pipes registered with epoll
	// wrote to 3 pipes: Wait returned 3 events: pipe 3, pipe 100, pipe 200
	// nothing read, nothing new (edge-triggered): Wait returned 0 events
	// wrote to pipe 3 again: a new edge: Wait returned 1 event: pipe 3
}
