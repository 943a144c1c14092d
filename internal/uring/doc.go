// Package uring is a small binding to Linux's io_uring for file I/O and
// batched socket calls: a Ring whose submission queue takes operations
// (read, write, fsync, openat, close, statx, renameat, unlinkat, mkdirat,
// send, recv, cancel, nop) and whose completion queue hands back their
// results, with an eventfd that a loop can poll to learn that results are
// waiting (or none, Config.NoEventFD, for a caller that takes each batch's
// results inside the Submit that starts it: netpoll's sends and recvs
// with MSG_DONTWAIT). It is written on
// golang.org/x/sys/unix from the kernel's ABI, with no C and no other
// module.
//
// # Who may call what
//
// A Ring belongs to one event loop, and is not safe for concurrent use:
// one goroutine at a time may call its methods. That goroutine may change
// between calls, and so may the OS thread under it, which is why New never
// asks for IORING_SETUP_SINGLE_ISSUER or DEFER_TASKRUN. Available and
// Reprobe are safe from any goroutine.
//
// The loop's cycle is:
//
//	sqe := r.SQE()                 // nil when the SQ is full: Submit, then retry
//	sqe.PrepRead(fd, buf, off)
//	sqe.SetUserData(id)
//	r.Submit()                     // never waits for completions
//	...                            // poll r.EventFD() for readability
//	r.DrainEventFD()
//	r.Reap(func(c uring.CQE) { ... c.UserData, c.Res ... })
//
// Nothing waits for completions but SubmitAndWait, which is for tests
// and benchmarks. Submit does take as long as the kernel needs to start
// the operations, and runs in full those it can finish without sleeping:
// a read that hits the page cache is copied inside Submit, and its CQE is
// there when Submit returns. Operations that must wait go to the kernel's
// worker threads or wait on a poll, and complete later.
//
// # Lifetimes
//
// An SQE holds raw addresses of the caller's memory (buffers, paths, a
// statx result), which the kernel uses at any time until the operation's
// CQE. The caller keeps that memory reachable and leaves it alone until
// then; the Prep methods make it escape to the heap, where Go never moves
// it. Registered buffers stay the kernel's until UnregisterBuffers.
// Close does not wait for operations in flight: reap them first.
//
// Requests belong to the OS thread that submitted them: the kernel
// finishes some of them on that thread's next entry to the kernel (waking
// it if it sleeps, and with IORING_SETUP_COOP_TASKRUN without interrupting
// it if it runs, so at worst a scheduler tick later), and may cancel them
// if the thread exits. Go ends a thread only when a goroutine locked to it
// with runtime.LockOSThread exits still locked; do not submit from one.
//
// # Limits
//
// A Ring needs Linux 5.5 or later (IORING_FEAT_NODROP, so completions are
// never lost), and Available also wants every operation above, which
// Linux 5.15 has. Where io_uring is compiled out, disabled by
// kernel.io_uring_disabled, or refused by a seccomp filter (as by
// container runtimes' defaults), and on every other system, New and
// Available return an error that matches errors.ErrUnsupported: the
// caller falls back to blocking system calls on a thread pool.
//
// # Costs
//
// Measured on the 2-core Linux 6.18 VM this was written on, where a
// system call is expensive (getppid(2): ~0.9 µs, BenchmarkGetppid). A nop
// submitted and reaped alone costs ~1.9 µs, one io_uring_enter that
// submits and waits (BenchmarkRing_NopRoundTrip). A 4 KiB read at a random offset of a 64 MiB
// file in the page cache costs ~1.8 µs in batches of 32
// (BenchmarkRing_Read4KWarm) against ~2.4 µs for pread(2)
// (BenchmarkPread4KWarm): the ring saves the system call per read, not
// the copy out of the page cache, which is the bulk of either. The
// figures move by ±15% from run to run. Reap makes no system call unless
// the CQ overflowed.
//
// A Ring holds two descriptors (the ring and its eventfd) and, at the
// default 256 entries, 28 KiB of memory shared with the kernel.
package uring
