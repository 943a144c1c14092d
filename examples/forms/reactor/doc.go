//go:build unix

// Command reactor is an echo server in the reactor pattern on a weft
// loop: the loop waits for readiness (epoll, kqueue) and calls a handler,
// which makes the non-blocking read(2) and write(2) calls itself and
// stops at EAGAIN until the next event. A blocking client on a goroutine
// sends 1,000 messages of 64 bytes over a Unix socket pair, each after
// the answer to the one before; the program prints what the server did.
//
//	go run ./examples/forms/reactor
//
// ../proactor is the same server in the proactor pattern, on io_uring.
// docs/forms-of-io.md, "Reactor and proactor", sets the two side by side
// with their measured costs (bench/forms).
package main
