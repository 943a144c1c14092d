// Command coprocessor shows the nearest things weft has to channel I/O,
// where a mainframe hands a whole I/O program to a channel processor and
// hears back only when it is done. weft has no such hardware to drive;
// what it has is other threads doing the waiting:
//
//   - its offload pool (internal/offload, reached from a fiber through
//     fiber.Blocking): a blocking read(2) runs on a pool thread while the
//     loop goes on ticking a timer, and the fifth tick writes the byte the
//     read waits for;
//
//   - io_uring's kernel workers: a read posted with IOSQE_ASYNC is run by
//     an io-wq thread the kernel adds to this process (iou-wrk-…).
//
// Run it with
//
//	go run ./examples/forms/coprocessor
//
// docs/forms-of-io.md, "Channel I/O offloaded to a co-processor", says
// why weft does not offer the form, and why it does not use io_uring's
// SQPOLL, a kernel thread that spins on the submission queue. Linux only.
package main
