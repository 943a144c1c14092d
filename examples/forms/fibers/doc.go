//go:build unix

// Command fibers shows fibers and coroutines: code written top to bottom,
// in blocking style, that gives up the thread where it would wait instead
// of blocking it. It first drives a bare coroutine (iter.Pull, the runtime
// switch weft's fibers are made of), then runs a TCP echo server and
// client as fibers on one weft loop (package fiber, with package netpoll's
// fiber face: a net.Conn whose Read parks the fiber), and last puts 1,000
// fibers to sleep at once on a loop with a virtual clock, to show that
// they wait side by side.
//
//	go run ./examples/forms/fibers
//
// docs/forms-of-io.md, "Fibers and coroutines", says what the form costs
// and what it forbids (blocking the thread inside a fiber stops the loop).
package main
