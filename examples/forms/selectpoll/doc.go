//go:build unix

// Command selectpoll shows a select/poll loop: one thread asks the kernel,
// in one call, which of many descriptors are ready, then serves those. It
// makes 8 non-blocking pipes, writes to three of them and shows one
// poll(2) finding exactly those three; then a poll loop serves 8 writers
// at once, on one thread, counting its calls and how many descriptors the
// kernel had to look at for them.
//
//	go run ./examples/forms/selectpoll
//
// docs/forms-of-io.md, "select/poll loops", says what the form costs
// (every call passes and scans the whole set) and why select(2) is
// limited to descriptors below FD_SETSIZE (1024).
package main
