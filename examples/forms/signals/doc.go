//go:build unix

// Command signals shows signals as a form of asynchronous notification:
// the kernel interrupts the process to say that something happened (a
// child exited, the user pressed ^C, a timer expired). A C program gets
// them in a handler that may run between any two instructions and may
// call almost nothing; weft delivers them as ordinary loop events
// (package signal), a callback run as a loop task or a stream a fiber
// receives from, and never runs user code in a handler.
//
// It subscribes a callback and a fiber to SIGUSR1 and sends it: both get
// it. It sends a burst of ten SIGUSR2: they arrive merged into fewer
// events, whose counts add up to at most ten, never lost entirely. Then it
// stops the callback's subscription, and the next SIGUSR1 reaches the
// fiber alone.
//
//	go run ./examples/forms/signals
//
// docs/forms-of-io.md, "Signals", says what the form costs and where it
// fails (merged deliveries, handlers that can do almost nothing).
package main
