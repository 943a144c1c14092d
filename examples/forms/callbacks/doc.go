//go:build unix

// Command callbacks shows I/O through callback functions: the program
// hands the loop functions to call when something happens (a connection
// opens, data arrives, it closes), and each does a little work and
// returns. It runs weft's callback face (package netpoll: Serve, Connect,
// Handlers) on one loop: a TCP echo server on 127.0.0.1 and a client that
// sends three pings, each from the callback that received the answer to
// the one before, then closes. It prints the callbacks in the order they
// ran.
//
//	go run ./examples/forms/callbacks
//
// docs/forms-of-io.md, "Callback functions", says what the form costs and
// where it hurts (state carried between calls by hand, errors passed on
// by hand); examples/porting shows the same program as callbacks,
// futures and fibers.
package main
