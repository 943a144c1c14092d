//go:build unix

// Command eventflags shows event flags: a flag that is set or cleared, and
// that waiters sleep on until it is set, the form in which Win32
// overlapped I/O and VMS report that an operation is done. weft's is
// sync.Event, for fibers. Three fibers wait on one flag and wake, in the
// order they came, when it is set; a wait on the cleared flag times out;
// and a pipe's readiness callback raises a flag that a fiber waits on
// before reading.
//
//	go run ./examples/forms/eventflags
//
// docs/forms-of-io.md, "Event flags", says what the form costs and where
// it falls short (a flag says that something happened, not what).
package main
