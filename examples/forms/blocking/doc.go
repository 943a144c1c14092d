// Command blocking shows blocking I/O: each request has a thread of its
// own, which sleeps in read(2) until its data comes. It starts four
// readers on four blocking pipes, finds in /proc the four OS threads
// asleep in read(2), one per reader, then writes a request to each pipe
// and prints what each reader got.
//
//	go run ./examples/forms/blocking
//
// docs/forms-of-io.md, "Blocking I/O", says what the form costs. Linux
// only: the threads are found in /proc.
package main
