//go:build unix

// Command nonblocking shows non-blocking I/O with polling: with O_NONBLOCK
// set, read(2) and write(2) never sleep; they return EAGAIN when they
// cannot go on, and the program must try again later. It shows a read of
// an empty pipe failing at once, a write filling the pipe's buffer until
// EAGAIN, and a reader that polls (tries, fails, tries again) for three
// messages a slow writer sends, counting the system calls it wasted.
//
//	go run ./examples/forms/nonblocking
//
// docs/forms-of-io.md, "Non-blocking I/O with polling", says what the
// form costs.
package main
