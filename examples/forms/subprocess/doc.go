//go:build unix

// Command subprocess shows processes as a unit of concurrency, through
// weft's package process: a child runs on its own, its standard input and
// output are non-blocking pipes in the loop's poller, and its exit is a
// loop event (a pidfd on Linux), so a fiber waits for a child the way it
// waits for a socket, and the loop goes on meanwhile.
//
// It feeds a child's input and captures its output; runs the pipeline
// printf | sort | tr, wired child to child; reports a failing child's exit
// status; kills a child whose context runs out; and lets the loop's timer
// write to a child's input while a fiber waits for that child to exit.
//
//	go run ./examples/forms/subprocess
//
// docs/forms-of-io.md, "Light-weight processes and threads", says what a
// process costs beside a thread and a goroutine (../threads measures
// them).
package main
