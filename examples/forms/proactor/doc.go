// Command proactor is the echo server of ../reactor in the proactor
// pattern, on io_uring under a weft loop: the server posts whole
// operations (read into this buffer; write these bytes) and reacts to
// their completions, which the kernel queues; it never makes a read(2) or
// write(2) itself and never sees EAGAIN. The ring's eventfd is registered
// with the loop, so completions arrive as loop events. The same blocking
// client sends 1,000 messages of 64 bytes over a Unix socket pair; the
// program prints what the server did.
//
//	go run ./examples/forms/proactor
//
// docs/forms-of-io.md, "Reactor and proactor", sets the two side by side
// with their measured costs (bench/forms). Linux only.
package main
