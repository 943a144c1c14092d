// Command completion shows completion queues: the program posts whole
// operations (read these bytes into this buffer) and later collects their
// results from a queue, instead of asking whether a descriptor is ready
// and then doing the work itself. On Linux that is io_uring, which weft
// binds in internal/uring and uses for files in package fs.
//
// It posts eight 4 KiB reads of a file and submits and waits for them in
// one system call; posts a read on an empty pipe, which completes when
// data comes; and writes and reads back a file through weft's fs from a
// fiber, the loop reaping the completions.
//
//	go run ./examples/forms/completion
//
// docs/forms-of-io.md, "Completion queues", says what the form costs and
// where it fails (buffers lent to the kernel until the completion).
// Linux only, and it needs io_uring: it asks package fs for its io_uring
// back-end whatever WEFT_IO_URING says, and fails clearly without it.
package main
