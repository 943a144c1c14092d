// Command threads shows light-weight processes and threads, the three
// sizes of "something that can wait on its own": goroutines, OS threads
// and processes. It parks 10,000 goroutines at once and reports their
// stack memory, then starts and ends goroutines, OS threads (a goroutine
// that locks its thread and ends takes the thread with it) and processes
// (true(1), through os/exec), and prints what each costs on this machine.
// The times are printed, not checked: they are a feel for the orders of
// magnitude, not a benchmark.
//
//	go run ./examples/forms/threads
//
// Linux only: the threads are told apart by their kernel thread ids.
//
// docs/forms-of-io.md, "Light-weight processes and threads", says what
// each costs and how weft uses them; the subprocess program runs children
// through weft's own package process.
package main
