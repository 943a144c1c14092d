package uring

import (
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The two queues. The SQ's tail and the CQ's head are ours to write, the
// SQ's head and the CQ's tail the kernel's; each side reads the other's
// with an acquire and writes its own with a release (sync/atomic's loads
// and stores are both, and more), so that an entry is complete before the
// index that hands it over. Nothing here locks: a Ring has one user at a
// time.

// SQE returns the next free SQE, zeroed, or nil when the SQ is full (or
// the Ring closed): Submit, then ask again. The SQE goes to the kernel at
// the next Submit, which must come after it is prepared; each SQE obtained
// must be prepared, since a zeroed one is a nop with user data 0.
func (r *Ring) SQE() *SQE {
	if r.fd < 0 || r.tail-atomic.LoadUint32(r.sqHead) >= uint32(len(r.sqes)) {
		return nil
	}
	s := &r.sqes[r.tail&r.sqMask]
	r.tail++
	*s = SQE{}
	return s
}

// Queued returns how many SQEs have been obtained from SQE and not yet
// consumed by the kernel: what the next Submit sends.
func (r *Ring) Queued() int {
	if r.fd < 0 {
		return 0
	}
	return int(r.tail - atomic.LoadUint32(r.sqHead))
}

// Submit hands every queued SQE to the kernel with io_uring_enter, and
// returns how many it took. It never waits for completions; operations
// the kernel can finish at once (a nop, a read from the page cache) have
// their CQEs in the CQ by the time it returns.
//
// On error (EAGAIN or EBUSY: the kernel is short of memory or of CQ room)
// it returns the number submitted so far with an *os.SyscallError; the
// rest stay queued for the next Submit. An SQE the kernel rejects, for an
// unknown opcode or a bad field, still counts as submitted: its error
// comes in its CQE.
func (r *Ring) Submit() (int, error) { return r.submit(0, false) }

// SubmitAndWait is Submit, followed by waiting until at least n CQEs are
// in the CQ, counting any already there. It blocks the calling goroutine's
// OS thread, as a blocking system call does, so a loop waits on the
// eventfd instead, except for operations that cannot wait (a socket's
// PrepSend and PrepRecv with MSG_DONTWAIT), whose batch it submits and
// collects in one system call. n larger than the operations in flight
// waits for ever.
func (r *Ring) SubmitAndWait(n uint32) (int, error) { return r.submit(n, false) }

// SubmitNoSleep is Submit for a batch whose operations cannot sleep in the
// kernel (a socket's PrepSend and PrepRecv with MSG_DONTWAIT): it makes
// the system call without telling the Go runtime, as RawSyscall does. The
// runtime then leaves the goroutine's processor with it for the call. Told
// of it, the runtime's monitor may take the processor from a call that
// outlasts its tick (at least 20 µs, which a batch of loopback TCP sends
// can) when no other processor is idle, and hand it to another thread,
// then take it back when the call returns: a thread wake-up and a hand-off
// per long batch, for nothing (netpoll measured it by hand: 23.4 against
// 21.6 µs of CPU per echo request at 10,000 connections, docs/netpoll.md). The price
// is that a stop-the-world waits for the call to end. Do not use it for
// operations that may wait (a file read, a recv without MSG_DONTWAIT).
func (r *Ring) SubmitNoSleep() (int, error) { return r.submit(0, true) }

func (r *Ring) submit(wait uint32, raw bool) (int, error) {
	if r.fd < 0 {
		return 0, errClosed
	}
	// Publish the SQEs. The store is a release: the kernel, which reads
	// the tail with an acquire, sees every SQE written before it.
	atomic.StoreUint32(r.sqTail, r.tail)
	// Without SQPOLL the kernel moves the SQ head before io_uring_enter
	// returns, so the head's progress is the count submitted, whatever
	// each call returned.
	start := atomic.LoadUint32(r.sqHead)
	submitted := func() int { return int(atomic.LoadUint32(r.sqHead) - start) }
	for {
		pending := r.tail - atomic.LoadUint32(r.sqHead)
		var flags uint32
		if wait > 0 && r.ready() < wait {
			flags = enterGetEvents
		}
		if pending == 0 && flags == 0 {
			return submitted(), nil
		}
		// Loop on: without IORING_SETUP_SUBMIT_ALL the kernel stops
		// after an SQE it rejects, leaving the rest; with GETEVENTS it
		// returns what it submitted, not EINTR, when a signal (Go's
		// preemption sends SIGURG) cuts the wait short.
		var n int
		var err error
		if raw {
			n, err = r.enterRaw(pending)
		} else {
			n, err = r.enter(pending, wait, flags)
		}
		switch {
		case err == unix.EINTR:
		case err != nil:
			return submitted(), os.NewSyscallError("io_uring_enter", err)
		case n == 0 && pending > 0 && flags == 0:
			// Not seen in practice, but the loop must not spin.
			return submitted(), os.NewSyscallError("io_uring_enter", unix.EAGAIN)
		}
	}
}

// Withdraw takes back the SQEs handed out by SQE that the kernel has not
// consumed, as after a Submit that failed part way, and returns how many:
// they will not be submitted, and their memory is the caller's again.
func (r *Ring) Withdraw() int {
	if r.fd < 0 {
		return 0
	}
	head := atomic.LoadUint32(r.sqHead)
	n := int(r.tail - head)
	r.tail = head
	atomic.StoreUint32(r.sqTail, head)
	return n
}

// enterRaw calls io_uring_enter once to submit, without the runtime
// knowing (SubmitNoSleep).
func (r *Ring) enterRaw(toSubmit uint32) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), 0, 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// enter calls io_uring_enter once.
func (r *Ring) enter(toSubmit, minComplete, flags uint32) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// ready returns the number of CQEs in the CQ.
func (r *Ring) ready() uint32 { return atomic.LoadUint32(r.cqTail) - r.head }

// Reap consumes the CQEs in the CQ, calling f with a copy of each in the
// order the kernel posted them, and returns how many there were. It never
// blocks and makes no system call, except to move completions the kernel
// held back for want of room (IORING_SQ_CQ_OVERFLOW) into the CQ, which it
// then drains too.
//
// f may call SQE, Submit, Reap and Close: each CQE's slot is freed
// before f sees the copy. CQEs posted while f runs (by a Submit inside f,
// say) wait for the next Reap, unless the CQ overflowed, so a Reap ends
// even when every f submits more.
func (r *Ring) Reap(f func(c CQE)) int {
	n := 0
	for r.fd >= 0 {
		// The acquire load of the tail makes the CQEs before it visible;
		// the release store of the head hands their slots back.
		tail := atomic.LoadUint32(r.cqTail)
		for r.fd >= 0 && int32(tail-r.head) > 0 {
			c := r.cqes[r.head&r.cqMask]
			r.head++
			atomic.StoreUint32(r.cqHead, r.head)
			n++
			f(c)
		}
		if r.fd < 0 || atomic.LoadUint32(r.sqFlags)&sqCQOverflow == 0 {
			break
		}
		// CQEs that found the CQ full wait in the kernel
		// (IORING_FEAT_NODROP), which moves them in only when a thread
		// asks it for events. Their eventfd signal came and went with
		// the CQEs just reaped, so a loop waiting on the eventfd would
		// wait for ever: Reap asks, then drains what came in.
		if _, err := r.enterRetry(0, 0, enterGetEvents); err != nil || r.ready() == 0 {
			break
		}
	}
	return n
}

// enterRetry is enter, retried on EINTR.
func (r *Ring) enterRetry(toSubmit, minComplete, flags uint32) (int, error) {
	for {
		n, err := r.enter(toSubmit, minComplete, flags)
		if err != unix.EINTR {
			return n, err
		}
	}
}
